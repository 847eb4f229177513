import { describeValue, optionError } from './errors.js';

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
