import client, { Registry } from 'prom-client';
import { rmSync } from 'node:fs';
import { counter as promhttpCounter, createHttpMetrics, enableMultiprocess, histogram as promhttpHistogram, normalizePath, respond, type NativeHistogramOptions } from 'promhttp';
import { emit, partSettings, progress } from './lib/part.js';
import { BUCKETS, LABEL_NAMES } from './lib/routes.js';
import { scratchDirectory } from './lib/scratch.js';
import { median, round } from './lib/stats.js';

/**
 * Nanoseconds per instrumented request for the recording alone (no HTTP): promhttp's hot path
 * next to the prom-client calls a hand-written integration makes, with the same labels; native
 * histograms next to classic ones on the same values; and the bytes the plain paths allocate per
 * call (with --expose-gc, which the runner passes).
 */
const settings = partSettings().micro;
const labelNames = LABEL_NAMES;

const promhttp = createHttpMetrics({ registry: new Registry(), defaultMetrics: false });
const directory = scratchDirectory();
const store = enableMultiprocess({ registry: new Registry(), dir: directory });
const shared = createHttpMetrics({ registry: store.registry, defaultMetrics: false });
// Exemplars on: `true` reads the active OpenTelemetry span at start() (there is none here, as for an untraced request).
const traced = createHttpMetrics({ registry: new Registry(), defaultMetrics: false, exemplars: true });
const exemplar = { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' };

const promClientRegistry = new Registry();
const counter = new client.Counter({ name: 'http_requests_total', help: 'requests', labelNames, registers: [promClientRegistry] });
const histogram = new client.Histogram({ name: 'http_request_duration_seconds', help: 'duration', labelNames, buckets: BUCKETS, registers: [promClientRegistry] });
const gauge = new client.Gauge({ name: 'http_requests_in_flight', help: 'in flight', registers: [promClientRegistry] });

// A factory counter with a label, as an app counts its own events: eight values, label objects made once.
const factoryRegistry = new Registry();
const processed = promhttpCounter({ name: 'messages_processed_total', help: 'messages', labelNames: ['queue'], registry: factoryRegistry });
const promClientProcessed = new client.Counter({ name: 'messages_processed_total', help: 'messages', labelNames: ['queue'], registers: [promClientRegistry] });
const queues = Array.from({ length: 8 }, (_, i) => ({ queue: `queue${i}` }));

// Native against classic: the same labels and the same durations, spread log-uniformly from 1 ms to
// 10 s (107 buckets at the default bucket factor, under maxBuckets, so the window stays put once
// every bucket has been seen, as in a service whose latencies have settled).
const durations = Array.from({ length: 1024 }, (_, i) => 0.001 * 10 ** ((((i * 7919) % 1024) / 1024) * 4));
const classicHistogram = promhttpHistogram({ name: 'job_seconds', help: 'job', labelNames: ['job'], registry: new Registry() });
const nativeHistogram = promhttpHistogram({ name: 'job_seconds', help: 'job', labelNames: ['job'], nativeHistograms: true, registry: new Registry() });
const classicChild = classicHistogram.labels({ job: 'import' });
const nativeChild = nativeHistogram.labels({ job: 'import' });
const spread = createHttpMetrics({ registry: new Registry(), defaultMetrics: false });
const spreadNative = createHttpMetrics({ registry: new Registry(), defaultMetrics: false, nativeHistograms: true });

const paths = Array.from({ length: 1024 }, (_, i) => `/users/${1 + ((i * 7919) % 10_000)}`);

interface Case {
  name: string;
  /** What one iteration stands for. */
  what: string;
  run(n: number): void;
}

const cases: Case[] = [
  {
    name: 'promhttp begin/finish',
    what: 'in-flight gauge, timer, histogram and counter with method, route and status labels',
    run(n) {
      for (let i = 0; i < n; i++) promhttp.finish(promhttp.begin(), 'GET', '/users/:id', 200);
    },
  },
  {
    name: 'promhttp start/end',
    what: 'the same through the closure API',
    run(n) {
      const result = { method: 'GET', route: '/users/:id', status: 200 };
      for (let i = 0; i < n; i++) promhttp.start()(result);
    },
  },
  {
    name: 'promhttp start/end, exemplars: true, no trace',
    what: 'the closure API with exemplars on, for a request without a sampled trace: the active span is looked for and none kept',
    run(n) {
      const result = { method: 'GET', route: '/users/:id', status: 200 };
      for (let i = 0; i < n; i++) traced.start()(result);
    },
  },
  {
    name: 'promhttp begin/finish with an exemplar',
    what: 'a traced request: its trace and span id checked and kept on its bucket and counter (the latest replaces the one before)',
    run(n) {
      for (let i = 0; i < n; i++) traced.finish(traced.begin(), 'GET', '/users/:id', 200, exemplar);
    },
  },
  {
    name: 'promhttp begin/finish, directory mode',
    what: 'the same recorded into the multi-process directory: the hot path only, the write once per event-loop turn is in the HTTP figures',
    run(n) {
      for (let i = 0; i < n; i++) shared.finish(shared.begin(), 'GET', '/users/:id', 200);
    },
  },
  {
    name: 'promhttp normalizePath',
    what: 'the route label promhttp/node computes without a route function (/users/42 → /users/:id)',
    run(n) {
      let sink = 0;
      for (let i = 0; i < n; i++) sink += normalizePath(paths[i & 1023]).length;
      if (sink === 0) throw new Error('unreachable');
    },
  },
  {
    name: 'promhttp counter().inc(labels)',
    what: 'a factory counter with one label of eight values, the labels passed as an object',
    run(n) {
      for (let i = 0; i < n; i++) processed.inc(queues[i & 7]!);
    },
  },
  {
    name: 'prom-client counter.inc(labels)',
    what: 'the same with prom-client',
    run(n) {
      for (let i = 0; i < n; i++) promClientProcessed.inc(queues[i & 7]!);
    },
  },
  {
    name: 'promhttp histogram().observe, classic',
    what: 'one labelled child of histogram(), default buckets, durations from 1 ms to 10 s',
    run(n) {
      for (let i = 0; i < n; i++) classicChild.observe(durations[i & 1023]!);
    },
  },
  {
    name: 'promhttp histogram().observe, native',
    what: 'the same with nativeHistograms: true (classic buckets kept, native ones beside them)',
    run(n) {
      for (let i = 0; i < n; i++) nativeChild.observe(durations[i & 1023]!);
    },
  },
  {
    name: 'promhttp begin/finish, classic, spread durations',
    what: 'begin/finish with the same durations from 1 ms to 10 s (startedAt moved back)',
    run(n) {
      for (let i = 0; i < n; i++) spread.finish(spread.begin() - durations[i & 1023]! * 1000, 'GET', '/users/:id', 200);
    },
  },
  {
    name: 'promhttp begin/finish, native, spread durations',
    what: 'the same with nativeHistograms: true on createHttpMetrics',
    run(n) {
      for (let i = 0; i < n; i++) spreadNative.finish(spreadNative.begin() - durations[i & 1023]! * 1000, 'GET', '/users/:id', 200);
    },
  },
  {
    name: 'prom-client startTimer + inc + gauge inc/dec',
    what: 'what a hand-written integration does per request',
    run(n) {
      for (let i = 0; i < n; i++) {
        gauge.inc();
        const end = histogram.startTimer();
        const labels = { method: 'GET', route: '/users/:id', status_code: 200 };
        end(labels);
        counter.inc(labels);
        gauge.dec();
      }
    },
  },
  {
    name: 'prom-client startTimer + inc',
    what: 'the same without the in-flight gauge',
    run(n) {
      for (let i = 0; i < n; i++) {
        const end = histogram.startTimer();
        const labels = { method: 'GET', route: '/users/:id', status_code: 200 };
        end(labels);
        counter.inc(labels);
      }
    },
  },
];

function time(c: Case, n: number): number {
  const start = process.hrtime.bigint();
  c.run(n);
  return Number(process.hrtime.bigint() - start) / n;
}

const runs = new Map<Case, number[]>(cases.map((c) => [c, []]));
// One untimed pass each, so every case is optimised before it is measured.
for (const c of cases) time(c, settings.iterations);
for (let r = 0; r < settings.runs; r++) {
  // Interleaved, so a slow spell on the machine spreads over all cases.
  for (const c of cases) runs.get(c)!.push(time(c, settings.iterations));
  progress(`micro run ${r + 1}/${settings.runs}: ${cases.map((c) => `${c.name} ${runs.get(c)!.at(-1)!.toFixed(0)} ns`).join(', ')}`);
}

/**
 * What native histograms add to a scrape: the protobuf render (as Prometheus asks for it with
 * native histograms on) of the same 1,000 request series, each with 20 durations spread like the
 * cases above, classic only, native beside classic (the default), and native alone in protobuf.
 * The three take turns within each run; medians of 21 runs after a warm-up.
 */
const PROTOBUF_ACCEPT = { method: 'GET', accept: 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited' };
const RENDER_ROUTES = 1_000;
const renderVariants: Array<{ name: string; native: NativeHistogramOptions | undefined }> = [
  { name: 'classic', native: undefined },
  { name: 'native and classic', native: {} },
  { name: 'native, classicInProtobuf: false', native: { classicInProtobuf: false } },
];
const render = renderVariants.map((variant) => {
  const metrics = createHttpMetrics({ registry: new Registry(), defaultMetrics: false, maxRoutes: RENDER_ROUTES, ...(variant.native === undefined ? {} : { nativeHistograms: variant.native }) });
  for (let r = 0; r < RENDER_ROUTES; r++) {
    for (let k = 0; k < 20; k++) metrics.finish(metrics.begin() - durations[(r * 20 + k) & 1023]! * 1000, 'GET', `/api/resource${r}/:id`, 200);
  }
  return { ...variant, registry: metrics.registry, ms: [] as number[], bytes: 0 };
});
const renderRuns = settings.runs * 3;
for (let r = 0; r <= renderRuns; r++) {
  for (const v of render) {
    const start = process.hrtime.bigint();
    const answer = await respond(v.registry, PROTOBUF_ACCEPT);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (answer.status !== 200) throw new Error(`respond() answered ${answer.status} for ${v.name}`);
    v.bytes = (answer.body as Uint8Array).byteLength;
    if (r > 0) v.ms.push(ms);
  }
}
progress(`micro protobuf render of ${RENDER_ROUTES} series: ${render.map((v) => `${v.name} ${median(v.ms).toFixed(2)} ms ${v.bytes} bytes`).join(', ')}`);

/**
 * Bytes allocated per call: the growth of the heap over `calls` calls, from a collected heap,
 * with no collection in between (a collection during the loop would hide what it freed, so such a
 * measurement is taken again with fewer calls). The median of `repeats` measurements.
 */
async function bytesPerCall(run: (n: number) => void, calls: number, repeats = 5): Promise<{ bytesPerCall: number; calls: number; total: number }> {
  const gc = (globalThis as { gc?: () => void }).gc!;
  let collections = 0;
  const observer = new PerformanceObserver((list) => void (collections += list.getEntries().length));
  observer.observe({ entryTypes: ['gc'] });
  // Node hands gc entries to observers a turn or two after the collection; 20 ms is ample.
  const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));
  const measured: number[] = [];
  let n = calls;
  let total = 0;
  try {
    while (measured.length < repeats) {
      gc();
      gc();
      await settle();
      const before = collections;
      const heap = process.memoryUsage().heapUsed;
      run(n);
      total += n;
      const grown = process.memoryUsage().heapUsed - heap;
      await settle();
      if (collections === before) measured.push(grown / n);
      else if (n > 100) n = Math.floor(n / 2);
      else throw new Error('a garbage collection ran during every measurement, even of 100 calls');
    }
  } finally {
    observer.disconnect();
  }
  return { bytesPerCall: round(median(measured), 1), calls: n, total };
}

