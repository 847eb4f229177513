import { fromBinary } from '@bufbuild/protobuf';
import { sizeDelimitedPeek } from '@bufbuild/protobuf/wire';
import type { Sample } from './scrape.js';
import { parseExposition } from './scrape.js';
import { MetricFamilySchema, MetricType, type MetricFamily } from './protobuf/metrics_pb.js';

export { MetricType, type MetricFamily };

/** What Prometheus 2.42 sends with `--enable-feature=native-histograms` (seen on the wire). */
export const PROMETHEUS_PROTOBUF_ACCEPT =
  'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
export const PROTOBUF = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

/** Length-delimited `MetricFamily` messages, decoded with the schema generated from metrics.proto; fails on trailing garbage. */
export function decodeFamilies(bytes: Uint8Array): MetricFamily[] {
  const families: MetricFamily[] = [];
  let rest = bytes;
  while (rest.length > 0) {
    const peek = sizeDelimitedPeek(rest);
    if (peek.eof || peek.offset + peek.size > rest.length) throw new Error(`a truncated message at byte ${bytes.length - rest.length}`);
    families.push(fromBinary(MetricFamilySchema, rest.subarray(peek.offset, peek.offset + peek.size)));
    rest = rest.subarray(peek.offset + peek.size);
  }
  return families;
}

/** How the text format writes a number (`le`, `quantile` and values). */
function text(n: number): string {
  return Number.isNaN(n) ? 'NaN' : n === Infinity ? '+Inf' : n === -Infinity ? '-Inf' : String(n);
}

/** The value a parsed text sample has for `n` (the text format's own rounding, none for doubles). */
const value = (n: number): number => parseExposition(`x ${text(n)}`)[0]!.value;

/**
 * The samples the families stand for, as the text format 0.0.4 writes them (and Prometheus
 * stores them): a histogram's buckets with `le` and its +Inf bucket from the count, `_sum` and
 * `_count`; a summary's quantiles, `_sum` and `_count`.
 */
export function familySamples(families: readonly MetricFamily[]): Sample[] {
  const samples: Sample[] = [];
  for (const family of families) {
    const name = family.name;
    for (const metric of family.metric) {
      const labels = Object.fromEntries(metric.label.map((l) => [l.name, l.value]));
      const add = (sample: string, v: number, extra: Record<string, string> = {}): void => void samples.push({ name: sample, labels: { ...labels, ...extra }, value: value(v) });
      switch (family.type) {
        case MetricType.COUNTER:
          add(name, metric.counter!.value);
          break;
        case MetricType.GAUGE:
          add(name, metric.gauge!.value);
          break;
        case MetricType.UNTYPED:
          add(name, metric.untyped!.value);
          break;
        case MetricType.SUMMARY: {
          const s = metric.summary!;
          for (const q of s.quantile) add(name, q.value, { quantile: text(q.quantile) });
          add(`${name}_sum`, s.sampleSum);
          add(`${name}_count`, Number(s.sampleCount));
          break;
        }
        case MetricType.HISTOGRAM: {
          const h = metric.histogram!;
          const count = h.sampleCountFloat > 0 ? h.sampleCountFloat : Number(h.sampleCount);
          for (const b of h.bucket) add(`${name}_bucket`, b.cumulativeCountFloat > 0 ? b.cumulativeCountFloat : Number(b.cumulativeCount), { le: text(b.upperBound) });
          if (h.bucket.at(-1)?.upperBound !== Infinity) add(`${name}_bucket`, count, { le: '+Inf' });
          add(`${name}_sum`, h.sampleSum);
          add(`${name}_count`, count);
          break;
        }
        default:
          throw new Error(`unexpected type ${family.type} of ${name}`);
      }
    }
  }
  return samples;
}

/** Samples in one order, labels sorted, for comparing two expositions of the same registry. */
export function canonical(samples: readonly Sample[]): string[] {
  return samples
    .map((s) => `${s.name}${JSON.stringify(Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : 1)))} ${text(s.value)}`)
    .sort();
}

/** `# TYPE` and `# HELP` of each family of a text-format exposition, help unescaped. */
export function textFamilies(exposition: string): Map<string, { type: string; help: string }> {
  const families = new Map<string, { type: string; help: string }>();
  for (const line of exposition.split('\n')) {
    const match = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (match === null) continue;
    const [, kind, name, rest] = match;
    const family = families.get(name!) ?? { type: '', help: '' };
    if (kind === 'TYPE') family.type = rest!;
    else family.help = rest!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    families.set(name!, family);
  }
  return families;
}

/** `MetricType` as the text format names it. */
export function typeName(type: MetricType): string {
  return MetricType[type].toLowerCase();
}
