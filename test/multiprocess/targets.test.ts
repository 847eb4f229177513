import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createHttpMetrics, enableMultiprocess, startWorkerTarget } from 'promhttp';
import { Registry } from 'prom-client';
import { eventually, processes, runTs, startClusterFixture, tempDir } from '../fixtures/mp-support.js';
import { freeRange } from '../fixtures/targets-ports.js';
import type { Child } from '../support/process.js';
import { promtoolCheckConfig, startPrometheus, type Prometheus } from '../support/prometheus.js';

const procs = processes();
let prometheus: Prometheus | undefined;
const dirs: Array<ReturnType<typeof tempDir>> = [];

afterEach(async () => {
  await prometheus?.stop();
  prometheus = undefined;
  await procs.stopAll();
});
afterAll(() => {
  for (const dir of dirs.splice(0)) dir.remove();
});

interface Worker {
  readonly child: Child;
  readonly app: string;
  readonly metrics: string;
  readonly file: string;
}

async function startWorker(index: number, basePort: number, dir: string): Promise<Worker> {
  const child = procs.track(runTs('targets-app.ts', { PORT: '0', BASE_PORT: String(basePort), TARGETS_DIR: dir, PROMHTTP_WORKER: String(index) }));
  const app = await child.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
  const line = await child.waitFor(/^(target \d+ \S+ \S+)$/m, 20_000);
  const [, , metrics, file] = line.split(' ');
  return { child, app, metrics: metrics!, file: file! };
}

