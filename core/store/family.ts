import { OVERFLOW, renderLabels } from '../labels.js';
import { escapeOverflow, warnOverflow } from './limit.js';
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
   * `maxSeries` label sets, an overflow series. A value `overflow` given here is kept as
   * `_overflow` (see `escapeOverflow`): only the limit sends samples to an overflow series.
   */
  get(values: readonly string[]): Series;
  /**
   * The overflow series for these label values: the labels of `def.overflowKeeps` keep theirs,
   * every other one is `overflow`. Outside the count, like every overflow series.
   */
  overflow(values: readonly string[]): Series;
  /** Whether the series at `offset` is an overflow series: what records there is counted as overflow. */
  isOverflow(offset: number): boolean;
  /** Label sets the family keeps besides its overflow series (`def.maxSeries`); `Infinity` without a limit. */
  readonly maxSeries: number;
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
  const keeps = def.labelNames.map((name) => def.overflowKeeps?.includes(name) === true);
  const overflows = new Map<string, Series>();
  const overflowOffsets = new Set<number>();
  /** Label sets kept, overflow series aside; `limited` once the limit sent a sample elsewhere. */
  let kept = 0;
  let limited = false;
  const staticValues = staticLabels.values.map(wellFormed);

  function make(values: readonly string[]): Series {
    const all = [...staticValues, ...values];
    const created = { values: Object.freeze([...values]), rendered: renderLabels(names, all), offset: arena.alloc(def, all, width) };
    series.push(created);
    return created;
  }

  function overflow(values: readonly string[]): Series {
    const into = values.map((value, i) => (keeps[i] ? wellFormed(value) : OVERFLOW));
    const key = keyOf(into);
    let found = overflows.get(key);
    if (found === undefined) {
      found = make(into);
      overflows.set(key, found);
      overflowOffsets.add(found.offset);
    }
    return found;
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
    if (kept < maxSeries) {
      kept++;
      // Remembered under the key of the values as given, so the same values find it again.
      const created = make(values.map(escapeOverflow));
      byKey.set(key, created);
      return created;
    }
    if (!limited) {
      limited = true;
      warnOverflow(def, maxSeries, series.filter((s) => !overflowOffsets.has(s.offset)));
    }
    // Not remembered under `key`, so the family's memory stays bounded too.
    return overflow(values);
  }

  return {
    def,
    arena,
    width,
    series,
    maxSeries,
    overflow,
    isOverflow: (offset) => overflowOffsets.has(offset),
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
