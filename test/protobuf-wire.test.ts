import { describe, expect, it } from 'vitest';
// eslint-disable-next-line no-restricted-imports -- how the stores render a series' labels, which the encoder reads back.
import { renderLabels } from '../core/labels.js';
// eslint-disable-next-line no-restricted-imports -- the message writers: exemplars and native buckets are written by no public path yet.
import { beginHistogram, beginSummary, bucket, counter, familyHead, gauge, metric, nativeBuckets, quantile, renderedLabels, TYPE, untyped, type NativeBuckets } from '../core/exposition/protobuf/messages.js';
// eslint-disable-next-line no-restricted-imports -- the wire primitives under the message writers.
import { createWire, end, take, utf8, type Wire } from '../core/exposition/protobuf/wire.js';
import { decodeFamilies, type MetricFamily } from './support/protobuf.js';

/** One family with one metric whose fields `write` puts in, decoded with the generated schema. */
function roundTrip(type: number, write: (w: Wire) => void): MetricFamily['metric'][number] {
  const w = createWire(16);
  const m = metric(w);
  write(w);
  end(w, m);
  const metrics = take(w);
  familyHead(w, 'x', 'help', type, metrics.length);
  const bytes = new Uint8Array([...take(w), ...metrics]);
  const families = decodeFamilies(bytes);
  expect(families).toHaveLength(1);
  return families[0]!.metric[0]!;
}

/** A deterministic stream of UTF-16 code units, surrogates (paired and not) included. */
function* codeUnits(seed: number): Generator<number> {
  let x = seed;
  for (;;) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const pick = x % 10;
    yield pick < 4 ? x % 0x80 : pick < 6 ? 0x80 + (x % 0x780) : pick < 8 ? 0xd800 + (x % 0x800) : 0x800 + (x % 0xf800);
  }
}