async function send(base: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${base}/users/${i}`);
    await response.arrayBuffer();
    expect(response.status).toBe(200);
  }
}

describe('one Prometheus target per process', () => {
  it('lets a real Prometheus discover every worker through file_sd and sum their requests exactly', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    dirs.push(dir);
    const basePort = await freeRange(3);
    const workers = await Promise.all([0, 1, 2].map((i) => startWorker(i, basePort, dir.path)));
    for (const [i, worker] of workers.entries()) {
      expect(worker.metrics).toBe(`http://127.0.0.1:${basePort + i}/metrics`);
      expect(worker.file).toBe(join(dir.path, `promhttp-${basePort + i}.json`));
      expect(JSON.parse(readFileSync(worker.file, 'utf8'))).toEqual([{ targets: [`127.0.0.1:${basePort + i}`], labels: { app: 'targets-test', worker: String(i) } }]);
    }

    prometheus = await startPrometheus([{ job: 'workers', fileSd: [join(dir.path, '*.json')] }]);
    expect(await promtoolCheckConfig(prometheus.configFile)).toMatch(/SUCCESS/);
    const sent = [30, 20, 10];
    await Promise.all(workers.map((w, i) => send(w.app, sent[i]!)));
    const n = sent.reduce((a, b) => a + b, 0);
    expect(await prometheus.waitFor('sum(http_requests_total{job="workers"})', (v) => v === n)).toBe(n);
    expect(await prometheus.waitFor('count(up{job="workers"} == 1)', (v) => v === 3)).toBe(3);
    const byWorker = await prometheus.query('sum by (worker, instance, app) (http_requests_total)');
    expect(byWorker.map((r) => [r.metric.worker, r.metric.instance, r.metric.app, r.value]).sort()).toEqual(
      [0, 1, 2].map((i) => [String(i), `127.0.0.1:${basePort + i}`, 'targets-test', sent[i]]),
    );
  });

  it('gives a restarted worker the same port and file, and drops the target of a worker stopped for good', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    dirs.push(dir);
    const basePort = await freeRange(2);
    const [first, second] = await Promise.all([startWorker(0, basePort, dir.path), startWorker(1, basePort, dir.path)]);
    prometheus = await startPrometheus([{ job: 'workers', fileSd: [join(dir.path, '*.json')] }]);
    await send(second!.app, 5);
    await prometheus.waitFor('sum(http_requests_total{worker="1"})', (v) => v === 5);

    // A rolling restart: the successor starts while its predecessor still holds the port, and waits for it.
    const successor = startWorker(1, basePort, dir.path);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const predecessorStopping = Date.now();
    await second!.child.stop();
    const next = await successor;
    expect(next.metrics).toBe(second!.metrics);
    expect(next.file).toBe(second!.file);
    // The predecessor removed its own file on SIGTERM, never the successor's, which was written
    // once the port was free. (Inode numbers cannot tell the two apart: a filesystem reuses them.)
    expect(statSync(next.file).mtimeMs).toBeGreaterThanOrEqual(predecessorStopping);
    expect(JSON.parse(readFileSync(next.file, 'utf8'))).toEqual([{ targets: [`127.0.0.1:${basePort + 1}`], labels: { app: 'targets-test', worker: '1' } }]);
    await send(next.app, 3);
    // Same target, same series: Prometheus sees a counter reset on it, which rate() and increase() handle.
    await prometheus.waitFor('sum(http_requests_total{worker="1", instance="127.0.0.1:' + (basePort + 1) + '"})', (v) => v === 3);
    await prometheus.waitFor('count(up{job="workers"} == 1)', (v) => v === 2);

    // Stopped for good (SIGTERM, as node:cluster and PM2 stop workers): the file goes, and so does the target.
    await first!.child.stop();
    expect(existsSync(first!.file)).toBe(false);
    expect(existsSync(next.file)).toBe(true);
    await eventually(async () => (await prometheus!.query('count(up{job="workers"})'))[0]?.value === 1, 15_000, 'target of worker 0 dropped');
  });

  it('takes the index from PROMHTTP_WORKER and refuses a process without one, saying how to pass it', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const saved = { worker: process.env.PROMHTTP_WORKER, pm2: process.env.NODE_APP_INSTANCE };
    try {
      delete process.env.PROMHTTP_WORKER;
      delete process.env.NODE_APP_INSTANCE;
      await expect(startWorkerTarget({ basePort: 9101, dir: dir.path })).rejects.toThrow(
        /^promhttp: startWorkerTarget: this process has no worker index\. Under PM2 it comes from NODE_APP_INSTANCE; with node:cluster, pass the slot when forking: cluster\.fork\(\{ PROMHTTP_WORKER: String\(slot\) \}\)/,
      );
      process.env.NODE_APP_INSTANCE = 'abc';
      await expect(startWorkerTarget({ basePort: 9101, dir: dir.path })).rejects.toThrow(/\$NODE_APP_INSTANCE is "abc", but one target per process needs a whole number/);
      await expect(startWorkerTarget({ basePort: 65535, dir: dir.path, index: 3 })).rejects.toThrow(/worker 3 would serve on port 65538, past 65535/);
      await expect(startWorkerTarget({ basePort: 9101, dir: dir.path, index: 0, labels: { worker: 'x' } })).rejects.toThrow(/"labels" cannot set "worker"/);
      await expect(startWorkerTarget({ base: 9101 } as never)).rejects.toThrow(/unknown option "base"\. Did you mean "basePort"\?/);

      const basePort = await freeRange(3);
      process.env.PROMHTTP_WORKER = '2';
      const target = await startWorkerTarget({ basePort, dir: dir.path, registry: new Registry(), path: '/stats' });
      try {
        expect(target).toMatchObject({ index: 2, indexSource: 'env', port: basePort + 2, url: `http://127.0.0.1:${basePort + 2}/stats` });
        expect(JSON.parse(readFileSync(target.file, 'utf8'))).toEqual([{ targets: [`127.0.0.1:${basePort + 2}`], labels: { worker: '2', __metrics_path__: '/stats' } }]);
        expect((await fetch(target.url)).status).toBe(200);
      } finally {
        await target.close();
      }
      expect(existsSync(target.file)).toBe(false);
    } finally {
      for (const [name, value] of [['PROMHTTP_WORKER', saved.worker], ['NODE_APP_INSTANCE', saved.pm2]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('refuses a registry in directory or IPC mode, whose every target would serve the whole app\'s totals', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    dirs.push(dir);
    const refused = /^promhttp: startWorkerTarget: this registry is in directory mode \(PROMETHEUS_MULTIPROC_DIR or multiprocess\), so its \/metrics shows the whole app: every worker's target would serve the same totals, and sum\(\) over the targets would count them once per worker\./;
    const registry = new Registry();
    const store = enableMultiprocess({ registry, dir: dir.path });
    try {
      await expect(startWorkerTarget({ basePort: 9101, dir: dir.path, index: 0, registry })).rejects.toThrow(refused);
      const metrics = createHttpMetrics({ registry: new Registry(), defaultMetrics: false, multiprocess: { dir: dir.path } });
      await expect(startWorkerTarget({ basePort: 9101, dir: dir.path, index: 0, metrics })).rejects.toThrow(refused);
      // The control: a registry of this process alone is served.
      const basePort = await freeRange(1);
      const own = await startWorkerTarget({ basePort, dir: dir.path, index: 0, metrics: createHttpMetrics({ registry: new Registry(), defaultMetrics: false }) });
      await own.close();
    } finally {
      await store.close();
    }

    const app = await startClusterFixture(procs, 'ipc-cluster.ts', { WORKERS: '1', PORT: '0', IPC_TRY_TARGET: '1' });
    expect(await app.child.waitFor(/^(startWorkerTarget .*)$/m)).toMatch(/^startWorkerTarget refused: promhttp: startWorkerTarget: this registry is in IPC mode \(clusterWorker\(\)\), so its \/metrics shows the whole app/);
  });
});
