import { once } from 'node:events';
import http from 'node:http';
import http2 from 'node:http2';
import { gunzipSync } from 'node:zlib';
import Fastify5, { type FastifyInstance } from 'fastify';
import Fastify4 from 'fastify4';
import { Gauge, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpMetrics } from 'promhttp';
import { fastifyMetrics, type FastifyMetricsOptions } from 'promhttp/fastify';
import { rawRequest, request } from './support/http.js';
import { find, parseExposition, scrape, scrapeSettled, sum, type Sample } from './support/scrape.js';

/** A parameter longer than maxParamLength: Fastify 5 answers 414 itself, Fastify 4 passes it on to its 404 handler. */
const FASTIFIES = [
  { name: 'Fastify 5', Fastify: Fastify5, tooLong: '414 URI Too Long' },
  { name: 'Fastify 4', Fastify: Fastify4, tooLong: '404 Not Found' },
] as const;

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

/** Listens on a free loopback port; the app is closed after the test. */
async function run(app: FastifyInstance): Promise<string> {
  apps.push(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
}

async function get(url: string, init?: RequestInit): Promise<number> {
  const response = await fetch(url, init);
  await response.arrayBuffer();
  return response.status;
}

/** [method, route, status, count] of every http_requests_total series, sorted. */
function counts(samples: Sample[]): Array<[string, string, string, number]> {
  return find(samples, 'http_requests_total')
    .map((s): [string, string, string, number] => [s.labels.method!, s.labels.route!, s.labels.status_code!, s.value])
    .sort((a, b) => (a.join() < b.join() ? -1 : 1));
}

const fail = (statusCode?: number): Error => Object.assign(new Error('boom'), statusCode === undefined ? {} : { statusCode });

describe.each(FASTIFIES)('fastifyMetrics on $name', ({ Fastify, tooLong }) => {
  async function instrumented(options: FastifyMetricsOptions = {}): Promise<FastifyInstance> {
    const app = Fastify();
    await app.register(fastifyMetrics, { registry: new Registry(), defaultMetrics: false, ...options });
    return app;
  }

  it('labels each request with its route template, HEAD included, counts it once, and leaves nothing in flight', async () => {
    const app = await instrumented();
    app.get('/', async () => 'ok');
    app.get('/users/:id', async (request) => request.params);
    app.post('/users', async (_request, reply) => reply.code(201).send('created'));
    const base = await run(app);

    for (let i = 0; i < 5; i++) expect(await get(`${base}/users/${i}?tab=${i}`)).toBe(200);
    expect(await get(`${base}/`)).toBe(200);
    expect(await get(`${base}/users/1`, { method: 'HEAD' })).toBe(200);
    expect(await get(`${base}/users`, { method: 'POST' })).toBe(201);

    const samples = await scrapeSettled(base);
    expect(counts(samples)).toEqual([
      ['GET', '/', '200', 1],
      ['GET', '/users/:id', '200', 5],
      ['HEAD', '/users/:id', '200', 1],
      ['POST', '/users', '201', 1],
    ]);
    expect(sum(samples, 'http_request_duration_seconds_count', { route: '/users/:id' })).toBe(6);
  });

  it('sees the routes of encapsulated plugins, with their prefixes, at any depth', async () => {
    const app = await instrumented();
    await app.register(
      async (api) => {
        await api.register(
          async (v1) => {
            v1.get('/items/:id', async () => 'item');
            v1.get('/', async () => 'v1');
          },
          { prefix: '/v1' },
        );
        api.get('/orgs/:org/repos/:repo', async () => 'repo');
      },
      { prefix: '/api' },
    );
    const base = await run(app);

    for (const path of ['/api/v1/items/1', '/api/v1/items/2', '/api/v1', '/api/orgs/acme/repos/web']) expect(await get(base + path)).toBe(200);

    expect(counts(await scrapeSettled(base))).toEqual([
      ['GET', '/api/orgs/:org/repos/:repo', '200', 1],
      ['GET', '/api/v1', '200', 1],
      ['GET', '/api/v1/items/:id', '200', 2],
    ]);
  });

  it('labels requests no route matched unmatched, never by their path', async () => {
    const app = await instrumented();
    app.get('/users/:id', async () => 'user');
    const base = await run(app);

    expect(await get(`${base}/no/such/page`)).toBe(404);
    expect(await get(`${base}/users/1/extra`)).toBe(404);
    expect(await get(`${base}/users/1`, { method: 'DELETE' })).toBe(404);

    expect(counts(await scrapeSettled(base))).toEqual([
      ['DELETE', 'unmatched', '404', 1],
      ['GET', 'unmatched', '404', 2],
    ]);
  });

  it("records thrown errors and rejections with the status Fastify's error handler sends, on the matched route", async () => {
    const app = await instrumented();
    app.get('/crash/:id', () => {
      throw fail();
    });
    app.get('/rejects/:id', async () => Promise.reject(fail()));
    app.get('/teapot', async () => {
      throw fail(418);
    });
    app.get('/later', (_request, reply) => void setTimeout(() => reply.send(fail(503)), 5));
    const base = await run(app);

    expect(await get(`${base}/crash/1`)).toBe(500);
    expect(await get(`${base}/crash/2`)).toBe(500);
    expect(await get(`${base}/rejects/1`)).toBe(500);
    expect(await get(`${base}/teapot`)).toBe(418);
    expect(await get(`${base}/later`)).toBe(503);

    expect(counts(await scrapeSettled(base))).toEqual([
      ['GET', '/crash/:id', '500', 2],
      ['GET', '/later', '503', 1],
      ['GET', '/rejects/:id', '500', 1],
      ['GET', '/teapot', '418', 1],
    ]);
  });

  it('records the status a custom error handler sends, also in an encapsulated plugin', async () => {
    const app = await instrumented();
    app.setErrorHandler(async (_error, _request, reply) => reply.code(422).send('handled'));
    await app.register(async (shop) => {
      shop.setErrorHandler(async (_error, _request, reply) => reply.code(409).send('conflict'));
      shop.get('/shop/:id', async () => {
        throw fail(403);
      });
    });
    app.get('/checkout/:id', async () => {
      throw fail(403);
    });
    const base = await run(app);

    expect(await get(`${base}/checkout/1`)).toBe(422);
    expect(await get(`${base}/shop/1`)).toBe(409);

    expect(counts(await scrapeSettled(base))).toEqual([
      ['GET', '/checkout/:id', '422', 1],
      ['GET', '/shop/:id', '409', 1],
    ]);
  });

  it('records over HTTP/2 a stream the client cancels as 499 and one the server resets as 500, once each', async () => {
    const app = Fastify({ http2: true }) as unknown as FastifyInstance;
    await app.register(fastifyMetrics, { registry: new Registry(), defaultMetrics: false });
    let started!: () => void;
    const handlerStarted = new Promise<void>((resolve) => (started = resolve));
    app.get('/users/:id', async () => 'user');
    app.get('/slow/:id', async (_request, reply) => {
      started();
      await once(reply.raw, 'close');
      return 'too late';
    });
    app.get('/reset/:id', async (_request, reply) => {
      (reply.raw as unknown as http2.Http2ServerResponse).stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      return reply;
    });
    const base = await run(app);
    const client = http2.connect(base);
    try {
      const get2 = (path: string): Promise<{ status: number; body: string }> =>
        new Promise((resolve) => {
          const stream = client.request({ ':path': path });
          let status = 0;
          let body = '';
          stream.on('response', (headers) => (status = Number(headers[':status'])));
          stream.on('data', (chunk: Buffer) => (body += chunk.toString()));
          stream.on('close', () => resolve({ status, body }));
          stream.on('error', () => {});
        });
      const settled = async (inFlight: number): Promise<Sample[]> => {
        for (let i = 0; ; i++) {
          const samples = parseExposition((await get2('/metrics')).body);
          if (sum(samples, 'http_requests_in_flight') === inFlight || i === 100) return samples;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      };

      expect((await get2('/users/1')).status).toBe(200);
      expect((await get2('/reset/1')).status).toBe(0);
      const slow = client.request({ ':path': '/slow/1' });
      slow.on('error', () => {});
      await handlerStarted;
      expect(sum(await settled(1), 'http_requests_in_flight')).toBe(1);
      slow.close(http2.constants.NGHTTP2_CANCEL);

      const samples = await settled(0);
      expect(counts(samples)).toEqual([
        ['GET', '/reset/:id', '500', 1],
        ['GET', '/slow/:id', '499', 1],
        ['GET', '/users/:id', '200', 1],
      ]);
      expect(sum(samples, 'http_requests_in_flight')).toBe(0);
    } finally {
      client.close();
    }
  });

  it('records a request whose client went away mid-handler once, as 499, and leaves nothing in flight', async () => {
    const app = await instrumented();
    let started!: () => void;
    let finished!: () => void;
    const handlerStarted = new Promise<void>((resolve) => (started = resolve));
    const handlerFinished = new Promise<void>((resolve) => (finished = resolve));
    app.get('/slow/:id', async (_request, reply) => {
      started();
      await once(reply.raw, 'close');
      finished();
      return 'too late';
    });
    const base = await run(app);

    const client = http.get({ host: '127.0.0.1', port: new URL(base).port, path: '/slow/1', agent: false });
    client.on('error', () => {});
    await handlerStarted;
    expect(sum(await scrape(base), 'http_requests_in_flight')).toBe(1);
    client.destroy();
    await handlerFinished;

    const samples = await scrapeSettled(base);
    expect(counts(samples)).toEqual([['GET', '/slow/:id', '499', 1]]);
    expect(sum(samples, 'http_request_duration_seconds_count')).toBe(1);
  });

  it('skips excluded paths and the metrics path, unless includeMetricsPath', async () => {
    const app = await instrumented({ exclude: ['/health', /^\/assets\//] });
    app.get('/health', async () => 'up');
    app.get('/assets/:file', async () => 'asset');
    app.get('/', async () => 'ok');
    const base = await run(app);
    for (let i = 0; i < 2; i++) await scrape(base);
    for (const path of ['/health', '/assets/app.js', '/']) expect(await get(base + path)).toBe(200);
    expect(counts(await scrapeSettled(base))).toEqual([['GET', '/', '200', 1]]);

    const counted = await run(await instrumented({ includeMetricsPath: true }));
    await scrape(counted);
    await scrape(counted);
    // The scrape being answered is itself in flight.
    expect(counts(await scrapeSettled(counted, { inFlight: 1 }))).toEqual([['GET', '/metrics', '200', 2]]);
  });

  it('adds up two apps sharing one HttpMetrics, serves at a custom path, and serves nothing with path: false', async () => {
    const metrics = createHttpMetrics({ registry: new Registry(), defaultMetrics: false });
    const bases: string[] = [];
    for (const path of ['/_/metrics', false] as const) {
      const app = Fastify();
      await app.register(fastifyMetrics, { metrics, path });
      app.get('/users/:id', async () => 'user');
      bases.push(await run(app));
    }
    for (let i = 0; i < 2; i++) expect(await get(`${bases[0]}/users/${i}`)).toBe(200);
    for (let i = 0; i < 3; i++) expect(await get(`${bases[1]}/users/${i}`)).toBe(200);
    expect(await get(`${bases[0]}/metrics`)).toBe(404);
    expect(await get(`${bases[1]}/metrics`)).toBe(404);

    expect(counts(await scrapeSettled(`${bases[0]}/_/metrics`))).toEqual([
      ['GET', '/users/:id', '200', 5],
      ['GET', 'unmatched', '404', 2],
    ]);
  });

  it('answers HEAD with the headers of GET, other methods with 405, and negotiates OpenMetrics and gzip', async () => {
    const app = await instrumented();
    app.get('/', async () => 'ok');
    const base = await run(app);
    expect(await get(`${base}/`)).toBe(200);

    const full = await request(`${base}/metrics`);
    const head = await request(`${base}/metrics`, { method: 'HEAD' });
    const post = await request(`${base}/metrics`, { method: 'POST' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers['content-length']).toBe(String(full.body.length));
    expect(head.headers['content-type']).toBe(full.headers['content-type']);
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    // Methods Fastify routes but the metrics route does not take, and one Fastify does not know.
    const port = Number(new URL(base).port);
    for (const method of ['PROPFIND', 'TRACE', 'ACL', 'PURGE']) {
      const raw = await rawRequest(port, `${method} /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      expect(raw.split('\r\n', 1)[0], method).toBe('HTTP/1.1 405 Method Not Allowed');
      expect(raw, method).toMatch(/\r\nallow: GET, HEAD\r\n/i);
    }

    const answer = await request(`${base}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0', 'accept-encoding': 'gzip' } });
    expect(answer.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(answer.headers['content-encoding']).toBe('gzip');
    expect(answer.headers['content-length']).toBe(String(answer.body.length));
    const text = gunzipSync(answer.body).toString();
    expect(text.endsWith('# EOF\n')).toBe(true);
    expect(counts(parseExposition(text))).toEqual([['GET', '/', '200', 1]]);
  });

  it('answers 500 with the reason when a collector fails', async () => {
    const registry = new Registry();
    new Gauge({
      name: 'broken_gauge',
      help: 'Fails on collect.',
      registers: [registry],
      collect() {
        throw new Error('sensor offline');
      },
    });
    const app = Fastify();
    await app.register(fastifyMetrics, { registry, defaultMetrics: false });
    const answer = await request(`${await run(app)}/metrics`);
    expect(answer.status).toBe(500);
    expect(answer.body.toString()).toContain('sensor offline');
  });

  it('records an odd method, a 10 kB URL with bad percent-encoding and a very long header without throwing', async () => {
    const app = await instrumented();
    app.get('/users/:id', async () => 'user');
    const base = await run(app);
    const port = Number(new URL(base).port);
    const head = (text: string): string => text.split('\r\n', 1)[0]!;
    const send = (line: string, headers = ''): Promise<string> => rawRequest(port, `${line} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}Connection: close\r\n\r\n`);

    expect(head(await send('PROPFIND /users/1'))).toBe('HTTP/1.1 404 Not Found');
    // Fastify answers these itself, before any hook runs; they are recorded all the same.
    expect(head(await send(`GET /users/%E0%A4%A${'%zz'.repeat(3400)}`))).toBe('HTTP/1.1 400 Bad Request');
    expect(head(await send(`GET /users/${'a'.repeat(200)}`))).toBe(`HTTP/1.1 ${tooLong}`);
    expect(head(await send('GET /users/2', `x-long: ${'a'.repeat(12_000)}\r\n`))).toBe('HTTP/1.1 200 OK');

    expect(counts(await scrapeSettled(base))).toEqual([
      ['GET', '/users/:id', '200', 1],
      ['GET', 'unmatched', '400', 1],
      ['GET', 'unmatched', tooLong.slice(0, 3), 1],
      ['_OTHER', 'unmatched', '404', 1],
    ]);
  });

  it('rejects bad options when the plugin loads, with a promhttp TypeError', async () => {
    for (const [options, message] of [
      [{ pth: '/metrics' }, /^promhttp: fastifyMetrics: unknown option "pth"\. Did you mean "path"\?/],
      [{ path: 'metrics' }, /^promhttp: fastifyMetrics: "path" must be a path starting with "\/"/],
      [{ route: 42 }, /^promhttp: fastifyMetrics: "route" must be a function .* or "path"/],
    ] as const) {
      const app = Fastify();
      apps.push(app);
      await expect(app.register(fastifyMetrics, options as never)).rejects.toThrow(message);
    }
  });
});
