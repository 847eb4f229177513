import type { Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fetchMetrics, type FetchMetricsOptions } from 'promhttp/fetch';
import { buildFetchApps, optionErrors } from './fixtures/fetch-app.js';
import { fetchSuite, type FetchTargets } from './fixtures/fetch-suite.js';
import { buildFetchRouteApp } from './fixtures/route-metrics-fetch-app.js';
import { routeMetricsSuite } from './fixtures/route-metrics-suite.js';
import { find, parseExposition, scrapeSettled } from './support/scrape.js';

// promhttp/fetch on Node, served by @hono/node-server: a real node:http server that hands each
// request to a fetch handler as a standard Request, whose signal aborts when the client leaves.
const open: Server[] = [];

function run(handler: (request: Request) => Response | Promise<Response>): Promise<{ url: string; port: number }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: handler, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve({ url: `http://127.0.0.1:${info.port}`, port: info.port })) as Server;
    open.push(server);
  });
}

async function closeAll(): Promise<void> {
  await Promise.all(open.splice(0).map((server) => new Promise<void>((done) => (server.closeAllConnections(), server.close(() => done())))));
}

describe('promhttp/fetch on Node (@hono/node-server)', () => {
  let targets: FetchTargets;
  beforeAll(async () => {
    const apps = buildFetchApps();
    const [main, shared, custom] = await Promise.all([run(apps.main), run(apps.shared), run(apps.custom)]);
    const errors = optionErrors().join('\n');
    targets = { main: main.url, shared: shared.url, custom: custom.url, mainPort: main.port, output: () => errors, runtimeErrorStatus: 500 };
  });
  afterAll(closeAll);
  fetchSuite(() => targets);
});

