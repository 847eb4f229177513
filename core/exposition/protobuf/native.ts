import type { NativeDef } from '../../store/native.js';
import { schemaAt, sideAt, thresholdAt, zeroCountAt } from '../../store/native.js';
import type { Wire } from './wire.js';
import { begin, count, double, end, sint, uint } from './wire.js';

/**
 * A native histogram's fields of `metrics.proto`'s `Histogram`, written straight from the store's
 * slots (see store/native.ts): schema, zero threshold and count, then each side's spans and
 * deltas, laid out as client_golang's makeBuckets lays them out.
 */

const SCHEMA = 5;
const ZERO_THRESHOLD = 6;
const ZERO_COUNT = 7;
const ZERO_COUNT_FLOAT = 8;
const NEGATIVE_SPAN = 9;
const NEGATIVE_DELTA = 10;
const POSITIVE_SPAN = 12;
const POSITIVE_DELTA = 13;

/**
 * Empty buckets between two populated ones stay in one span when they are at most this many, as in
 * client_golang: a span costs more bytes than two zero deltas.
 */
const MAX_GAP = 2;

function span(w: Wire, field: number, offset: number, length: number): void {
  const start = begin(w, field);
  sint(w, 1, offset);
  uint(w, 2, length);
  end(w, start);
}

/** One side's spans, then its deltas; returns whether it has any bucket. */
function side(w: Wire, v: ArrayLike<number>, o: number, n: NativeDef, sign: number, spanField: number, deltaField: number): boolean {
  const { first, span: width, slot } = sideAt(v, o, n, sign);
  if (width === 0) return false;
  // The window starts and ends at populated keys; a run of more than MAX_GAP empty ones splits a span.
  let next = 0;
  let i = 0;
  while (i < width) {
    let last = i;
    for (let j = i + 1; j < width && j - last - 1 <= MAX_GAP; j++) if (v[slot(j)]! > 0) last = j;
    span(w, spanField, first + i - next, last - i + 1);
    next = first + last + 1;
    i = last + 1;
    while (i < width && !(v[slot(i)]! > 0)) i++;
  }
  // Deltas of the same buckets, in the same order: each count minus the one before it (the first against 0).
  let previous = 0;
  i = 0;
  while (i < width) {
    let last = i;
    for (let j = i + 1; j < width && j - last - 1 <= MAX_GAP; j++) if (v[slot(j)]! > 0) last = j;
    for (let k = i; k <= last; k++) {
      const c = v[slot(k)]!;
      sint(w, deltaField, c - previous);
      previous = c;
    }
    i = last + 1;
    while (i < width && !(v[slot(i)]! > 0)) i++;
  }
  return true;
}

/** The native fields of the series whose native slots start at `o`, inside an open `Histogram`. */
export function nativeFields(w: Wire, v: ArrayLike<number>, o: number, n: NativeDef): void {
  sint(w, SCHEMA, schemaAt(v, o, n));
  const threshold = thresholdAt(v, o, n);
  double(w, ZERO_THRESHOLD, threshold);
  const zero = zeroCountAt(v, o);
  count(w, ZERO_COUNT, ZERO_COUNT_FLOAT, zero);
  const negative = side(w, v, o, n, -1, NEGATIVE_SPAN, NEGATIVE_DELTA);
  const positive = side(w, v, o, n, 1, POSITIVE_SPAN, POSITIVE_DELTA);
  // Without buckets and a zero bucket of width 0, a span of nothing tells a native histogram from a classic one (metrics.proto).
  if (!negative && !positive && threshold === 0) span(w, POSITIVE_SPAN, 0, 0);
}
