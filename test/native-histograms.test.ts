import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { expose, histogram, renderRegistry, type HistogramOptions } from 'promhttp';
import { nativeState, spansAndDeltas, type NativeState } from './support/native.js';
import { decodeFamilies, PROTOBUF } from './support/protobuf.js';
import { parseExposition, sum } from './support/scrape.js';

const DELIMITED = 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited';
const DEFAULT_THRESHOLD = 2.938735877055719e-39;

/** The protobuf `Histogram` of the one series of `name` in `registry`. */
async function protobufHistogram(registry: Registry, name = 'h') {
  const answer = await expose(registry, { accept: DELIMITED });
  expect(answer.contentType).toBe(PROTOBUF);
  const family = decodeFamilies(answer.body as Uint8Array).find((f) => f.name === name)!;
  expect(family.metric).toHaveLength(1);
  return family.metric[0]!.histogram!;
}

/** A registry with a histogram `h` that observed `values` in order. */
function observed(values: readonly number[], nativeHistograms: HistogramOptions['nativeHistograms'], buckets?: number[]): Registry {
  const registry = new Registry();
  const h = histogram({ name: 'h', help: 'h', registry, nativeHistograms, ...(buckets ? { buckets } : {}) });
  for (const value of values) h.observe(value);
  return registry;
}

async function stateOf(values: readonly number[], nativeHistograms: HistogramOptions['nativeHistograms']): Promise<NativeState> {
  return nativeState(await protobufHistogram(observed(values, nativeHistograms)));
}

interface Scenario {
  readonly name: string;
  readonly observations: readonly number[];
  readonly factor: number;
  readonly zeroThreshold?: number;
  readonly maxBuckets?: number;
  readonly want: {
    count: number;
    sum: number;
    schema: number;
    zeroThreshold: number;
    zeroCount: number;
    positiveSpan?: Array<[number, number]>;
    positiveDelta?: number[];
    negativeSpan?: Array<[number, number]>;
    negativeDelta?: number[];
  };
}

/**
 * client_golang's TestNativeHistogram (prometheus/histogram_test.go), each scenario with the
 * histogram its authors expect, for the ones that set no bucket limit (client_golang's 0 is no
 * limit; 160 is never reached here). The NaN and ±Inf scenarios are left out: promhttp drops
 * non-finite observations and counts them in promhttp_value_errors_total. Resets and a widening
 * zero bucket limit (NativeHistogramMinResetDuration, NativeHistogramMaxZeroThreshold) are
 * client_golang options promhttp does not have.
 */
const CLIENT_GOLANG: readonly Scenario[] = [
  { name: 'no observations', observations: [], factor: 1.1, want: { count: 0, sum: 0, schema: 3, zeroThreshold: DEFAULT_THRESHOLD, zeroCount: 0 } },
  {
    name: 'no observations and zero threshold of zero resulting in no-op span',
    observations: [],
    factor: 1.1,
    zeroThreshold: 0,
    want: { count: 0, sum: 0, schema: 3, zeroThreshold: 0, zeroCount: 0, positiveSpan: [[0, 0]] },
  },
  {
    name: 'factor 1.1 results in schema 3',
    observations: [0, 1, 2, 3],
    factor: 1.1,
    want: { count: 4, sum: 6, schema: 3, zeroThreshold: DEFAULT_THRESHOLD, zeroCount: 1, positiveSpan: [[0, 1], [7, 1], [4, 1]], positiveDelta: [1, 0, 0] },
  },
  {
    name: 'factor 1.2 results in schema 2',
    observations: [0, 1, 1.2, 1.4, 1.8, 2],
    factor: 1.2,
    want: { count: 6, sum: 7.4, schema: 2, zeroThreshold: DEFAULT_THRESHOLD, zeroCount: 1, positiveSpan: [[0, 5]], positiveDelta: [1, -1, 2, -2, 2] },
  },
  {
    name: 'factor 4 results in schema -1',
    observations: [0.0156251, 0.0625, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 3.5, 5, 6, 7, 33.33],
    factor: 4,
    want: { count: 14, sum: 63.2581251, schema: -1, zeroThreshold: DEFAULT_THRESHOLD, zeroCount: 0, positiveSpan: [[-2, 6]], positiveDelta: [2, 0, 0, 2, -1, -2] },
  },
  {
    name: 'factor 17 results in schema -2',
    observations: [0.0156251, 0.0625, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 3.5, 5, 6, 7, 33.33],
    factor: 17,
    want: { count: 14, sum: 63.2581251, schema: -2, zeroThreshold: DEFAULT_THRESHOLD, zeroCount: 0, positiveSpan: [[-1, 4]], positiveDelta: [2, 2, 3, -6] },
  },
  {
    name: 'negative buckets',
    observations: [0, -1, -1.2, -1.4, -1.8, -2],
    factor: 1.2,
    want: { count: 6, sum: -7.4, schema: 2, zeroThreshold: DEFAULT_THRESHOLD, zeroCount: 1, negativeSpan: [[0, 5]], negativeDelta: [1, -1, 2, -2, 2] },
  },
  {
    name: 'negative and positive buckets',
    observations: [0, -1, -1.2, -1.4, -1.8, -2, 1, 1.2, 1.4, 1.8, 2],
    factor: 1.2,
    want: {
      count: 11,
      sum: 0,
      schema: 2,
      zeroThreshold: DEFAULT_THRESHOLD,
      zeroCount: 1,
      negativeSpan: [[0, 5]],
      negativeDelta: [1, -1, 2, -2, 2],
      positiveSpan: [[0, 5]],
      positiveDelta: [1, -1, 2, -2, 2],
    },
  },
  {
    name: 'wide zero bucket',
    observations: [0, -1, -1.2, -1.4, -1.8, -2, 1, 1.2, 1.4, 1.8, 2],
    factor: 1.2,
    zeroThreshold: 1.4,
    want: { count: 11, sum: 0, schema: 2, zeroThreshold: 1.4, zeroCount: 7, negativeSpan: [[4, 1]], negativeDelta: [2], positiveSpan: [[4, 1]], positiveDelta: [2] },
  },
];

