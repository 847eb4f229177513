import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Counter as PromCounter, Gauge as PromGauge, Histogram as PromHistogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { counter, createHttpMetrics, gauge, histogram, info, renderRegistry, setStaticLabels, summary } from 'promhttp';
import { startChild, TSX } from './support/process.js';
import { promtoolCheckMetrics } from './support/prometheus.js';
import { find, parseExposition, sum, type Sample } from './support/scrape.js';

async function samplesOf(registry: Registry): Promise<Sample[]> {
  return parseExposition(await renderRegistry(registry, 'text'));
}

describe('counter()', () => {
  it('counts by label set, given by name or in label-name order', async () => {
    const registry = new Registry();
    const sent = counter({ name: 'emails_sent_total', help: 'Emails sent.', labelNames: ['provider', 'kind'], registry });
    sent.inc({ provider: 'ses', kind: 'welcome' });
    sent.inc({ kind: 'welcome', provider: 'ses' }, 2);
    sent.labels('ses', 'reset').inc();
    sent.labels({ provider: 'smtp', kind: 'reset' }).inc(4);
    expect(find(await samplesOf(registry), 'emails_sent_total')).toEqual([
      { name: 'emails_sent_total', labels: { provider: 'ses', kind: 'welcome' }, value: 3 },
      { name: 'emails_sent_total', labels: { provider: 'ses', kind: 'reset' }, value: 1 },
      { name: 'emails_sent_total', labels: { provider: 'smtp', kind: 'reset' }, value: 4 },
    ]);
  });

  it('keeps label values that differ only by a NUL character or its escaped spelling apart', async () => {
    const registry = new Registry();
    const seen = counter({ name: 'values_seen_total', help: 'Values seen.', labelNames: ['value', 'source'], registry });
    for (const value of ['x\0', 'x\\0', 'x\0\0', 'x']) seen.inc({ value, source: 'y' });
    seen.inc({ value: 'x', source: '\0y' });
    seen.inc({ value: 'x\0', source: 'y' });
    expect(find(await samplesOf(registry), 'values_seen_total').map((s) => [s.labels.value, s.labels.source, s.value])).toEqual([
      ['x\0', 'y', 2],
      ['x\\0', 'y', 1],
      ['x\0\0', 'y', 1],
      ['x', 'y', 1],
      ['x', '\0y', 1],
    ]);
  });

  it('shows an unlabelled counter as 0 before its first increment', async () => {
    const registry = new Registry();
    counter({ name: 'retries_total', help: 'Retries.', registry });
    expect(find(await samplesOf(registry), 'retries_total')).toEqual([{ name: 'retries_total', labels: {}, value: 0 }]);
  });

  it('returns the same counter when created twice with the same definition', async () => {
    const registry = new Registry();
    const first = counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['queue'], registry });
    const second = counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['queue'], registry });
    expect(second).toBe(first);
    first.inc({ queue: 'a' });
    second.inc({ queue: 'a' });
    expect(sum(await samplesOf(registry), 'jobs_total', { queue: 'a' })).toBe(2);
  });

  it('records into the family of the request metrics when given their exact definition', async () => {
    const registry = new Registry();
    const metrics = createHttpMetrics({ registry, defaultMetrics: false });
    metrics.start()({ method: 'GET', route: '/a', status: 200 });
    const requests = counter({ name: 'http_requests_total', help: 'Requests.', labelNames: ['method', 'route', 'status_code'], registry });
    requests.inc({ method: 'GET', route: '/a', status_code: '200' });
    expect(sum(await samplesOf(registry), 'http_requests_total', { route: '/a' })).toBe(2);
  });
});

