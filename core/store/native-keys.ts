import { NATIVE_BOUNDS } from './native-bounds.js';

/**
 * The bucket keys of Prometheus' native histograms, computed as client_golang computes them
 * (prometheus/histogram.go): at schema s, bucket `key` holds the values v with
 * 2^((key − 1) / 2^s) < v ≤ 2^(key / 2^s), for v > 0 (negative values use the same key of |v|).
 * Each power of two is split into 2^s buckets, so neighbouring bounds are a factor 2^(2^−s) apart.
 */

/** The finest resolution: 256 buckets per power of two, neighbouring bounds 0.27 % apart. */
export const MAX_SCHEMA = 8;
/** The coarsest resolution: one bucket per 2^16. */
export const MIN_SCHEMA = -4;

/**
 * The largest schema whose bucket factor 2^(2^−schema) is at most `bucketFactor` (> 1), between
 * -4 and 8, as client_golang's pickSchema: 1.1 gives 3 (factor 1.0905), 2 gives 0, 1.0001 gives 8.
 */
export function schemaFor(bucketFactor: number): number {
  const floor = Math.floor(Math.log2(Math.log2(bucketFactor)));
  if (floor <= -MAX_SCHEMA) return MAX_SCHEMA;
  if (floor >= -MIN_SCHEMA) return MIN_SCHEMA;
  // 0 - floor: never -0, which would print and compare as a schema of its own.
  return 0 - floor;
}

/** The factor between neighbouring bucket bounds at `schema`. */
export const bucketFactorOf = (schema: number): number => 2 ** (2 ** -schema);

/**
 * The value being recorded, for `heldKey` and the native recording path. A fractional number
 * passed as an argument to a function V8 did not inline becomes a 16-byte heap number, once per
 * call; recording passes the observed value down through this array instead, and allocates nothing.
 */
export const HELD = new Float64Array(1);
// math.Frexp by the bits of the double: no allocation, exact for every finite value.
const u32 = new Uint32Array(HELD.buffer);
/** Index of the word holding sign and exponent: 1 on little-endian machines (all Node runs on). */
const HIGH = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const EXPONENT_1022 = 1022 << 20;

/**
 * The key of the bucket holding `value` (finite and not zero; a negative value has the key of its
 * absolute value) at `schema`. `value` is split as math.Frexp splits it, `frac × 2^exp` with
 * 0.5 ≤ frac < 1; the fraction is then found among the schema's bounds (the first one at least as
 * large, as sort.SearchFloat64s finds it), so every value lands where client_golang puts it, those
 * on a bound included.
 */
export function keyOf(value: number, schema: number): number {
  HELD[0] = value;
  return heldKey(schema);
}

/** `keyOf(HELD[0], schema)`; overwrites `HELD`. */
export function heldKey(schema: number): number {
  let high = u32[HIGH]!;
  let biased = (high >>> 20) & 0x7ff;
  let exp = biased - 1022;
  if (biased === 0) {
    // Subnormal: scaled into the normal range first, which is exact.
    HELD[0] = HELD[0]! * 2 ** 64;
    high = u32[HIGH]!;
    biased = (high >>> 20) & 0x7ff;
    exp = biased - 1022 - 64;
  }
  // The fraction of the absolute value: exponent 2^-1, sign cleared.
  u32[HIGH] = (high & 0x000fffff) | EXPONENT_1022;
  const frac = HELD[0]!;
  if (schema > 0) {
    const bounds = NATIVE_BOUNDS[schema]!;
    let lo = 0;
    let hi = bounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (bounds[mid]! < frac) lo = mid + 1;
      else hi = mid;
    }
    return lo + (exp - 1) * bounds.length;
  }
  const key = frac === 0.5 ? exp - 1 : exp;
  return (key + (1 << -schema) - 1) >> -schema;
}

/** The key at the schema one lower: bucket pairs (2k − 1, 2k) become bucket k. */
export const coarserKey = (key: number): number => (key + 1) >> 1;

/** `frac × 2^exp`, also where 2^exp alone would overflow or underflow. */
function ldexp(frac: number, exp: number): number {
  if (exp > 1000) return frac * 2 ** (exp - 100) * 2 ** 100;
  if (exp < -1000) return frac * 2 ** (exp + 100) * 2 ** -100;
  return frac * 2 ** exp;
}

/**
 * The upper bound of bucket `key` at `schema`, as client_golang's getLe: the last bucket of
 * finite values ends at Number.MAX_VALUE, the one after it (±Inf) at Infinity.
 */
export function upperBound(key: number, schema: number): number {
  if (schema < 0) {
    const exp = key * 2 ** -schema;
    if (exp === 1024) return Number.MAX_VALUE;
    return ldexp(1, exp);
  }
  const frac = NATIVE_BOUNDS[schema]![key & ((1 << schema) - 1)]!;
  const exp = (key >> schema) + 1;
  if (frac === 0.5 && exp === 1025) return Number.MAX_VALUE;
  return ldexp(frac, exp);
}
