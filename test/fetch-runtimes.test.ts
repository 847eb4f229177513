import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchSuite, type FetchTargets } from './fixtures/fetch-suite.js';
import { APPS_PER_SCENARIO, routeMetricsSuite, type Scenario } from './fixtures/route-metrics-suite.js';
import { eventually, load, tempDir, totals } from './fixtures/mp-support.js';
import { ensureBuilt } from './support/build.js';
import { request } from './support/http.js';
import { BUN, DENO_RUN, denoBinary, startBunApp, startChild, startDenoApp, type Child } from './support/process.js';
import { promtoolCheckMetrics } from './support/prometheus.js';
import { find, parseExposition, scrapeSettled, sum } from './support/scrape.js';

// promhttp/fetch on Bun.serve and on Deno.serve, with test/fixtures/fetch-serve.ts. Deno runs
// with the permissions docs/fetch.md gives and imports the built package (package.json's
// exports); Bun reads the sources through tsconfig.json's paths.
// `deno-new-abort` opts in to Deno's coming request.signal, which no longer aborts after a
// successful response (--unstable-no-legacy-abort); promhttp must behave the same under both.
type Runtime = 'bun' | 'deno' | 'deno-new-abort';

async function start(runtime: Runtime, file: string, env: NodeJS.ProcessEnv = {}, permissions = DENO_RUN): Promise<Child> {
  if (runtime === 'bun') return startChild(BUN, ['run', file], { env });
  await ensureBuilt();
  const flags = runtime === 'deno-new-abort' ? ['--unstable-no-legacy-abort'] : [];
  // --sloppy-imports lets the fixtures import each other as `./x.js`, as Node and Bun do; promhttp itself needs no flag.
  return startChild(denoBinary(), [...permissions, ...flags, '--sloppy-imports', file], { env: { DENO_NO_UPDATE_CHECK: '1', ...env } });
}

async function ports<T>(child: Child): Promise<T> {
  try {
    return JSON.parse(await child.waitFor(/^ports (\{.*\})$/m, 120_000)) as T;
  } catch (error) {
    await child.stop();
    throw error;
  }
}

/** The default metrics each runtime leaves without samples, or at 0, as docs/fetch.md says. */
const DENO_EMPTY = {
  zero: ['process_resident_memory_bytes', 'process_virtual_memory_bytes', 'process_heap_bytes', 'process_open_fds'],
  absent: ['process_max_fds', 'nodejs_gc_duration_seconds_count'],
};
const EMPTY: Record<Runtime, { zero: string[]; absent: string[] }> = {
  // Bun's heap is one space, reported as "old".
  bun: { zero: ['nodejs_heap_space_size_used_bytes'], absent: ['nodejs_gc_duration_seconds_count', 'nodejs_active_resources'] },
  deno: DENO_EMPTY,
  'deno-new-abort': DENO_EMPTY,
};

describe.each<Runtime>(['bun', 'deno', 'deno-new-abort'])('promhttp/fetch on %s', (runtime) => {
  let child: Child;
  let targets: FetchTargets;
  beforeAll(async () => {
    child = await start(runtime, 'test/fixtures/fetch-serve.ts');
    const port = await ports<Record<'main' | 'shared' | 'custom', number>>(child);
    const url = (p: number): string => `http://127.0.0.1:${p}`;
    targets = { main: url(port.main), shared: url(port.shared), custom: url(port.custom), mainPort: port.main, output: () => child.output(), runtimeErrorStatus: 503 };
  }, 200_000);
  afterAll(async () => {
    await child?.stop();
  });

  fetchSuite(() => targets);

  it("serves prom-client's default metrics without crashing, leaving empty only what docs/fetch.md lists, and promtool parses the exposition", async () => {
    const text = (await request(`${targets.main}/metrics`)).body.toString();
    const samples = parseExposition(text);
    for (const name of ['process_cpu_user_seconds_total', 'process_start_time_seconds', 'nodejs_eventloop_lag_p50_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_external_memory_bytes', 'nodejs_version_info']) {
      expect(find(samples, name), name).toHaveLength(1);
      if (name.startsWith('nodejs_heap') || name.startsWith('nodejs_external') || name.startsWith('process_cpu')) expect(sum(samples, name), name).toBeGreaterThan(0);
    }
    for (const name of EMPTY[runtime].zero) {
      const found = runtime === 'bun' ? find(samples, name).filter((s) => s.labels.space !== 'old') : find(samples, name);
      expect(found.length, name).toBeGreaterThan(0);
      expect(found.every((s) => s.value === 0), name).toBe(true);
    }
    if (runtime === 'bun') expect(sum(samples, 'nodejs_heap_space_size_used_bytes', { space: 'old' })).toBeGreaterThan(0);
    for (const name of EMPTY[runtime].absent) expect(find(samples, name), name).toEqual([]);
    // The runtimes print what the handlers threw; nothing may escape promhttp unhandled.
    expect(child.output()).not.toMatch(/uncaught|unhandled/i);
    expect(child.process.exitCode).toBeNull();
    expect((await promtoolCheckMetrics(text)).replace(/^exit \d+: /, '').split('\n').sort()).toEqual([
      'nodejs_active_handles_total non-counter metrics should not have "_total" suffix',
      'nodejs_active_requests_total non-counter metrics should not have "_total" suffix',
      'nodejs_active_resources_total non-counter metrics should not have "_total" suffix',
    ]);
  });
});

