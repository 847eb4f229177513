import { create, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import type { Registry } from 'prom-client';
import type { Collector } from '../../../core/store/registry.js';
import type { MetricObject } from '../../../core/exposition/format.js';
import { defaultLabelsFor, defaultLabelsOf } from '../../../core/exposition/default-labels.js';
import { CHUNK, createSlicer } from '../../../core/exposition/slice.js';
import { MetricFamilySchema, MetricSchema, MetricType } from '../../support/protobuf/metrics_pb.js';

/**
 * The protobuf exposition written with @bufbuild/protobuf and the code generated from
 * metrics.proto, the other way to build it: a message object per metric, label pair and bucket,
 * each metric encoded with `toBinary`, a family's metrics in chunks of `CHUNK` and the family's
 * head put before them once they are all written, as promhttp's own encoder does
 * (core/exposition/protobuf/). Measured beside it in the scrape benchmark: the same series, the
 * same slicing, so that the two differ only in how the bytes are made.
 */
type Init = MessageInitShape<typeof MetricSchema>;

/** Appends `metrics` as `MetricFamily.metric` fields. */
function chunkOf(metrics: readonly Init[]): Uint8Array {
  const w = new BinaryWriter();
  for (const m of metrics) w.tag(4, WireType.LengthDelimited).bytes(toBinary(MetricSchema, create(MetricSchema, m)));
  return w.finish();
}

const TYPES: Record<string, MetricType> = { counter: MetricType.COUNTER, gauge: MetricType.GAUGE, summary: MetricType.SUMMARY, histogram: MetricType.HISTOGRAM };

/** `a="1",b="x\"y"` as label pairs. */
function pairs(rendered: string, into: Array<{ name: string; value: string }>): void {
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const [, name, raw] of rendered.matchAll(re)) into.push({ name: name!, value: raw!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)) });
}

export async function renderProtobufEs(registry: Registry): Promise<Uint8Array> {
  const defaults = defaultLabelsOf(registry);
  const parts: Uint8Array[] = [];
  const slicer = createSlicer();
  for (const collector of registry.getMetricsAsArray() as unknown as Array<Partial<Collector> & { get(): Promise<MetricObject>; name: string; help: string; type: string }>) {
    const family = collector.family;
    const chunks: Uint8Array[] = [];
    if (family !== undefined) {
      const { def, series } = family;
      const v = family.arena.v;
      const extra = defaultLabelsFor(defaults, def.labelNames);
      for (let from = 0; from < series.length; from += CHUNK) {
        const metric: Init[] = [];
        for (const s of series.slice(from, from + CHUNK)) {
          const label: Array<{ name: string; value: string }> = [];
          pairs(extra, label);
          pairs(s.rendered, label);
          const o = s.offset;
          const m: Init = { label };
          if (def.type === 'counter') m.counter = { value: v[o]! };
          else if (def.type === 'gauge') m.gauge = { value: v[o]! };
          else if (def.type === 'summary') m.summary = { sampleCount: BigInt(v[o]!), sampleSum: v[o + 1]! };
          else {
            const bounds = def.buckets!;
            let total = 0;
            for (let i = 0; i <= bounds.length; i++) total += v[o + 2 + i]!;
            let acc = 0;
            const bucket = bounds.map((upperBound, i) => ({ cumulativeCount: BigInt((acc += v[o + 2 + i]!)), upperBound }));
            m.histogram = { sampleCount: BigInt(total), sampleSum: v[o + 1]!, bucket };
          }
          metric.push(m);
        }
        chunks.push(chunkOf(metric));
        if (slicer.overdue()) await slicer.pause();
      }
    } else {
      const object = await collector.get();
      const metric: Init[] = [];
      for (const value of object.values ?? []) {
        const label = Object.entries({ ...defaults, ...value.labels }).map(([name, v]) => ({ name, value: String(v) }));
        metric.push(object.type === 'counter' ? { label, counter: { value: value.value } } : { label, gauge: { value: value.value } });
      }
      chunks.push(chunkOf(metric));
    }
    let length = 0;
    for (const chunk of chunks) length += chunk.length;
    if (length === 0) continue;
    const head = toBinary(MetricFamilySchema, create(MetricFamilySchema, { name: collector.name, help: collector.help, type: TYPES[collector.type] ?? MetricType.UNTYPED }));
    parts.push(new BinaryWriter().uint32(head.length + length).raw(head).finish(), ...chunks);
    if (slicer.overdue()) await slicer.pause();
  }
  return Buffer.concat(parts);
}