const keep: unknown[] = new Array(1024);
const allocationCases: Array<{ name: string; run(n: number): void }> = [
  // The plain request paths with exemplars off and on, and native against classic.
  ...cases.filter((c) => /^promhttp (begin\/finish|start\/end)|histogram\(\)\.observe|spread durations/.test(c.name)),
  {
    name: 'control: a two-element array kept per call',
    run(n) {
      for (let i = 0; i < n; i++) keep[i & 1023] = [i, i];
    },
  },
];
const allocation: { name: string; bytesPerCall: number; calls: number }[] = [];
/** Calls each case made while its allocation was measured, warm-up included. */
const allocationCalls = new Map<string, number>();
const allocationProblems: string[] = [];
if (typeof (globalThis as { gc?: unknown }).gc !== 'function') allocationProblems.push('allocation not measured: run with node --expose-gc');
else {
  for (const c of allocationCases) {
    c.run(10_000);
    const { total, ...measured } = await bytesPerCall((n) => c.run(n), 20_000);
    allocation.push({ name: c.name, ...measured });
    allocationCalls.set(c.name, 10_000 + total);
  }
  progress(`micro allocation: ${allocation.map((a) => `${a.name} ${a.bytesPerCall} B/call`).join(', ')}`);
  // The control keeps a fresh array per call: if it shows no bytes, neither would anything else.
  const control = allocation.at(-1)!;
  if (!(control.bytesPerCall >= 16)) allocationProblems.push(`the allocation control showed ${control.bytesPerCall} bytes per call; the measurement sees nothing`);
}

