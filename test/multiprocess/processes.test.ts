import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BUN, startChild } from '../support/process.js';
import { sum } from '../support/scrape.js';
import { FIXTURES, bundle, entries, eventually, load, processes, runTs, tempDir, totals } from '../fixtures/mp-support.js';

const procs = processes();
const dirs: Array<ReturnType<typeof tempDir>> = [];
const newDir = (): string => {
  const dir = tempDir();
  dirs.push(dir);
  return dir.path;
};

afterEach(async () => {
  await procs.stopAll();
  for (const dir of dirs.splice(0)) dir.remove();
});

describe('unrelated processes sharing one directory', () => {
  it('shows the combined totals on every process, Node and Bun alike', async () => {
    const dir = newDir();
    const env = { PROMETHEUS_MULTIPROC_DIR: dir, PORT: '0' };
    const apps = await Promise.all([
      procs.track(runTs('mp-app.ts', env)),
      procs.track(runTs('mp-app.ts', env)),
      procs.track(startChild(BUN, ['run', `${FIXTURES}mp-app.ts`], { env })),
    ].map(async (child) => child.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 20_000)));
    const sent = [30, 45, 25];
    await Promise.all(apps.map((url, i) => load(url, sent[i]!, 3)));
    const total = sent.reduce((a, b) => a + b);
    await eventually(async () => (await totals(apps[0]!)).requests === total, 5_000, 'all requests recorded');
    for (const url of apps) {
      const t = await totals(url);
      expect(t.requests).toBe(total);
      expect(t.count).toBe(total);
      expect(sum(t.samples, 'promhttp_multiprocess_processes', { state: 'live' })).toBe(3);
    }
  });
});

describe('worker threads', () => {
  it('merges 4 threads × M requests into the main thread, and tells ended and terminated threads from running ones', async () => {
    const dir = newDir();
    const m = 250;
    const child = procs.track(runTs('mp-threads.ts', { PROMETHEUS_MULTIPROC_DIR: dir, M: String(m), THREADS: '4' }));
    const line = await child.waitFor(/^(\{.*\})$/m, 20_000);
    // Two threads ended, one was terminated; the main thread and one thread still run.
    expect(JSON.parse(line)).toEqual({ requests: 4 * m, live: 2, dead: 3 });
  });
});

describe('churn of short-lived processes', () => {
  let recorder: string;
  let out: ReturnType<typeof tempDir>;
  beforeAll(async () => {
    out = tempDir();
    recorder = await bundle('mp-record.ts', out.path);
  });
  afterAll(() => out.remove());

  // 200 Node starts cost ~25 s of CPU by themselves: the time limit leaves room for a busy machine.
  it('keeps the directory bounded and the totals exact over 200 processes that exit or are killed', { timeout: 150_000 }, async () => {
    const dir = newDir();
    const app = await procs.track(runTs('mp-app.ts', { PROMETHEUS_MULTIPROC_DIR: dir, PORT: '0', MP_COMPACT_MS: '300' })).waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    const total = 200;
    const lanes = 10;
    let next = 0;
    let expected = 0;
    let most = 0;
    // Ten at a time: each process records 1–3 requests; odd ones are SIGKILLed, even ones exit.
    async function lane(): Promise<void> {
      while (next < total) {
        const i = next++;
        const requests = 1 + (i % 3);
        expected += requests;
        const kill = i % 2 === 1;
        const child = startChild(process.execPath, [recorder], { env: { PROMETHEUS_MULTIPROC_DIR: dir, REQUESTS: String(requests), THEN: kill ? 'wait' : 'exit' } });
        procs.track(child);
        const exited = new Promise((resolve) => child.process.once('exit', resolve));
        if (kill) {
          await child.waitFor(/recorded/);
          child.process.kill('SIGKILL');
        }
        await exited;
        most = Math.max(most, entries(dir).length);
      }
    }
    await Promise.all(Array.from({ length: lanes }, lane));
    const routeTotal = async (): Promise<number> => sum((await totals(app)).samples, 'http_requests_total', { route: '/job' });
    expect(await routeTotal()).toBe(expected);
    // The app's compactor absorbs the dead: what remains is its own store and its archive.
    await eventually(() => entries(dir).length <= 2, 10_000, 'directory compacted');
    console.log(`churn: ${total} processes, at most ${most} entries in the directory, ${entries(dir).length} after compaction`);
    expect(most).toBeLessThanOrEqual(4 * lanes);
    expect(await routeTotal()).toBe(expected);
  });
});
