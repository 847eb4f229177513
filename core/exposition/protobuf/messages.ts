import type { Wire } from './wire.js';
import { begin, count, double, end, sint, string, uint, utf8, varint, LEN, tag } from './wire.js';

/**
 * The messages of Prometheus' `metrics.proto` (vendored beside this file), written field by field.
 * Field numbers are the .proto's; `test/protobuf-wire.test.ts` decodes what these write with code
 * generated from it.
 */

/** `MetricType`. */
export const TYPE = { counter: 0, gauge: 1, summary: 2, untyped: 3, histogram: 4 } as const;

const FAMILY_NAME = 1;
const FAMILY_HELP = 2;
const FAMILY_TYPE = 3;
/** `MetricFamily.metric`: the field every `Metric` is written as. */
export const FAMILY_METRIC = 4;

const METRIC_LABEL = 1;
const METRIC_GAUGE = 2;
const METRIC_COUNTER = 3;
const METRIC_SUMMARY = 4;
const METRIC_UNTYPED = 5;
const METRIC_HISTOGRAM = 7;

/** An exemplar: a few labels (a trace id) and the value observed with them. */
export interface Exemplar {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  /** Unix time in milliseconds. Exemplars on native histograms must have one. */
  readonly timestampMs?: number;
}

/** A native histogram's buckets, as `metrics.proto` carries them: spans of consecutive indexes, counts as deltas. */
export interface NativeBuckets {
  /** Each power of two is divided into 2^schema buckets (-4 ≤ schema ≤ 8). */
  readonly schema: number;
  readonly zeroThreshold: number;
  readonly zeroCount: number;
  /** Offset (gap to the previous span, or the first index) and length of each span. */
  readonly negativeSpans: readonly (readonly [offset: number, length: number])[];
  /** Count of each bucket minus the previous bucket's (the first one's against zero). */
  readonly negativeDeltas: ArrayLike<number>;
  readonly positiveSpans: readonly (readonly [offset: number, length: number])[];
  readonly positiveDeltas: ArrayLike<number>;
  /** Exemplars of the whole histogram, each with a timestamp. */
  readonly exemplars?: readonly Exemplar[];
}

export function labelPair(w: Wire, name: string, value: string): void {
  const pair = begin(w, METRIC_LABEL);
  string(w, 1, name);
  string(w, 2, value);
  end(w, pair);
}

/**
 * The label pairs of a label list rendered for the text formats (`a="1",b="x\"y"`), which is how
 * the stores keep a series' labels: names as they are, values unescaped.
 */
export function renderedLabels(w: Wire, rendered: string): void {
  const n = rendered.length;
  let i = 0;
  while (i < n) {
    const eq = rendered.indexOf('="', i);
    if (eq === -1) return;
    const pair = begin(w, METRIC_LABEL);
    const name = begin(w, 1);
    utf8(w, rendered, i, eq);
    end(w, name);
    const value = begin(w, 2);
    // Up to the closing quote, undoing the text formats' three escapes.
    let from = eq + 2;
    let j = from;
    while (j < n) {
      const c = rendered.charCodeAt(j);
      if (c === 0x22) break;
      if (c === 0x5c) {
        utf8(w, rendered, from, j);
        const escaped = rendered.charCodeAt(j + 1);
        utf8(w, escaped === 0x6e ? '\n' : escaped === 0x22 ? '"' : '\\');
        j += 2;
        from = j;
      } else j++;
    }
    utf8(w, rendered, from, Math.min(j, n));
    end(w, value);
    end(w, pair);
    // Past the closing quote and the comma.
    i = j + 2;
  }
}

/** The `MetricFamily` fields before its metrics, delimited by the length of all of it. */
export function familyHead(w: Wire, name: string, help: string, type: number, metricsLength: number): void {
  const start = w.pos;
  string(w, FAMILY_NAME, name);
  string(w, FAMILY_HELP, help);
  uint(w, FAMILY_TYPE, type);
  const head = w.buf.slice(start, w.pos);
  w.pos = start;
  varint(w, head.length + metricsLength);
  w.buf.set(head, w.pos);
  w.pos += head.length;
}