describe('promhttp/fetch on Deno with --allow-all', () => {
  it('fills the process metrics that Deno grants /proc/self for only with --allow-all', async () => {
    const child = await start('deno', 'test/fixtures/fetch-serve.ts', {}, ['run', '--allow-all']);
    try {
      const port = await ports<{ main: number }>(child);
      const samples = parseExposition((await request(`http://127.0.0.1:${port.main}/metrics`)).body.toString());
      for (const name of ['process_resident_memory_bytes', 'process_virtual_memory_bytes', 'process_open_fds', 'process_max_fds']) expect(sum(samples, name), name).toBeGreaterThan(0);
    } finally {
      await child.stop();
    }
  }, 200_000);
});

describe.each<Runtime>(['bun', 'deno'])('per-route metrics on promhttp/fetch with %s', (runtime) => {
  let child: Child;
  let free: Record<Scenario, number[]>;
  beforeAll(async () => {
    child = await start(runtime, 'test/fixtures/route-metrics-fetch-serve.ts', { APPS: JSON.stringify(APPS_PER_SCENARIO) });
    free = await ports<Record<Scenario, number[]>>(child);
  }, 200_000);
  afterAll(async () => {
    await child?.stop();
  });

  routeMetricsSuite(async (scenario) => {
    const port = free[scenario].shift();
    if (port === undefined) throw new Error(`the ${runtime} fixture has no unused "${scenario}" app left; raise APPS_PER_SCENARIO.${scenario}`);
    return `http://127.0.0.1:${port}`;
  });

  it('keeps serving after label functions threw', () => {
    expect(child.process.exitCode).toBeNull();
    expect(child.output()).not.toMatch(/unhandled|uncaught/i);
  });
});

