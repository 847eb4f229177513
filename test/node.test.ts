import { randomBytes } from 'node:crypto';
import { connect, type AddressInfo } from 'node:net';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Readable, pipeline } from 'node:stream';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpMetrics } from 'promhttp';
import { instrument, type NodeMetricsOptions } from 'promhttp/node';
import { getRequest, leaveEarly, untilServerCloses } from './support/cut-short.js';
import { listen, rawRequest, request, type Listening } from './support/http.js';
import { find, parseExposition, scrape, scrapeSettled, sum, type Sample } from './support/scrape.js';

const open: Listening[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((l) => l.close()));
});

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** Serves `listener` instrumented with a fresh registry (unless `metrics` is passed). */
async function serve(listener: Listener, options: NodeMetricsOptions = {}): Promise<Listening> {
  const base: NodeMetricsOptions = options.metrics ? {} : { registry: new Registry(), defaultMetrics: false };
  const listening = await listen(instrument(listener, { ...base, ...options }));
  open.push(listening);
  return listening;
}

const ok: Listener = (_req, res) => res.end('ok');

async function get(url: string, init?: RequestInit): Promise<number> {
  const response = await fetch(url, init);
  await response.arrayBuffer();
  return response.status;
}

/** The distinct values of `label` over the request counter. */
function values(samples: Sample[], label: string): Set<string> {
  return new Set(find(samples, 'http_requests_total').map((s) => s.labels[label]!));
}

