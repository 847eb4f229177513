import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, request } from './support/http.js';
import { promtoolCheckMetrics } from './support/prometheus.js';
import { ensureBuilt } from './support/build.js';
import { BUN, DENO_RUN, denoBinary, startChild, type Child } from './support/process.js';
import { find, parseExposition, scrape, scrapeSettled, sum, type Sample } from './support/scrape.js';

// The same behaviours as test/hono.test.ts, on a real Bun and a real Deno running
// test/fixtures/hono-runtime-app.ts (Deno with the permissions docs/fetch.md gives, importing the
// built package through package.json's exports):
// `main` (default process metrics on, /health excluded), `shared` (records into main's metrics,
// path: false, onError → 418) and `custom` (exposition at /internal/prom, scrapes recorded).
let child: Child;
let main: string;
let shared: string;
let custom: string;
let mainPort: number;

/** The fixture's apps record through `app.use(metrics)` or through `metrics.wrap(app)`; every behaviour must hold for both. */
type Mode = 'middleware' | 'wrap';
let mode: Mode;

type Runtime = 'bun' | 'deno';

async function startFixture(runtime: Runtime, each: Mode): Promise<void> {
  mode = each;
  const env = { PROMHTTP_HONO_MODE: each, DENO_NO_UPDATE_CHECK: '1' };
  if (runtime === 'deno') await ensureBuilt();
  child =
    runtime === 'bun'
      ? startChild(BUN, ['run', 'test/fixtures/hono-runtime-app.ts'], { env })
      : startChild(denoBinary(), [...DENO_RUN, 'test/fixtures/hono-runtime-app.ts'], { env });
  try {
    const ports = JSON.parse(await child.waitFor(/^ports (\{.*\})$/m, 60_000)) as Record<'main' | 'shared' | 'custom', number>;
    mainPort = ports.main;
    [main, shared, custom] = [ports.main, ports.shared, ports.custom].map((port) => `http://127.0.0.1:${port}`) as [string, string, string];
  } catch (error) {
    await child.stop();
    throw error;
  }
}

type Series = [method: string, route: string, status: string, count: number];

function counts(samples: Sample[]): Map<string, number> {
  const map = new Map<string, number>();
  for (const s of find(samples, 'http_requests_total')) map.set(JSON.stringify([s.labels.method, s.labels.route, s.labels.status_code]), s.value);
  return map;
}

/** The request-counter series that `action` changed on `main`, by how much: the app is shared by every test. */
async function recorded(action: () => Promise<void>): Promise<Series[]> {
  const before = counts(await scrapeSettled(main));
  await action();
  const after = counts(await scrapeSettled(main));
  const changed: Series[] = [];
  for (const [key, value] of after) {
    const delta = value - (before.get(key) ?? 0);
    if (delta !== 0) changed.push([...(JSON.parse(key) as [string, string, string]), delta]);
  }
  return changed.sort();
}

async function get(url: string, init?: RequestInit): Promise<number> {
  const response = await fetch(url, init);
  await response.arrayBuffer();
  return response.status;
}

