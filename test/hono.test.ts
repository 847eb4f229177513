import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { serve, type HttpBindings } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono, type Context } from 'hono';
import { basicAuth } from 'hono/basic-auth';
import { HTTPException } from 'hono/http-exception';
import { timeout } from 'hono/timeout';
import { LinearRouter } from 'hono/router/linear-router';
import { PatternRouter } from 'hono/router/pattern-router';
import { RegExpRouter } from 'hono/router/reg-exp-router';
import { TrieRouter } from 'hono/router/trie-router';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpMetrics } from 'promhttp';
import { honoMetrics, type HonoMetrics, type HonoMetricsOptions } from 'promhttp/hono';
import { getRequest, leaveEarly, untilServerCloses } from './support/cut-short.js';
import { ROOT } from './support/process.js';
import { rawRequest, request } from './support/http.js';
import { find, parseExposition, scrape, scrapeSettled, sum, type Sample } from './support/scrape.js';

interface Running {
  readonly url: string;
  readonly port: number;
}

const open: Server[] = [];
afterEach(async () => {
  await Promise.all(
    open.splice(0).map(
      (server) =>
        new Promise<void>((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
    ),
  );
});

/**
 * The two ways to record a Hono app: `app.use(metrics)`, or `metrics.wrap(app)` as the server's
 * fetch. Every behaviour below must hold for both.
 */
type Mode = 'middleware' | 'wrap';
let mode: Mode = 'middleware';
/** The metrics each app built by `instrumented` in wrap mode is to be served through. */
const wrappers = new WeakMap<Hono, HonoMetrics>();

/** Runs `app` on a real @hono/node-server, bound to 127.0.0.1 on a free port. */
function run(app: Hono): Promise<Running> {
  const wrapper = wrappers.get(app);
  return new Promise((resolve) => {
    const server = serve({ fetch: wrapper ? wrapper.wrap(app) : app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
      resolve({ url: `http://127.0.0.1:${info.port}`, port: info.port });
    }) as Server;
    open.push(server);
  });
}

/** An app recorded by `honoMetrics` in the current mode, with a fresh registry unless `metrics` is given. */
function instrumented(options: HonoMetricsOptions = {}, app = new Hono()): Hono {
  const metrics = honoMetrics(options.metrics ? options : { registry: new Registry(), defaultMetrics: false, ...options });
  if (mode === 'wrap') wrappers.set(app, metrics);
  else app.use(metrics);
  return app;
}

async function get(url: string, init?: RequestInit): Promise<number> {
  const response = await fetch(url, init);
  await response.arrayBuffer();
  return response.status;
}

/** [method, route, status_code, count] of every request counter series, sorted. */
function counts(samples: Sample[]): Array<[string, string, string, number]> {
  return find(samples, 'http_requests_total')
    .map((s): [string, string, string, number] => [s.labels.method!, s.labels.route!, s.labels.status_code!, s.value])
    .sort();
}

const quietErrors = (app: Hono): Hono => app.onError((error, c) => (error instanceof HTTPException ? error.getResponse() : c.text('internal error', 500)));

describe.each<Mode>(['middleware', 'wrap'])('promhttp/hono on @hono/node-server (%s)', (each) => {
  beforeEach(() => {
    mode = each;
  });

  it('counts every request exactly once per method, route template and status', async () => {
    const app = instrumented();
    app.get('/', (c) => c.text('ok'));
    app.get('/users/:id', (c) => c.json({ id: c.req.param('id') }));
    app.post('/users', (c) => c.text('created', 201));
    const { url } = await run(app);
    for (let i = 0; i < 5; i++) expect(await get(`${url}/`)).toBe(200);
    for (let i = 1; i <= 7; i++) expect(await get(`${url}/users/${i * 13}?tab=${i}`)).toBe(200);
    for (let i = 0; i < 3; i++) expect(await get(`${url}/users`, { method: 'POST' })).toBe(201);
    const samples = await scrapeSettled(url);
    expect(counts(samples)).toEqual([
      ['GET', '/', '200', 5],
      ['GET', '/users/:id', '200', 7],
      ['POST', '/users', '201', 3],
    ]);
    expect(sum(samples, 'http_request_duration_seconds_count', { route: '/users/:id' })).toBe(7);
    expect(sum(samples, 'http_request_duration_seconds_bucket', { route: '/users/:id', le: '+Inf' })).toBe(7);
    expect(sum(samples, 'http_requests_in_flight')).toBe(0);
  });

  it('labels routes of sub-apps and basePath apps with their full template', async () => {
    const app = instrumented();
    const api = new Hono();
    api.get('/items/:itemId', (c) => c.text(c.req.param('itemId')));
    app.route('/api', api);
    const v2 = new Hono().basePath('/v2');
    v2.get('/orders/:orderId/lines/:line', (c) => c.text('line'));
    app.route('/', v2);
    // A sub-app with its own onError wraps each of its handlers.
    const admin = new Hono().onError((_error, c) => c.text('conflict', 409));
    admin.get('/jobs/:jobId', () => {
      throw new Error('job failed');
    });
    app.route('/admin', admin);
    const { url } = await run(app);
    await get(`${url}/api/items/1`);
    await get(`${url}/api/items/2`);
    await get(`${url}/v2/orders/9/lines/3`);
    expect(await get(`${url}/admin/jobs/77`)).toBe(409);
    expect(counts(await scrapeSettled(url))).toEqual([
      ['GET', '/admin/jobs/:jobId', '409', 1],
      ['GET', '/api/items/:itemId', '200', 2],
      ['GET', '/v2/orders/:orderId/lines/:line', '200', 1],
    ]);
  });

  it('labels requests that matched no handler unmatched, never with a raw path or a middleware pattern', async () => {
    const app = instrumented();
    app.use('*', async (c, next) => {
      await next();
      c.header('x-served-by', 'test');
    });
    app.use('/api/*', async (_c, next) => next());
    app.get('/users/:id', (c) => c.text('user'));
    const { url } = await run(app);
    for (const path of ['/nope', '/api/nothing', '/users/1/extra', '/.env', '/api']) expect(await get(`${url}${path}`)).toBe(404);
    expect(await get(`${url}/users/1`, { method: 'DELETE' })).toBe(404);
    expect(counts(await scrapeSettled(url))).toEqual([
      ['DELETE', 'unmatched', '404', 1],
      ['GET', 'unmatched', '404', 5],
    ]);
  });

  it('labels a request that notFound answers with 200 (an SPA fallback) unmatched, never with promhttp\'s own middleware pattern', async () => {
    const app = instrumented();
    app.get('/api/users/:id', (c) => c.text('user'));
    app.notFound((c) => c.html('<div id="app"></div>', 200));
    const { url } = await run(app);
    expect(await get(`${url}/orders/42`)).toBe(200);
    expect(await get(`${url}/api/users/7`)).toBe(200);
    expect(counts(await scrapeSettled(url))).toEqual([
      ['GET', '/api/users/:id', '200', 1],
      ['GET', 'unmatched', '200', 1],
    ]);
  });

  it('labels a middleware that answers by itself with its pattern, and a guard that answers early with the route it guarded', async () => {
    const app = instrumented();
    app.use('/static/*', async (c, _next) => c.text('file body'));
    app.use('/admin/*', async (c, next) => (c.req.header('x-token') === 'secret' ? next() : c.text('no', 401)));
    app.get('/admin/users/:id', (c) => c.text('admin user'));
    const { url } = await run(app);
    expect(await get(`${url}/static/app.css`)).toBe(200);
    expect(await get(`${url}/static/img/logo.png`)).toBe(200);
    expect(await get(`${url}/admin/users/5`)).toBe(401);
    expect(await get(`${url}/admin/users/5`, { headers: { 'x-token': 'secret' } })).toBe(200);
    expect(counts(await scrapeSettled(url))).toEqual([
      ['GET', '/admin/users/:id', '200', 1],
      ['GET', '/admin/users/:id', '401', 1],
      ['GET', '/static/*', '200', 2],
    ]);
  });

  it('keeps the route of a handler that answers 404 itself, even one that declares next', async () => {
    const app = instrumented();
    app.get('/users/:id', async (c, _next) => c.text('no such user', 404));
    const files = new Hono().onError((_error, c) => c.text('failed', 500));
    files.all('/files/:name', (c) => c.text('no such file', 404));
    app.route('/share', files);
    const { url } = await run(app);
    expect(await get(`${url}/users/404`)).toBe(404);
    expect(await get(`${url}/share/files/a.txt`)).toBe(404);
    expect(counts(await scrapeSettled(url))).toEqual([
      ['GET', '/share/files/:name', '404', 1],
      ['GET', '/users/:id', '404', 1],
    ]);
  });

  it('counts a thrown error as 500 on the matched route', async () => {
    const app = quietErrors(instrumented());
    app.get('/orders/:id', () => {
      throw new Error('database down');
    });
    const { url } = await run(app);
    expect(await get(`${url}/orders/1`)).toBe(500);
    expect(await get(`${url}/orders/2`)).toBe(500);
    expect(counts(await scrapeSettled(url))).toEqual([['GET', '/orders/:id', '500', 2]]);
  });

  it('counts a thrown HTTPException with its own status under the default error handler', async () => {
    const app = instrumented();
    app.get('/secret/:id', () => {
      throw new HTTPException(403, { message: 'forbidden' });
    });
    const { url } = await run(app);
    expect(await get(`${url}/secret/1`)).toBe(403);
    expect(counts(await scrapeSettled(url))).toEqual([['GET', '/secret/:id', '403', 1]]);
  });

  it('counts the status a custom onError answers with', async () => {
    const app = instrumented().onError((_error, c) => c.text('short and stout', 418));
    app.get('/brew/:kind', () => {
      throw new Error('I am a teapot');
    });
    const { url } = await run(app);
    expect(await get(`${url}/brew/coffee`)).toBe(418);
    expect(counts(await scrapeSettled(url))).toEqual([['GET', '/brew/:kind', '418', 1]]);
  });

  it('counts a thrown non-Error, which Hono does not handle, as the 500 the server sends', async () => {
    const app = instrumented();
    app.get('/odd', () => {
      throw 'a string';
    });
    const { url } = await run(app);
    expect(await get(`${url}/odd`)).toBe(500);
    expect(counts(await scrapeSettled(url))).toEqual([['GET', '/odd', '500', 1]]);
  });

  it('counts a handler that returns no response with the status Hono then sends', async () => {
    const app = instrumented({ exclude: ['/forgot/excluded'] }).onError((_error, c) => c.text('unavailable', 503));
    app.get('/forgot/:id', async (c) => {
      c.status(201);
    });
    const { url } = await run(app);
    // Behind a middleware Hono calls its error handler; a lone handler (wrap mode) gets notFound.
    const sent = mode === 'wrap' ? 404 : 503;
    expect(await get(`${url}/forgot/1`)).toBe(sent);
    expect(await get(`${url}/forgot/excluded`)).toBe(sent);
    expect(counts(await scrapeSettled(url))).toEqual([['GET', '/forgot/:id', String(sent), 1]]);
  });

  it('records a client that disconnects before the response once, as 499, and returns in-flight to 0', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let handlerDone!: () => void;
    const done = new Promise<void>((resolve) => (handlerDone = resolve));
    const app = instrumented();
    app.get('/slow/:id', async (c) => {
      await released;
      handlerDone();
      return c.text('too late');
    });
    const { url } = await run(app);
    const client = new AbortController();
    const pending = fetch(`${url}/slow/1`, { signal: client.signal }).catch((error: Error) => error.name);
    expect(sum(await scrapeSettled(url, { inFlight: 1 }), 'http_requests_in_flight')).toBe(1);
    client.abort();
    expect(await pending).toBe('AbortError');
    const afterAbort = await scrapeSettled(url);
    expect(counts(afterAbort)).toEqual([['GET', '/slow/:id', '499', 1]]);
    release();
    await done;
    const afterHandler = await scrapeSettled(url);
    expect(counts(afterHandler)).toEqual([['GET', '/slow/:id', '499', 1]]);
    expect(sum(afterHandler, 'http_request_duration_seconds_count')).toBe(1);
    expect(sum(afterHandler, 'http_requests_in_flight')).toBe(0);
  });

  it('records 499 once when the client left before honoMetrics ran (or, wrapped, before the route)', async () => {
    const app = new Hono();
    // A middleware registered before honoMetrics that only goes on once the client has gone.
    let arrived!: () => void;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    app.use('/late/*', async (c, next) => {
      arrived();
      const signal = c.req.raw.signal;
      if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      await next();
    });
    instrumented({}, app);
    app.get('/late/:id', (c) => c.text('too late'));
    const { url } = await run(app);
    const client = new AbortController();
    const pending = fetch(`${url}/late/1`, { signal: client.signal }).catch((error: Error) => error.name);
    await arrival;
    client.abort();
    expect(await pending).toBe('AbortError');
    const samples = await scrapeSettled(url);
    expect(counts(samples)).toEqual([['GET', '/late/:id', '499', 1]]);
    expect(sum(samples, 'http_requests_in_flight')).toBe(0);
  });

  it('records a client that leaves in the middle of a streamed body as 499', async () => {
    const app = instrumented();
    app.get('/feed/:id', (c) =>
      c.body(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('first chunk\n'));
          },
        }),
      ),
    );
    const { url } = await run(app);
    const client = new AbortController();
    const response = await fetch(`${url}/feed/1`, { signal: client.signal });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('first chunk\n');
    client.abort();
    const samples = await scrapeSettled(url);
    expect(counts(samples)).toEqual([['GET', '/feed/:id', '499', 1]]);
    expect(sum(samples, 'http_requests_in_flight')).toBe(0);
  });

  /** Resolves when the request's signal says the response will not finish (the client left, or it was destroyed). */
  const abandoned = (c: Context): Promise<unknown> => new Promise((resolve) => c.req.raw.signal.addEventListener('abort', resolve, { once: true }));
  const outgoingOf = (c: Context): HttpBindings['outgoing'] => (c.env as HttpBindings).outgoing;
  const chunk = (text: string): Uint8Array => new TextEncoder().encode(text);

  it('records 499 only when the client left: a FIN or a reset before the response or in the middle of its body', async () => {
    let arrived!: () => void;
    const app = instrumented();
    app.get('/waiting/:id', async (c) => {
      arrived();
      await abandoned(c);
      return c.text('too late');
    });
    app.get('/body/:id', (c) => c.body(new ReadableStream({ start: (controller) => controller.enqueue(chunk('first chunk')) })));
    const { url, port } = await run(app);
    for (const how of ['fin', 'reset'] as const) {
      await leaveEarly(port, `/waiting/${how}`, how, new Promise<void>((resolve) => (arrived = resolve)));
      await leaveEarly(port, `/body/${how}`, how, 'first byte');
    }
    expect(counts(await scrapeSettled(url))).toEqual([
      ['GET', '/body/:id', '499', 2],
      ['GET', '/waiting/:id', '499', 2],
    ]);
  });

  it('records a response the server cut short as 500: destroyed with an error, from a setTimeout handler, or by a failing body stream', async () => {
    const app = instrumented();
    app.get('/destroyed/:id', (c) => {
      setTimeout(() => outgoingOf(c).destroy(new Error('the handler gave up')), 10);
      return c.body(new ReadableStream({ start: (controller) => controller.enqueue(chunk('partial')) }));
    });
    app.get('/timed-out/:id', async (c) => {
      outgoingOf(c).setTimeout(30, () => outgoingOf(c).destroy());
      await abandoned(c);
      return c.text('too late');
    });
    app.get('/streamed/:id', (c) => {
      let pulls = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (pulls++ === 0) return controller.enqueue(chunk('first chunk'));
          await new Promise((resolve) => setTimeout(resolve, 10));
          controller.error(new Error('upstream failed'));
        },
      });
      return c.body(body);
    });
    // A timeout that is answered keeps its status.
    app.get('/answered/:id', timeout(20), async (c) => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      return c.text('too late');
    });
    const { url, port } = await run(app);
    for (const path of ['/destroyed/1', '/timed-out/1', '/streamed/1']) await untilServerCloses(port, getRequest(path));
    expect(await get(`${url}/answered/1`)).toBe(504);
    expect(counts(await scrapeSettled(url))).toEqual([
      ['GET', '/answered/:id', '504', 1],
      ['GET', '/destroyed/:id', '500', 1],
      ['GET', '/streamed/:id', '500', 1],
      ['GET', '/timed-out/:id', '500', 1],
    ]);
  });

  it('labels a request with its own route when its handler dispatches another request through app.request', async () => {
    const app = instrumented();
    app.get('/users/:id', (c) => c.text(`user ${c.req.param('id')}`));
    // The inner request is routed within the outer one's handler: at once, or after an await.
    app.get('/profile/now', (c): Response | Promise<Response> => {
      const inner = app.request('/users/1');
      return inner instanceof Response ? c.text(`now: ${inner.status}`) : inner.then((answer) => c.text(`now: ${answer.status}`));
    });
    app.get('/profile/later', async (c) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      const inner = await app.request('/users/2');
      return c.text(`later: ${inner.status}`);
    });
    const { url } = await run(app);
    for (const path of ['/profile/now', '/profile/later', '/profile/now']) expect(await get(`${url}${path}`)).toBe(200);
    const outer: Array<[string, string, string, number]> = [
      ['GET', '/profile/later', '200', 1],
      ['GET', '/profile/now', '200', 2],
    ];
    // The middleware runs in every dispatch, so it also records the inner requests; wrap sees only what the server received.
    expect(counts(await scrapeSettled(url))).toEqual(mode === 'wrap' ? outer : [...outer, ['GET', '/users/:id', '200', 3]]);
  });

  it('labels an SPA behind serveStatic as docs/hono.md says: assets under the static pattern, other pages under the fallback', async () => {
    // The table that follows the marker in docs/hono.md: request, what answers it, the route label.
    const docs = readFileSync(`${ROOT}docs/hono.md`, 'utf8');
    const table = docs.slice(docs.indexOf('<!-- route labels of the app above')).split('\n\n', 1)[0]!;
    const rows = [...table.matchAll(/^\| `GET (\S+)`.*\| `([^`]+)` \|$/gm)].map(([, path, route]) => [path!, route!] as const);
    expect(rows.length).toBe(4);
    const root = mkdtempSync(join(tmpdir(), 'promhttp-static-'));
    try {
      mkdirSync(`${root}/static`);
      writeFileSync(`${root}/static/app.js`, 'console.log("app");\n');
      const app = instrumented();
      app.use('/static/*', serveStatic({ root }));
      app.get('/api/users/:id', (c) => c.json({ id: c.req.param('id') }));
      app.get('*', (c) => c.html('<!doctype html><div id="app"></div>'));
      const { url } = await run(app);
      const asset = await fetch(`${url}/static/app.js`);
      expect(await asset.text()).toBe('console.log("app");\n');
      for (const [path] of rows.slice(1)) expect(await get(`${url}${path}`)).toBe(200);
      const samples = await scrapeSettled(url);
      expect(counts(samples)).toEqual(
        [...new Set(rows.map(([, route]) => route))].map((route): [string, string, string, number] => ['GET', route, '200', rows.filter((row) => row[1] === route).length]).sort(),
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('does not record scrapes unless includeMetricsPath, and skips excluded paths', async () => {
    const app = instrumented({ exclude: ['/health', /^\/assets\//] });
    app.get('/health', (c) => c.text('up'));
    app.get('/assets/*', (c) => c.text('asset'));
    app.get('/', (c) => c.text('ok'));
    const { url } = await run(app);
    for (let i = 0; i < 3; i++) await scrape(url);
    for (let i = 0; i < 4; i++) expect(await get(`${url}/health`)).toBe(200);
    expect(await get(`${url}/assets/app.js`)).toBe(200);
    expect(await get(`${url}/`)).toBe(200);
    expect(counts(await scrapeSettled(url))).toEqual([['GET', '/', '200', 1]]);
  });

  it('records scrapes under the metrics path when includeMetricsPath is set', async () => {
    const app = instrumented({ includeMetricsPath: true });
    const { url } = await run(app);
    await scrape(url);
    await scrape(url);
    // The scrape being answered is itself in flight.
    expect(counts(await scrapeSettled(url, { inFlight: 1 }))).toEqual([['GET', '/metrics', '200', 2]]);
  });

  it('records two servers sharing one HttpMetrics into the same series', async () => {
    const registry = new Registry();
    const metrics = createHttpMetrics({ registry, defaultMetrics: false });
    const first = instrumented({ metrics });
    first.get('/users/:id', (c) => c.text('first'));
    const second = instrumented({ metrics, path: false });
    second.get('/users/:id', (c) => c.text('second'));
    const a = await run(first);
    const b = await run(second);
    for (let i = 0; i < 3; i++) await get(`${a.url}/users/${i}`);
    for (let i = 0; i < 2; i++) await get(`${b.url}/users/${i}`);
    expect(await get(`${b.url}/metrics`)).toBe(404);
    expect(counts(await scrapeSettled(a.url))).toEqual([
      ['GET', '/users/:id', '200', 5],
      ['GET', 'unmatched', '404', 1],
    ]);
  });

  it('serves nothing when path is false, and the metrics path is then an ordinary unmatched request', async () => {
    const registry = new Registry();
    const metrics = createHttpMetrics({ registry, defaultMetrics: false });
    const { url } = await run(instrumented({ metrics, path: false }));
    expect(await get(`${url}/metrics`)).toBe(404);
    const exposition = await metrics.render();
    expect(counts(parseExposition(String(exposition.body)))).toEqual([['GET', 'unmatched', '404', 1]]);
  });

  it('serves the exposition at a custom path only', async () => {
    const app = instrumented({ path: '/internal/prom' });
    app.get('/', (c) => c.text('ok'));
    const { url } = await run(app);
    await get(`${url}/`);
    expect(await get(`${url}/metrics`)).toBe(404);
    const response = await fetch(`${url}/internal/prom`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(counts(parseExposition(await response.text()))).toEqual([
      ['GET', '/', '200', 1],
      ['GET', 'unmatched', '404', 1],
    ]);
  });

  it('answers HEAD on the metrics path with headers only, and other methods with 405', async () => {
    const { url, port } = await run(instrumented());
    const head = await request(`${url}/metrics`, { method: 'HEAD' });
    const getResponse = await request(`${url}/metrics`);
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers['content-type']).toBe(getResponse.headers['content-type']);
    expect(Number(head.headers['content-length'])).toBe(getResponse.body.length);
    const post = await request(`${url}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    const raw = await rawRequest(port, 'DELETE /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    expect(raw.split('\r\n', 1)[0]).toBe('HTTP/1.1 405 Method Not Allowed');
  });

  it('negotiates OpenMetrics and gzip from the scraper headers', async () => {
    const app = instrumented();
    app.get('/', (c) => c.text('ok'));
    const { url } = await run(app);
    await get(`${url}/`);
    const answer = await request(`${url}/metrics`, {
      headers: { accept: 'application/openmetrics-text; version=1.0.0', 'accept-encoding': 'gzip' },
    });
    expect(answer.headers['content-type']).toMatch(/^application\/openmetrics-text; version=1\.0\.0/);
    expect(answer.headers['content-encoding']).toBe('gzip');
    const text = gunzipSync(answer.body).toString();
    expect(text.trimEnd().endsWith('# EOF')).toBe(true);
    expect(sum(parseExposition(text), 'http_requests_total', { route: '/' })).toBe(1);
  });

  it('rejects bad options at construction with a promhttp TypeError that names the fix', () => {
    const metrics = createHttpMetrics({ registry: new Registry(), defaultMetrics: false });
    const cases: Array<[unknown, RegExp]> = [
      [{ pth: '/metrics' }, /^promhttp: honoMetrics: unknown option "pth"\. Did you mean "path"\?/],
      [{ path: 'metrics' }, /^promhttp: honoMetrics: "path" must be a path starting with "\/"/],
      [{ path: true }, /^promhttp: honoMetrics: "path"/],
      [{ includeMetricsPath: 'yes' }, /^promhttp: honoMetrics: "includeMetricsPath" must be true or false/],
      [{ metrics, buckets: [0.1, 1] }, /^promhttp: honoMetrics: "buckets" configures new metrics/],
      [{ metrics: {} }, /^promhttp: honoMetrics: "metrics" must come from createHttpMetrics\(\)/],
      ['fast', /^promhttp: honoMetrics takes an options object/],
      [{ registry: new Registry(), buckets: [] }, /^promhttp: createHttpMetrics: "buckets" must be a non-empty array/],
      [{ registry: new Registry(), exclude: 'health' }, /^promhttp: createHttpMetrics: exclude path "health" must start with "\/"/],
    ];
    for (const [options, message] of cases) {
      expect(() => honoMetrics(options as HonoMetricsOptions)).toThrow(TypeError);
      expect(() => honoMetrics(options as HonoMetricsOptions)).toThrow(message);
    }
  });

  it('records an odd method, a 10 kB URL with bad percent-encoding and a very long header without throwing', async () => {
    const app = instrumented();
    app.get('/', (c) => c.text('ok'));
    app.get('/users/:id', (c) => c.text(`user ${c.req.param('id').length}`));
    const { url, port } = await run(app);
    const head = (text: string): string => text.split('\r\n', 1)[0]!;
    const send = (line: string, headers = ''): Promise<string> =>
      rawRequest(port, `${line} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}Connection: close\r\n\r\n`);
    expect(head(await send('PURGE /'))).toBe('HTTP/1.1 404 Not Found');
    const badEncoding = `/users/%E0%A4%A${'%zz'.repeat(3400)}`;
    expect(badEncoding.length).toBeGreaterThan(10_000);
    expect(head(await send(`GET ${badEncoding}`))).toBe('HTTP/1.1 200 OK');
    expect(head(await send(`GET /${'%'.repeat(10_000)}`))).toBe('HTTP/1.1 404 Not Found');
    expect(head(await send('GET /', `x-long: ${'a'.repeat(12_000)}\r\n`))).toBe('HTTP/1.1 200 OK');
    expect(await get(`${url}/`)).toBe(200);
    expect(counts(await scrapeSettled(url))).toEqual([
      ['GET', '/', '200', 2],
      ['GET', '/users/:id', '200', 1],
      ['GET', 'unmatched', '404', 1],
      ['_OTHER', 'unmatched', '404', 1],
    ]);
  });
});

