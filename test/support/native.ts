import type { MetricFamily } from './protobuf.js';

type Histogram = NonNullable<MetricFamily['metric'][number]['histogram']>;

/** A native histogram as Prometheus reads it: schema, zero bucket, and the count of every populated key of each side. */
export interface NativeState {
  readonly count: number;
  readonly sum: number;
  readonly schema: number;
  readonly zeroThreshold: number;
  readonly zeroCount: number;
  readonly positive: Record<number, number>;
  readonly negative: Record<number, number>;
}

/** Spans and deltas undone: key → count, empty keys left out. */
function buckets(spans: Histogram['positiveSpan'], deltas: readonly bigint[]): Record<number, number> {
  const out: Record<number, number> = {};
  let key = 0;
  let count = 0;
  let d = 0;
  for (const span of spans) {
    key += span.offset;
    for (let i = 0; i < span.length; i++) {
      count += Number(deltas[d++]);
      if (count !== 0) out[key] = count;
      key++;
    }
  }
  if (d !== deltas.length) throw new Error(`${deltas.length} deltas for ${d} buckets`);
  return out;
}

export function nativeState(h: Histogram): NativeState {
  return {
    count: Number(h.sampleCount),
    sum: h.sampleSum,
    schema: h.schema,
    zeroThreshold: h.zeroThreshold,
    zeroCount: Number(h.zeroCount),
    positive: buckets(h.positiveSpan, h.positiveDelta),
    negative: buckets(h.negativeSpan, h.negativeDelta),
  };
}

/** The spans and deltas of a histogram, as client_golang's tests write them. */
export function spansAndDeltas(h: Histogram): { positiveSpan: Array<[number, number]>; positiveDelta: number[]; negativeSpan: Array<[number, number]>; negativeDelta: number[] } {
  return {
    positiveSpan: h.positiveSpan.map((s) => [s.offset, s.length]),
    positiveDelta: h.positiveDelta.map(Number),
    negativeSpan: h.negativeSpan.map((s) => [s.offset, s.length]),
    negativeDelta: h.negativeDelta.map(Number),
  };
}
