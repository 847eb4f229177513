import { describeValue, optionError } from './errors.js';

/** The OpenTelemetry HTTP server duration advisory buckets, in seconds. */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]);

/**
 * Checks histogram buckets: finite, strictly increasing, +Inf implied. `example` completes
 * "must be a non-empty array of …", so each caller can show bounds in its own unit.
 */
export function checkBuckets(where: string, buckets: unknown, fallback: readonly number[], example: string): readonly number[] {
  if (buckets === undefined) return fallback;
  if (!Array.isArray(buckets) || buckets.length === 0) {
    throw optionError(`${where}: "buckets" must be a non-empty array of ${example}, got ${describeValue(buckets)}.`);
  }
  for (let i = 0; i < buckets.length; i++) {
    const b: unknown = buckets[i];
    if (typeof b !== 'number' || !Number.isFinite(b)) {
      throw optionError(`${where}: "buckets" must hold finite numbers (+Inf is added for you), got ${describeValue(b)} at index ${i}.`);
    }
    if (i > 0 && b <= (buckets[i - 1] as number)) {
      // Showing the repaired list saves a round trip: the user can paste it back.
      const sorted = [...new Set(buckets as number[])].sort((x, y) => x - y);
      throw optionError(`${where}: "buckets" must be strictly increasing without duplicates; ${b} follows ${buckets[i - 1]}. Sort them, e.g. [${sorted.join(', ')}].`);
    }
  }
  return Object.freeze([...(buckets as number[])]);
}
