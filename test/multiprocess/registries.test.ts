import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpMetrics, renderDirectory } from 'promhttp';
import { startPushgateway, type Pushgateway } from '../support/prometheus.js';
import { parseExposition, scrape, sum } from '../support/scrape.js';
import { get, processes, runTs, tempDir } from '../fixtures/mp-support.js';

const procs = processes();
let gateway: Pushgateway;
const dirs: Array<ReturnType<typeof tempDir>> = [];
beforeAll(async () => {
  gateway = await startPushgateway();
});
afterAll(async () => {
  await procs.stopAll();
  await gateway?.stop();
  for (const dir of dirs) dir.remove();
});

describe('which registries PROMETHEUS_MULTIPROC_DIR shares', () => {
  it('shares the app\'s global registry, and never the fresh registry runJob pushes: each push carries one run of the job alone', { timeout: 30_000 }, async () => {
    const dir = tempDir();
    dirs.push(dir);
    const job = `mp-job-${randomUUID().slice(0, 8)}`;
    const app = procs.track(runTs('mp-push-job.ts', { PROMETHEUS_MULTIPROC_DIR: dir.path, GATEWAY: gateway.url, JOB: job }));
    const line = await app.waitFor(/(\{"stores":\d+\})/, 20_000);
    // The app's store alone: the job's registries opened none.
    expect(JSON.parse(line)).toEqual({ stores: 1 });
    expect(sum(parseExposition(await renderDirectory(dir.path)), 'http_requests_total')).toBe(1);

    const pushed = (await scrape(`${gateway.url}/metrics`)).filter((s) => s.labels.job === job && !s.name.startsWith('push_'));
    const names = [...new Set(pushed.map((s) => s.name))].sort();
    expect(names).toEqual(['job_duration_seconds_count', 'job_duration_seconds_sum', 'job_failures_total', 'job_last_records_processed', 'job_last_success_timestamp_seconds', 'job_records_processed_total']);
    expect(sum(pushed, 'job_duration_seconds_count')).toBe(1);
    expect(sum(pushed, 'job_records_processed_total')).toBe(4);
  });

  it('keeps any other registry in memory unless it asks for the directory', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const before = process.env.PROMETHEUS_MULTIPROC_DIR;
    process.env.PROMETHEUS_MULTIPROC_DIR = dir.path;
    try {
      const local = createHttpMetrics({ registry: new Registry(), defaultMetrics: false });
      const shared = createHttpMetrics({ registry: new Registry(), defaultMetrics: false, multiprocess: true });
      local.start()({ method: 'GET', route: '/local', status: 200 });
      shared.start()({ method: 'GET', route: '/shared', status: 200 });
      await new Promise((resolve) => setImmediate(resolve));
      const inDir = parseExposition(await renderDirectory(dir.path));
      expect(sum(inDir, 'http_requests_total', { route: '/shared' })).toBe(1);
      expect(sum(inDir, 'http_requests_total', { route: '/local' })).toBe(0);
      const own = parseExposition(String((await local.render()).body));
      expect(sum(own, 'http_requests_total')).toBe(1);
      expect(sum(own, 'promhttp_multiprocess_processes')).toBe(0);
    } finally {
      if (before === undefined) delete process.env.PROMETHEUS_MULTIPROC_DIR;
      else process.env.PROMETHEUS_MULTIPROC_DIR = before;
    }
  });

  it('still shows the whole directory after register.clear() and new metrics, as before the clear', { timeout: 30_000 }, async () => {
    const dir = tempDir();
    dirs.push(dir);
    const env = { PROMETHEUS_MULTIPROC_DIR: dir.path, PORT: '0' };
    const listening = /listening on (http:\/\/127\.0\.0\.1:\d+)/;
    const [cleared, other] = await Promise.all([procs.track(runTs('mp-clear.ts', env)).waitFor(listening), procs.track(runTs('mp-app.ts', env)).waitFor(listening)]);
    await get(`${other}/users/7`);
    await get(`${cleared}/record`);
    const samples = parseExposition((await get(`${cleared}/metrics`)).body);
    // Counts recorded before the clear are in the directory already: they stay, as for every other process.
    expect(sum(samples, 'http_requests_total', { route: '/before' })).toBe(1);
    expect(sum(samples, 'http_requests_total', { route: '/after' })).toBe(1);
    expect(sum(samples, 'http_requests_total', { route: '/users/:id' })).toBe(1);
    expect(sum(samples, 'promhttp_multiprocess_processes', { state: 'live' })).toBe(2);
  });
});
