import { HELD, MIN_SCHEMA, coarserKey, heldKey, keyOf, upperBound } from './native-keys.js';

/**
 * A native histogram in the arena: the sparse buckets of client_golang in a fixed run of slots, so
 * that recording stays a few additions into the store's Float64Array (nothing allocated, nothing
 * looked up), and the multi-process files and messages carry it like any other slots.
 *
 * Slots, after the classic histogram's (`nativeOffset`):
 *
 *     [reductions, zero threshold, zero count, positive first key, positive span,
 *      negative first key, negative span, bucket_0 … bucket_maxBuckets-1]
 *
 * - reductions: how often the schema was lowered since the series began (schema = def's − this);
 * - zero threshold: 0 while it is the def's, else the wider one (see `widenZero`);
 * - the bucket slots are two windows that grow towards each other: the positive one from the
 *   start (slot i is key `first + i`), the negative one from the end (slot max − 1 − i is key
 *   `first + i` of |v|). Each window spans its lowest to its highest populated key, empty keys
 *   between them included, and both together never exceed `maxBuckets` slots.
 *
 * A fresh series is all zeros, and so is a reset one: both mean "the def's schema and threshold,
 * nothing observed". An observation outside its window moves the window (when it fits) or lowers the
 * schema, merging bucket pairs, until it fits, as client_golang's doubleBucketWidth does. The
 * state after any set of observations is the same whatever their order, and so is the merge of any
 * partition of them (`mergeNative`): both end at the highest schema at which the observations fit.
 */
export interface NativeDef {
  /** The schema a series starts at, from the bucket factor (-4 … 8). */
  readonly schema: number;
  /** Observations with |v| ≤ this are counted in the zero bucket. */
  readonly zeroThreshold: number;
  /** Bucket slots of each series: the most buckets, from the lowest to the highest populated, it keeps. */
  readonly maxBuckets: number;
  /** Whether protobuf carries the classic buckets too (the text formats always do). */
  readonly classicInProtobuf: boolean;
}

/** Whether two families keep the same native histograms (or both none). */
export function sameNative(a: NativeDef | undefined, b: NativeDef | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.schema === b.schema && a.zeroThreshold === b.zeroThreshold && a.maxBuckets === b.maxBuckets && a.classicInProtobuf === b.classicInProtobuf;
}

/** The most bucket slots a series may have: they are memory in every process and bytes in every multi-process file. */
export const MAX_NATIVE_BUCKETS = 4096;

export const NATIVE_HEADER = 7;
const REDUCED = 0;
const THRESHOLD = 1;
const ZERO = 2;
const POS_FIRST = 3;
const POS_SPAN = 4;
const NEG_FIRST = 5;
const NEG_SPAN = 6;

export const nativeWidth = (n: NativeDef): number => NATIVE_HEADER + n.maxBuckets;

export const schemaAt = (v: ArrayLike<number>, o: number, n: NativeDef): number => n.schema - v[o + REDUCED]!;
export const thresholdAt = (v: ArrayLike<number>, o: number, n: NativeDef): number => v[o + THRESHOLD]! || n.zeroThreshold;
export const zeroCountAt = (v: ArrayLike<number>, o: number): number => v[o + ZERO]!;

/** One side's window: where its key `first + i` lives. */
export interface Side {
  readonly first: number;
  readonly span: number;
  /** Slot of the i-th key of the window. */
  slot(i: number): number;
}

/** The positive (`sign` 1) or negative (`sign` -1) window of the series at `o`. */
export function sideAt(v: ArrayLike<number>, o: number, n: NativeDef, sign: number): Side {
  const base = o + NATIVE_HEADER;
  const last = base + n.maxBuckets - 1;
  return sign > 0
    ? { first: v[o + POS_FIRST]!, span: v[o + POS_SPAN]!, slot: (i) => base + i }
    : { first: v[o + NEG_FIRST]!, span: v[o + NEG_SPAN]!, slot: (i) => last - i };
}

/** Slot of the key `first + i` of one side, without building a `Side` (the recording path). */
function slotOf(o: number, n: NativeDef, sign: number, i: number): number {
  return sign > 0 ? o + NATIVE_HEADER + i : o + NATIVE_HEADER + n.maxBuckets - 1 - i;
}

