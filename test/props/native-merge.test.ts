import fc from 'fast-check';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { histogram, type NativeHistogramOptions } from 'promhttp';
// eslint-disable-next-line no-restricted-imports -- the merge both multi-process modes use, driven directly with many partitions.
import { createFamilyMerger } from '../../core/multiprocess/merge.js';
// eslint-disable-next-line no-restricted-imports -- how disagreeing definitions are folded into the one shown.
import { resolveDefinitions } from '../../core/multiprocess/definitions.js';
// eslint-disable-next-line no-restricted-imports -- the sliced steps, run at once.
import { runSync } from '../../core/exposition/slice.js';
// eslint-disable-next-line no-restricted-imports -- the protobuf encoder, to read the merged series as Prometheus would.
import { delimitFamily, encodeSeries, familyType } from '../../core/exposition/protobuf/family.js';
// eslint-disable-next-line no-restricted-imports -- the store's types the merge reads.
import type { FamilyDef, Series } from '../../core/store/types.js';
import { nativeState, type NativeState } from '../support/native.js';
import { decodeFamilies } from '../support/protobuf.js';

interface Store {
  readonly def: FamilyDef;
  readonly series: readonly Series[];
  readonly v: Float64Array;
}

/** A process's store after observing `values` into a native histogram `h` with `options`. */
function store(values: readonly number[], options: NativeHistogramOptions, buckets?: number[]): Store {
  const registry = new Registry();
  const h = histogram({ name: 'h', help: 'h', registry, nativeHistograms: options, ...(buckets ? { buckets } : {}) });
  for (const value of values) h.observe(value);
  const family = (registry.getSingleMetric('h') as unknown as { family: { def: FamilyDef; series: Series[]; arena: { v: Float64Array } } }).family;
  return { def: family.def, series: family.series, v: family.arena.v };
}

function decode(def: FamilyDef, series: readonly Series[], v: Float64Array): NativeState {
  const chunk = encodeSeries(def, series, v);
  const bytes = Buffer.concat(delimitFamily(def.name, def.help, familyType(def), [chunk]));
  const [family] = decodeFamilies(bytes);
  expect(family!.metric).toHaveLength(1);
  return nativeState(family!.metric[0]!.histogram!);
}

/** The stores merged as a scrape merges processes (the later ones newer), disagreeing definitions folded into the newest. */
function merged(stores: readonly Store[]): NativeState {
  const merger = createFamilyMerger();
  stores.forEach((s, i) => {
    for (const series of s.series) merger.add(s.def, series.values, series.rendered, s.v, series.offset, { alive: true, worker: String(i), rank: i });
  });
  const { families } = runSync(resolveDefinitions(merger));
  expect(families).toHaveLength(1);
  return decode(families[0]!.def, families[0]!.series, merger.values());
}

const single = (values: readonly number[], options: NativeHistogramOptions): NativeState => {
  const s = store(values, options);
  return decode(s.def, s.series, s.v);
};

/** Equal, the sums within rounding: they are added in another order. */
function expectSame(actual: NativeState, expected: NativeState): void {
  expect({ ...actual, sum: 0 }).toEqual({ ...expected, sum: 0 });
  expect(Math.abs(actual.sum - expected.sum)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(expected.sum)));
}

const latency = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: 1e-5, max: 100, noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.double({ min: -1e3, max: -1e-9, noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.double({ min: 1e-30, max: 1e30, noNaN: true, noDefaultInfinity: true }) },
);
const settings = fc.record({ bucketFactor: fc.constantFrom(1.003, 1.05, 1.1, 2, 300), maxBuckets: fc.constantFrom(3, 12, 40, 160) });

describe('native histograms merged across processes', () => {
  it('equal the histogram of all observations recorded in one process, however they were split (schema, zero bucket and every bucket)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(latency, fc.nat(4)), { maxLength: 300 }), settings, (observations, options) => {
        const parts: number[][] = [[], [], [], [], []];
        for (const [value, part] of observations) parts[part]!.push(value);
        // Processes that saw different ranges end at different schemas: the merge brings them to the lowest.
        expectSame(
          merged(parts.map((values) => store(values, options))),
          single(
            observations.map(([value]) => value),
            options,
          ),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('fold a definition with another bucket factor into the newest one, at the lower of the two schemas', () => {
    fc.assert(
      fc.property(fc.array(latency, { maxLength: 100 }), fc.array(latency, { maxLength: 100 }), (old, current) => {
        // The old processes ran with factor 1.01 (schema 6), the newest with 1.2 (schema 2): what one process with 1.2 records.
        const state = merged([store(old, { bucketFactor: 1.01 }), store(current, { bucketFactor: 1.2 })]);
        expectSame(state, single([...old, ...current], { bucketFactor: 1.2 }));
      }),
      { numRuns: 100 },
    );
  });

  it('fold a classic-only definition into a native one by the bucket holding each classic bound', () => {
    const registry = new Registry();
    const classic = histogram({ name: 'h', help: 'h', registry, buckets: [0.1, 1, 10] });
    for (const value of [0.05, 0.5, 0.5, 5, 50]) classic.observe(value);
    const family = (registry.getSingleMetric('h') as unknown as { family: { def: FamilyDef; series: Series[]; arena: { v: Float64Array } } }).family;
    const old = { def: family.def, series: family.series, v: family.arena.v };
    const state = merged([old, store([2], { bucketFactor: 2 }, [0.1, 1, 10])]);
    // At schema 0 the bounds 0.1, 1 and 10 are in keys -3, 0 and 4; the +Inf bucket's count goes with the last bound.
    expect({ count: state.count, schema: state.schema, zero: state.zeroCount, positive: state.positive }).toEqual({ count: 6, schema: 0, zero: 0, positive: { [-3]: 1, 0: 2, 1: 1, 4: 2 } });
  });
});