describe.each<[Runtime, Mode]>([
  ['bun', 'middleware'],
  ['bun', 'wrap'],
  ['deno', 'wrap'],
  ['deno', 'middleware'],
])('promhttp/hono on %s (%s)', (runtime, each) => {
  beforeAll(() => startFixture(runtime, each), 120_000);
  afterAll(async () => {
    await child?.stop();
  });

  it('prints a promhttp TypeError for bad options at construction', () => {
    expect(child.output()).toContain('options error: TypeError: promhttp: honoMetrics: unknown option "pth". Did you mean "path"?');
  });

  it('counts every request exactly once per method, route template and status', async () => {
    const changed = await recorded(async () => {
      for (let i = 0; i < 5; i++) expect(await get(`${main}/`)).toBe(200);
      for (let i = 1; i <= 7; i++) expect(await get(`${main}/users/${i * 13}?tab=${i}`)).toBe(200);
      for (let i = 0; i < 3; i++) expect(await get(`${main}/users`, { method: 'POST' })).toBe(201);
    });
    expect(changed).toEqual([
      ['GET', '/', '200', 5],
      ['GET', '/users/:id', '200', 7],
      ['POST', '/users', '201', 3],
    ]);
    const samples = await scrapeSettled(main);
    expect(sum(samples, 'http_request_duration_seconds_count', { route: '/users/:id' })).toBe(sum(samples, 'http_requests_total', { route: '/users/:id' }));
    expect(sum(samples, 'http_requests_in_flight')).toBe(0);
  });

  it('labels routes of sub-apps and basePath apps with their full template', async () => {
    const changed = await recorded(async () => {
      await get(`${main}/api/items/1`);
      await get(`${main}/api/items/2`);
      await get(`${main}/v2/orders/9/lines/3`);
      expect(await get(`${main}/batch/jobs/77`)).toBe(409);
    });
    expect(changed).toEqual([
      ['GET', '/api/items/:itemId', '200', 2],
      ['GET', '/batch/jobs/:jobId', '409', 1],
      ['GET', '/v2/orders/:orderId/lines/:line', '200', 1],
    ]);
  });

  it('labels a request with its own route when its handler dispatches another request through app.request', async () => {
    const changed = await recorded(async () => {
      for (const path of ['/profile/now', '/profile/later', '/profile/now']) expect(await get(`${main}${path}`)).toBe(200);
    });
    const outer: Series[] = [
      ['GET', '/profile/later', '200', 1],
      ['GET', '/profile/now', '200', 2],
    ];
    // The middleware runs in every dispatch, so it also records the inner requests; wrap sees only what the server received.
    expect(changed).toEqual(mode === 'wrap' ? outer : [...outer, ['GET', '/users/:id', '200', 3]]);
  });

  it('labels requests that matched no handler unmatched, and a guard that answers early with the route it guarded', async () => {
    const changed = await recorded(async () => {
      for (const path of ['/nope', '/users/1/extra', '/.env', '/admin/nothing']) expect(await get(`${main}${path}`, { headers: { 'x-token': 'secret' } })).toBe(404);
      expect(await get(`${main}/users/1`, { method: 'DELETE' })).toBe(404);
      expect(await get(`${main}/admin/users/5`)).toBe(401);
    });
    expect(changed).toEqual([
      ['DELETE', 'unmatched', '404', 1],
      ['GET', '/admin/users/:id', '401', 1],
      ['GET', 'unmatched', '404', 4],
    ]);
  });

  it('counts thrown errors with the status Hono sends: 500, an HTTPException status, a custom onError status', async () => {
    // A handler that returns nothing: behind a middleware Hono calls its error handler; a lone
    // handler (wrap mode) gets notFound.
    const forgot = mode === 'wrap' ? '404' : '500';
    const changed = await recorded(async () => {
      expect(await get(`${main}/error`)).toBe(500);
      expect(await get(`${main}/forbidden/1`)).toBe(403);
      expect(await get(`${main}/odd`)).toBe(500);
      expect(await get(`${main}/forgot/1`)).toBe(Number(forgot));
      expect(await get(`${shared}/brew/coffee`)).toBe(418);
    });
    expect(changed).toEqual([
      ['GET', '/brew/:kind', '418', 1],
      ['GET', '/error', '500', 1],
      ['GET', '/forbidden/:id', '403', 1],
      ['GET', '/forgot/:id', forgot, 1],
      ['GET', '/odd', '500', 1],
    ]);
  });

  it('records a client that disconnects before the response once, as 499, and returns in-flight to 0', async () => {
    const changed = await recorded(async () => {
      const client = new AbortController();
      const pending = fetch(`${main}/slow/1`, { signal: client.signal }).catch((error: Error) => error.name);
      expect(sum(await scrapeSettled(main, { inFlight: 1 }), 'http_requests_in_flight')).toBe(1);
      client.abort();
      expect(await pending).toBe('AbortError');
      expect(sum(await scrapeSettled(main), 'http_requests_total', { route: '/slow/:id', status_code: '499' })).toBeGreaterThan(0);
      // The handler now returns its response to a client that is gone; that must not count again.
      expect(await get(`${main}/release`)).toBe(200);
    });
    expect(changed).toEqual([
      ['GET', '/release', '200', 1],
      ['GET', '/slow/:id', '499', 1],
    ]);
    expect(sum(await scrapeSettled(main), 'http_requests_in_flight')).toBe(0);
  });

  it('records 499 once when the client left before honoMetrics ran', async () => {
    const count = async (what: 'arrivals' | 'answered'): Promise<number> => Number(await (await fetch(`${main}/late-${what}`)).text());
    const changed = await recorded(async () => {
      const [arrived, answered] = [await count('arrivals'), await count('answered')];
      const client = new AbortController();
      const pending = fetch(`${main}/late/1`, { signal: client.signal }).catch((error: Error) => error.name);
      for (let i = 0; i < 200 && (await count('arrivals')) === arrived; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      client.abort();
      expect(await pending).toBe('AbortError');
      // In middleware mode the request is in flight only once honoMetrics runs, after the abort reached the server.
      for (let i = 0; i < 200 && (await count('answered')) === answered; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    });
    expect(changed.filter(([, route]) => !route.startsWith('/late-'))).toEqual([['GET', '/late/:id', '499', 1]]);
  });

  it('records a streamed response once, when its headers are returned, even if the client leaves mid-body', async () => {
    const changed = await recorded(async () => {
      const client = new AbortController();
      const response = await fetch(`${main}/feed/1`, { signal: client.signal });
      const reader = response.body!.getReader();
      expect(new TextDecoder().decode((await reader.read()).value)).toBe('first chunk\n');
      client.abort();
    });
    expect(changed).toEqual([['GET', '/feed/:id', '200', 1]]);
  });

  it('does not record scrapes or excluded paths', async () => {
    const changed = await recorded(async () => {
      for (let i = 0; i < 3; i++) await scrape(main);
      for (let i = 0; i < 4; i++) expect(await get(`${main}/health`)).toBe(200);
    });
    expect(changed).toEqual([]);
  });

  it('records a second server sharing the metrics into the same series, and serves nothing there when path is false', async () => {
    const changed = await recorded(async () => {
      for (let i = 0; i < 2; i++) await get(`${main}/users/${i}`);
      for (let i = 0; i < 3; i++) await get(`${shared}/users/${i}`);
      expect(await get(`${shared}/metrics`)).toBe(404);
    });
    expect(changed).toEqual([
      ['GET', '/users/:id', '200', 5],
      ['GET', 'unmatched', '404', 1],
    ]);
  });

  it('serves a custom path, records scrapes there with includeMetricsPath, and leaves /metrics to the app', async () => {
    expect(await get(`${custom}/`)).toBe(200);
    expect(await get(`${custom}/metrics`)).toBe(404);
    await scrape(`${custom}/internal/prom`);
    const samples = await scrapeSettled(`${custom}/internal/prom`, { inFlight: 1 });
    expect(find(samples, 'http_requests_total').map((s) => [s.labels.route, s.labels.status_code, s.value]).sort()).toEqual([
      ['/', '200', 1],
      ['/internal/prom', '200', 1],
      ['unmatched', '404', 1],
    ]);
  });

  it('answers HEAD on the metrics path with headers only, other methods with 405, and negotiates OpenMetrics and gzip', async () => {
    const head = await request(`${main}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
    const post = await request(`${main}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    const answer = await request(`${main}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0', 'accept-encoding': 'gzip' } });
    expect(answer.headers['content-type']).toMatch(/^application\/openmetrics-text; version=1\.0\.0/);
    expect(answer.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(answer.body).toString().trimEnd().endsWith('# EOF')).toBe(true);
  });

  it('records an odd method, a 10 kB URL with bad percent-encoding and a very long header without throwing', async () => {
    const head = (text: string): string => text.split('\r\n', 1)[0]!;
    const send = (line: string, headers = ''): Promise<string> =>
      rawRequest(mainPort, `${line} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}Connection: close\r\n\r\n`);
    const badEncoding = `/users/%E0%A4%A${'%zz'.repeat(3400)}`;
    expect(badEncoding.length).toBeGreaterThan(10_000);
    const changed = await recorded(async () => {
      expect(head(await send('PURGE /'))).toBe('HTTP/1.1 404 Not Found');
      expect(head(await send(`GET ${badEncoding}`))).toBe('HTTP/1.1 200 OK');
      expect(head(await send(`GET /${'%'.repeat(10_000)}`))).toBe('HTTP/1.1 404 Not Found');
      expect(head(await send('GET /', `x-long: ${'a'.repeat(12_000)}\r\n`))).toBe('HTTP/1.1 200 OK');
      expect(await get(`${main}/`)).toBe(200);
    });
    expect(changed).toEqual([
      ['GET', '/', '200', 2],
      ['GET', '/users/:id', '200', 1],
      ['GET', 'unmatched', '404', 1],
      ['_OTHER', 'unmatched', '404', 1],
    ]);
  });

  it('serves prom-client default process metrics, and promtool parses the whole exposition', async () => {
    const text = (await request(`${main}/metrics`)).body.toString();
    const samples = parseExposition(text);
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_start_time_seconds',
      'process_resident_memory_bytes',
      'process_open_fds',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_external_memory_bytes',
    ]) {
      expect(find(samples, name), name).toHaveLength(1);
    }
    // Deno grants /proc/self only with --allow-all (docs/fetch.md), so the memory gauges read 0 there.
    if (runtime === 'bun') expect(sum(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    else expect(sum(samples, 'process_resident_memory_bytes')).toBe(0);
    // The only complaints are about prom-client's own names, exactly as on Node.
    expect((await promtoolCheckMetrics(text)).replace(/^exit \d+: /, '').split('\n').sort()).toEqual([
      'nodejs_active_handles_total non-counter metrics should not have "_total" suffix',
      'nodejs_active_requests_total non-counter metrics should not have "_total" suffix',
      'nodejs_active_resources_total non-counter metrics should not have "_total" suffix',
    ]);
  });
});