describe('protobuf wire encoding', () => {
  it('writes UTF-8 as TextEncoder does, lone surrogates as U+FFFD', () => {
    const encoder = new TextEncoder();
    const units = codeUnits(42);
    for (let n = 0; n < 500; n++) {
      const length = n % 40;
      const s = String.fromCharCode(...Array.from({ length }, () => units.next().value as number));
      const w = createWire(4);
      utf8(w, s);
      expect(take(w), JSON.stringify(s)).toEqual(encoder.encode(s));
    }
  });

  it('reads label values back unescaped from the text formats\' rendering, at every length a varint length takes', () => {
    for (const length of [0, 1, 127, 128, 129, 16_383, 16_384, 70_000]) {
      const value = 'é"\\\n'.repeat(Math.ceil(length / 4)).slice(0, length);
      const decoded = roundTrip(TYPE.gauge, (w) => {
        renderedLabels(w, renderLabels(['a', 'long_one', 'z'], ['1', value, '']));
        gauge(w, 1);
      });
      expect(decoded.label.map((l) => [l.name, l.value])).toEqual([
        ['a', '1'],
        ['long_one', value],
        ['z', ''],
      ]);
    }
  });

  it('writes counts as integers up to 2^53 and as the _float fields otherwise', () => {
    for (const count of [0, 1, 127, 128, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER]) {
      const h = roundTrip(TYPE.histogram, (w) => {
        const open = beginHistogram(w, count, 0.5);
        bucket(w, count, 1);
        end(w, open);
      }).histogram!;
      expect([h.sampleCount, h.sampleCountFloat, h.bucket[0]!.cumulativeCount]).toEqual([BigInt(count), 0, BigInt(count)]);
    }
    const h = roundTrip(TYPE.histogram, (w) => {
      const open = beginHistogram(w, 2.5, -1);
      bucket(w, 0.5, -Infinity);
      end(w, open);
    }).histogram!;
    expect([h.sampleCount, h.sampleCountFloat, h.sampleSum, h.bucket[0]!.cumulativeCountFloat, h.bucket[0]!.upperBound]).toEqual([0n, 2.5, -1, 0.5, -Infinity]);
    const s = roundTrip(TYPE.summary, (w) => {
      const open = beginSummary(w, 3, Number.NaN);
      quantile(w, 0.5, 2);
      end(w, open);
    }).summary!;
    expect([s.sampleCount, s.sampleSum, s.quantile.map((q) => [q.quantile, q.value])]).toEqual([3n, Number.NaN, [[0.5, 2]]]);
    expect(roundTrip(TYPE.untyped, (w) => untyped(w, -0)).untyped!.value).toBe(-0);
  });

  it('attaches exemplars to counters and buckets, with their labels, value and timestamp', () => {
    const exemplar = { labels: { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' }, value: 0.042, timestampMs: 1_700_000_000_123.5 };
    const c = roundTrip(TYPE.counter, (w) => counter(w, 12, exemplar)).counter!;
    expect(c.value).toBe(12);
    expect(c.exemplar!.label.map((l) => [l.name, l.value])).toEqual(Object.entries(exemplar.labels));
    expect(c.exemplar!.value).toBe(0.042);
    expect([c.exemplar!.timestamp!.seconds, c.exemplar!.timestamp!.nanos]).toEqual([1_700_000_000n, 123_500_000]);
    const h = roundTrip(TYPE.histogram, (w) => {
      const open = beginHistogram(w, 1, 0.042);
      bucket(w, 0, 0.01);
      bucket(w, 1, 0.05, { labels: { trace_id: 'abc' }, value: 0.042 });
      end(w, open);
    }).histogram!;
    expect(h.bucket[0]!.exemplar).toBeUndefined();
    expect(h.bucket[1]!.exemplar!.label[0]!.value).toBe('abc');
    expect(h.bucket[1]!.exemplar!.timestamp).toBeUndefined();
  });

  it('carries a native histogram\'s schema, zero bucket, spans and deltas beside the classic buckets', () => {
    const native: NativeBuckets = {
      schema: -2,
      zeroThreshold: 2 ** -128,
      zeroCount: 3,
      negativeSpans: [[-3, 2]],
      negativeDeltas: [1, -1],
      positiveSpans: [
        [0, 2],
        [5, 1],
      ],
      positiveDeltas: [4, -2, 7],
      exemplars: [{ labels: { trace_id: 'f00' }, value: 1.5, timestampMs: 1000 }],
    };
    const h = roundTrip(TYPE.histogram, (w) => {
      const open = beginHistogram(w, 17, 40);
      bucket(w, 10, 1);
      nativeBuckets(w, native);
      end(w, open);
    }).histogram!;
    expect(h.schema).toBe(-2);
    expect(h.zeroThreshold).toBe(2 ** -128);
    expect(h.zeroCount).toBe(3n);
    expect(h.negativeSpan.map((s) => [s.offset, s.length])).toEqual([[-3, 2]]);
    expect(h.negativeDelta).toEqual([1n, -1n]);
    expect(h.positiveSpan.map((s) => [s.offset, s.length])).toEqual([
      [0, 2],
      [5, 1],
    ]);
    expect(h.positiveDelta).toEqual([4n, -2n, 7n]);
    expect(h.exemplars.map((e) => [e.label[0]!.value, e.value, e.timestamp!.seconds])).toEqual([['f00', 1.5, 1n]]);
    expect(Number(h.bucket[0]!.cumulativeCount)).toBe(10);

    // Without observations and without a zero bucket, a no-op span tells it from a classic histogram.
    const empty = roundTrip(TYPE.histogram, (w) => {
      const open = beginHistogram(w, 0, 0);
      nativeBuckets(w, { schema: 3, zeroThreshold: 0, zeroCount: 0, negativeSpans: [], negativeDeltas: [], positiveSpans: [], positiveDeltas: [] });
      end(w, open);
    }).histogram!;
    expect(empty.positiveSpan.map((s) => [s.offset, s.length])).toEqual([[0, 0]]);
  });
});