/** Opens a WebSocket at `path` and resolves with the response status and the server's first message. */
function openWebSocket(port: number, path: string): Promise<{ status: number; message: string }> {
  return new Promise((resolve, reject) => {
    const headers = { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' };
    const req = httpRequest({ host: '127.0.0.1', port, path, headers, agent: false });
    req.on('upgrade', (response, socket, head) => {
      const read = (frame: Buffer): void => {
        // A short unmasked text frame from the server: opcode byte, length byte, payload.
        if (frame.length < 2 || frame.length < 2 + (frame[1]! & 0x7f)) return void socket.once('data', (more: Buffer) => read(Buffer.concat([frame, more])));
        socket.destroy();
        resolve({ status: response.statusCode!, message: frame.subarray(2, 2 + (frame[1]! & 0x7f)).toString() });
      };
      read(head);
    });
    req.on('response', (response) => {
      response.resume();
      resolve({ status: response.statusCode!, message: '' });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('promhttp/fetch with WebSockets on Bun', () => {
  let child: Child;
  let port: number;
  beforeAll(async () => {
    child = await start('bun', 'test/fixtures/bun-websocket.ts');
    port = (await ports<{ main: number }>(child)).main;
  }, 200_000);
  afterAll(async () => {
    await child?.stop();
  });

  it('records a request the handler upgraded with server.upgrade as 101, whatever the handler returned after, and a refused upgrade as its answer', async () => {
    expect(await openWebSocket(port, '/ws')).toEqual({ status: 101, message: 'hi' });
    expect(await openWebSocket(port, '/ws-later')).toEqual({ status: 101, message: 'hi' });
    expect(await openWebSocket(port, '/ws-empty')).toEqual({ status: 101, message: 'hi' });
    expect(await openWebSocket(port, '/chat')).toEqual({ status: 101, message: 'hi' });
    expect((await request(`http://127.0.0.1:${port}/ws`)).status).toBe(400);
    expect((await request(`http://127.0.0.1:${port}/chat`)).status).toBe(400);
    const samples = await scrapeSettled(`http://127.0.0.1:${port}`);
    expect(find(samples, 'http_requests_total').map((s) => [s.labels.route, s.labels.status_code, s.value]).sort()).toEqual([
      ['/chat', '101', 1],
      ['/chat', '400', 1],
      ['/ws', '101', 1],
      ['/ws', '400', 1],
      ['/ws-empty', '101', 1],
      ['/ws-later', '101', 1],
    ]);
    // Label functions see the 101 too, through a stand-in response.
    expect(find(samples, 'chat_requests_total').map((s) => [s.labels.status, s.value]).sort()).toEqual([
      ['101', 1],
      ['400', 1],
    ]);
    expect(sum(samples, 'http_requests_in_flight')).toBe(0);
    expect(child.output()).not.toMatch(/uncaught|unhandled|error/i);
  });
});

describe.each(['middleware', 'wrap'])('promhttp/hono (%s) with WebSockets on Bun', (mode) => {
  let child: Child;
  let port: number;
  beforeAll(async () => {
    child = await start('bun', 'test/fixtures/hono-bun-websocket.ts', { PROMHTTP_HONO_MODE: mode });
    port = (await ports<{ main: number }>(child)).main;
  }, 200_000);
  afterAll(async () => {
    await child?.stop();
  });

  it("records a request hono/bun's upgradeWebSocket upgraded as 101, not as the empty 200 it returns", async () => {
    expect(await openWebSocket(port, '/ws')).toEqual({ status: 101, message: 'hi' });
    expect(await openWebSocket(port, '/ws')).toEqual({ status: 101, message: 'hi' });
    expect((await request(`http://127.0.0.1:${port}/ws`)).status).toBe(404);
    expect((await request(`http://127.0.0.1:${port}/plain`)).status).toBe(200);
    const samples = await scrapeSettled(`http://127.0.0.1:${port}`);
    expect(find(samples, 'http_requests_total').map((s) => [s.labels.route, s.labels.status_code, s.value]).sort()).toEqual([
      ['/plain', '200', 1],
      ['/ws', '101', 2],
      ['/ws', '404', 1],
    ]);
    expect(sum(samples, 'http_requests_in_flight')).toBe(0);
    expect(child.output()).not.toMatch(/uncaught|unhandled|error/i);
  });
});

describe('promhttp/fetch in directory mode', () => {
  it('shows the totals of a Bun.serve and a Deno.serve process sharing one directory on both', async () => {
    const dir = tempDir();
    const env = { PROMETHEUS_MULTIPROC_DIR: dir.path };
    const children: Child[] = [];
    try {
      children.push(await startBunApp('examples/bun-serve.ts', env));
      // Deno reads and writes the directory only with permission for it (docs/fetch.md).
      children.push(await startDenoApp('examples/deno-serve.ts', env, [`--allow-read=${dir.path}`, `--allow-write=${dir.path}`]));
      const urls = children.map((child) => (child as Child & { url: string }).url);
      const sent = [40, 25];
      await Promise.all(urls.map((url, i) => load(url, sent[i]!, 3)));
      await eventually(async () => (await totals(urls[0]!)).requests === 65, 5_000, 'all requests recorded');
      for (const url of urls) {
        const t = await totals(url);
        expect([t.requests, t.count]).toEqual([65, 65]);
        expect(sum(t.samples, 'http_requests_total', { route: '/users/:id' })).toBe(65);
        expect(sum(t.samples, 'promhttp_multiprocess_processes', { state: 'live' })).toBe(2);
      }
    } finally {
      await Promise.all(children.map((child) => child.stop()));
      dir.remove();
    }
  }, 120_000);
});
