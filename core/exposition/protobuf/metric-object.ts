import type { MetricObject } from '../format.js';
import type { Wire } from './wire.js';
import { createWire, end, take } from './wire.js';
import { beginHistogram, beginSummary, bucket, counter, gauge, labelPair, metric, quantile, TYPE, untyped } from './messages.js';
import { delimitFamily, typeOf } from './family.js';

type Value = NonNullable<MetricObject['values']>[number];
type Labels = Record<string, string | number | undefined>;

const scratch: Wire = createWire(4096);

/** One label set of a histogram or summary, gathered from its samples. */
interface Point {
  readonly labels: Labels;
  count?: number;
  sum?: number;
  /** Upper bound (or quantile) and value, in the order given. */
  readonly parts: Array<[number, number]>;
}

function bound(value: string | number | undefined): number {
  return typeof value === 'number' ? value : value === '+Inf' ? Infinity : value === '-Inf' ? -Infinity : Number(value);
}

/** The labels of a sample as the text formats put them: static ones, then shared, then its own. */
function labelsOf(value: Value, staticLabels: Readonly<Record<string, string>>): Labels {
  return { ...staticLabels, ...value.sharedLabels, ...value.labels };
}

function writeLabels(w: Wire, labels: Labels, skip?: string): void {
  for (const name in labels) {
    const value = labels[name];
    if (value === undefined || name === skip) continue;
    labelPair(w, name, String(value));
  }
}

/** The series key of a label set, without the label that tells a histogram's buckets or a summary's quantiles apart. */
function keyOf(labels: Labels, skip: string): string {
  const entries: string[] = [];
  for (const name of Object.keys(labels).sort()) {
    const value = labels[name];
    if (value !== undefined && name !== skip) entries.push(name, String(value));
  }
  return JSON.stringify(entries);
}

/** Gathers a histogram's or summary's samples per label set; samples of other names go to `stray`. */
function points(metric: MetricObject, staticLabels: Readonly<Record<string, string>>, stray: (value: Value) => void): Point[] {
  const histogram = metric.type === 'histogram';
  const skip = histogram ? 'le' : 'quantile';
  const partName = histogram ? `${metric.name}_bucket` : metric.name;
  const byKey = new Map<string, Point>();
  for (const value of metric.values ?? []) {
    const name = value.metricName ?? metric.name;
    const labels = labelsOf(value, staticLabels);
    const role = name === `${metric.name}_sum` ? 'sum' : name === `${metric.name}_count` ? 'count' : name === partName && labels[skip] !== undefined ? 'part' : undefined;
    if (role === undefined) {
      stray(value);
      continue;
    }
    const key = keyOf(labels, skip);
    let point = byKey.get(key);
    if (point === undefined) byKey.set(key, (point = { labels, parts: [] }));
    if (role === 'part') point.parts.push([bound(labels[skip]), value.value]);
    else point[role] = value.value;
  }
  return [...byKey.values()];
}

function writePoint(w: Wire, point: Point, histogram: boolean): void {
  const m = metric(w);
  writeLabels(w, point.labels, histogram ? 'le' : 'quantile');
  if (histogram) {
    // The +Inf bucket is the count; a histogram that reports no count has it from that bucket.
    const inf = point.parts.find(([le]) => le === Infinity)?.[1];
    const h = beginHistogram(w, point.count ?? inf ?? 0, point.sum ?? 0);
    for (const [le, cumulative] of point.parts) if (le !== Infinity) bucket(w, cumulative, le);
    end(w, h);
  } else {
    const s = beginSummary(w, point.count ?? 0, point.sum ?? 0);
    for (const [q, value] of point.parts) quantile(w, q, value);
    end(w, s);
  }
  end(w, m);
}

/**
 * A prom-client metric from its `get()` output as length-delimited `MetricFamily` messages: one,
 * plus an untyped family per other sample name it reports (a custom collector may report any),
 * so that no sample the text formats show is lost. `staticLabels` go on every sample; a label the
 * metric sets itself wins.
 */
export function encodeMetricObject(object: MetricObject, staticLabels: Readonly<Record<string, string>> = {}): Uint8Array[] {
  const w = scratch;
  const strays = new Map<string, Value[]>();
  const stray = (value: Value): void => {
    const name = value.metricName ?? object.name;
    const list = strays.get(name);
    if (list === undefined) strays.set(name, [value]);
    else list.push(value);
  };
  const type = typeOf(object.type);
  if (type === TYPE.histogram || type === TYPE.summary) {
    for (const point of points(object, staticLabels, stray)) writePoint(w, point, type === TYPE.histogram);
  } else {
    for (const value of object.values ?? []) {
      if ((value.metricName ?? object.name) !== object.name) {
        stray(value);
        continue;
      }
      const m = metric(w);
      writeLabels(w, labelsOf(value, staticLabels));
      if (type === TYPE.counter) counter(w, value.value);
      else if (type === TYPE.gauge) gauge(w, value.value);
      else untyped(w, value.value);
      end(w, m);
    }
  }
  const parts = delimitFamily(object.name, object.help, type, [take(w)]);
  for (const [name, values] of strays) {
    for (const value of values) {
      const m = metric(w);
      writeLabels(w, labelsOf(value, staticLabels));
      untyped(w, value.value);
      end(w, m);
    }
    parts.push(...delimitFamily(name, object.help, TYPE.untyped, [take(w)]));
  }
  return parts;
}
