import { Histogram as PlainHistogram, Registry, Summary as PlainSummary } from 'prom-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { counter, createHttpMetrics, enableMultiprocess, gauge, histogram, renderDirectory, renderRegistry, summary } from 'promhttp';
import { find, parseExposition, sum } from '../support/scrape.js';
import { countedSeries, seriesOf, wentDown } from '../support/series.js';
import { get, processes, runTs, sleep, tempDir } from '../fixtures/mp-support.js';

const procs = processes();
const dirs: Array<ReturnType<typeof tempDir>> = [];
afterEach(() => procs.stopAll());
afterAll(() => {
  for (const dir of dirs) dir.remove();
});

const conflicts = (text: string): string[] => find(parseExposition(text), 'promhttp_multiprocess_definition_conflicts').map((s) => `${s.labels.metric} ${s.labels.action} ${s.value}`).sort();

/**
 * One version of the app in its own store: the old one lists labels in one order, records a
 * summary, a histogram `lag_seconds` and a `tasks_total` by queue; the new one lists them in the
 * other order, made the summary a histogram and `lag_seconds` a gauge, and added a `priority`
 * label to `tasks_total`. Its plain prom-client summary `plain_seconds` became a histogram too.
 */
async function version(dir: string, which: 'old' | 'new') {
  // Versions start at distinct times: the newest definition is the one of the latest start.
  await sleep(5);
  const registry = new Registry();
  const store = enableMultiprocess({ registry, dir, reset: 'never', worker: which, compactInterval: 3_600_000 });
  const old = which === 'old';
  const labelNames = old ? ['a', 'b'] : ['b', 'a'];
  const metrics = createHttpMetrics({ registry, defaultMetrics: false, labels: old ? { service: 'shop', region: 'eu' } : { region: 'eu', service: 'shop' } });
  const jobs = counter({ registry, name: 'jobs_total', help: 'Jobs.', labelNames });
  const seconds = histogram({ registry, name: 'job_seconds', help: 'Job durations.', labelNames, buckets: [1, 2] });
  const payload = old ? summary({ registry, name: 'payload_bytes', help: 'Payloads.' }) : histogram({ registry, name: 'payload_bytes', help: 'Payloads.', buckets: [100, 1000] });
  const tasks = counter<string>({ registry, name: 'tasks_total', help: 'Tasks.', labelNames: old ? ['queue'] : ['queue', 'priority'] });
  const lag = old ? histogram({ registry, name: 'lag_seconds', help: 'Lag.', buckets: [1] }) : undefined;
  if (!old) gauge({ registry, name: 'lag_seconds', help: 'Lag.', mode: 'max' }).set(3);
  const plain = old ? new PlainSummary({ name: 'plain_seconds', help: 'Plain.', registers: [registry] }) : new PlainHistogram({ name: 'plain_seconds', help: 'Plain.', buckets: [1], registers: [registry] });
  const record = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      metrics.finish(metrics.begin(), 'GET', '/a', 200);
      jobs.inc({ a: '1', b: '2' });
      seconds.observe({ a: '1', b: '2' }, 0.5);
      payload.observe(old ? 300 : 50);
      // The new version's empty priority is no label for Prometheus: the same series as the old one's.
      tasks.inc(old ? { queue: 'q' } : { queue: 'q', priority: '' });
      lag?.observe(0.5);
      plain.observe(0.5);
    }
    store.flush();
    await store.snapshot();
  };
  return { registry, store, record, render: () => renderRegistry(registry, 'text') };
}

describe('one series per label set, whichever process serves the scrape', () => {
  it('directory mode: a deploy that reorders labels, adds one, or turns a summary into a histogram shows the same series with counts that never go down', async () => {
    const tmp = tempDir();
    dirs.push(tmp);
    const old = await version(tmp.path, 'old');
    await old.record(10);
    const neu = await version(tmp.path, 'new');
    await neu.record(2);

    const first = await old.render();
    const views = [first, await neu.render(), await old.render(), await renderDirectory(tmp.path)];
    // The same series and values, whoever answers; Prometheus would see no series come and go.
    for (const text of views) expect(seriesOf(text)).toEqual(seriesOf(first));
    const samples = parseExposition(first);
    expect(sum(samples, 'http_requests_total', { service: 'shop', region: 'eu', route: '/a' })).toBe(12);
    expect(sum(samples, 'jobs_total', { a: '1', b: '2' })).toBe(12);
    expect(sum(samples, 'job_seconds_count')).toBe(12);
    expect(sum(samples, 'payload_bytes_count')).toBe(12);
    expect(sum(samples, 'payload_bytes_sum')).toBe(10 * 300 + 2 * 50);
    expect(find(samples, 'tasks_total').map((s) => s.value)).toEqual([12]);
    // A counted metric is never hidden behind a gauge of its name.
    expect(sum(samples, 'lag_seconds_count')).toBe(10);
    expect(find(samples, 'lag_seconds')).toEqual([]);
    expect(sum(samples, 'plain_seconds_count')).toBe(12);
    expect(find(samples, 'plain_seconds_bucket').map((s) => `${s.labels.le} ${s.value}`)).toEqual(['1 2', '+Inf 12']);
    expect(conflicts(first)).toEqual(['lag_seconds hidden 1', 'payload_bytes rebucketed 1', 'plain_seconds rebucketed 1', 'tasks_total merged 1']);

    // Scrapes served by each in turn while both record: nothing counted ever goes down.
    let last = countedSeries(first);
    for (const serve of [neu, old, neu, old]) {
      await old.record(1);
      await neu.record(1);
      const now = countedSeries(await serve.render());
      expect(wentDown(last, now)).toEqual([]);
      last = now;
    }

    // The old version exits and is compacted away: the totals go on.
    await old.store.close();
    expect(neu.store.compact().absorbed).toBe(1);
    const after = await neu.render();
    expect(wentDown(last, countedSeries(after))).toEqual([]);
    expect(sum(parseExposition(after), 'jobs_total')).toBe(20);
    await neu.store.close();
  });

  it('IPC mode: workers whose code lists labels in another order show the same series, whichever worker asks', { timeout: 30_000 }, async () => {
    const app = procs.track(runTs('ipc-versions.ts'));
    const [oldUrl, newUrl] = await Promise.all([app.waitFor(/worker old listening on (http:\/\/\S+)/), app.waitFor(/worker new listening on (http:\/\/\S+)/)]);
    const texts = [];
    for (const url of [oldUrl, newUrl, oldUrl]) texts.push((await get(`${url}/metrics`)).body);
    for (const text of texts) expect(countedSeries(text)).toEqual(countedSeries(texts[0]!));
    const samples = parseExposition(texts[0]!);
    expect(sum(samples, 'jobs_total', { a: '1', b: '2' })).toBe(11);
    expect(sum(samples, 'payload_bytes_count')).toBe(11);
    expect(conflicts(texts[0]!)).toEqual(['payload_bytes rebucketed 1']);
  });
});