/**
 * Adds `count` at `key` (of the current schema) on one side, moving the window if the key is
 * outside it. Returns the slot written, or -1 when the window would need more than `maxBuckets`
 * slots (nothing is written then).
 */
function place(v: Float64Array, o: number, n: NativeDef, sign: number, key: number, count: number): number {
  const firstAt = o + (sign > 0 ? POS_FIRST : NEG_FIRST);
  const spanAt = firstAt + 1;
  const other = v[o + (sign > 0 ? NEG_SPAN : POS_SPAN)]! | 0;
  const span = v[spanAt]! | 0;
  const first = v[firstAt]! | 0;
  let i = key - first;
  if (span === 0) {
    if (other + 1 > n.maxBuckets) return -1;
    v[firstAt] = key;
    v[spanAt] = 1;
    i = 0;
  } else if (i < 0) {
    if (span - i + other > n.maxBuckets) return -1;
    shift(v, o, n, sign, span, -i);
    v[firstAt] = key;
    v[spanAt] = span - i;
    i = 0;
  } else if (i >= span) {
    if (i + 1 + other > n.maxBuckets) return -1;
    v[spanAt] = i + 1;
  }
  const slot = slotOf(o, n, sign, i);
  v[slot]! += count;
  return slot;
}

/** Moves a side's `span` keys `by` places further from its end of the slots, clearing what they leave. */
function shift(v: Float64Array, o: number, n: NativeDef, sign: number, span: number, by: number): void {
  const base = o + NATIVE_HEADER;
  if (sign > 0) {
    v.copyWithin(base + by, base, base + span);
    v.fill(0, base, base + by);
  } else {
    const end = base + n.maxBuckets;
    v.copyWithin(end - span - by, end - span, end);
    v.fill(0, end - by, end);
  }
}

/** Halves the resolution of both sides: keys 2k − 1 and 2k become key k of the schema one lower. */
function reduce(v: Float64Array, o: number, n: NativeDef): void {
  for (let sign = 1; sign >= -1; sign -= 2) {
    const firstAt = o + (sign > 0 ? POS_FIRST : NEG_FIRST);
    const span = v[firstAt + 1]!;
    if (span === 0) continue;
    const first = v[firstAt]!;
    const newFirst = coarserKey(first);
    // Each key moves to a place at or before its own, so going up the window moves every count once.
    for (let i = 0; i < span; i++) {
      const to = coarserKey(first + i) - newFirst;
      if (to === i) continue;
      const from = slotOf(o, n, sign, i);
      v[slotOf(o, n, sign, to)]! += v[from]!;
      v[from] = 0;
    }
    v[firstAt] = newFirst;
    v[firstAt + 1] = coarserKey(first + span - 1) - newFirst + 1;
  }
  v[o + REDUCED]! += 1;
}

/**
 * Moves the counts of every key up to `maxKey` (current schema) into the zero bucket, on both
 * sides, and shrinks the windows to their populated keys.
 */
function foldIntoZero(v: Float64Array, o: number, n: NativeDef, maxKey: number): void {
  for (let sign = 1; sign >= -1; sign -= 2) {
    const firstAt = o + (sign > 0 ? POS_FIRST : NEG_FIRST);
    const span = v[firstAt + 1]!;
    const first = v[firstAt]!;
    let drop = 0;
    while (drop < span && (first + drop <= maxKey || v[slotOf(o, n, sign, drop)] === 0)) {
      const slot = slotOf(o, n, sign, drop);
      v[o + ZERO]! += v[slot]!;
      v[slot] = 0;
      drop++;
    }
    if (drop === 0) continue;
    v[firstAt] = drop === span ? 0 : first + drop;
    v[firstAt + 1] = span - drop;
    if (drop < span) unshift(v, o, n, sign, span - drop, drop);
  }
}

