import client, { Registry } from 'prom-client';
import { rmSync } from 'node:fs';
import { GCProfiler } from 'node:v8';
import { counter as promhttpCounter, createHttpMetrics, enableMultiprocess, normalizePath } from 'promhttp';
import { emit, partSettings, progress } from './lib/part.js';
import { BUCKETS, LABEL_NAMES } from './lib/routes.js';
import { scratchDirectory } from './lib/scratch.js';
import { median, round } from './lib/stats.js';

/**
 * Nanoseconds per instrumented request for the recording alone (no HTTP): promhttp's hot path
 * next to the prom-client calls a hand-written integration makes, with the same labels.
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

/**
 * Bytes a case allocates per iteration: the growth of the heap over a short run and over a run
 * three times as long, each from a collected heap (--expose-gc), divided by the difference in
 * iterations, so that what a run allocates once (whatever the first call after a full collection
 * makes again) cancels out. A run during which a collection ran is left out (v8.GCProfiler sees
 * it); the median of the rest. Near 0 means the path allocates nothing.
 */
const gc = (globalThis as { gc?: () => void }).gc;
const ALLOC_N = 2_000;
const ALLOC_REPEATS = 5;
/** Iterations the allocation runs add to each case. */
const ALLOC_ITERATIONS = ALLOC_REPEATS * (ALLOC_N + 3 * ALLOC_N);
function heapGrowth(c: Case, n: number): number | undefined {
  gc!();
  const profiler = new GCProfiler();
  profiler.start();
  const before = process.memoryUsage().heapUsed;
  c.run(n);
  const grown = process.memoryUsage().heapUsed - before;
  return profiler.stop().statistics.length === 0 ? grown : undefined;
}
function bytesPerOp(c: Case): number | undefined {
  if (gc === undefined) return undefined;
  const samples: number[] = [];
  for (let r = 0; r < ALLOC_REPEATS; r++) {
    const short = heapGrowth(c, ALLOC_N);
    const long = heapGrowth(c, 3 * ALLOC_N);
    if (short !== undefined && long !== undefined) samples.push(Math.max(0, long - short) / (2 * ALLOC_N));
  }
  return samples.length === 0 ? undefined : median(samples);
}

function time(c: Case, n: number): number {
  const start = process.hrtime.bigint();
  c.run(n);
  return Number(process.hrtime.bigint() - start) / n;
}

const runs = new Map<Case, number[]>(cases.map((c) => [c, []]));
// One untimed pass each, so every case is optimised before it is measured.
for (const c of cases) time(c, settings.iterations);
const allocated = new Map<Case, number | undefined>(cases.map((c) => [c, bytesPerOp(c)]));
progress(`micro bytes per iteration: ${cases.map((c) => `${c.name} ${allocated.get(c)?.toFixed(1) ?? '?'}`).join(', ')}`);
for (let r = 0; r < settings.runs; r++) {
  // Interleaved, so a slow spell on the machine spreads over all cases.
  for (const c of cases) runs.get(c)!.push(time(c, settings.iterations));
  progress(`micro run ${r + 1}/${settings.runs}: ${cases.map((c) => `${c.name} ${runs.get(c)!.at(-1)!.toFixed(0)} ns`).join(', ')}`);
}

/** Both sides must really have recorded every iteration; a benchmark that skips work proves nothing. */
async function recorded(registry: Registry, name = 'http_requests_total'): Promise<number> {
  const metric = await registry.getSingleMetric(name)!.get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}
// Iterations of each case: the untimed pass, the timed runs, and the allocation runs.
const perCase = settings.iterations * (settings.runs + 1) + (gc === undefined ? 0 : ALLOC_ITERATIONS);
const promhttpExpected = 2 * perCase;
const directoryExpected = perCase;
const factoryExpected = perCase;
const promClientExpected = 2 * perCase;
const problems: string[] = [];
const promhttpCount = await recorded(promhttp.registry);
const tracedCount = await recorded(traced.registry);
const tracedExpected = 2 * perCase;
const promClientCount = await recorded(promClientRegistry);
const directoryCount = await recorded(store.registry);
const factoryCount = await recorded(factoryRegistry, 'messages_processed_total');
const promClientFactoryCount = await recorded(promClientRegistry, 'messages_processed_total');
await store.close();
rmSync(directory, { recursive: true, force: true });
if (directoryCount !== directoryExpected) problems.push(`directory mode counted ${directoryCount}, expected ${directoryExpected}`);
if (tracedCount !== tracedExpected) problems.push(`promhttp with exemplars counted ${tracedCount}, expected ${tracedExpected}`);
if (promhttpCount !== promhttpExpected) problems.push(`promhttp counted ${promhttpCount}, expected ${promhttpExpected}`);
if (factoryCount !== factoryExpected) problems.push(`the promhttp factory counter counted ${factoryCount}, expected ${factoryExpected}`);
if (promClientFactoryCount !== factoryExpected) problems.push(`the prom-client counter counted ${promClientFactoryCount}, expected ${factoryExpected}`);
if (promClientCount !== promClientExpected) problems.push(`prom-client counted ${promClientCount}, expected ${promClientExpected}`);

emit({
  settings,
  cases: cases.map((c) => {
    const ns = runs.get(c)!;
    const bytes = allocated.get(c);
    return { name: c.name, what: c.what, nsPerOp: round(median(ns), 1), minNs: round(Math.min(...ns), 1), maxNs: round(Math.max(...ns), 1), ...(bytes === undefined ? {} : { bytesPerOp: round(bytes, 1) }) };
  }),
  problems,
});
