import { renderLabels } from '../labels.js';
import type { Arena, FamilyDef, Series } from './types.js';
import { seriesWidth } from './types.js';

/** A metric family backed by an arena: finds or creates the slots of each label combination. */
export interface Family {
  readonly def: FamilyDef;
  readonly arena: Arena;
  /** Slots per series. */
  readonly width: number;
  /** Every series, in creation order. */
  readonly series: readonly Series[];
  /** The series for these label values (in label-name order), created on first use. */
  get(values: readonly string[]): Series;
}

const NUL = '\u0000';
/** Between two values in a key: a NUL followed by anything but another NUL. */
const SEP = '\u0000,';

/**
 * The map key of a label set, injective: every NUL in a value is doubled, so a NUL followed by
 * "," can only be a separator, and no two label sets share a key. A value without NUL (nearly all)
 * is used as it is.
 */
function keyOf(values: readonly string[]): string {
  if (values.length === 1) return values[0]!;
  let key = '';
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    key += (i ? SEP : '') + (value.includes(NUL) ? value.replaceAll(NUL, NUL + NUL) : value);
  }
  return key;
}

/**
 * @param staticLabels label names and values put before the family's own on every series
 *   (service, version, region).
 */
export function createFamily(
  arena: Arena,
  def: FamilyDef,
  staticLabels: { names: readonly string[]; values: readonly string[] } = { names: [], values: [] },
): Family {
  const width = seriesWidth(def);
  const byKey = new Map<string, Series>();
  const series: Series[] = [];
  const names = [...staticLabels.names, ...def.labelNames];
  return {
    def,
    arena,
    width,
    series,
    get(values) {
      const key = keyOf(values);
      let found = byKey.get(key);
      if (found === undefined) {
        const all = [...staticLabels.values, ...values];
        found = { values: Object.freeze([...values]), rendered: renderLabels(names, all), offset: arena.alloc(def, all, width) };
        byKey.set(key, found);
        series.push(found);
      }
      return found;
    },
  };
}

/** Index of the first bucket whose upper bound holds `value`; `buckets.length` is +Inf. */
export function bucketIndex(buckets: readonly number[], value: number): number {
  let i = 0;
  const n = buckets.length;
  while (i < n && value > buckets[i]!) i++;
  return i;
}

export function observeHistogram(arena: Arena, buckets: readonly number[], offset: number, value: number): void {
  const v = arena.v;
  if (value < 0) v[offset]! += 1;
  v[offset + 1]! += value;
  v[offset + 2 + bucketIndex(buckets, value)]! += 1;
  arena.touch(offset, 3 + buckets.length);
}

export function observeSummary(arena: Arena, offset: number, value: number): void {
  const v = arena.v;
  v[offset]! += 1;
  v[offset + 1]! += value;
  arena.touch(offset, 2);
}

export function incCounter(arena: Arena, offset: number, by: number): void {
  arena.v[offset]! += by;
  arena.touch(offset, 1);
}

export function setGauge(arena: Arena, offset: number, value: number): void {
  const v = arena.v;
  v[offset] = value;
  v[offset + 1] = Date.now();
  arena.touch(offset, 2);
}

export function incGauge(arena: Arena, offset: number, by: number): void {
  const v = arena.v;
  v[offset]! += by;
  v[offset + 1] = Date.now();
  arena.touch(offset, 2);
}
