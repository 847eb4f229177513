import { Registry } from 'prom-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createHttpMetrics, enableMultiprocess, gauge, renderRegistry, setStaticLabels, type MultiprocessStore } from 'promhttp';
import { find, parseExposition } from '../support/scrape.js';
import { get, processes, startClusterFixture, tempDir, totals } from '../fixtures/mp-support.js';

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
