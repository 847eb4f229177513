import { renderLabels } from '../labels.js';
import { overflowValues, warnOverflow } from './limit.js';
import type { NativeDef } from './native.js';
import { HELD } from './native-keys.js';
import { NATIVE_HEADER, nativeWidth, observeHeld } from './native.js';
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
  /**
   * The series for these label values (in label-name order), created on first use; past
   * `maxSeries` label sets, the overflow series.
   */
  get(values: readonly string[]): Series;
  /** Label sets the family keeps besides its overflow series (`def.maxSeries`); `Infinity` without a limit. */
  readonly maxSeries: number;
  /** Offset of the overflow series, -1 until it exists: what records there is also counted as overflow. */
  readonly overflowOffset: number;
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

const isWellFormed = (value: string): boolean => value.isWellFormed();
const wellFormed = (value: string): string => value.toWellFormed();

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
  // A family without labels has one label set: it cannot overflow.
  const maxSeries = def.labelNames.length > 0 ? (def.maxSeries ?? Infinity) : Infinity;
  const overflowKey = def.labelNames.length > 0 ? keyOf(overflowValues(def.labelNames.length)) : undefined;
  let overflow: Series | undefined;
  const staticValues = staticLabels.values.map(wellFormed);

  function create(key: string, values: readonly string[]): Series {
    const all = [...staticValues, ...values];
    const created = { values: Object.freeze([...values]), rendered: renderLabels(names, all), offset: arena.alloc(def, all, width) };
    byKey.set(key, created);
    series.push(created);
    return created;
  }

  /** Checked on a miss only: a label set seen before costs one map lookup, as without a limit. */
  function miss(key: string, values: readonly string[]): Series {
    if (!values.every(isWellFormed)) {
      // A lone surrogate has no UTF-8 encoding: the exposition writes U+FFFD for it, so values that
      // differ only in their lone surrogates are one series, kept under its well-formed key. Only a
      // miss comes here, never a series found by its values; a value with a lone surrogate misses
      // every time and adds no key of its own, so odd input cannot grow the map.
      values = values.map(wellFormed);
      key = keyOf(values);
      const found = byKey.get(key);
      if (found !== undefined) return found;
    }
    // A label set given as all `overflow` is the overflow series, and outside the count like it.
    if (key === overflowKey) return (overflow = create(key, values));
    if (series.length - (overflow === undefined ? 0 : 1) < maxSeries) return create(key, values);
    if (overflow === undefined) {
      warnOverflow(def, maxSeries, series);
      overflow = create(overflowKey!, overflowValues(def.labelNames.length));
    }
    // Not remembered under `key`, so the family's memory stays bounded too.
    return overflow;
  }

  return {
    def,
    arena,
    width,
    series,
    maxSeries,
    get overflowOffset() {
      return overflow === undefined ? -1 : overflow.offset;
    },
    get(values) {
      const key = keyOf(values);
      return byKey.get(key) ?? miss(key, values);
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

export function observeHistogram(arena: Arena, buckets: readonly number[], offset: number, value: number, native?: NativeDef): void {
  const v = arena.v;
  if (value < 0) v[offset]! += 1;
  v[offset + 1]! += value;
  v[offset + 2 + bucketIndex(buckets, value)]! += 1;
  if (native === undefined) arena.touch(offset, 3 + buckets.length);
  else {
    HELD[0] = value;
    observeNativeAt(arena, offset, 3 + buckets.length, native);
  }
}

/**
 * Records `HELD[0]` (set it just before: see `HELD`) in the native part of the histogram series at
 * `offset` (whose classic part is `classic` slots) and marks what changed: the classic slots and
 * the native header, and the one bucket written, or the whole native part when its window moved or
 * its schema dropped.
 */
export function observeNativeAt(arena: Arena, offset: number, classic: number, native: NativeDef): void {
  const at = offset + classic;
  const slot = observeHeld(arena.v, at, native);
  arena.touch(offset, classic + NATIVE_HEADER);
  if (slot < 0) arena.touch(at, nativeWidth(native));
  else if (slot >= at + NATIVE_HEADER) arena.touch(slot, 1);
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