describe('promhttp/fetch, called as a function', () => {
  afterEach(closeAll);
  const fresh = (options: FetchMetricsOptions = {}): FetchMetricsOptions => ({ registry: new Registry(), defaultMetrics: false, ...options });
  const routes = async (registry: Registry): Promise<Array<[string, string, string, number]>> =>
    find(parseExposition(await registry.metrics()), 'http_requests_total').map((s) => [s.labels.method!, s.labels.route!, s.labels.status_code!, s.value]);

  it('passes the handler’s this and further arguments (Bun’s server, Deno’s info) through, and its Response as it is', async () => {
    const seen: unknown[] = [];
    const answer = new Response('hi');
    const handler = fetchMetrics(function (this: unknown, _request: Request, server: string, extra: number) {
      seen.push(this, server, extra);
      return answer;
    }, fresh());
    const self = { name: 'server' };
    expect(handler.call(self, new Request('http://127.0.0.1/x'), 'srv' as never, 7 as never)).toBe(answer);
    expect(seen).toEqual([self, 'srv', 7]);
  });

  for (const cut of ['server.timeout', 'closeAllConnections()'] as const) {
    it(`on Node records a request the server cuts short (${cut}) as 500, not as a client that left`, async () => {
      const handler = fetchMetrics(() => new Promise<Response>((resolve) => setTimeout(() => resolve(new Response('late')), 400)), fresh({ routes: ['/slow'] }));
      const server = await new Promise<Server>((resolve) => {
        const started = serve({ fetch: handler, port: 0, hostname: '127.0.0.1' }, () => resolve(started as Server)) as Server;
        open.push(started);
      });
      if (cut === 'server.timeout') server.timeout = 100;
      const { port } = server.address() as AddressInfo;
      await new Promise<void>((resolve, reject) => {
        // A client that stays: only the server can end this connection.
        const socket = connect(port, '127.0.0.1', () => socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n'));
        socket.on('close', () => resolve());
        socket.on('error', reject);
        if (cut === 'closeAllConnections()') setTimeout(() => server.closeAllConnections(), 100);
      });
      server.timeout = 0;
      const samples = await scrapeSettled(`http://127.0.0.1:${port}`);
      expect(find(samples, 'http_requests_total').map((s) => `${s.labels.route} ${s.labels.status_code} ${s.value}`)).toEqual(['/slow 500 1']);
    });
  }

  it('rethrows what the handler throws or rejects with, after recording 500', async () => {
    const options = fresh();
    const thrown = new Error('sync');
    const rejected = new Error('async');
    const handler = fetchMetrics((request: Request) => (request.url.endsWith('/sync') ? (() => { throw thrown; })() : Promise.reject(rejected)), options);
    expect(() => handler(new Request('http://127.0.0.1/sync'))).toThrow(thrown);
    await expect(handler(new Request('http://127.0.0.1/async'))).rejects.toBe(rejected);
    expect(await routes(options.registry!)).toEqual([
      ['GET', '/sync', '500', 1],
      ['GET', '/async', '500', 1],
    ]);
  });

  it('records a result that is not a Response as 500, as the runtimes answer it, and never throws itself', async () => {
    const options = fresh();
    const handler = fetchMetrics(((request: Request) => (request.url.endsWith('/sync') ? undefined : Promise.resolve('text'))) as unknown as (request: Request) => Response, options);
    await handler(new Request('http://127.0.0.1/sync'));
    await handler(new Request('http://127.0.0.1/async'));
    expect(await routes(options.registry!)).toEqual([
      ['GET', '/sync', '500', 1],
      ['GET', '/async', '500', 1],
    ]);
  });

  it('labels by a route function, unmatched when it throws; and by raw path with route: "path", capped by maxRoutes', async () => {
    const grouped = fresh({ route: (request) => (request.url.includes('/boom') ? (() => { throw new Error('no'); })() : new URL(request.url).pathname.replace(/\/\d+$/, '/:n')) });
    const byFunction = fetchMetrics((_request: Request) => new Response('ok'), grouped);
    for (const path of ['/a/1', '/a/2', '/boom']) byFunction(new Request(`http://127.0.0.1${path}`));
    expect(await routes(grouped.registry!)).toEqual([
      ['GET', '/a/:n', '200', 2],
      ['GET', 'unmatched', '200', 1],
    ]);
    const raw = fresh({ route: 'path', maxRoutes: 2 });
    const byPath = fetchMetrics((request: Request) => new Response('', { status: request.url.endsWith('/gone') ? 404 : 200 }), raw);
    for (const path of ['/p/1?x=1', '/p/2', '/p/3', '/p/1', '/gone']) byPath(new Request(`http://127.0.0.1${path}`));
    expect(await routes(raw.registry!)).toEqual([
      ['GET', '/p/1', '200', 2],
      ['GET', '/p/2', '200', 1],
      ['GET', 'overflow', '200', 1],
      ['GET', 'unmatched', '404', 1],
    ]);
  });

  it('caps normalised paths by maxRoutes, 404s aside as unmatched', async () => {
    const options = fresh({ maxRoutes: 2 });
    const handler = fetchMetrics((request: Request) => new Response('', { status: request.url.includes('/missing') ? 404 : 200 }), options);
    for (const path of ['/a/1', '/b/2', '/c/3', '/d', '/missing/1', '/missing/2', '/a/9']) handler(new Request(`http://127.0.0.1${path}`));
    expect(await routes(options.registry!)).toEqual([
      ['GET', '/a/:id', '200', 2],
      ['GET', '/b/:id', '200', 1],
      ['GET', 'overflow', '200', 2],
      ['GET', 'unmatched', '404', 2],
    ]);
  });

  it('excludes paths by string, RegExp and predicate, and records the rest', async () => {
    const options = fresh({ exclude: ['/health', /^\/static\//, (path: string) => path.endsWith('.ico')] });
    const { url } = await run(fetchMetrics(() => new Response('ok'), options));
    for (const path of ['/health', '/static/app.js', '/favicon.ico', '/kept']) await (await fetch(`${url}${path}`)).text();
    expect(find(await scrapeSettled(url), 'http_requests_total').map((s) => s.labels.route)).toEqual(['/kept']);
  });
});

describe('per-route metrics on promhttp/fetch (Node)', () => {
  afterEach(closeAll);
  routeMetricsSuite(async (scenario) => (await run(buildFetchRouteApp(scenario))).url);
});