function timestamp(w: Wire, field: number, ms: number): void {
  const t = begin(w, field);
  const seconds = Math.floor(ms / 1000);
  // int64 seconds: a negative time would need ten bytes of two's complement; none is exposed.
  uint(w, 1, Math.max(0, seconds));
  uint(w, 2, Math.round((ms - seconds * 1000) * 1e6));
  end(w, t);
}

export function exemplar(w: Wire, field: number, e: Exemplar): void {
  const start = begin(w, field);
  for (const name in e.labels) labelPair(w, name, e.labels[name]!);
  double(w, 2, e.value);
  if (e.timestampMs !== undefined) timestamp(w, 3, e.timestampMs);
  end(w, start);
}

/** A `Gauge` or `Untyped` message: one value. */
function single(w: Wire, field: number, value: number): void {
  tag(w, field, LEN);
  varint(w, 9);
  double(w, 1, value);
}

export function gauge(w: Wire, value: number): void {
  single(w, METRIC_GAUGE, value);
}

export function untyped(w: Wire, value: number): void {
  single(w, METRIC_UNTYPED, value);
}

export function counter(w: Wire, value: number, ex?: Exemplar): void {
  if (ex === undefined) return single(w, METRIC_COUNTER, value);
  const start = begin(w, METRIC_COUNTER);
  double(w, 1, value);
  exemplar(w, 2, ex);
  end(w, start);
}

/** Opens a `Summary` with its count and sum; `quantile` may follow, then `end`. */
export function beginSummary(w: Wire, sampleCount: number, sum: number): number {
  const start = begin(w, METRIC_SUMMARY);
  // Summary has no float count: a count that is not a whole number is sent rounded.
  uint(w, 1, Number.isSafeInteger(sampleCount) && sampleCount >= 0 ? sampleCount : sampleCount > 0 ? Math.min(Math.round(sampleCount), Number.MAX_SAFE_INTEGER) : 0);
  double(w, 2, sum);
  return start;
}

export function quantile(w: Wire, q: number, value: number): void {
  const start = begin(w, 3);
  double(w, 1, q);
  double(w, 2, value);
  end(w, start);
}

/** Opens a `Histogram` with its count and sum; `bucket` and `nativeBuckets` may follow, then `end`. */
export function beginHistogram(w: Wire, sampleCount: number, sum: number): number {
  const start = begin(w, METRIC_HISTOGRAM);
  count(w, 1, 4, sampleCount);
  double(w, 2, sum);
  return start;
}

/** A classic bucket: observations up to `upperBound`, cumulative. The +Inf bucket is the count and is left out. */
export function bucket(w: Wire, cumulative: number, upperBound: number, ex?: Exemplar): void {
  const start = begin(w, 3);
  count(w, 1, 4, cumulative);
  double(w, 2, upperBound);
  if (ex !== undefined) exemplar(w, 3, ex);
  end(w, start);
}

function spans(w: Wire, field: number, list: NativeBuckets['positiveSpans']): void {
  for (const [offset, length] of list) {
    const start = begin(w, field);
    sint(w, 1, offset);
    uint(w, 2, length);
    end(w, start);
  }
}

function deltas(w: Wire, field: number, list: ArrayLike<number>): void {
  // proto2 repeated scalars are unpacked: a tag before each element, as client_golang writes them.
  for (let i = 0; i < list.length; i++) sint(w, field, list[i]!);
}

/** A native histogram's fields, inside an open `Histogram`. */
export function nativeBuckets(w: Wire, h: NativeBuckets): void {
  sint(w, 5, h.schema);
  double(w, 6, h.zeroThreshold);
  count(w, 7, 8, h.zeroCount);
  spans(w, 9, h.negativeSpans);
  deltas(w, 10, h.negativeDeltas);
  // A histogram without buckets still needs a span to be told from a classic one (metrics.proto).
  spans(w, 12, h.positiveSpans.length === 0 && h.negativeSpans.length === 0 && h.zeroThreshold === 0 ? [[0, 0]] : h.positiveSpans);
  deltas(w, 13, h.positiveDeltas);
  for (const e of h.exemplars ?? []) exemplar(w, 16, e);
}

/** Opens a `Metric` of a family. */
export function metric(w: Wire): number {
  return begin(w, FAMILY_METRIC);
}
