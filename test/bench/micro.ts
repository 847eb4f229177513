import client, { Registry } from 'prom-client';
import { rmSync } from 'node:fs';
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

function time(c: Case, n: number): number {
  const start = process.hrtime.bigint();
  c.run(n);
  return Number(process.hrtime.bigint() - start) / n;
}

/**
 * Heap bytes one iteration allocates: the heap's growth over a batch started from a collected
 * heap, divided by the batch. Batches are small (a few hundred KB even for prom-client), so that a
 * scavenge rarely falls within one; the median over many drops those that caught one.
 */
function allocated(c: Case): number | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return undefined;
  const batch = 1000;
  const perOp: number[] = [];
  for (let r = 0; r < 41; r++) {
    gc();
    const before = process.memoryUsage().heapUsed;
    c.run(batch);
    perOp.push((process.memoryUsage().heapUsed - before) / batch);
  }
  return Math.max(0, median(perOp));
}

const runs = new Map<Case, number[]>(cases.map((c) => [c, []]));
// One untimed pass each, so every case is optimised before it is measured.
for (const c of cases) time(c, settings.iterations);
for (let r = 0; r < settings.runs; r++) {
  // Interleaved, so a slow spell on the machine spreads over all cases.
  for (const c of cases) runs.get(c)!.push(time(c, settings.iterations));
  progress(`micro run ${r + 1}/${settings.runs}: ${cases.map((c) => `${c.name} ${runs.get(c)!.at(-1)!.toFixed(0)} ns`).join(', ')}`);
}

// After the timing, so every case is optimised as in the timed runs; its iterations are counted too.
const bytes = new Map(cases.map((c) => [c, allocated(c)]));
const measuredBatches = bytes.get(cases[0]!) === undefined ? 0 : 41 * 1000;

/** Both sides must really have recorded every iteration; a benchmark that skips work proves nothing. */
async function recorded(registry: Registry, name = 'http_requests_total'): Promise<number> {
  const metric = await registry.getSingleMetric(name)!.get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}
const promhttpExpected = 2 * (settings.iterations * (settings.runs + 1) + measuredBatches);
const directoryExpected = settings.iterations * (settings.runs + 1) + measuredBatches;
const factoryExpected = settings.iterations * (settings.runs + 1) + measuredBatches;
const promClientExpected = 2 * (settings.iterations * (settings.runs + 1) + measuredBatches);
const problems: string[] = [];
const promhttpCount = await recorded(promhttp.registry);
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
    const b = bytes.get(c);
    return { name: c.name, what: c.what, nsPerOp: round(median(ns), 1), minNs: round(Math.min(...ns), 1), maxNs: round(Math.max(...ns), 1), ...(b === undefined ? {} : { bytesPerOp: round(b, 1) }) };
  }),
  problems,
});