describe('gauge()', () => {
  it('sets, increments and decrements per label set', async () => {
    const registry = new Registry();
    const depth = gauge({ name: 'queue_depth', help: 'Messages waiting.', labelNames: ['queue'], registry });
    depth.set({ queue: 'a' }, 10);
    depth.inc({ queue: 'a' }, 5);
    depth.dec({ queue: 'a' });
    depth.labels('b').set(-2.5);
    depth.labels('b').inc();
    const samples = await samplesOf(registry);
    expect(sum(samples, 'queue_depth', { queue: 'a' })).toBe(14);
    expect(sum(samples, 'queue_depth', { queue: 'b' })).toBe(-1.5);
  });

  it('sets the current Unix time in seconds', async () => {
    const registry = new Registry();
    const before = Date.now() / 1000;
    gauge({ name: 'last_run_timestamp_seconds', help: 'Last run.', registry }).setToCurrentTime();
    const value = sum(await samplesOf(registry), 'last_run_timestamp_seconds');
    expect(value).toBeGreaterThanOrEqual(before);
    expect(value).toBeLessThanOrEqual(Date.now() / 1000);
  });

  it('sets the elapsed seconds when a timer ends, with labels given at start and at end', async () => {
    const registry = new Registry();
    const took = gauge({ name: 'last_step_duration_seconds', help: 'Last step.', labelNames: ['step', 'outcome'], registry });
    const end = took.startTimer({ step: 'load' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const seconds = end({ outcome: 'ok' });
    expect(sum(await samplesOf(registry), 'last_step_duration_seconds', { step: 'load', outcome: 'ok' })).toBe(seconds);
    expect(seconds).toBeGreaterThanOrEqual(0.015);
  });

  it('uses the livesum multi-process mode unless told otherwise', () => {
    const registry = new Registry();
    expect(gauge({ name: 'in_progress', help: 'In progress.', registry }).mode).toBe('livesum');
    expect(gauge({ name: 'started_timestamp_seconds', help: 'Start.', registry, mode: 'max' }).mode).toBe('max');
  });
});

describe('histogram()', () => {
  it('puts observations in their buckets and keeps count and sum', async () => {
    const registry = new Registry();
    const size = histogram({ name: 'payload_size_bytes', help: 'Payload sizes.', buckets: [100, 1000], registry });
    size.observe(50);
    size.observe(100);
    size.observe(500);
    size.observe(5000);
    const samples = await samplesOf(registry);
    expect(sum(samples, 'payload_size_bytes_bucket', { le: '100' })).toBe(2);
    expect(sum(samples, 'payload_size_bytes_bucket', { le: '1000' })).toBe(3);
    expect(sum(samples, 'payload_size_bytes_bucket', { le: '+Inf' })).toBe(4);
    expect(sum(samples, 'payload_size_bytes_count')).toBe(4);
    expect(sum(samples, 'payload_size_bytes_sum')).toBe(5650);
  });

  it('observes one duration per timer, however often it is ended', async () => {
    const registry = new Registry();
    const duration = histogram({ name: 'step_duration_seconds', help: 'Steps.', labelNames: ['step'], registry });
    const end = duration.startTimer({ step: 'load' });
    const seconds = end();
    expect(end()).toBe(seconds);
    duration.labels('save').startTimer()();
    const samples = await samplesOf(registry);
    expect(sum(samples, 'step_duration_seconds_count', { step: 'load' })).toBe(1);
    expect(sum(samples, 'step_duration_seconds_sum', { step: 'load' })).toBe(seconds);
    expect(sum(samples, 'step_duration_seconds_count', { step: 'save' })).toBe(1);
  });

  it('fails at construction when the same name comes back with other buckets', () => {
    const registry = new Registry();
    histogram({ name: 'latency_seconds', help: 'Latency.', buckets: [0.1, 1], registry });
    expect(() => histogram({ name: 'latency_seconds', help: 'Latency.', buckets: [0.1, 2], registry })).toThrow(
      /^promhttp: histogram: "latency_seconds" already exists in this registry as a histogram with no labels, buckets \[0.1, 1\]/,
    );
  });
});

describe('summary()', () => {
  it('keeps count and sum, rendered as a summary without quantiles in both formats', async () => {
    const registry = new Registry();
    const size = summary({ name: 'upload_size_bytes', help: 'Uploads.', registry });
    size.observe(10);
    size.observe(32);
    const text = await renderRegistry(registry, 'text');
    expect(text).toContain('# TYPE upload_size_bytes summary\n');
    expect(text).not.toContain('quantile');
    const samples = parseExposition(text);
    expect(sum(samples, 'upload_size_bytes_count')).toBe(2);
    expect(sum(samples, 'upload_size_bytes_sum')).toBe(42);
    const openMetrics = await renderRegistry(registry, 'openmetrics');
    expect(openMetrics).toContain('# TYPE upload_size_bytes summary\nupload_size_bytes_count 2\nupload_size_bytes_sum 42\n');
  });

  it('refuses quantile options and points to histograms', () => {
    expect(() => summary({ name: 'x_seconds', help: 'X.', percentiles: [0.5, 0.99] } as never)).toThrow(
      /^promhttp: summary: "percentiles" is not supported: quantiles cannot be merged .* Use histogram\(\)/,
    );
  });
});

describe('record-time mistakes', () => {
  it('records a wrong label set under __invalid__ and counts it per metric, without throwing', async () => {
    const registry = new Registry();
    const sent = counter({ name: 'sent_total', help: 'Sent.', labelNames: ['provider'], registry });
    const loose = sent as unknown as { inc(...args: unknown[]): void; labels(...args: unknown[]): { inc(): void } };
    expect(() => {
      loose.inc({ provider: 200 });
      loose.inc({ provider: 'ses', extra: 'x' });
      loose.inc({});
      loose.inc();
      loose.labels('ses', 'extra').inc();
      loose.labels().inc();
      loose.labels(null).inc();
    }).not.toThrow();
    const samples = await samplesOf(registry);
    // Only the extra label names are wrong in these two, so the good value is kept.
    expect(sum(samples, 'sent_total', { provider: 'ses' })).toBe(2);
    expect(sum(samples, 'sent_total', { provider: '__invalid__' })).toBe(5);
    expect(find(samples, 'promhttp_label_errors_total')).toEqual([{ name: 'promhttp_label_errors_total', labels: { metric: 'sent_total' }, value: 7 }]);
  });

  it('drops values a metric cannot take and counts them per metric', async () => {
    const registry = new Registry();
    const done = counter({ name: 'done_total', help: 'Done.', registry });
    const took = histogram({ name: 'took_seconds', help: 'Took.', buckets: [1], registry });
    const level = gauge({ name: 'level', help: 'Level.', registry });
    expect(() => {
      done.inc(-1);
      done.inc(NaN);
      done.inc(Infinity);
      done.inc('2' as never);
      took.observe(NaN);
      took.observe(-Infinity);
      level.set('3' as never);
      level.inc(NaN);
    }).not.toThrow();
    level.set(NaN);
    const samples = await samplesOf(registry);
    expect(sum(samples, 'done_total')).toBe(0);
    expect(sum(samples, 'took_seconds_count')).toBe(0);
    expect(sum(samples, 'took_seconds_sum')).toBe(0);
    expect(sum(samples, 'level')).toBeNaN();
    expect(sum(samples, 'promhttp_value_errors_total', { metric: 'done_total' })).toBe(4);
    expect(sum(samples, 'promhttp_value_errors_total', { metric: 'took_seconds' })).toBe(2);
    expect(sum(samples, 'promhttp_value_errors_total', { metric: 'level' })).toBe(2);
    expect(find(samples, 'promhttp_label_errors_total')).toEqual([]);
  });
});

describe('construction errors', () => {
  const registry = new Registry();
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['an invalid name', () => gauge({ name: 'queue-depth', help: 'X.', registry }), /^promhttp: gauge: "queue-depth" is not a valid metric name/],
    ['a counter name without _total', () => counter({ name: 'jobs', help: 'X.', registry }), /write "jobs_total"/],
    ['a missing help', () => gauge({ name: 'x', registry } as never), /^promhttp: gauge: "help" must be a non-empty sentence/],
    ['an invalid label name', () => gauge({ name: 'x', help: 'X.', labelNames: ['a-b'], registry }), /"a-b" is not a valid label name/],
    ['a label name starting with __', () => gauge({ name: 'x', help: 'X.', labelNames: ['__x'], registry }), /"__x" is not a valid label name/],
    ['le on a histogram', () => histogram({ name: 'x', help: 'X.', labelNames: ['le'], registry }), /"le" is reserved for this metric type/],
    ['a label listed twice', () => gauge({ name: 'x', help: 'X.', labelNames: ['a', 'a'], registry }), /lists a label twice/],
    ['a misspelt option', () => histogram({ name: 'x', help: 'X.', bucket: [1], registry } as never), /unknown option "bucket"\. Did you mean "buckets"\?/],
    ['unsorted buckets', () => histogram({ name: 'x', help: 'X.', buckets: [1, 0.5], registry }), /strictly increasing without duplicates; 0\.5 follows 1\. Sort them, e\.g\. \[0\.5, 1\]/],
    ['an unknown gauge mode', () => gauge({ name: 'x', help: 'X.', mode: 'avg', registry } as never), /"mode" must be one of all, liveall, sum, livesum/],
    ['something other than a registry', () => gauge({ name: 'x', help: 'X.', registry: {} as Registry }), /"registry" must be a prom-client Registry/],
  ];
  for (const [what, create, message] of cases) {
    it(`rejects ${what} with a promhttp TypeError`, () => {
      expect(create).toThrow(TypeError);
      expect(create).toThrow(message);
    });
  }

  it('rejects a name already taken by a prom-client metric', () => {
    const shared = new Registry();
    new PromCounter({ name: 'legacy_total', help: 'Legacy.', registers: [shared] });
    expect(() => counter({ name: 'legacy_total', help: 'Legacy.', registry: shared })).toThrow(/^promhttp: counter: a metric named "legacy_total" was already registered/);
  });

  it('rejects a gauge under the name of an existing counter', () => {
    const shared = new Registry();
    counter({ name: 'events_total', help: 'Events.', registry: shared });
    expect(() => gauge({ name: 'events_total', help: 'Events.', registry: shared })).toThrow(/already exists in this registry as a counter with no labels; it cannot also be a gauge/);
  });
});

describe('names that would clash in OpenMetrics', () => {
  const named = (registry: Registry) => ({
    'counter jobs_total': () => counter({ name: 'jobs_total', help: 'Jobs.', registry }),
    'gauge jobs': () => gauge({ name: 'jobs', help: 'Jobs.', registry }),
    'histogram x': () => histogram({ name: 'x', help: 'X.', registry }),
    'gauge x_count': () => gauge({ name: 'x_count', help: 'X count.', registry }),
    'summary y': () => summary({ name: 'y', help: 'Y.', registry }),
    'gauge y_sum': () => gauge({ name: 'y_sum', help: 'Y sum.', registry }),
    'counter z_total': () => counter({ name: 'z_total', help: 'Z.', registry }),
    'gauge z_created': () => gauge({ name: 'z_created', help: 'Z created.', registry }),
    'info build': () => info('build', 'Build.', { version: '1' }, { registry }),
    'gauge build': () => gauge({ name: 'build', help: 'Build.', registry }),
    'prom-client gauge jobs': () => new PromGauge({ name: 'jobs', help: 'Jobs.', registers: [registry] }),
    'prom-client histogram x': () => new PromHistogram({ name: 'x', help: 'X.', registers: [registry] }),
    'prom-client counter z': () => new PromCounter({ name: 'z', help: 'Z.', registers: [registry] }),
  });
  type Name = keyof ReturnType<typeof named>;
  const pairs: Array<[Name, Name, string]> = [
    ['counter jobs_total', 'gauge jobs', 'jobs'],
    ['histogram x', 'gauge x_count', 'x_count'],
    ['summary y', 'gauge y_sum', 'y_sum'],
    ['counter z_total', 'gauge z_created', 'z_created'],
    ['info build', 'gauge build', 'build'],
    ['counter jobs_total', 'prom-client gauge jobs', 'jobs'],
    ['gauge x_count', 'prom-client histogram x', 'x_count'],
    ['counter z_total', 'prom-client counter z', 'z'],
  ];
  for (const [first, second, shared] of pairs) {
    for (const [a, b] of [
      [first, second],
      [second, first],
    ] as const) {
      it(`refuses the ${b} when the ${a} is there: both would expose "${shared}"`, async () => {
        const registry = new Registry();
        const make = named(registry);
        make[a]();
        const clash = new RegExp(`^promhttp: \\w+: "\\w+" \\(an? [\\w ]+\\) would clash with an? [\\w ]+ "\\w+" .*: in OpenMetrics both would expose "${shared}"`);
        expect(make[b]).toThrow(TypeError);
        expect(make[b]).toThrow(clash);
        // The first stays alone, and the exposition has one family of that name.
        const text = await renderRegistry(registry, 'openmetrics');
        expect(text.match(/^# TYPE /gm)).toHaveLength(1);
      });
    }
  }

  it('refuses request metric names that would clash with each other before creating any', () => {
    const registry = new Registry();
    expect(() => createHttpMetrics({ registry, defaultMetrics: false, names: { requests: 'calls_total', duration: 'calls' } })).toThrow(
      /^promhttp: createHttpMetrics: "calls" \(a histogram\) would clash with a counter "calls_total" created with it: in OpenMetrics both would expose "calls"/,
    );
    expect(registry.getMetricsAsArray()).toEqual([]);
  });

  it('finds no clash among the request metrics, the default process metrics and the error counters', async () => {
    const registry = new Registry();
    createHttpMetrics({ registry });
    counter({ name: 'things_total', help: 'Things.', labelNames: ['kind'], registry }).inc({ wrong: 'label' } as never);
    expect(find(parseExposition(await renderRegistry(registry, 'openmetrics')), 'promhttp_label_errors_total')).toHaveLength(1);
  });
});

describe('setStaticLabels()', () => {
  it('puts the labels on request metrics, custom metrics, info and prom-client metrics alike', async () => {
    const registry = new Registry();
    setStaticLabels(registry, { service: 'checkout', region: 'eu' });
    const http = createHttpMetrics({ registry, defaultMetrics: false, labels: { region: 'us' } });
    http.start()({ method: 'GET', route: '/', status: 200 });
    counter({ name: 'orders_total', help: 'Orders.', labelNames: ['kind'], registry }).inc({ kind: 'new' });
    info('build', 'Build.', { version: '1.2.3' }, { registry });
    new PromCounter({ name: 'legacy_total', help: 'Legacy.', registers: [registry] }).inc();
    const samples = await samplesOf(registry);
    expect(find(samples, 'http_requests_total')[0]?.labels).toEqual({ service: 'checkout', region: 'us', method: 'GET', route: '/', status_code: '200' });
    expect(find(samples, 'orders_total')[0]?.labels).toEqual({ service: 'checkout', region: 'eu', kind: 'new' });
    expect(find(samples, 'build_info')[0]?.labels).toEqual({ service: 'checkout', region: 'eu', version: '1.2.3' });
    expect(find(samples, 'legacy_total')[0]?.labels).toEqual({ service: 'checkout', region: 'eu' });
  });

  it('accepts label names that happen to be Object.prototype keys', async () => {
    const registry = new Registry();
    setStaticLabels(registry, { service: 'a' });
    counter({ name: 'calls_total', help: 'Calls.', labelNames: ['constructor'], registry }).inc({ constructor: 'Date' });
    expect(find(await samplesOf(registry), 'calls_total')[0]?.labels).toEqual({ service: 'a', constructor: 'Date' });
  });

  it('fails once the registry holds promhttp metrics, which would miss the labels', () => {
    const registry = new Registry();
    gauge({ name: 'x', help: 'X.', registry });
    expect(() => setStaticLabels(registry, { service: 'a' })).toThrow(/^promhttp: setStaticLabels: this registry already holds promhttp metrics/);
  });

  it('does nothing when called again with the same labels', () => {
    const registry = new Registry();
    setStaticLabels(registry, { service: 'a' });
    gauge({ name: 'x', help: 'X.', registry });
    expect(() => setStaticLabels(registry, { service: 'a' })).not.toThrow();
  });

  it('rejects label names promhttp sets itself and metrics whose labels clash with the static ones', () => {
    const registry = new Registry();
    expect(() => setStaticLabels(registry, { route: '/x' })).toThrow(/"route" is set by promhttp on its own metrics/);
    expect(() => setStaticLabels(registry, { service: 1 } as never)).toThrow(/the value of "service" must be a string, got number 1/);
    setStaticLabels(registry, { service: 'a' });
    expect(() => counter({ name: 'x_total', help: 'X.', labelNames: ['service'], registry })).toThrow(/"service" is already a static label of this registry/);
  });
});

describe('exposition', () => {
  it('passes promtool with every metric type, labels and static labels', async () => {
    const registry = new Registry();
    setStaticLabels(registry, { service: 'shop' });
    counter({ name: 'orders_total', help: 'Orders placed.', labelNames: ['kind'], registry }).inc({ kind: 'new' });
    gauge({ name: 'cart_items', help: 'Items in carts.', registry }).set(3);
    histogram({ name: 'checkout_duration_seconds', help: 'Checkout time.', registry }).observe(0.2);
    summary({ name: 'order_value_euros', help: 'Order values.', registry }).observe(99);
    counter({ name: 'broken_total', help: 'Broken.', labelNames: ['a'], registry }).inc();
    expect(await promtoolCheckMetrics(await renderRegistry(registry, 'text'))).toBe('');
  });
});

describe('multi-process directory mode', () => {
  // Each process defines the same metrics; RECORD adds its share, RENDER prints the merged exposition.
  const script = `
    import { Registry } from 'prom-client';
    import { counter, enableMultiprocess, gauge, histogram, info, renderRegistry, summary } from 'promhttp';
    const registry = new Registry();
    enableMultiprocess({ registry });
    const jobs = counter({ name: 'mp_jobs_total', help: 'Jobs.', labelNames: ['queue'], registry });
    const busy = gauge({ name: 'mp_jobs_in_progress', help: 'Jobs running.', registry });
    const took = histogram({ name: 'mp_job_duration_seconds', help: 'Job time.', buckets: [1], registry });
    const size = summary({ name: 'mp_job_size_bytes', help: 'Job sizes.', registry });
    info('mp_build', 'Build.', { version: '1.0.0' }, { registry });
    const n = Number(process.env.RECORD ?? 0);
    if (n > 0) {
      jobs.inc({ queue: 'a' }, n);
      jobs.inc({ queue: n });
      busy.set(n);
      took.observe(0.5);
      size.observe(10 * n);
    }
    if (process.env.RENDER) void renderRegistry(registry, 'text').then((text) => console.log(text));
    else console.log('recorded');
    if (process.env.STAY) setInterval(() => {}, 1000);
  `;

  it('sums counters, histograms, summaries and label errors, and live gauges, across processes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'promhttp-mp-metrics-'));
    const env = { PROMETHEUS_MULTIPROC_DIR: dir };
    const running = startChild(TSX, ['--eval', script], { env: { ...env, RECORD: '2', STAY: '1' } });
    try {
      await running.waitFor(/recorded/);
      const exited = startChild(TSX, ['--eval', script], { env: { ...env, RECORD: '3' } });
      await new Promise((resolve) => exited.process.once('exit', resolve));
      expect(exited.output()).toContain('recorded');
      const render = startChild(TSX, ['--eval', script], { env: { ...env, RENDER: '1' } });
      await new Promise((resolve) => render.process.once('exit', resolve));
      const samples = parseExposition(render.output().replace(/^(?!#|[a-z_]+[{ ]).*$/gm, ''));
      expect(sum(samples, 'mp_jobs_total', { queue: 'a' })).toBe(5);
      expect(sum(samples, 'mp_jobs_total', { queue: '__invalid__' })).toBe(2);
      expect(sum(samples, 'promhttp_label_errors_total', { metric: 'mp_jobs_total' })).toBe(2);
      // livesum: the process that exited no longer counts; the rendering one adds its 0.
      expect(sum(samples, 'mp_jobs_in_progress')).toBe(2);
      expect(sum(samples, 'mp_job_duration_seconds_count')).toBe(2);
      expect(sum(samples, 'mp_job_duration_seconds_bucket', { le: '1' })).toBe(2);
      expect(sum(samples, 'mp_job_size_bytes_sum')).toBe(50);
      expect(find(samples, 'mp_build_info')).toEqual([{ name: 'mp_build_info', labels: { version: '1.0.0' }, value: 1 }]);
    } finally {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