describe('promhttp/node instrument', () => {
  it('counts every request exactly once per method, route and status', async () => {
    const app = await serve((req, res) => {
      if (req.url === '/boom') res.statusCode = 500;
      else if (req.method === 'POST') res.statusCode = 201;
      res.end();
    });
    for (let i = 0; i < 10; i++) await get(`${app.url}/`);
    for (let i = 1; i <= 6; i++) await get(`${app.url}/users/${i}`);
    for (let i = 0; i < 4; i++) await get(`${app.url}/users`, { method: 'POST' });
    for (let i = 0; i < 3; i++) await get(`${app.url}/boom`);
    const samples = await scrapeSettled(app.url);
    const counts = find(samples, 'http_requests_total').map((s) => [s.labels.method, s.labels.route, s.labels.status_code, s.value]);
    expect(counts.sort()).toEqual(
      [
        ['GET', '/', '200', 10],
        ['GET', '/users/:id', '200', 6],
        ['POST', '/users', '201', 4],
        ['GET', '/boom', '500', 3],
      ].sort(),
    );
    for (const [method, route, status_code, value] of counts) {
      const labels = { method: method as string, route: route as string, status_code: status_code as string };
      expect(sum(samples, 'http_request_duration_seconds_count', labels)).toBe(value);
      expect(sum(samples, 'http_request_duration_seconds_bucket', { ...labels, le: '+Inf' })).toBe(value);
    }
    expect(sum(samples, 'http_requests_in_flight')).toBe(0);
  });

  it('normalises numeric, UUID and long hex segments to :id and drops the query', async () => {
    const app = await serve(ok);
    await get(`${app.url}/users/42`);
    await get(`${app.url}/users/${'0f8fad5b-d9cb-469f-a165-70867728950e'}`);
    await get(`${app.url}/users/${'5f2b9c7e1a3d4e6f8091a2b3'}`);
    await get(`${app.url}/users/7?tab=orders&page=2`);
    await get(`${app.url}/users/42/orders/9001`);
    const samples = await scrapeSettled(app.url);
    expect(values(samples, 'route')).toEqual(new Set(['/users/:id', '/users/:id/orders/:id']));
    expect(sum(samples, 'http_requests_total', { route: '/users/:id' })).toBe(4);
  });

  it('labels every 404 unmatched when the default normaliser is used', async () => {
    const app = await serve((req, res) => {
      res.statusCode = req.url === '/' ? 200 : 404;
      res.end();
    });
    for (const path of ['/nope', '/users/42/extra', '/wp-admin.php', '/.env', '/random-abc-123']) await get(`${app.url}${path}`);
    await get(`${app.url}/`);
    const samples = await scrapeSettled(app.url);
    expect(sum(samples, 'http_requests_total', { route: 'unmatched', status_code: '404' })).toBe(5);
    expect(values(samples, 'route')).toEqual(new Set(['unmatched', '/']));
  });

  it('takes the route label from the route function', async () => {
    const app = await serve(ok, { route: (req) => (req.url?.startsWith('/articles/') ? '/articles/:slug' : undefined) });
    await get(`${app.url}/articles/hello-world`);
    await get(`${app.url}/articles/another-one?draft=1`);
    await get(`${app.url}/elsewhere`);
    const samples = await scrapeSettled(app.url);
    expect(sum(samples, 'http_requests_total', { route: '/articles/:slug' })).toBe(2);
    expect(sum(samples, 'http_requests_total', { route: 'unmatched' })).toBe(1);
    expect(values(samples, 'route')).toEqual(new Set(['/articles/:slug', 'unmatched']));
  });

  it('records a request as unmatched when the route function throws, and keeps serving', async () => {
    const app = await serve(ok, {
      route: (req) => {
        if (req.url === '/bad') throw new Error('router exploded');
        return '/good';
      },
    });
    expect(await get(`${app.url}/bad`)).toBe(200);
    expect(await get(`${app.url}/good`)).toBe(200);
    expect(await get(`${app.url}/bad`)).toBe(200);
    const samples = await scrapeSettled(app.url);
    expect(sum(samples, 'http_requests_total', { route: 'unmatched', status_code: '200' })).toBe(2);
    expect(sum(samples, 'http_requests_total', { route: '/good' })).toBe(1);
  });

  it('records the 500 a listener sets', async () => {
    const app = await serve((_req, res) => {
      res.statusCode = 500;
      res.end('broken');
    });
    expect(await get(`${app.url}/broken`)).toBe(500);
    const samples = await scrapeSettled(app.url);
    expect(find(samples, 'http_requests_total')).toEqual([
      { name: 'http_requests_total', labels: { method: 'GET', route: '/broken', status_code: '500' }, value: 1 },
    ]);
  });

  it('records a request the client aborts before the response once, as 499, and in-flight returns to 0', async () => {
    let arrived!: () => void;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    let answerLate!: () => void;
    const app = await serve((req, res) => {
      if (req.url !== '/slow') return void res.end('ok');
      answerLate = () => res.end('too late');
      arrived();
    });
    const socket = connect(app.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await arrival;
    expect(sum(await scrape(app.url), 'http_requests_in_flight')).toBe(1);
    socket.destroy();
    let samples = await scrapeSettled(app.url);
    expect(find(samples, 'http_requests_total')).toEqual([
      { name: 'http_requests_total', labels: { method: 'GET', route: '/slow', status_code: '499' }, value: 1 },
    ]);
    // The listener answering after the client left must not record the request a second time.
    answerLate();
    await get(`${app.url}/fast`);
    samples = await scrapeSettled(app.url);
    expect(sum(samples, 'http_requests_total', { route: '/slow' })).toBe(1);
    expect(sum(samples, 'http_requests_total')).toBe(2);
    expect(sum(samples, 'http_request_duration_seconds_count', { route: '/slow', status_code: '499' })).toBe(1);
  });

  it('records 499 only when the client left: a FIN or a reset before the response or in the middle of its body', async () => {
    let arrived!: () => void;
    const app = await serve((req, res) => {
      if (req.url === '/body') return void res.writeHead(200).write('first chunk');
      if (req.url !== '/piped') return arrived();
      // A stream piped into the response fails with it when the client leaves; that is still the client.
      const source = new Readable({ read() {} });
      source.push('first chunk');
      pipeline(source, res, () => {});
    });
    for (const how of ['fin', 'reset'] as const) {
      await leaveEarly(app.port, '/waiting', how, new Promise<void>((resolve) => (arrived = resolve)));
      await leaveEarly(app.port, '/body', how, 'first byte');
      await leaveEarly(app.port, '/piped', how, 'first byte');
    }
    const samples = await scrapeSettled(app.url);
    expect(find(samples, 'http_requests_total').map((s) => [s.labels.route, s.labels.status_code, s.value])).toEqual([
      ['/waiting', '499', 2],
      ['/body', '499', 2],
      ['/piped', '499', 2],
    ]);
  });

  it('records a response the server cut short as 500: destroyed with an error (whatever its code), from a setTimeout handler, or by a failing piped stream', async () => {
    const app = await serve((req, res) => {
      if (req.url === '/destroyed') {
        res.writeHead(200).write('partial');
        setTimeout(() => res.destroy(new Error('the handler gave up')), 10);
      } else if (req.url === '/proxied') {
        // A proxy passing on its upstream's reset: the code says "reset", but the server destroyed the response.
        setTimeout(() => res.destroy(Object.assign(new Error('upstream reset'), { code: 'ECONNRESET' })), 10);
      } else if (req.url === '/timed-out') {
        res.setTimeout(30, () => res.destroy());
      } else if (req.url === '/piped') {
        let reads = 0;
        const source = new Readable({
          read() {
            if (reads++ === 0) this.push('first chunk');
            else setTimeout(() => this.destroy(new Error('upstream failed')), 10);
          },
        });
        res.writeHead(200);
        pipeline(source, res, () => {});
      }
    });
    for (const path of ['/destroyed', '/proxied', '/timed-out', '/piped']) await untilServerCloses(app.port, getRequest(path));
    const samples = await scrapeSettled(app.url);
    expect(find(samples, 'http_requests_total').map((s) => [s.labels.route, s.labels.status_code, s.value])).toEqual([
      ['/destroyed', '500', 1],
      ['/proxied', '500', 1],
      ['/timed-out', '500', 1],
      ['/piped', '500', 1],
    ]);
  });

  it("records Node's own answers to a slow or malformed request body: requestTimeout as 408, a body that does not parse as 400", async () => {
    const registry = new Registry();
    const listener = instrument(
      (req, res) => {
        req.resume();
        req.on('end', () => res.end('ok'));
      },
      { registry, defaultMetrics: false },
    );
    const server = createServer({ requestTimeout: 200, connectionsCheckingInterval: 20 }, listener);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const slow = await untilServerCloses(port, 'POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\nabc');
      expect(slow.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
      const malformed = await untilServerCloses(port, 'POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nnot a size\r\n');
      expect(malformed.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
      const samples = await scrapeSettled(`http://127.0.0.1:${port}`);
      expect(find(samples, 'http_requests_total').map((s) => [s.labels.route, s.labels.status_code, s.value])).toEqual([
        ['/upload', '408', 1],
        ['/upload', '400', 1],
      ]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('leaves out excluded paths given as string, RegExp or predicate, query ignored', async () => {
    const app = await serve(ok, { exclude: ['/health', /^\/static\//, (path) => path.startsWith('/internal/')] });
    for (const path of ['/health', '/health?probe=1', '/static/app.js', '/internal/debug', '/counted']) expect(await get(`${app.url}${path}`)).toBe(200);
    const samples = await scrapeSettled(app.url);
    expect(find(samples, 'http_requests_total').map((s) => [s.labels.route, s.value])).toEqual([['/counted', 1]]);
  });

  it('records the request when an exclude predicate throws', async () => {
    const app = await serve(ok, {
      exclude: (path) => {
        if (path === '/odd') throw new Error('predicate bug');
        return false;
      },
    });
    expect(await get(`${app.url}/odd`)).toBe(200);
    expect(await get(`${app.url}/odd`)).toBe(200);
    const samples = await scrapeSettled(app.url);
    expect(sum(samples, 'http_requests_total', { route: '/odd', status_code: '200' })).toBe(2);
  });

  it('shares one HttpMetrics between two servers', async () => {
    const metrics = createHttpMetrics({ registry: new Registry(), defaultMetrics: false });
    const a = await serve(ok, { metrics });
    const b = await serve((_req, res) => res.writeHead(202).end(), { metrics });
    for (let i = 0; i < 3; i++) await get(`${a.url}/a`);
    for (let i = 0; i < 4; i++) await get(`${b.url}/b`);
    const fromA = await scrapeSettled(a.url);
    const fromB = await scrapeSettled(b.url);
    for (const samples of [fromA, fromB]) {
      expect(sum(samples, 'http_requests_total', { route: '/a', status_code: '200' })).toBe(3);
      expect(sum(samples, 'http_requests_total', { route: '/b', status_code: '202' })).toBe(4);
    }
  });

  it('hands /metrics to the listener and records it when path is false', async () => {
    const metrics = createHttpMetrics({ registry: new Registry(), defaultMetrics: false });
    const app = await serve((_req, res) => res.end('the listener answered'), { metrics, path: false });
    const response = await fetch(`${app.url}/metrics`);
    expect(await response.text()).toBe('the listener answered');
    const samples = parseExposition((await metrics.render()).body as string);
    expect(sum(samples, 'http_requests_total', { route: '/metrics' })).toBe(1);
  });

  it('serves the exposition on a custom path and leaves /metrics to the listener', async () => {
    const app = await serve((_req, res) => res.writeHead(404).end('not here'), { path: '/-/metrics' });
    expect((await fetch(`${app.url}/metrics`)).status).toBe(404);
    const samples = await scrapeSettled(`${app.url}/-/metrics`);
    expect(find(samples, 'http_requests_total')).toEqual([
      { name: 'http_requests_total', labels: { method: 'GET', route: 'unmatched', status_code: '404' }, value: 1 },
    ]);
  });

  it('does not record scrapes unless includeMetricsPath is set', async () => {
    const quiet = await serve(ok);
    await scrape(quiet.url);
    await scrape(quiet.url);
    expect(find(await scrapeSettled(quiet.url), 'http_requests_total')).toEqual([]);

    const counted = await serve(ok, { includeMetricsPath: true });
    await scrape(counted.url);
    await scrape(counted.url);
    // The third scrape is itself in flight while it renders.
    const samples = await scrapeSettled(counted.url, { inFlight: 1 });
    expect(find(samples, 'http_requests_total').map((s) => [s.labels.route, s.labels.status_code, s.value])).toEqual([['/metrics', '200', 2]]);
  });

  it('keeps 2,000 distinct slugs bounded by maxRoutes, the rest labelled overflow', async () => {
    const app = await serve(ok);
    const paths = Array.from({ length: 2_000 }, () => `/posts/how-to-${randomBytes(6).toString('base64url')}`);
    const queue = [...paths];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let path = queue.shift(); path !== undefined; path = queue.shift()) expect(await get(`${app.url}${path}`)).toBe(200);
      }),
    );
    const samples = await scrapeSettled(app.url);
    // 500 is the documented default of maxRoutes.
    expect(values(samples, 'route').size).toBe(501);
    expect(sum(samples, 'http_requests_total', { route: 'overflow' })).toBe(1_500);
    expect(sum(samples, 'http_requests_total')).toBe(2_000);
  });

  it('records odd methods, huge URLs, bad encodings, absolute-form and * targets, long headers without throwing', async () => {
    const app = await serve((_req, res) => res.end('ok'));
    const dav = await request(`${app.url}/dav`, { method: 'PROPFIND' });
    expect(dav.status).toBe(200);
    const answers = await Promise.all([
      rawRequest(app.port, `GET /${'a'.repeat(10_000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
      rawRequest(app.port, 'GET /%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      rawRequest(app.port, 'GET http://x/y HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      rawRequest(app.port, 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      // Under node's 16 KiB header limit, so that the request reaches the listener.
      rawRequest(app.port, `GET /long-header HTTP/1.1\r\nHost: x\r\nX-Long: ${'b'.repeat(12_000)}\r\nConnection: close\r\n\r\n`),
    ]);
    for (const answer of answers) expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    const samples = await scrapeSettled(app.url);
    const series = find(samples, 'http_requests_total').map((s) => `${s.labels.method} ${s.labels.route} ${s.labels.status_code} ${s.value}`);
    expect(series.sort()).toEqual(
      ['_OTHER /dav 200 1', 'GET unmatched 200 2', 'GET /%E0%A4%A 200 1', 'OPTIONS unmatched 200 1', 'GET /long-header 200 1'].sort(),
    );
    expect(await get(`${app.url}/still-serving`)).toBe(200);
  });
});
