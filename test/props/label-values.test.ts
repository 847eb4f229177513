import fc from 'fast-check';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Format } from 'promhttp';
import { counter, gauge, histogram, setStaticLabels, summary } from 'promhttp';
import { instrument } from 'promhttp/node';
import { labelOf, parseStrict, type StrictFamily, type StrictSample } from '../support/exposition-strict.js';
import { listen, request, type Listening } from '../support/http.js';
import { promtoolCheckMetrics } from '../support/prometheus.js';
import { PROPERTY_TIMEOUT, runs } from './replay.js';

// Label values as hostile as a string can be: any code point (astral ones included), the
// characters the formats escape or delimit with, control characters, UTF-16 code units that are
// lone surrogates (no UTF-8 encoding exists for them), and long strings.
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const tricky = fc.constantFrom('"', '\\', '\n', '\r', '\t', '\u0000', 'n', '"}', '{', '=', ',', ' ', '#', '\u2028', '\uFEFF', '\u{1F600}', 'é', '\\n', '\\"');
const shortValue = fc.oneof(fc.string({ unit: 'binary', maxLength: 24 }), fc.string({ unit: fc.oneof(tricky, loneSurrogate, codeUnit), maxLength: 24 }));
const longValue = fc
  .tuple(fc.string({ unit: fc.oneof(tricky, codeUnit), maxLength: 8 }), fc.integer({ min: 1_000, max: 8_000 }))
  .map(([part, length]) => `${part}x`.repeat(Math.ceil(length / (part.length + 1))));
const labelValue = fc.oneof({ arbitrary: shortValue, weight: 9 }, { arbitrary: longValue, weight: 1 });
/** Two values that differ only in which lone surrogate they hold: U+FFFD in both once encoded, so one series. */
const surrogateTwins = fc
  .tuple(fc.string({ unit: fc.oneof(tricky, codeUnit), maxLength: 6 }), loneSurrogate, loneSurrogate, fc.string({ unit: fc.oneof(tricky, codeUnit), maxLength: 6 }))
  .map(([before, one, other, after]) => [before + one + after, before + other + after]);
const labelValues = fc
  .tuple(fc.array(labelValue, { minLength: 1, maxLength: 14 }), fc.array(surrogateTwins, { maxLength: 3 }))
  .map(([values, twins]) => [...values, ...twins.flat()]);

/** What a label value is once written as UTF-8: each lone surrogate becomes U+FFFD. */
const encoded = (value: string): string => value.toWellFormed();

/** The expected samples of one metric: label values (encoded) → value. */
type Expected = Map<string, number>;
const keyOf = (values: readonly string[]): string => JSON.stringify(values);

function add(expected: Expected, values: readonly string[], by: number): void {
  const key = keyOf(values.map(encoded));
  expected.set(key, (expected.get(key) ?? 0) + by);
}

interface Case {
  values: string[];
  region: string;
  service: string;
}

interface Model {
  /** Sample name → label names (besides the static ones) → expected values. */
  readonly samples: ReadonlyMap<string, { labels: readonly string[]; expected: Expected }>;
  readonly region: string;
  readonly service: string;
}

let server: Listening;
/** The instrumented listener of the case being run: one server serves every case, each with a fresh registry. */
let serve: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => void res.end();

beforeAll(async () => {
  server = await listen((req, res) => serve(req, res));
});
afterAll(() => server.close());

