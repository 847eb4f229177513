import type { NativeDef } from './native.js';
import { NATIVE_HEADER, addBucket, reduceTo, schemaAt, sideAt, thresholdAt, widenTo, zeroCountAt } from './native.js';
import { MAX_SCHEMA, MIN_SCHEMA, keyOf } from './native-keys.js';

/**
 * Merging native histograms, as the multi-process modes merge processes (and as Prometheus adds
 * histograms): both are brought to the lower schema of the two and the wider zero bucket, then
 * bucket counts of the same key are summed. The result is the histogram one process would have
 * recorded from all the observations, since a series' state depends only on the set of values it
 * observed (see native.ts), bucket for bucket, schema and zero bucket included.
 */

/** The largest key magnitude a finite double has at the finest schema (2^1024 at 256 buckets per power of two), with room. */
const KEY_LIMIT = 2 ** 20;

const isCount = (x: number | undefined): boolean => x !== undefined && x >= 0 && Number.isFinite(x);

/**
 * Whether slots read from outside (another process's file, an archive, a message) can be what a
 * native histogram series holds: merging garbage could otherwise loop for long or write past the
 * series. Checks the header and every bucket slot.
 */
export function plausibleNative(v: ArrayLike<number>, o: number, n: NativeDef): boolean {
  const reduced = v[o]!;
  if (!Number.isInteger(reduced) || reduced < 0 || n.schema - reduced < MIN_SCHEMA) return false;
  if (!isCount(v[o + 1]) || !isCount(v[o + 2])) return false;
  let used = 0;
  for (const at of [3, 5]) {
    const first = v[o + at]!;
    const span = v[o + at + 1]!;
    if (!Number.isInteger(first) || Math.abs(first) > KEY_LIMIT || !Number.isInteger(span) || span < 0) return false;
    used += span;
  }
  if (used > n.maxBuckets) return false;
  for (let i = 0; i < n.maxBuckets; i++) if (!isCount(v[o + NATIVE_HEADER + i])) return false;
  return true;
}

/**
 * Adds the native histogram at `so` of `src` (defined by `sn`) into the one at `o` of `v`
 * (defined by `n`, possibly with another schema, threshold or size: a deploy changed them).
 * False, and nothing added, when the source's slots are not plausible.
 */
export function mergeNative(v: Float64Array, o: number, n: NativeDef, src: ArrayLike<number>, so: number, sn: NativeDef): boolean {
  if (!plausibleNative(src, so, sn)) return false;
  const schema = schemaAt(src, so, sn);
  reduceTo(v, o, n, schema);
  widenTo(v, o, n, thresholdAt(src, so, sn));
  v[o + 2]! += zeroCountAt(src, so);
  for (let sign = 1; sign >= -1; sign -= 2) {
    const side = sideAt(src, so, sn, sign);
    for (let i = 0; i < side.span; i++) {
      const count = src[side.slot(i)]!;
      if (count > 0) addBucket(v, o, n, sign, side.first + i, schema, count);
    }
  }
  return true;
}

/**
 * Adds a classic histogram's buckets (`counts`: one per bound, then +Inf) to a native one, where a
 * deploy turned native histograms on and processes of both kinds are merged: each bucket's count
 * goes to the native bucket holding its upper bound, which keeps every cumulative count above
 * zero a lower bound of the truth. The +Inf bucket has no bound: its count goes to the native
 * bucket of the largest bound, the one place where this overstates.
 */
export function nativeFromClassic(v: Float64Array, o: number, n: NativeDef, bounds: readonly number[], counts: ArrayLike<number>, co: number): void {
  const schema = MAX_SCHEMA;
  for (let i = 0; i <= bounds.length; i++) {
    const count = counts[co + i]!;
    if (!(count > 0)) continue;
    const bound = bounds[Math.min(i, bounds.length - 1)]!;
    const threshold = thresholdAt(v, o, n);
    if (Math.abs(bound) <= threshold) v[o + 2]! += count;
    else addBucket(v, o, n, Math.sign(bound), keyOf(Math.abs(bound), schema), schema, count);
  }
}
