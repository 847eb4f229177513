import { Gauge, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { enableMultiprocess, renderRegistry } from 'promhttp';
import { find, parseExposition, sum } from '../support/scrape.js';
import { get, processes, runTs, tempDir } from '../fixtures/mp-support.js';

const procs = processes();
let dir: ReturnType<typeof tempDir> | undefined;
afterEach(async () => {
  await procs.stopAll();
  dir?.remove();
});

async function metricsOf(url: string) {
  const { status, body } = await get(`${url}/metrics`);
  expect(status).toBe(200);
  return parseExposition(body);
}

const workersOf = (samples: ReturnType<typeof parseExposition>, name: string): string[] => find(samples, name).map((s) => s.labels.worker!).sort();

describe('plain prom-client metrics in multi-process mode', () => {
  it('sums counters, keeps gauges and process metrics per live worker, and reads its own process live', async () => {
    dir = tempDir();
    const start = async (worker: string, depth: number): Promise<{ url: string; pid: number }> => {
      const child = procs.track(runTs('mp-plain.ts', { PROMETHEUS_MULTIPROC_DIR: dir!.path, PORT: '0', PROMHTTP_WORKER: worker, DEPTH: String(depth) }));
      return { url: await child.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/), pid: child.process.pid! };
    };
    const [p1, p2] = await Promise.all([start('p1', 3), start('p2', 4)]);
    await get(`${p1.url}/inc?by=5`);
    await get(`${p2.url}/inc?by=7`);
    await Promise.all([get(`${p1.url}/snapshot`), get(`${p2.url}/snapshot`)]);

    for (const { url } of [p1, p2]) {
      const samples = await metricsOf(url);
      expect(sum(samples, 'jobs_total')).toBe(12);
      expect(find(samples, 'queue_depth').map((s) => [s.labels.worker, s.value]).sort()).toEqual([['p1', 3], ['p2', 4]]);
      expect(workersOf(samples, 'process_cpu_user_seconds_total')).toEqual(['p1', 'p2']);
      expect(workersOf(samples, 'nodejs_version_info')).toEqual(['p1', 'p2']);
    }

    // Not saved yet: p2 sees p1's last snapshot, p1 its own count at once. p1 saves what it showed
    // before it answers, so that a later scrape served by p2 shows no less.
    await get(`${p1.url}/inc?by=1`);
    expect(sum(await metricsOf(p2.url), 'jobs_total')).toBe(12);
    expect(sum(await metricsOf(p1.url), 'jobs_total')).toBe(13);
    expect(sum(await metricsOf(p2.url), 'jobs_total')).toBe(13);

    // A dead worker's counts stay in the total; its gauges and process metrics go.
    process.kill(p2.pid, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = await metricsOf(p1.url);
    expect(sum(after, 'jobs_total')).toBe(13);
    expect(workersOf(after, 'queue_depth')).toEqual(['p1']);
    expect(workersOf(after, 'process_cpu_user_seconds_total')).toEqual(['p1']);
  });

  it('keeps a plain metric\'s own worker label, and tells processes apart with promhttp_worker instead', async () => {
    dir = tempDir();
    const registry = new Registry();
    const store = enableMultiprocess({ registry, dir: dir.path, worker: 'p1' });
    try {
      const pool = new Gauge({ name: 'pool_size', help: 'Connections per pool worker.', labelNames: ['worker'], registers: [registry] });
      pool.set({ worker: 'a' }, 3);
      pool.set({ worker: 'b' }, 4);
      new Gauge({ name: 'queue_depth', help: 'Jobs waiting.', registers: [registry] }).set(2);
      const samples = parseExposition(await renderRegistry(registry, 'text'));
      expect(find(samples, 'pool_size').map((s) => s.labels)).toEqual([
        { worker: 'a', promhttp_worker: 'p1' },
        { worker: 'b', promhttp_worker: 'p1' },
      ]);
      expect(find(samples, 'pool_size').map((s) => s.value)).toEqual([3, 4]);
      // A metric without a worker label of its own keeps the usual one.
      expect(find(samples, 'queue_depth').map((s) => s.labels)).toEqual([{ worker: 'p1' }]);
    } finally {
      await store.close();
    }
  });

  it('labels every process\'s series of a metric with a worker label of its own alike, also a process that set none with it', async () => {
    dir = tempDir();
    const process = async (worker: string, labels: { worker?: string; queue: string }) => {
      const registry = new Registry();
      const store = enableMultiprocess({ registry, dir: dir!.path, worker, reset: 'never' });
      new Gauge({ name: 'queue_busy', help: 'Busy consumers per queue worker.', labelNames: ['worker', 'queue'], registers: [registry] }).set(labels, 1);
      await store.snapshot();
      return { registry, store };
    };
    const p1 = await process('p1', { worker: 'mailer', queue: 'q' });
    const p2 = await process('p2', { queue: 'q' });
    try {
      for (const { registry } of [p1, p2]) {
        const samples = parseExposition(await renderRegistry(registry, 'text'));
        expect(find(samples, 'queue_busy').map((s) => s.labels)).toEqual(
          expect.arrayContaining([
            { worker: 'mailer', queue: 'q', promhttp_worker: p1.store.worker },
            { queue: 'q', promhttp_worker: p2.store.worker },
          ]),
        );
        expect(find(samples, 'queue_busy')).toHaveLength(2);
      }
      // Alone, the process that set no worker label still uses promhttp_worker: the metric has one.
      await p1.store.close();
      const alone = parseExposition(await renderRegistry(p2.registry, 'text'));
      expect(find(alone, 'queue_busy').map((s) => s.labels)).toEqual([{ queue: 'q', promhttp_worker: p2.store.worker }]);
    } finally {
      await Promise.all([p1.store.close(), p2.store.close()]);
    }
  });
});
