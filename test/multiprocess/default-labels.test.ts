import { Counter, Registry } from 'prom-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { counter, createHttpMetrics, enableMultiprocess, gauge, renderDirectory, renderRegistry, setStaticLabels, type MultiprocessStore } from 'promhttp';
import { find, parseExposition, sum } from '../support/scrape.js';
import { seriesOf } from '../support/series.js';
import { get, load, processes, sleep, startClusterFixture, tempDir, totals } from '../fixtures/mp-support.js';

const procs = processes();
const dirs: Array<ReturnType<typeof tempDir>> = [];
const stores: MultiprocessStore[] = [];
afterEach(() => procs.stopAll());
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  for (const dir of dirs) dir.remove();
});

/** The label sets of a sample name, as rendered (so a label rendered twice shows). */
const rendered = (text: string, name: string): string[] => text.split('\n').filter((line) => line.startsWith(`${name}{`)).map((line) => line.slice(name.length, line.lastIndexOf(' ')));

function directoryRegistry(): Registry {
  const dir = tempDir();
  dirs.push(dir);
  const registry = new Registry();
  stores.push(enableMultiprocess({ registry, dir: dir.path, worker: 'w1' }));
  return registry;
}

describe('registry.setDefaultLabels() in multi-process mode', () => {
  it('directory mode: reaches every merged series and the mode\'s own gauge, set after the metrics were created', async () => {
    const registry = directoryRegistry();
    const metrics = createHttpMetrics({ registry, defaultMetrics: false });
    metrics.finish(metrics.begin(), 'GET', '/', 200);
    gauge({ name: 'pool_size', help: 'Connections, one series per process.', registry, mode: 'all' }).set(4);
    registry.setDefaultLabels({ service: 'checkout' });
    const text = await renderRegistry(registry, 'text');
    const samples = parseExposition(text);
    for (const name of ['http_requests_total', 'http_request_duration_seconds_count', 'http_requests_in_flight', 'promhttp_multiprocess_processes']) {
      const found = find(samples, name);
      expect(found.length, name).toBeGreaterThan(0);
      expect(found.every((s) => s.labels.service === 'checkout'), name).toBe(true);
    }
    expect(rendered(text, 'pool_size')).toEqual(['{service="checkout",worker="w1"}']);
    // A default label named like the per-process label leaves it alone.
    registry.setDefaultLabels({ worker: 'all-of-them' });
    expect(rendered(await renderRegistry(registry, 'text'), 'pool_size')).toEqual(['{worker="w1"}']);
  });

  it('directory mode: does not render the labels of setStaticLabels twice', async () => {
    const registry = directoryRegistry();
    setStaticLabels(registry, { service: 'checkout' });
    const metrics = createHttpMetrics({ registry, defaultMetrics: false });
    metrics.finish(metrics.begin(), 'GET', '/', 200);
    const text = await renderRegistry(registry, 'text');
    expect(rendered(text, 'http_requests_total')).toEqual(['{service="checkout",method="GET",route="/",status_code="200"}']);
    expect(rendered(text, 'promhttp_multiprocess_processes')).toEqual(['{service="checkout",state="live"}', '{service="checkout",state="dead"}']);
  });

  it('directory mode: each process\'s series keep its own default labels, whichever process serves the scrape', async () => {
    const dir = tempDir();
    dirs.push(dir);
    // Two versions side by side in a rolling deploy, each labelling its registry with its version.
    const version = async (v: string) => {
      await sleep(5);
      const registry = new Registry();
      registry.setDefaultLabels({ version: v });
      const store = enableMultiprocess({ registry, dir: dir.path, worker: v, reset: 'never', compactInterval: 3_600_000 });
      stores.push(store);
      const own = counter({ name: 'own_total', help: 'Counted by promhttp.', registry });
      const plain = new Counter({ name: 'pc_total', help: 'Counted by prom-client.', registers: [registry] });
      own.inc(2);
      plain.inc(2);
      store.flush();
      await store.snapshot();
      return { registry, store, own };
    };
    const a = await version('1.0');
    const b = await version('2.0');
    // The scrape's own gauges describe the scrape and carry the serving registry's labels.
    const processLabels = (sample: { name: string }): boolean => !sample.name.startsWith('promhttp_multiprocess_');
    const byA = await renderRegistry(a.registry, 'text');
    for (const text of [byA, await renderRegistry(b.registry, 'text'), await renderDirectory(dir.path)]) {
      expect(seriesOf(text, processLabels)).toEqual(seriesOf(byA, processLabels));
    }
    const samples = parseExposition(byA);
    for (const name of ['own_total', 'pc_total']) {
      expect(find(samples, name).map((s) => `${s.labels.version} ${s.value}`).sort(), name).toEqual(['1.0 2', '2.0 2']);
    }

    // Labels set later reach the others with the values recorded after them, before any scrape of their own.
    a.registry.setDefaultLabels({ version: '1.1' });
    a.own.inc();
    a.store.flush();
    const later = parseExposition(await renderRegistry(b.registry, 'text'));
    expect(find(later, 'own_total').map((s) => `${s.labels.version} ${s.value}`).sort()).toEqual(['1.1 3', '2.0 2']);

    // Exited and compacted, a process's series keep its labels.
    await a.store.close();
    expect(b.store.compact().absorbed).toBe(1);
    const compacted = parseExposition(await renderRegistry(b.registry, 'text'));
    expect(find(compacted, 'own_total').map((s) => `${s.labels.version} ${s.value}`).sort()).toEqual(['1.1 3', '2.0 2']);
    expect(find(compacted, 'pc_total').map((s) => `${s.labels.version} ${s.value}`).sort()).toEqual(['1.1 2', '2.0 2']);
  });

  it('IPC mode: each worker\'s series keep its own default labels, whichever worker serves the scrape', { timeout: 60_000 }, async () => {
    const app = await startClusterFixture(procs, 'ipc-cluster.ts', { WORKERS: '2', PORT: '0', IPC_DEFAULT_LABELS: JSON.stringify({ version: 'v{worker}' }) });
    const n = 40;
    const sent = await load(app.url, n, 4);
    expect(sent).toMatchObject({ ok: n, failed: 0 });
    const first = await totals(app.url);
    const requests = (samples: typeof first.samples): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const s of find(samples, 'http_requests_total')) out[s.labels.version!] = (out[s.labels.version!] ?? 0) + s.value;
      return out;
    };
    expect(Object.keys(requests(first.samples)).sort()).toEqual(['v0', 'v1']);
    expect(sum(first.samples, 'http_requests_total')).toBe(n);
    const pids = new Set([first.pid]);
    for (let i = 0; i < 6; i++) {
      const next = await totals(app.url);
      pids.add(next.pid);
      expect(requests(next.samples)).toEqual(requests(first.samples));
    }
    expect(pids.size).toBe(2);
  });

  it('IPC mode: reaches every merged series and the mode\'s own gauge', { timeout: 60_000 }, async () => {
    const app = await startClusterFixture(procs, 'ipc-cluster.ts', { WORKERS: '2', PORT: '0', IPC_DEFAULT_LABELS: JSON.stringify({ service: 'checkout' }) });
    expect((await get(`${app.url}/`)).status).toBe(200);
    const { samples } = await totals(app.url);
    for (const name of ['http_requests_total', 'http_request_duration_seconds_count', 'http_requests_in_flight', 'promhttp_cluster_workers']) {
      const found = find(samples, name);
      expect(found.length, name).toBeGreaterThan(0);
      expect(found.every((s) => s.labels.service === 'checkout'), name).toBe(true);
    }
  });
});
