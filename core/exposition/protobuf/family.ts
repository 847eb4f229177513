import type { SlotExemplars } from '../../exemplars/store.js';
import type { FamilyDef, Series } from '../../store/types.js';
import { classicWidth } from '../../store/types.js';
import type { Wire } from './wire.js';
import { bytes, createWire, end, take } from './wire.js';
import { beginHistogram, beginSummary, bucket, counter, exemplar, familyHead, gauge, metric, renderedLabels, TYPE } from './messages.js';
import { nativeFields } from './native.js';

/**
 * A family's protobuf exposition is written in chunks of series, like the text formats: each chunk
 * is the family's `Metric` fields, and once every chunk is written, `delimitFamily` puts the
 * family's name, help, type and length before them. Chunks are encoded into one scratch buffer and
 * copied out; encoding is synchronous, so renders that take turns never share it mid-chunk.
 */
const scratch: Wire = createWire();

/** `Histogram.exemplars` of metrics.proto: a native histogram's exemplars, each with a timestamp. */
const HISTOGRAM_EXEMPLARS = 16;

/** The `MetricType` of a store family: info metrics are gauges of value 1, as in the text format. */
export function familyType(def: FamilyDef): number {
  return def.info ? TYPE.gauge : TYPE[def.type];
}

/** The `MetricType` of a type name as prom-client gives it; types protobuf lacks are untyped. */
export function typeOf(type: string): number {
  return type === 'counter' || type === 'gauge' || type === 'summary' || type === 'histogram' ? TYPE[type] : TYPE.untyped;
}

/** `labels` (rendered for the text formats) as label-pair fields, to be copied into every metric. */
function labelBytes(w: Wire, rendered: string): Uint8Array | undefined {
  if (rendered === '') return undefined;
  renderedLabels(w, rendered);
  return take(w);
}

/**
 * The series of a store family as `Metric` fields, with the values `renderFamily` writes as text:
 * a histogram's buckets cumulative and its count their total (its first slot, the negative
 * observations, is for OpenMetrics only), the +Inf bucket left to the count, and the native
 * buckets of a histogram that has them (its classic buckets left out when `classicInProtobuf` is
 * false). `extra` is a rendered label list put before every series' own labels (the registry's
 * default labels). `exemplars`, by slot of `v`, go on counters and classic buckets; the +Inf bucket
 * is written out when it has one, as client_golang does, since the count has no place for an
 * exemplar. A native histogram also carries its buckets' exemplars in `Histogram.exemplars`, in
 * order of value, where client_golang puts them and where scrapers look when classic buckets are
 * left out.
 */
export function encodeSeries(def: FamilyDef, series: readonly Series[], v: Float64Array, extra = '', exemplars?: SlotExemplars): Uint8Array {
  const w = scratch;
  const extraBytes = labelBytes(w, extra);
  for (const s of series) {
    const o = s.offset;
    const m = metric(w);
    if (extraBytes !== undefined) bytes(w, extraBytes);
    renderedLabels(w, s.rendered);
    switch (def.type) {
      case 'counter':
        counter(w, v[o]!, exemplars?.get(o));
        break;
      case 'gauge':
        gauge(w, v[o]!);
        break;
      case 'summary':
        end(w, beginSummary(w, v[o]!, v[o + 1]!));
        break;
      case 'histogram': {
        const bounds = def.buckets!;
        const n = bounds.length;
        let total = 0;
        for (let i = 0; i <= n; i++) total += v[o + 2 + i]!;
        const h = beginHistogram(w, total, v[o + 1]!);
        const native = def.native;
        if (native === undefined || native.classicInProtobuf) {
          let acc = 0;
          for (let i = 0; i < n; i++) {
            acc += v[o + 2 + i]!;
            bucket(w, acc, bounds[i]!, exemplars?.get(o + 2 + i));
          }
          const inf = exemplars?.get(o + 2 + n);
          if (inf !== undefined) bucket(w, total, Infinity, inf);
        }
        if (native !== undefined) {
          nativeFields(w, v, o + classicWidth(def), native);
          if (exemplars !== undefined) {
            // Buckets are in order of their bounds, so their exemplars come in order of value.
            for (let i = 0; i <= n; i++) {
              const e = exemplars.get(o + 2 + i);
              if (e !== undefined) exemplar(w, HISTOGRAM_EXEMPLARS, e);
            }
          }
        }
        end(w, h);
        break;
      }
    }
    end(w, m);
  }
  return take(w);
}

/**
 * A complete length-delimited `MetricFamily` from its metrics' chunks: the head, then the chunks
 * as they are. Nothing for a family without metrics, which protobuf scrapers skip anyway.
 */
export function delimitFamily(name: string, help: string, type: number, chunks: readonly Uint8Array[]): Uint8Array[] {
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  if (length === 0) return [];
  familyHead(scratch, name, help, type, length);
  return [take(scratch), ...chunks];
}