/** Both sides must really have recorded every iteration; a benchmark that skips work proves nothing. */
async function recorded(registry: Registry, name = 'http_requests_total'): Promise<number> {
  const metric = await registry.getSingleMetric(name)!.get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}
const calls = (caseName: string): number => settings.iterations * (settings.runs + 1) + (allocationCalls.get(caseName) ?? 0);
const promhttpExpected = calls('promhttp begin/finish') + calls('promhttp start/end');
const tracedExpected = calls('promhttp start/end, exemplars: true, no trace') + calls('promhttp begin/finish with an exemplar');
const directoryExpected = calls('promhttp begin/finish, directory mode');
const factoryExpected = settings.iterations * (settings.runs + 1);
const promClientExpected = 2 * settings.iterations * (settings.runs + 1);
const problems: string[] = [];
/** Observations a histogram holds, over its series. */
async function observed(registry: Registry, name: string): Promise<number> {
  const metric = await registry.getSingleMetric(name)!.get();
  return (metric.values as { metricName?: string; value: number }[]).filter((v) => v.metricName === `${name}_count`).reduce((sum, v) => sum + v.value, 0);
}
for (const [registry, name, caseName] of [
  [classicHistogram.registry, 'job_seconds', 'promhttp histogram().observe, classic'],
  [nativeHistogram.registry, 'job_seconds', 'promhttp histogram().observe, native'],
  [spread.registry, 'http_request_duration_seconds', 'promhttp begin/finish, classic, spread durations'],
  [spreadNative.registry, 'http_request_duration_seconds', 'promhttp begin/finish, native, spread durations'],
] as const) {
  // Once untimed, once per run, and the calls of its allocation measurement.
  const expected = settings.iterations * (settings.runs + 1) + (allocationCalls.get(caseName) ?? 0);
  const count = await observed(registry, name);
  if (count !== expected) problems.push(`${caseName} observed ${count}, expected ${expected}`);
}
problems.push(...allocationProblems);
const promhttpCount = await recorded(promhttp.registry);
const tracedCount = await recorded(traced.registry);
if (tracedCount !== tracedExpected) problems.push(`promhttp with exemplars counted ${tracedCount}, expected ${tracedExpected}`);
const promClientCount = await recorded(promClientRegistry);
const directoryCount = await recorded(store.registry);
const factoryCount = await recorded(factoryRegistry, 'messages_processed_total');
const promClientFactoryCount = await recorded(promClientRegistry, 'messages_processed_total');
await store.close();
rmSync(directory, { recursive: true, force: true });
if (directoryCount !== directoryExpected) problems.push(`directory mode counted ${directoryCount}, expected ${directoryExpected}`);
if (promhttpCount !== promhttpExpected) problems.push(`promhttp counted ${promhttpCount}, expected ${promhttpExpected}`);
if (factoryCount !== factoryExpected) problems.push(`the promhttp factory counter counted ${factoryCount}, expected ${factoryExpected}`);
if (promClientFactoryCount !== factoryExpected) problems.push(`the prom-client counter counted ${promClientFactoryCount}, expected ${factoryExpected}`);
if (promClientCount !== promClientExpected) problems.push(`prom-client counted ${promClientCount}, expected ${promClientExpected}`);

emit({
  settings,
  cases: cases.map((c) => {
    const ns = runs.get(c)!;
    return { name: c.name, what: c.what, nsPerOp: round(median(ns), 1), minNs: round(Math.min(...ns), 1), maxNs: round(Math.max(...ns), 1) };
  }),
  allocation,
  render: { series: RENDER_ROUTES, observationsPerSeries: 20, runs: renderRuns, variants: render.map((v) => ({ name: v.name, ms: round(median(v.ms), 2), bytes: v.bytes })) },
  problems,
});