/** Records every value in every kind of metric, by every route a value can take into a label; returns what the exposition must hold. */
async function record({ values, region, service }: Case): Promise<Model> {
  const registry = new Registry();
  setStaticLabels(registry, { region });
  const n = values.length;
  const events = counter({ name: 'prop_events_total', help: 'Events by a and b.', labelNames: ['a', 'b'], registry });
  const level = gauge({ name: 'prop_level', help: 'Last index by a.', labelNames: ['a'], registry });
  const latency = histogram({ name: 'prop_latency_seconds', help: 'Latency by a.', labelNames: ['a'], buckets: [0.1, 1], registry });
  const size = summary({ name: 'prop_size_bytes', help: 'Size by a.', labelNames: ['a'], registry });
  const model = {
    events: new Map() as Expected,
    level: new Map() as Expected,
    latency: new Map() as Expected,
    size: new Map() as Expected,
    requests: new Map() as Expected,
    durations: new Map() as Expected,
    hits: new Map() as Expected,
  };
  values.forEach((value, i) => {
    const b = values[(i + 1) % n]!;
    events.inc({ a: value, b });
    add(model.events, [value, b], 1);
    level.set({ a: value }, i);
    model.level.set(keyOf([encoded(value)]), i);
    latency.observe({ a: value }, 0.5);
    add(model.latency, [value], 1);
    size.labels(value).observe(1);
    add(model.size, [value], 1);
  });

  // The request metrics' route from a route function, a per-route metric's label from a label
  // function, the adapter's static labels: all through a real server.
  const valueOf = (req: IncomingMessage): string => values[Number(req.headers['x-value'])]!;
  let handle: (req: IncomingMessage, res: ServerResponse) => void = () => {};
  const app = instrument((req, res) => handle(req, res), { registry, labels: { service }, route: valueOf, defaultMetrics: false });
  handle = app.counter({ name: 'prop_route_hits_total', help: 'Hits by tenant.', labels: { tenant: valueOf } })((_req, res) => void res.end('ok'));
  serve = app;
  await Promise.all(values.map((_, i) => request(`${server.url}/`, { headers: { 'x-value': String(i) } })));
  for (const value of values) {
    // An empty route is no route: the request metrics record it as `unmatched`.
    const route = value === '' ? 'unmatched' : value;
    add(model.requests, ['GET', route, '200'], 1);
    add(model.durations, ['GET', route, '200'], 1);
    add(model.hits, [value], 1);
  }
  return {
    region,
    service,
    samples: new Map([
      ['prop_events_total', { labels: ['a', 'b'], expected: model.events }],
      ['prop_level', { labels: ['a'], expected: model.level }],
      ['prop_latency_seconds_count', { labels: ['a'], expected: model.latency }],
      ['prop_size_bytes_count', { labels: ['a'], expected: model.size }],
      ['http_requests_total', { labels: ['method', 'route', 'status_code'], expected: model.requests }],
      ['http_request_duration_seconds_count', { labels: ['method', 'route', 'status_code'], expected: model.durations }],
      ['prop_route_hits_total', { labels: ['tenant'], expected: model.hits }],
    ]),
  };
}

/** Scrapes in `format` until every request has been recorded (the in-flight gauge back at 0). */
async function scrape(format: Format): Promise<{ body: string; samples: StrictSample[]; families: StrictFamily[] }> {
  const headers = format === 'openmetrics' ? { accept: 'application/openmetrics-text; version=1.0.0' } : {};
  const deadline = Date.now() + 5_000;
  for (;;) {
    const response = await request(`${server.url}/metrics`, { headers });
    expect(response.status).toBe(200);
    // Throws on bytes that are not UTF-8.
    const body = new TextDecoder('utf-8', { fatal: true }).decode(response.body);
    const parsed = parseStrict(body, format);
    const inFlight = parsed.samples.find((s) => s.name === 'http_requests_in_flight');
    if (inFlight?.value === 0) return { body, ...parsed };
    if (Date.now() > deadline) throw new Error(`http_requests_in_flight stayed at ${inFlight?.value}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * promtool's complaints. promtool reads OpenMetrics with its text-format parser, which takes a
 * counter's `<family>_total` samples for a family of their own, without HELP: that one complaint
 * is expected there, for the counters declared, and nothing else.
 */
async function complaints(body: string, format: Format, families: readonly StrictFamily[]): Promise<string[]> {
  const expected = format === 'openmetrics' ? families.filter((f) => f.type === 'counter').map((f) => `${f.name}_total no help text`) : [];
  const output = (await promtoolCheckMetrics(body)).replace(/^exit \d+: /, '');
  return output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !expected.includes(line));
}

function expectExposition(model: Model, samples: readonly StrictSample[]): void {
  for (const [name, { labels, expected }] of model.samples) {
    const statics = name.startsWith('http_') ? ['region', 'service'] : ['region'];
    const found = new Map<string, number>();
    for (const sample of samples.filter((s) => s.name === name)) {
      expect(sample.labels.map(([label]) => label)).toEqual([...statics, ...labels]);
      expect(labelOf(sample, 'region')).toBe(encoded(model.region));
      if (statics.includes('service')) expect(labelOf(sample, 'service')).toBe(encoded(model.service));
      found.set(keyOf(labels.map((label) => labelOf(sample, label)!)), sample.value);
    }
    // Exactly the series expected, each once (the strict parser refuses a series written twice).
    expect(Object.fromEntries(found), name).toEqual(Object.fromEntries(expected));
  }
}

describe('label values, generated', () => {
  it(
    'render in both formats to exposition promtool accepts, and parse back to the values given, lone surrogates as U+FFFD in one series',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.record({ values: labelValues, region: labelValue, service: labelValue }), async (input: Case) => {
          const model = await record(input);
          for (const format of ['text', 'openmetrics'] as const) {
            const { body, samples, families } = await scrape(format);
            expectExposition(model, samples);
            expect(await complaints(body, format, families), format).toEqual([]);
          }
        }),
        runs(25),
      );
    },
    PROPERTY_TIMEOUT,
  );
});
