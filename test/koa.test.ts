import { once } from 'node:events';
import http from 'node:http';
import { connect } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import KoaRouter from '@koa/router';
import Koa from 'koa';
import Koa2 from 'koa2';
import LegacyRouter from 'koa-router';
import { Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createHttpMetrics } from 'promhttp';
import { koaMetrics } from 'promhttp/koa';
import type { Sample } from './support/scrape.js';
import { getRequest, leaveEarly, untilServerCloses } from './support/cut-short.js';
import { request, serversClosedAfterEach } from './support/http.js';
import { find, parseExposition, scrape, sum } from './support/scrape.js';

/**
 * Koa 3 dropped Koa 2's mapping of ENOENT errors to 404; the metrics must follow what is sent.
 * Koa 3 pipes a stream body with stream.pipeline, which destroys the response when the stream
 * fails; Koa 2 pipes it with .pipe(), which leaves the response open.
 */
const KOAS = [
  { name: 'Koa 3', Koa, enoentStatus: 500, failedBodyCloses: true },
  { name: 'Koa 2', Koa: Koa2, enoentStatus: 404, failedBodyCloses: false },
] as const;
const ROUTERS = [
  { name: '@koa/router', Router: KoaRouter },
  { name: 'koa-router', Router: LegacyRouter },
] as const;

const { serve } = serversClosedAfterEach();

/** GETs a URL, reads the whole body, and returns the status. */
async function get(url: string): Promise<number> {
  const response = await fetch(url);
  await response.arrayBuffer();
  return response.status;
}

/** Sends raw bytes and returns the raw answer, for request targets no HTTP client will produce. */
function rawRequest(base: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(base).port), '127.0.0.1', () => socket.end(text));
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
  });
}

async function samplesOf(registry: Registry): Promise<Sample[]> {
  return parseExposition(await registry.metrics());
}

const requests = (samples: Sample[], where: Record<string, string> = {}): number => sum(samples, 'http_requests_total', where);
const inFlight = (samples: Sample[]): number => sum(samples, 'http_requests_in_flight');

