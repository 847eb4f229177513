import { openSync, readdirSync, readFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { enableMultiprocess, expose, histogram, renderDirectory, summary } from 'promhttp';
import { request } from '../support/http.js';
import { nativeState, type NativeState } from '../support/native.js';
import { decodeFamilies, PROMETHEUS_PROTOBUF_ACCEPT, PROTOBUF, type MetricFamily } from '../support/protobuf.js';
import { parseExposition, sum } from '../support/scrape.js';
import { eventually, get, processes, startClusterFixture, tempDir } from '../fixtures/mp-support.js';
import { NATIVE_OPTIONS, nativeValues } from '../fixtures/native-values.js';

const procs = processes();
const dirs: Array<ReturnType<typeof tempDir>> = [];
afterEach(async () => {
  await procs.stopAll();
  for (const dir of dirs.splice(0)) dir.remove();
});

const NAME = 'job_duration_seconds';

function stateIn(families: readonly MetricFamily[]): NativeState {
  const family = families.find((f) => f.name === NAME);
  expect(family?.metric).toHaveLength(1);
  return nativeState(family!.metric[0]!.histogram!);
}

/** What one process that observed every value records. */
async function oneProcess(values: readonly number[]): Promise<NativeState> {
  const registry = new Registry();
  const h = histogram({ registry, name: NAME, help: 'Time per job.', nativeHistograms: NATIVE_OPTIONS });
  for (const value of values) h.observe(value);
  return stateIn(decodeFamilies((await expose(registry, { accept: PROMETHEUS_PROTOBUF_ACCEPT })).body as Uint8Array));
}

/** Equal, sums within rounding (added in another order). */
function expectSame(actual: NativeState, expected: NativeState): void {
  expect({ ...actual, sum: 0 }).toEqual({ ...expected, sum: 0 });
  expect(actual.sum).toBeCloseTo(expected.sum, 9);
}

describe('native histograms in multi-process mode', () => {
  it('directory mode: the merge of 4 stores equals one process recording every observation, before and after compaction into an archive', async () => {
    const tmp = tempDir();
    dirs.push(tmp);
    const stores = Array.from({ length: 4 }, (_, slot) => {
      const registry = new Registry();
      const store = enableMultiprocess({ registry, dir: tmp.path, reset: 'never', worker: String(slot), compactInterval: 3_600_000 });
      const h = histogram({ registry, name: NAME, help: 'Time per job.', nativeHistograms: NATIVE_OPTIONS });
      for (const value of nativeValues(slot)) h.observe(value);
      store.flush();
      return { registry, store };
    });
    const all = [0, 1, 2, 3].flatMap((slot) => nativeValues(slot));
    const expected = await oneProcess(all);
    // Each store on its own ends at another schema; the merge takes the lowest, and lower still where the union needs it.
    const own = await Promise.all([0, 1, 2, 3].map((slot) => oneProcess(nativeValues(slot))));
    expect(new Set(own.map((s) => s.schema)).size).toBeGreaterThan(1);
    expect(expected.schema).toBeLessThanOrEqual(Math.min(...own.map((s) => s.schema)));

    const scrape = async (): Promise<NativeState> => {
      const answer = await expose(stores[3]!.registry, { accept: PROMETHEUS_PROTOBUF_ACCEPT });
      expect(answer.contentType).toBe(PROTOBUF);
      return stateIn(decodeFamilies(answer.body as Uint8Array));
    };
    expectSame(await scrape(), expected);

    // Three exit; the fourth absorbs them into its archive, native buckets included.
    for (const { store } of stores.slice(0, 3)) await store.close();
    expect(stores[3]!.store.compact().absorbed).toBe(3);
    const names = readdirSync(tmp.path);
    expect(names.filter((n) => n.startsWith('proc.'))).toHaveLength(1);
    const archive = names.find((n) => n.startsWith('archive.'))!;
    expect(readFileSync(join(tmp.path, archive), 'utf8')).toContain('"native":{"schema":4,"zeroThreshold"');
    expectSame(await scrape(), expected);
    // A reader of the directory alone (a sidecar) sees the same totals in the text formats.
    const text = parseExposition(await renderDirectory(tmp.path));
    expect(sum(text, `${NAME}_count`)).toBe(all.length);
    await stores[3]!.store.close();
  });

  it('directory mode: a store whose native window no store can have is skipped and counted as a read error, not merged', async () => {
    const tmp = tempDir();
    dirs.push(tmp);
    const record = async (slot: number): Promise<string> => {
      const registry = new Registry();
      const store = enableMultiprocess({ registry, dir: tmp.path, reset: 'never', worker: String(slot), compactInterval: 3_600_000 });
      const h = histogram({ registry, name: NAME, help: 'Time per job.', nativeHistograms: NATIVE_OPTIONS });
      for (const value of nativeValues(slot)) h.observe(value);
      await store.close();
      return join(tmp.path, readdirSync(tmp.path).find((name) => name.startsWith('proc.') && name.includes(store.id))!);
    };
    await record(0);
    const damaged = await record(1);
    // The series' offset, from its log line; its positive span is the native part's fifth slot, after 17 classic ones.
    const lines = readFileSync(join(damaged, 'meta.jsonl'), 'utf8').trim().split('\n').slice(1).map((l) => JSON.parse(l) as { f?: number; s?: number; name?: string; o?: number });
    const family = lines.find((l) => l.name === NAME)!.f;
    const offset = lines.find((l) => l.s === family)!.o!;
    const fd = openSync(join(damaged, 'values.bin'), 'r+');
    writeSync(fd, new Uint8Array(new Float64Array([1e9]).buffer), 0, 8, (offset + 17 + 4) * 8);
    closeSync(fd);
    const text = parseExposition(await renderDirectory(tmp.path));
    expect(sum(text, `${NAME}_count`)).toBe(nativeValues(0).length);
    expect(sum(text, 'promhttp_multiprocess_read_errors_total', { file: 'values' })).toBe(1);
  });

  it('directory mode: a definition with its labels in another order is the same family, native buckets merged; a summary of the name counts in the native histogram\'s count only', async () => {
    const tmp = tempDir();
    dirs.push(tmp);
    const open = (slot: number) => {
      const registry = new Registry();
      return { registry, store: enableMultiprocess({ registry, dir: tmp.path, reset: 'never', worker: String(slot), compactInterval: 3_600_000 }) };
    };
    // An older process (a summary, the code before a deploy), then two with native histograms whose label names differ in order.
    const old = open(0);
    const s = summary({ registry: old.registry, name: NAME, help: 'Time per job.', labelNames: ['queue', 'kind'] });
    for (let i = 0; i < 5; i++) s.observe({ queue: 'q', kind: 'k' }, 2);
    old.store.flush();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const [a, b] = [open(1), open(2)];
    const ha = histogram({ registry: a.registry, name: NAME, help: 'Time per job.', labelNames: ['queue', 'kind'], nativeHistograms: NATIVE_OPTIONS });
    const hb = histogram({ registry: b.registry, name: NAME, help: 'Time per job.', labelNames: ['kind', 'queue'], nativeHistograms: NATIVE_OPTIONS });
    for (const value of nativeValues(1)) ha.observe({ queue: 'q', kind: 'k' }, value);
    for (const value of nativeValues(2)) hb.observe({ kind: 'k', queue: 'q' }, value);
    a.store.flush();
    b.store.flush();
    const expected = await oneProcess([...nativeValues(1), ...nativeValues(2)]);
    for (const { registry } of [a, b]) {
      const state = stateIn(decodeFamilies((await expose(registry, { accept: PROMETHEUS_PROTOBUF_ACCEPT })).body as Uint8Array));
      // The summary's 5 observations have no known values: in the count, in no bucket.
      expectSame({ ...state, count: state.count - 5, sum: state.sum - 10 }, expected);
    }
    expect(sum(parseExposition(await renderDirectory(tmp.path)), `${NAME}_count`)).toBe(5 + nativeValues(1).length + nativeValues(2).length);
    await Promise.all([old, a, b].map(({ store }) => store.close()));
  });

  it('IPC mode: what a worker answers equals one process recording every worker\'s observations, also after a worker exits', { timeout: 60_000 }, async () => {
    const workers = 3;
    const app = await startClusterFixture(procs, 'ipc-native.ts', { WORKERS: String(workers), PORT: '0' });
    const all = Array.from({ length: workers }, (_, slot) => nativeValues(slot)).flat();
    const expected = await oneProcess(all);
    const scrape = async (): Promise<NativeState> => {
      const response = await request(`${app.url}/metrics`, { headers: { accept: PROMETHEUS_PROTOBUF_ACCEPT } });
      expect(response.status, response.body.toString()).toBe(200);
      return stateIn(decodeFamilies(response.body));
    };
    await eventually(async () => (await scrape()).count === all.length, 10_000, 'every worker in the scrape');
    expectSame(await scrape(), expected);
    // The one that exits is kept by the primary, merged with what exited before.
    expect((await get(`${app.url}/exit`)).status).toBe(200);
    await eventually(async () => {
      const text = parseExposition((await get(`${app.url}/metrics`)).body);
      return sum(text, 'promhttp_cluster_workers', { state: 'exited' }) === 1;
    }, 10_000, 'the exited worker in the scrape');
    expectSame(await scrape(), expected);
  });
});