/** The reverse of `shift`: moves a side's `span` keys, now `by` places from its end, back to it. */
function unshift(v: Float64Array, o: number, n: NativeDef, sign: number, span: number, by: number): void {
  const base = o + NATIVE_HEADER;
  if (sign > 0) {
    v.copyWithin(base, base + by, base + by + span);
    v.fill(0, base + span, base + by + span);
  } else {
    const end = base + n.maxBuckets;
    v.copyWithin(end - span, end - span - by, end - by);
    v.fill(0, end - span - by, end - span);
  }
}

/**
 * At the lowest schema the buckets can still need more slots than there are (observations both
 * tiny and huge, of both signs): then the zero bucket widens to take in the lowest key of either
 * side, or `key` if lower, as client_golang's maybeWidenZeroBucket does. Returns the new threshold.
 */
function widenZero(v: Float64Array, o: number, n: NativeDef, key: number): number {
  let lowest = key;
  if (v[o + POS_SPAN]! > 0) lowest = Math.min(lowest, v[o + POS_FIRST]!);
  if (v[o + NEG_SPAN]! > 0) lowest = Math.min(lowest, v[o + NEG_FIRST]!);
  const threshold = Math.max(thresholdAt(v, o, n), upperBound(lowest, MIN_SCHEMA));
  v[o + THRESHOLD] = threshold;
  foldIntoZero(v, o, n, lowest);
  return threshold;
}

/**
 * Adds `count` at `key` of the series' current schema `current` on one side, lowering the schema
 * while it does not fit. Returns the only slot written, or -1 when the window changed shape.
 */
function insert(v: Float64Array, o: number, n: NativeDef, sign: number, key: number, current: number, count: number): number {
  let reshaped = false;
  for (;;) {
    const slot = place(v, o, n, sign, key, count);
    if (slot >= 0) return reshaped ? -1 : slot;
    reshaped = true;
    if (current > MIN_SCHEMA) {
      reduce(v, o, n);
      key = coarserKey(key);
      current--;
    } else if (upperBound(key, current) <= widenZero(v, o, n, key)) {
      v[o + ZERO]! += count;
      return -1;
    }
  }
}

/**
 * Adds `count` at `key` of `schema` (at least the series' current one; lower ones are not merged
 * in here) on one side: into the zero bucket when the bucket ends within the series' threshold.
 * Returns the only slot written, or -1 when others changed too.
 */
export function addBucket(v: Float64Array, o: number, n: NativeDef, sign: number, key: number, schema: number, count: number): number {
  const current = schemaAt(v, o, n);
  for (let s = schema; s > current; s--) key = coarserKey(key);
  if (upperBound(key, current) <= thresholdAt(v, o, n)) {
    v[o + ZERO]! += count;
    return o + ZERO;
  }
  return insert(v, o, n, sign, key, current, count);
}

/**
 * Records one finite observation, `HELD[0]` (see `HELD`: no number crosses a call on this path, and
 * the integers read from the slots are made int32, so nothing is boxed); returns the only slot
 * written besides the header, or -1 when others changed too.
 */
export function observeHeld(v: Float64Array, o: number, n: NativeDef): number {
  const value = HELD[0]!;
  const threshold = v[o + THRESHOLD]! || n.zeroThreshold;
  const schema = (n.schema - v[o + REDUCED]!) | 0;
  if (value > threshold) return insert(v, o, n, 1, heldKey(schema), schema, 1);
  if (value < -threshold) return insert(v, o, n, -1, heldKey(schema), schema, 1);
  v[o + ZERO]! += 1;
  return o + ZERO;
}

/** Lowers the series' schema to `schema`, if it is higher. */
export function reduceTo(v: Float64Array, o: number, n: NativeDef, schema: number): void {
  while (schemaAt(v, o, n) > schema) reduce(v, o, n);
}

/** Widens the series' zero bucket to `threshold`, if it is narrower: the buckets that end within it move into it. */
export function widenTo(v: Float64Array, o: number, n: NativeDef, threshold: number): void {
  if (threshold <= thresholdAt(v, o, n)) return;
  v[o + THRESHOLD] = threshold;
  const schema = schemaAt(v, o, n);
  // The highest key whose bucket ends within the threshold.
  const key = keyOf(threshold, schema);
  foldIntoZero(v, o, n, upperBound(key, schema) <= threshold ? key : key - 1);
}
