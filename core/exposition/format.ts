import type { SlotExemplars, StoredExemplar } from '../exemplars/store.js';
import { escapeLabelValue } from '../labels.js';
import type { FamilyDef, Series } from '../store/types.js';

/**
 * The exposition formats a scraper can ask for: Prometheus' text format 0.0.4, OpenMetrics 1.0,
 * and length-delimited protobuf `MetricFamily` messages (what Prometheus asks for first when its
 * native histograms are on).
 */
export type Format = 'text' | 'openmetrics' | 'protobuf';

/** The formats written as text. */
export type TextFormat = Exclude<Format, 'protobuf'>;

export const CONTENT_TYPE: Record<Format, string> = {
  text: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
  protobuf: 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited',
};

export function formatValue(value: number): string {
  if (Number.isFinite(value)) return String(value);
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? '+Inf' : '-Inf';
}

/** OpenMetrics wants canonical floats for `le` and `quantile`: `1.0`, not `1`. */
export function formatBound(bound: number, format: TextFormat): string {
  if (format === 'openmetrics' && Number.isInteger(bound)) return `${bound}.0`;
  return formatValue(bound);
}

function escapeHelp(help: string, format: TextFormat): string {
  const escaped = help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return format === 'openmetrics' ? escaped.replace(/"/g, '\\"') : escaped;
}

/**
 * The family name and sample name OpenMetrics expects: counters lose `_total` in `# TYPE` and
 * regain it on samples; info metrics likewise with `_info`.
 */
export function familyNames(name: string, type: string, format: TextFormat, info = false): { family: string; sample: string; type: string } {
  if (format === 'text') return { family: name, sample: name, type: info ? 'gauge' : type };
  if (info) {
    const family = name.endsWith('_info') ? name.slice(0, -5) : name;
    return { family, sample: `${family}_info`, type: 'info' };
  }
  if (type === 'counter') {
    const family = name.endsWith('_total') ? name.slice(0, -6) : name;
    return { family, sample: `${family}_total`, type };
  }
  return { family: name, sample: name, type: type === 'untyped' ? 'unknown' : type };
}

export function header(family: string, help: string, type: string, format: TextFormat): string {
  return `# HELP ${family} ${escapeHelp(help, format)}\n# TYPE ${family} ${type}\n`;
}

/** Precomputed `le="…"` label fragments for a histogram's buckets, +Inf last. */
export function leLabels(buckets: readonly number[], format: TextFormat): string[] {
  return [...buckets.map((b) => `le="${formatBound(b, format)}"`), 'le="+Inf"'];
}

/** `extra` (rendered labels, possibly '') before a series' own rendered labels. */
function withExtra(extra: string, rendered: string): string {
  if (extra === '') return rendered;
  return rendered === '' ? extra : `${extra},${rendered}`;
}

/** An exemplar as OpenMetrics writes it after a sample: ` # {trace_id="…"} value timestamp`. */
export function formatExemplar(e: StoredExemplar): string {
  let labels = '';
  for (const name in e.labels) labels += `${labels === '' ? '' : ','}${name}="${escapeLabelValue(e.labels[name]!)}"`;
  return ` # {${labels}} ${formatValue(e.value)} ${formatValue(e.timestampMs / 1000)}`;
}

/**
 * Renders a family whose values sit in an arena (or in a merged copy of arenas).
 * `series[i].offset` indexes `v`; the slot layout is the one of `seriesWidth`. `extra` is a
 * rendered label list put before every series' own labels (the registry's default labels).
 * `exemplars`, by slot of `v`, are written in OpenMetrics only: the text format has no place for them.
 */
export function renderFamily(def: FamilyDef, series: readonly Series[], v: Float64Array, format: TextFormat, withHeader = true, extra = '', exemplars?: SlotExemplars): string {
  if (series.length === 0) return '';
  const { family, sample, type } = familyNames(def.name, def.type, format, def.info);
  let out = withHeader ? header(family, def.help, type, format) : '';
  const ex = format === 'openmetrics' ? exemplars : undefined;
  switch (def.type) {
    case 'counter':
    case 'gauge':
      for (const s of series) {
        const rendered = withExtra(extra, s.rendered);
        const e = ex?.get(s.offset);
        if (e === undefined) out += rendered === '' ? `${sample} ${formatValue(v[s.offset]!)}\n` : `${sample}{${rendered}} ${formatValue(v[s.offset]!)}\n`;
        else out += `${sample}${rendered === '' ? '' : `{${rendered}}`} ${formatValue(v[s.offset]!)}${formatExemplar(e)}\n`;
      }
      return out;
    case 'summary': {
      // OpenMetrics 1.0: a Summary's "Count and Sum MUST NOT be negative" (nor NaN). A summary keeps
      // no count of negative observations, so only a sum that is negative now can be left out.
      const openMetrics = format === 'openmetrics';
      for (const s of series) {
        const rendered = withExtra(extra, s.rendered);
        const labels = rendered === '' ? '' : `{${rendered}}`;
        const sum = v[s.offset + 1]!;
        out += `${sample}_count${labels} ${formatValue(v[s.offset]!)}\n`;
        if (!openMetrics || sum >= 0) out += `${sample}_sum${labels} ${formatValue(sum)}\n`;
      }
      return out;
    }
    case 'histogram': {
      const le = leLabels(def.buckets!, format);
      const n = le.length;
      // OpenMetrics 1.0: "Semantically, Sum, and buckets values are counters so MUST NOT be NaN or
      // negative. Negative threshold buckets MAY be used, but then the Histogram MetricPoint MUST NOT
      // contain a sum value as it would no longer be a counter semantically." A series that
      // received a negative value (counted in its first slot) has such a sum too; its sum stays in
      // the text format, and its count and buckets in both.
      const openMetrics = format === 'openmetrics';
      const negativeBounds = openMetrics && def.buckets![0]! < 0;
      for (const s of series) {
        const o = s.offset;
        const rendered = withExtra(extra, s.rendered);
        const open = rendered === '' ? `${sample}_bucket{` : `${sample}_bucket{${rendered},`;
        let acc = 0;
        for (let i = 0; i < n; i++) {
          acc += v[o + 2 + i]!;
          const e = ex?.get(o + 2 + i);
          out += e === undefined ? `${open}${le[i]}} ${acc}\n` : `${open}${le[i]}} ${acc}${formatExemplar(e)}\n`;
        }
        const labels = rendered === '' ? '' : `{${rendered}}`;
        const sum = v[o + 1]!;
        if (!openMetrics || !(negativeBounds || v[o]! > 0 || !(sum >= 0))) out += `${sample}_sum${labels} ${formatValue(sum)}
`;
        // _count is the +Inf bucket by definition.
        out += `${sample}_count${labels} ${acc}
`;
      }
      return out;
    }
  }
}

/** The shape prom-client's `metric.get()` returns. */
export interface MetricObject {
  name: string;
  help: string;
  type: string;
  values?: Array<{
    value: number;
    labels?: Record<string, string | number | undefined>;
    metricName?: string;
    sharedLabels?: Record<string, string | number>;
  }>;
}

function renderLabelObject(labels: Record<string, string | number | undefined>, format: TextFormat, extra: string): string {
  let out = extra;
  for (const key in labels) {
    const value = labels[key];
    if (value === undefined) continue;
    const text = (key === 'le' || key === 'quantile') && typeof value === 'number' ? formatBound(value, format) : String(value);
    out += `${out ? ',' : ''}${key}="${escapeLabelValue(key === 'le' && text === 'Infinity' ? '+Inf' : text)}"`;
  }
  return out;
}

/**
 * Renders any prom-client metric from its `get()` output, in either format. `staticLabels` is a
 * rendered `name="value"` list added to every sample (a label the metric sets itself wins).
 */
export function renderMetricObject(metric: MetricObject, format: TextFormat, staticLabels: Record<string, string> = {}): string {
  const values = metric.values ?? [];
  const { family, sample, type } = familyNames(metric.name, metric.type, format);
  let out = header(family, metric.help, type, format);
  // As in renderFamily, OpenMetrics takes no sum from a histogram with negative bounds, nor a
  // negative sum. (prom-client keeps no count of negative observations, so a sum that went down
  // and stayed positive cannot be told.)
  // A summary's sum the same way, as OpenMetrics says of it too.
  const sums = format === 'openmetrics' && (type === 'histogram' || type === 'summary') ? `${metric.name}_sum` : undefined;
  const negativeBounds = sums !== undefined && type === 'histogram' && values.some((value) => typeof value.labels?.le === 'number' && value.labels.le < 0);
  for (const value of values) {
    let name = value.metricName ?? metric.name;
    if (name === sums && (negativeBounds || !(value.value >= 0))) continue;
    if (type === 'counter' && name === metric.name) name = sample;
    const labels = { ...staticLabels, ...value.sharedLabels, ...value.labels };
    const rendered = renderLabelObject(labels, format, '');
    out += `${name}${rendered ? `{${rendered}}` : ''} ${formatValue(value.value)}\n`;
  }
  return out;
}