describe('honoMetrics().wrap(app) on @hono/node-server', () => {
  const registryOf = (): { registry: Registry; defaultMetrics: false } => ({ registry: new Registry(), defaultMetrics: false });
  const serveWrapped = (app: Hono, metrics: HonoMetrics): Promise<Running> => {
    wrappers.set(app, metrics);
    return run(app);
  };

  it('refuses what needs the context, a second recorder and a non-app, with promhttp TypeErrors', () => {
    const app = new Hono();
    expect(() => honoMetrics(registryOf()).wrap({} as Hono)).toThrow(/^promhttp: honoMetrics\.wrap: pass your Hono app/);
    expect(() => honoMetrics({ ...registryOf(), route: (c) => c.req.path }).wrap(app)).toThrow(/^promhttp: honoMetrics\.wrap: a route function needs Hono's context/);
    const withDefault = honoMetrics(registryOf());
    withDefault.registerDefault(withDefault.counter({ name: 'all_total', help: 'All requests.' }));
    expect(() => withDefault.wrap(app)).toThrow(/^promhttp: honoMetrics\.registerDefault: label functions get Hono's context, which wrap\(\) never sees/);
    const wrapping = honoMetrics(registryOf());
    wrapping.wrap(app);
    expect(() => wrapping.registerDefault(wrapping.counter({ name: 'later_total', help: 'Later.' }))).toThrow(TypeError);
    const used = honoMetrics(registryOf());
    const both = new Hono();
    both.use(used);
    expect(() => used.wrap(both)).toThrow(/^promhttp: honoMetrics\.wrap: this app already runs this middleware/);
  });

  it('refuses an app that registers middleware or a route on the metrics path, which wrap answers first, then or later', () => {
    const onPath: Array<[string, (app: Hono) => unknown, string]> = [
      ['/metrics', (app) => app.use('/metrics', basicAuth({ username: 'u', password: 'p' })), "app.use('/metrics', …)"],
      ['/metrics', (app) => app.use('/metrics/*', async (_c, next) => next()), "app.use('/metrics/*', …)"],
      ['/metrics', (app) => app.get('/metrics', (c) => c.text('mine')), "app.get('/metrics', …)"],
      ['/internal/metrics', (app) => app.use('/internal/*', async (_c, next) => next()), "app.use('/internal/*', …)"],
      ['/internal/metrics', (app) => app.route('/internal', new Hono().post('/metrics', (c) => c.text('mine'))), "app.post('/internal/metrics', …)"],
      // A parameter with its own pattern names the path as a literal does: Hono runs it for /metrics.
      ['/metrics', (app) => app.use('/:p{metrics}', basicAuth({ username: 'u', password: 'p' })), "app.use('/:p{metrics}', …)"],
    ];
    for (const [path, register, shown] of onPath) {
      const refusal = new RegExp(`^promhttp: honoMetrics\\.wrap: the app registers ${shown.replace(/[()*.|{}]/g, '\\$&')} on the metrics path ${path}, which wrap answers before Hono routes the request.*honoMetrics\\(\\{ metrics, path: false \\}\\).*app\\.get\\('${path}', honoMetrics\\(\\{ metrics \\}\\)\\)`);
      const before = new Hono();
      register(before);
      expect(() => honoMetrics({ ...registryOf(), path }).wrap(before)).toThrow(refusal);
      const after = new Hono();
      honoMetrics({ ...registryOf(), path }).wrap(after);
      expect(() => register(after)).toThrow(refusal);
    }
    // Middleware of every path, routes of other paths, and any app when nothing is served: accepted.
    const app = new Hono();
    app.use(async (_c, next) => next());
    app.use('*', async (_c, next) => next());
    app.use('/api/*', async (_c, next) => next());
    app.get('/:page', (c) => c.text('page'));
    app.get('/metrics-export', (c) => c.text('export'));
    expect(() => honoMetrics(registryOf()).wrap(app)).not.toThrow();
    const guarded = new Hono().use('/metrics', basicAuth({ username: 'u', password: 'p' }));
    expect(() => honoMetrics({ ...registryOf(), path: false }).wrap(guarded)).not.toThrow();
  });

  it('serves the metrics behind the app\'s own middleware as docs/hono.md shows, and records every request once', async () => {
    const metrics = createHttpMetrics(registryOf());
    const app = new Hono();
    app.use('/metrics', basicAuth({ username: 'prometheus', password: 'secret' }));
    app.get('/metrics', honoMetrics({ metrics }));
    app.get('/users/:id', (c) => c.text('user'));
    const { url } = await serveWrapped(app, honoMetrics({ metrics, path: false }));
    expect(await get(`${url}/users/1`)).toBe(200);
    expect(await get(`${url}/metrics`)).toBe(401);
    const authorization = `Basic ${Buffer.from('prometheus:secret').toString('base64')}`;
    // The scrape being answered is in flight; earlier tries of scrapeSettled are counted as 200s.
    const samples = await scrapeSettled(`${url}/metrics`, { init: { headers: { authorization } }, inFlight: 1 });
    expect(counts(samples).filter(([, route, status]) => !(route === '/metrics' && status === '200'))).toEqual([
      ['GET', '/metrics', '401', 1],
      ['GET', '/users/:id', '200', 1],
    ]);
  });

  it('refuses the middleware added after wrap, labels HEAD with the GET route, and counts the scrape only when asked', async () => {
    const metrics = honoMetrics({ ...registryOf(), includeMetricsPath: true });
    const app = new Hono();
    const { url } = await serveWrapped(app, metrics);
    expect(() => app.use(metrics)).toThrow(/^promhttp: honoMetrics\.wrap: this app already runs this middleware/);
    expect(() => app.route('/sub', new Hono().use(metrics))).toThrow(/^promhttp: honoMetrics\.wrap: this app already runs this middleware/);
    app.get('/users/:id', (c) => c.text('user'));
    expect(await get(`${url}/users/1`)).toBe(200);
    expect(await get(`${url}/users/2`, { method: 'HEAD' })).toBe(200);
    expect(await get(`${url}/metrics`)).toBe(200);
    // The scrape being answered is itself in flight.
    expect(counts(await scrapeSettled(url, { inFlight: 1 }))).toEqual([
      ['GET', '/metrics', '200', 1],
      ['GET', '/users/:id', '200', 1],
      ['HEAD', '/users/:id', '200', 1],
    ]);
  });

  it('labels the outer request with its own route when a handler calls the wrapped fetch itself, and counts both', async () => {
    const app = new Hono();
    const fetchWrapped = honoMetrics(registryOf()).wrap(app);
    app.get('/users/:id', (c) => c.text('user'));
    app.get('/profile', async (c) => {
      const inner = await fetchWrapped(new Request('http://127.0.0.1/users/7'));
      return c.text(`inner: ${inner.status}`);
    });
    const { url } = await new Promise<Running>((resolve) => {
      const server = serve({ fetch: fetchWrapped, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve({ url: `http://127.0.0.1:${info.port}`, port: info.port })) as Server;
      open.push(server);
    });
    expect(await get(`${url}/profile`)).toBe(200);
    expect(counts(await scrapeSettled(url))).toEqual([
      ['GET', '/profile', '200', 1],
      ['GET', '/users/:id', '200', 1],
    ]);
  });

  it("routes each request once: the template comes from Hono's own match", async () => {
    const app = new Hono();
    app.use('/users/*', async (_c, next) => next());
    app.get('/users/:id', (c) => c.text('user'));
    const inner = app.router;
    let matches = 0;
    app.router = {
      name: inner.name,
      add: (method, path, handler) => inner.add(method, path, handler),
      match: (method, path) => (matches++, inner.match(method, path)),
    };
    const { url } = await serveWrapped(app, honoMetrics(registryOf()));
    for (let i = 0; i < 5; i++) expect(await get(`${url}/users/${i}`)).toBe(200);
    expect(await get(`${url}/nope`)).toBe(404);
    expect(matches).toBe(6);
    expect(counts(await scrapeSettled(url))).toEqual([
      ['GET', '/users/:id', '200', 5],
      ['GET', 'unmatched', '404', 1],
    ]);
  });

  it.each([
    ['RegExpRouter', () => new RegExpRouter()],
    ['TrieRouter', () => new TrieRouter()],
    ['LinearRouter', () => new LinearRouter()],
    ['PatternRouter', () => new PatternRouter()],
  ])('labels routes the same with Hono\'s %s', async (_name, router) => {
    const app = new Hono({ router: router() as never });
    app.use('/users/*', async (_c, next) => next());
    app.get('/users/:id', (c) => c.text('user'));
    app.get('/users/:id/posts/:post', (c) => c.text('post'));
    const { url } = await serveWrapped(app, honoMetrics(registryOf()));
    for (const path of ['/users/1', '/users/2/posts/3', '/users/4/nothing', '/elsewhere']) await get(`${url}${path}`);
    expect(counts(await scrapeSettled(url))).toEqual([
      ['GET', '/users/:id', '200', 1],
      ['GET', '/users/:id/posts/:post', '200', 1],
      ['GET', 'unmatched', '404', 2],
    ]);
  });

  it('keeps per-route metrics, doNotTrack and route: "path" with maxRoutes', async () => {
    const metrics = honoMetrics({ ...registryOf(), route: 'path', maxRoutes: 2 });
    const app = new Hono();
    const reads = metrics.counter({ name: 'item_reads_total', help: 'Item reads.', labels: { item: (c) => c.req.param('id') } });
    app.get('/items/:id', reads, (c) => c.text('item'));
    app.get('/health', metrics.doNotTrack(), (c) => c.text('up'));
    const { url } = await serveWrapped(app, metrics);
    for (const path of ['/items/1', '/items/1', '/items/2', '/items/3', '/health', '/nope']) await get(`${url}${path}`);
    const samples = await scrapeSettled(url);
    expect(counts(samples)).toEqual([
      ['GET', '/items/1', '200', 2],
      ['GET', '/items/2', '200', 1],
      ['GET', 'overflow', '200', 1],
      ['GET', 'unmatched', '404', 1],
    ]);
    expect(sum(samples, 'item_reads_total', { item: '1' })).toBe(2);
    expect(sum(samples, 'item_reads_total')).toBe(4);
    expect(sum(samples, 'http_requests_in_flight')).toBe(0);
  });
});