/** Sums as Go adds them, in order: 7.4 here may be 7.3999… there. */
const goSum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

describe('native histograms: buckets as client_golang makes them', () => {
  for (const s of CLIENT_GOLANG) {
    it(`client_golang's scenario "${s.name}"`, async () => {
      const h = await protobufHistogram(observed(s.observations, { bucketFactor: s.factor, ...(s.zeroThreshold === undefined ? {} : { zeroThreshold: s.zeroThreshold }) }));
      expect(Number(h.sampleCount)).toBe(s.want.count);
      expect(h.sampleSum).toBeCloseTo(s.want.sum, 12);
      expect(h.sampleSum).toBe(goSum(s.observations));
      expect({ schema: h.schema, zeroThreshold: h.zeroThreshold, zeroCount: Number(h.zeroCount) }).toEqual({ schema: s.want.schema, zeroThreshold: s.want.zeroThreshold, zeroCount: s.want.zeroCount });
      expect(spansAndDeltas(h)).toEqual({
        positiveSpan: s.want.positiveSpan ?? [],
        positiveDelta: s.want.positiveDelta ?? [],
        negativeSpan: s.want.negativeSpan ?? [],
        negativeDelta: s.want.negativeDelta ?? [],
      });
    });
  }

  it('takes client_golang\'s defaults with true: factor 1.1 (schema 3), zero threshold 2^-128, 160 buckets', async () => {
    const h = await protobufHistogram(observed([0.5], true));
    expect([h.schema, h.zeroThreshold]).toEqual([3, 2 ** -128]);
    // 160 buckets from 2^-10 up fit at schema 3 (20 powers of two); one more power of two halves the resolution.
    const fits = await stateOf([2 ** -10 * 1.01, 2 ** 10], true);
    expect(fits.schema).toBe(3);
    expect(Object.keys(fits.positive).map(Number).sort((a, b) => a - b)).toEqual([-79, 80]);
    expect((await stateOf([2 ** -10 * 1.01, 2 ** 10 * 1.01], true)).schema).toBe(2);
  });

  it('counts buckets from the lowest to the highest populated one, empty ones between included, so sparse values lower the schema sooner than in client_golang', async () => {
    // client_golang's "limited buckets but nothing triggered": it keeps schema 2, whose keys 0, 2 and 4
    // are 3 populated buckets of at most 4, but span 5 keys. promhttp keeps at most 4 slots: schema 1.
    expect(await stateOf([0, 1, 1.2, 1.4, 1.8, 2], { bucketFactor: 1.2, maxBuckets: 4 })).toEqual({ count: 6, sum: 7.4, schema: 1, zeroThreshold: DEFAULT_THRESHOLD, zeroCount: 1, positive: { 0: 1, 1: 2, 2: 2 }, negative: {} });
    // client_golang's "buckets limited by halving resolution" ends at schema 1 with keys 0, 1, 2 and 4
    // populated; the 5 keys they span need schema 0 here. Pairs of buckets merge the same way.
    expect(await stateOf([0, 1, 1.1, 1.2, 1.4, 1.8, 2, 3], { bucketFactor: 1.2, maxBuckets: 4 })).toEqual({ count: 8, sum: 11.5, schema: 0, zeroThreshold: DEFAULT_THRESHOLD, zeroCount: 1, positive: { 0: 1, 1: 5, 2: 1 }, negative: {} });
    expect(await stateOf([0, -1, -1.1, -1.2, -1.4, -1.8, -2, -3], { bucketFactor: 1.2, maxBuckets: 4 })).toEqual({ count: 8, sum: -11.5, schema: 0, zeroThreshold: DEFAULT_THRESHOLD, zeroCount: 1, positive: {}, negative: { 0: 1, 1: 5, 2: 1 } });
  });

  it('shares the slots between both signs: their buckets together never exceed maxBuckets', async () => {
    const values = [1, 1.5, 2, 3, -1, -1.5, -2, -3];
    const state = await stateOf(values, { bucketFactor: 1.1, maxBuckets: 10 });
    // At schema 3 each side spans keys 0 … 13 (14 slots); at 2, 0 … 7; at 1, 0 … 4: 5 + 5 = 10.
    expect(state).toEqual({ count: 8, sum: 0, schema: 1, zeroThreshold: DEFAULT_THRESHOLD, zeroCount: 0, positive: { 0: 1, 2: 2, 4: 1 }, negative: { 0: 1, 2: 2, 4: 1 } });
  });

  it('ends in the same state whatever the order of the observations, window moves and resolution drops included', async () => {
    let x = 42;
    const random = (): number => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    // Latencies over six powers of ten, a few negative values and zeros.
    const values = Array.from({ length: 400 }, (_, i) => (i % 50 === 0 ? 0 : (i % 37 === 0 ? -1 : 1) * 10 ** (random() * 6 - 4)));
    const options = { bucketFactor: 1.01, maxBuckets: 60 };
    const reference = await stateOf(values, options);
    expect(reference.schema).toBeLessThan(6);
    for (let round = 0; round < 5; round++) {
      const shuffled = [...values];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
      }
      const state = await stateOf(shuffled, options);
      expect({ ...state, sum: 0 }).toEqual({ ...reference, sum: 0 });
      expect(state.sum).toBeCloseTo(reference.sum, 9);
    }
  });

  it('widens the zero bucket at the lowest resolution when values of both signs still need more slots, losing no observation', async () => {
    const values = [1e-300, 1e-200, 1e300, -1e-300, -1e300, 5, -5];
    const state = await stateOf(values, { bucketFactor: 1.1, maxBuckets: 4 });
    expect(state.schema).toBe(-4);
    expect(state.zeroThreshold).toBeGreaterThan(1e-200);
    const inBuckets = [...Object.values(state.positive), ...Object.values(state.negative)].reduce((a, b) => a + b, 0);
    expect(state.zeroCount + inBuckets).toBe(values.length);
    expect(Object.keys(state.positive).length + Object.keys(state.negative).length).toBeLessThanOrEqual(4);
  });

  it('holds 7 + maxBuckets slots of 8 bytes per series beside the classic ones, however few buckets it uses', () => {
    const widths = (nativeHistograms: HistogramOptions['nativeHistograms']): number[] => {
      const registry = new Registry();
      const h = histogram({ name: 'h', help: 'h', registry, labelNames: ['k'], buckets: [1, 2, 3], nativeHistograms });
      for (const k of ['a', 'b', 'c']) h.observe({ k }, 1.5);
      const family = (registry.getSingleMetric('h') as unknown as { family: { series: Array<{ offset: number }>; arena: { v: Float64Array } } }).family;
      expect(family.arena.v.BYTES_PER_ELEMENT).toBe(8);
      return family.series.slice(1).map((s, i) => s.offset - family.series[i]!.offset);
    };
    // Classic: negative count, sum, 3 buckets and +Inf.
    expect(widths(false)).toEqual([6, 6]);
    expect(widths({ maxBuckets: 10 })).toEqual([6 + 7 + 10, 6 + 7 + 10]);
    expect(widths(true)).toEqual([6 + 7 + 160, 6 + 7 + 160]);
  });

  it('keeps the classic buckets beside the native ones, in protobuf and text, and drops them from protobuf only when asked', async () => {
    const values = [0.003, 0.2, 0.2, 4];
    const both = observed(values, true, [0.01, 0.1, 1]);
    const h = await protobufHistogram(both);
    expect(h.bucket.map((b) => [b.upperBound, Number(b.cumulativeCount)])).toEqual([[0.01, 1], [0.1, 1], [1, 3]]);
    expect(h.positiveSpan.length).toBeGreaterThan(0);
    const text = parseExposition(await renderRegistry(both, 'text'));
    expect(sum(text, 'h_bucket', { le: '1' })).toBe(3);
    expect(sum(text, 'h_count')).toBe(4);

    const nativeOnly = observed(values, { classicInProtobuf: false }, [0.01, 0.1, 1]);
    const only = await protobufHistogram(nativeOnly);
    expect(only.bucket).toEqual([]);
    expect(nativeState(only)).toEqual(nativeState(h));
    expect(parseExposition(await renderRegistry(nativeOnly, 'openmetrics'))).toEqual(parseExposition(await renderRegistry(both, 'openmetrics')));
  });
});