describe.each(KOAS)('koaMetrics on $name', ({ Koa, enoentStatus, failedBodyCloses }) => {
  function newApp(): Koa {
    const app = new Koa();
    app.silent = true;
    return app;
  }

  describe.each(ROUTERS)('with $name', ({ Router }) => {
    it('labels each request with its route template and counts it exactly once', async () => {
      const registry = new Registry();
      const app = newApp();
      app.use(koaMetrics({ registry, defaultMetrics: false }));
      const router = new Router();
      router.get('/', (ctx) => (ctx.body = 'ok'));
      router.get('/users/:id', (ctx) => (ctx.body = { id: ctx.params.id }));
      app.use(router.routes());
      const base = await serve(app);

      for (let i = 0; i < 7; i++) expect(await get(`${base}/users/${i}`)).toBe(200);
      for (let i = 0; i < 3; i++) expect(await get(`${base}/`)).toBe(200);

      const samples = await scrape(base);
      expect(requests(samples, { method: 'GET', route: '/users/:id', status_code: '200' })).toBe(7);
      expect(requests(samples, { method: 'GET', route: '/', status_code: '200' })).toBe(3);
      expect(sum(samples, 'http_request_duration_seconds_count', { route: '/users/:id' })).toBe(7);
      expect(find(samples, 'http_requests_total').map((s) => s.labels.route).sort()).toEqual(['/', '/users/:id']);
      expect(inFlight(samples)).toBe(0);
    });

    it('labels a route of a nested router with its full prefixed template', async () => {
      const registry = new Registry();
      const app = newApp();
      app.use(koaMetrics({ registry, defaultMetrics: false }));
      const api = new Router({ prefix: '/api' });
      const v1 = new Router();
      v1.get('/items/:id', (ctx) => (ctx.body = 'item'));
      api.use('/v1', v1.routes(), v1.allowedMethods());
      app.use(api.routes());
      const base = await serve(app);

      expect(await get(`${base}/api/v1/items/1`)).toBe(200);
      expect(await get(`${base}/api/v1/items/2`)).toBe(200);

      const samples = await scrape(base);
      expect(requests(samples, { route: '/api/v1/items/:id', status_code: '200' })).toBe(2);
      expect(requests(samples)).toBe(2);
    });

    it('labels requests that matched no route as unmatched, never by their path', async () => {
      const registry = new Registry();
      const app = newApp();
      app.use(koaMetrics({ registry, defaultMetrics: false }));
      const router = new Router();
      router.get('/users/:id', (ctx) => (ctx.body = 'user'));
      app.use(router.routes()).use(router.allowedMethods());
      const base = await serve(app);

      expect(await get(`${base}/no/such/page`)).toBe(404);
      expect(await get(`${base}/users/1/extra`)).toBe(404);
      expect((await request(`${base}/users/1`, { method: 'DELETE' })).status).toBe(405);

      const samples = await scrape(base);
      expect(requests(samples, { method: 'GET', route: 'unmatched', status_code: '404' })).toBe(2);
      expect(requests(samples, { method: 'DELETE', route: 'unmatched', status_code: '405' })).toBe(1);
      expect(find(samples, 'http_requests_total').every((s) => s.labels.route === 'unmatched')).toBe(true);
    });

    it('records thrown errors with the status Koa sends, on the matched route, and rethrows the same object', async () => {
      const registry = new Registry();
      const app = newApp();
      const thrown: unknown[] = [];
      const reported: unknown[] = [];
      app.on('error', (error: unknown) => reported.push(error));
      app.use(koaMetrics({ registry, defaultMetrics: false }));
      const router = new Router();
      const fail = (error: Error): never => {
        thrown.push(error);
        throw error;
      };
      router.get('/forbidden/:id', (ctx) => {
        try {
          ctx.throw(403);
        } catch (error) {
          fail(error as Error);
        }
      });
      router.get('/crash/:id', () => fail(new Error('boom')));
      router.get('/teapot', () => fail(Object.assign(new Error('short and stout'), { status: 418 })));
      router.get('/later', () => fail(Object.assign(new Error('busy'), { statusCode: 503 })));
      router.get('/odd', () => fail(Object.assign(new Error('no such status'), { status: 999 })));
      router.get('/file', () => fail(Object.assign(new Error('no file'), { code: 'ENOENT' })));
      app.use(router.routes());
      const base = await serve(app);

      expect(await get(`${base}/forbidden/1`)).toBe(403);
      expect(await get(`${base}/crash/1`)).toBe(500);
      expect(await get(`${base}/crash/2`)).toBe(500);
      expect(await get(`${base}/teapot`)).toBe(418);
      expect(await get(`${base}/later`)).toBe(503);
      expect(await get(`${base}/odd`)).toBe(500);
      expect(await get(`${base}/file`)).toBe(enoentStatus);

      const samples = await scrape(base);
      expect(requests(samples, { route: '/forbidden/:id', status_code: '403' })).toBe(1);
      expect(requests(samples, { route: '/crash/:id', status_code: '500' })).toBe(2);
      expect(requests(samples, { route: '/teapot', status_code: '418' })).toBe(1);
      expect(requests(samples, { route: '/later', status_code: '503' })).toBe(1);
      expect(requests(samples, { route: '/odd', status_code: '500' })).toBe(1);
      expect(requests(samples, { route: '/file', status_code: String(enoentStatus) })).toBe(1);
      expect(requests(samples)).toBe(7);
      expect(inFlight(samples)).toBe(0);
      expect(reported).toHaveLength(7);
      reported.forEach((error, i) => expect(error).toBe(thrown[i]));
    });
  });

  it('records the status that an error handler placed before it finally sends', async () => {
    const registry = new Registry();
    const app = newApp();
    app.use(async function handleErrors(ctx, next) {
      try {
        await next();
      } catch {
        ctx.status = 422;
        ctx.body = 'handled';
      }
    });
    app.use(koaMetrics({ registry, defaultMetrics: false }));
    const router = new KoaRouter();
    router.get('/checkout', (ctx) => ctx.throw(403));
    app.use(router.routes());
    const base = await serve(app);

    expect(await get(`${base}/checkout`)).toBe(422);

    const samples = await scrape(base);
    expect(requests(samples, { route: '/checkout', status_code: '422' })).toBe(1);
    expect(requests(samples)).toBe(1);
  });

  it('records a request whose client went away mid-handler once, as 499, and leaves nothing in flight', async () => {
    const registry = new Registry();
    const app = newApp();
    app.use(koaMetrics({ registry, defaultMetrics: false }));
    let started!: () => void;
    let finished!: () => void;
    const handlerStarted = new Promise<void>((resolve) => (started = resolve));
    const handlerFinished = new Promise<void>((resolve) => (finished = resolve));
    const router = new KoaRouter();
    router.get('/slow/:id', async (ctx) => {
      started();
      await once(ctx.res, 'close');
      ctx.body = 'too late';
      finished();
    });
    app.use(router.routes());
    const base = await serve(app);

    const client = http.get({ host: '127.0.0.1', port: new URL(base).port, path: '/slow/1', agent: false });
    client.on('error', () => {});
    await handlerStarted;
    expect(inFlight(await scrape(base))).toBe(1);
    client.destroy();
    await handlerFinished;

    const samples = await scrape(base);
    expect(requests(samples, { method: 'GET', route: '/slow/:id', status_code: '499' })).toBe(1);
    expect(requests(samples)).toBe(1);
    expect(inFlight(samples)).toBe(0);
  });

  /** [route, status, count] of the request counter, in exposition order. */
  const statuses = (samples: Sample[]): Array<[string, string, number]> =>
    find(samples, 'http_requests_total').map((s): [string, string, number] => [s.labels.route!, s.labels.status_code!, s.value]);

  it('records 499 only when the client left: a FIN or a reset before the response or in the middle of its body', async () => {
    const registry = new Registry();
    const app = newApp();
    app.use(koaMetrics({ registry, defaultMetrics: false }));
    let arrived!: () => void;
    const router = new KoaRouter();
    router.get('/waiting', async (ctx) => {
      arrived();
      await once(ctx.res, 'close');
    });
    router.get('/body', (ctx) => {
      const body = new PassThrough();
      body.write('first chunk');
      ctx.body = body;
    });
    app.use(router.routes());
    const port = Number(new URL(await serve(app)).port);
    for (const how of ['fin', 'reset'] as const) {
      await leaveEarly(port, '/waiting', how, new Promise<void>((resolve) => (arrived = resolve)));
      await leaveEarly(port, '/body', how, 'first byte');
    }
    await expect.poll(async () => inFlight(await samplesOf(registry))).toBe(0);
    expect(statuses(await samplesOf(registry))).toEqual([
      ['/waiting', '499', 2],
      ['/body', '499', 2],
    ]);
  });

  it('records a response the server cut short as 500: destroyed with an error, from a setTimeout handler, or by a failing body stream (which Koa 2 leaves open)', async () => {
    const registry = new Registry();
    const app = newApp();
    app.use(koaMetrics({ registry, defaultMetrics: false }));
    let bodyFailed!: () => void;
    const router = new KoaRouter();
    router.get('/destroyed', (ctx) => {
      const body = new PassThrough();
      body.write('partial');
      ctx.body = body;
      setTimeout(() => ctx.res.destroy(new Error('the handler gave up')), 10);
    });
    router.get('/timed-out', async (ctx) => {
      ctx.res.setTimeout(30, () => ctx.res.destroy());
      await once(ctx.res, 'close');
    });
    router.get('/streamed', (ctx) => {
      let reads = 0;
      ctx.body = new Readable({
        read() {
          if (reads++ > 0) return void setTimeout(() => (this.destroy(new Error('upstream failed')), bodyFailed()), 10);
          this.push('first chunk');
        },
      });
    });
    app.use(router.routes());
    const port = Number(new URL(await serve(app)).port);
    for (const path of ['/destroyed', '/timed-out']) await untilServerCloses(port, getRequest(path));
    const failed = new Promise<void>((resolve) => (bodyFailed = resolve));
    // Koa 2 leaves the response open when its body stream fails, until the client gives up.
    if (failedBodyCloses) await untilServerCloses(port, getRequest('/streamed'));
    else await leaveEarly(port, '/streamed', 'fin', failed);
    await expect.poll(async () => inFlight(await samplesOf(registry))).toBe(0);
    expect(statuses(await samplesOf(registry))).toEqual([
      ['/destroyed', '500', 1],
      ['/timed-out', '500', 1],
      ['/streamed', failedBodyCloses ? '500' : '499', 1],
    ]);
  });

  it('serves the metrics behind the app\'s own middleware as the README shows, and records every request once', async () => {
    const registry = new Registry();
    const metrics = createHttpMetrics({ registry, defaultMetrics: false });
    const app = newApp();
    // First, as always, but serving nothing: scrapes go through the router, behind the check.
    app.use(koaMetrics({ metrics, path: false }));
    const requireToken: Koa.Middleware = async (ctx, next) => {
      if (ctx.get('authorization') !== 'Bearer secret') return void (ctx.status = 401);
      await next();
    };
    const router = new KoaRouter();
    router.get('/metrics', requireToken, koaMetrics({ metrics }));
    router.get('/users/:id', (ctx) => (ctx.body = 'user'));
    app.use(router.routes());
    const base = await serve(app);
    expect(await get(`${base}/users/1`)).toBe(200);
    expect(await get(`${base}/metrics`)).toBe(401);
    await expect.poll(async () => inFlight(await samplesOf(registry))).toBe(0);
    const scraped = await request(`${base}/metrics`, { headers: { authorization: 'Bearer secret' } });
    expect(scraped.status).toBe(200);
    // The scrape being answered is in flight, not yet counted.
    const samples = parseExposition(scraped.body.toString());
    expect(find(samples, 'http_requests_total').map((s) => [s.labels.route, s.labels.status_code, s.value])).toEqual([
      ['/users/:id', '200', 1],
      ['/metrics', '401', 1],
    ]);
    expect(inFlight(samples)).toBe(1);
  });

  it('skips excluded paths: exact, RegExp and predicate', async () => {
    const registry = new Registry();
    const app = newApp();
    app.use(koaMetrics({ registry, defaultMetrics: false, exclude: ['/health', /^\/static\//, (path) => path.startsWith('/internal/')] }));
    const router = new KoaRouter();
    router.get('/health', (ctx) => (ctx.body = 'ok'));
    router.get('/static/:file', (ctx) => (ctx.body = 'file'));
    router.get('/internal/:what', (ctx) => (ctx.body = 'internal'));
    router.get('/users/:id', (ctx) => (ctx.body = 'user'));
    app.use(router.routes());
    const base = await serve(app);

    for (const path of ['/health', '/static/app.js', '/internal/cache', '/users/1']) expect(await get(base + path)).toBe(200);

    const samples = await scrape(base);
    expect(requests(samples, { route: '/users/:id', status_code: '200' })).toBe(1);
    expect(requests(samples)).toBe(1);
    expect(inFlight(samples)).toBe(0);
  });

  it('adds up the requests of two servers that share one HttpMetrics', async () => {
    const registry = new Registry();
    const metrics = createHttpMetrics({ registry, defaultMetrics: false });
    const bases: string[] = [];
    for (const path of ['/metrics', false] as const) {
      const app = newApp();
      app.use(koaMetrics({ metrics, path }));
      const router = new KoaRouter();
      router.get('/users/:id', (ctx) => (ctx.body = 'user'));
      app.use(router.routes());
      bases.push(await serve(app));
    }

    for (let i = 0; i < 2; i++) expect(await get(`${bases[0]}/users/${i}`)).toBe(200);
    for (let i = 0; i < 3; i++) expect(await get(`${bases[1]}/users/${i}`)).toBe(200);

    const samples = await scrape(bases[0]!);
    expect(requests(samples, { route: '/users/:id', status_code: '200' })).toBe(5);
    expect(inFlight(samples)).toBe(0);
  });

  it('serves nothing with path: false, leaving /metrics to the app', async () => {
    const registry = new Registry();
    const app = newApp();
    app.use(koaMetrics({ registry, defaultMetrics: false, path: false }));
    const base = await serve(app);

    expect(await get(`${base}/metrics`)).toBe(404);

    const samples = await samplesOf(registry);
    expect(requests(samples, { route: 'unmatched', status_code: '404' })).toBe(1);
  });

  it('serves the exposition at a custom path and only there', async () => {
    const registry = new Registry();
    const app = newApp();
    app.use(koaMetrics({ registry, defaultMetrics: false, path: '/_/metrics' }));
    const base = await serve(app);

    expect(await get(`${base}/metrics`)).toBe(404);
    const answer = await request(`${base}/_/metrics`);

    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(requests(parseExposition(answer.body.toString()), { route: 'unmatched', status_code: '404' })).toBe(1);
  });

  it('answers HEAD with the headers of GET and no body, and POST with 405, recording neither', async () => {
    const registry = new Registry();
    const app = newApp();
    app.use(koaMetrics({ registry, defaultMetrics: false }));
    app.use((ctx) => (ctx.body = 'ok'));
    const base = await serve(app);
    expect(await get(`${base}/`)).toBe(200);

    const full = await request(`${base}/metrics`);
    const head = await request(`${base}/metrics`, { method: 'HEAD' });
    const post = await request(`${base}/metrics`, { method: 'POST' });

    expect(full.body.length).toBeGreaterThan(0);
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers['content-length']).toBe(String(full.body.length));
    expect(head.headers['content-type']).toBe(full.headers['content-type']);
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect(requests(await samplesOf(registry))).toBe(1);
  });

  it('sends a gzip exposition as bytes and OpenMetrics when asked', async () => {
    const registry = new Registry();
    const app = newApp();
    app.use(koaMetrics({ registry, defaultMetrics: false }));
    app.use((ctx) => (ctx.body = 'ok'));
    const base = await serve(app);
    expect(await get(`${base}/`)).toBe(200);

    const zipped = await request(`${base}/metrics`, { headers: { 'accept-encoding': 'gzip' } });
    const open = await request(`${base}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });

    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers['content-length']).toBe(String(zipped.body.length));
    expect(requests(parseExposition(gunzipSync(zipped.body).toString()), { route: 'unmatched', status_code: '200' })).toBe(1);
    expect(open.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(open.body.toString()).toMatch(/^http_requests_total\{method="GET",route="unmatched",status_code="200"\} 1$/m);
    expect(open.body.toString().endsWith('# EOF\n')).toBe(true);
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
    const app = newApp();
    app.use(koaMetrics({ registry, defaultMetrics: false }));
    const base = await serve(app);

    const answer = await request(`${base}/metrics`);

    expect(answer.status).toBe(500);
    expect(answer.body.toString()).toContain('sensor offline');
  });

  it('records scrapes on the metrics path when includeMetricsPath is set', async () => {
    const registry = new Registry();
    const app = newApp();
    app.use(koaMetrics({ registry, defaultMetrics: false, includeMetricsPath: true }));
    const base = await serve(app);

    await scrape(base);
    await scrape(base);
    const samples = await scrape(base);

    expect(requests(samples, { method: 'GET', route: '/metrics', status_code: '200' })).toBe(2);
    // The scrape being answered is itself in flight.
    expect(inFlight(samples)).toBe(1);
  });

  it('records odd methods, huge badly encoded URLs and long headers without throwing', async () => {
    const registry = new Registry();
    const app = newApp();
    app.use(koaMetrics({ registry, defaultMetrics: false }));
    const router = new KoaRouter();
    router.get('/users/:id', (ctx) => (ctx.body = 'user'));
    app.use(router.routes());
    const base = await serve(app);

    const odd = await request(`${base}/users/1`, { method: 'PROPFIND' });
    const huge = await request(`${base}/users/${'%E0%A4%A'.repeat(1250)}`);
    const long = await request(`${base}/users/2`, { headers: { 'x-long': 'a'.repeat(8_000) } });

    expect([odd.status, huge.status, long.status]).toEqual([404, 200, 200]);
    const samples = await scrape(base);
    expect(requests(samples, { method: '_OTHER', route: 'unmatched', status_code: '404' })).toBe(1);
    expect(requests(samples, { method: 'GET', route: '/users/:id', status_code: '200' })).toBe(2);
    expect(requests(samples)).toBe(3);
    expect(inFlight(samples)).toBe(0);
  });

  it.each(['/metrics', false] as const)('records a request whose target Koa cannot parse instead of failing it (path: %s)', async (path) => {
    const registry = new Registry();
    const app = newApp();
    app.use(koaMetrics({ registry, defaultMetrics: false, path }));
    app.use((ctx) => (ctx.body = 'from the app'));
    const base = await serve(app);

    // Reading ctx.path throws for this absolute-form target; the app itself never reads it.
    const answer = await rawRequest(base, 'GET http://[::1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');

    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    expect(answer.endsWith('\r\n\r\nfrom the app')).toBe(true);
    const samples = await samplesOf(registry);
    expect(requests(samples, { method: 'GET', route: 'unmatched', status_code: '200' })).toBe(1);
    expect(inFlight(samples)).toBe(0);
  });
});

describe('koaMetrics options', () => {
  it.each([
    ['a typo', { pth: '/metrics' }, /^promhttp: koaMetrics: unknown option "pth"\. Did you mean "path"\?/],
    ['a relative path', { path: 'metrics' }, /^promhttp: koaMetrics: "path" must be a path starting with "\/"/],
    ['a non-boolean includeMetricsPath', { includeMetricsPath: 'yes' }, /^promhttp: koaMetrics: "includeMetricsPath" must be true or false/],
    ['foreign metrics', { metrics: {} }, /^promhttp: koaMetrics: "metrics" must come from createHttpMetrics\(\)/],
    ['unsorted buckets', { buckets: [1, 0.5] }, /^promhttp: createHttpMetrics: "buckets" must be strictly increasing/],
    ['a string instead of options', '/metrics', /^promhttp: koaMetrics takes an options object/],
  ])('rejects %s at construction with a TypeError', (_case, options, message) => {
    expect(() => koaMetrics(options as never)).toThrow(TypeError);
    expect(() => koaMetrics(options as never)).toThrow(message);
  });

  it('rejects options for new metrics next to shared metrics', () => {
    const metrics = createHttpMetrics({ registry: new Registry(), defaultMetrics: false });
    expect(() => koaMetrics({ metrics, buckets: [0.1, 1] })).toThrow(/^promhttp: koaMetrics: "buckets" configures new metrics, but "metrics" passes existing ones/);
  });
});
