import type { Format, MetricObject } from '../exposition/format.js';
import { defaultLabelsFor } from '../exposition/default-labels.js';
import { renderFamily, renderMetricObject } from '../exposition/format.js';
import type { Slicer } from '../exposition/slice.js';
import { CHUNK, createSlicer } from '../exposition/slice.js';
import type { FamilyDef, Series } from '../store/types.js';
import { modeOf, workerLabelFor } from './merge.js';
import type { PlainMetric } from './plain.js';

/**
 * Renders a merged view in the one layout both multi-process modes share: promhttp families
 * first, then the mode's own gauges, then the plain prom-client metrics no family already covers.
 * Families are rendered `CHUNK` series at a time, each chunk encoded at once, giving the event loop
 * back whenever a slice is over, as single-process exposition does. `families` may be lazy: it is
 * walked once.
 */
export async function renderMergedView(
  families: Iterable<{ readonly def: FamilyDef; readonly series: readonly Series[] }>,
  v: Float64Array,
  gauges: ReadonlyArray<MetricObject | undefined>,
  plain: readonly PlainMetric[],
  format: Format,
  defaults: Readonly<Record<string, string>> = {},
  slicer: Slicer = createSlicer(),
): Promise<Buffer[]> {
  const parts: Buffer[] = [];
  const names = new Set<string>();
  for (const { def, series } of families) {
    names.add(def.name);
    // The rendering registry's default labels, on every series that does not have the label: its
    // own labels and static ones (in `labelNames`), and the per-process label of `all` gauges.
    const mode = modeOf(def);
    const extra = defaultLabelsFor(defaults, mode === 'all' || mode === 'liveall' ? [...def.labelNames, workerLabelFor(def)] : def.labelNames);
    for (let from = 0; from < series.length; from += CHUNK) {
      const to = Math.min(from + CHUNK, series.length);
      parts.push(Buffer.from(renderFamily(def, from === 0 && to === series.length ? series : series.slice(from, to), v, format, from === 0, extra)));
      if (slicer.overdue()) await slicer.pause();
    }
  }
  for (const gauge of gauges) {
    if (gauge === undefined) continue;
    names.add(gauge.name);
    parts.push(Buffer.from(renderMetricObject(gauge, format, defaults)));
  }
  for (const metric of plain) {
    if (names.has(metric.name)) continue;
    parts.push(Buffer.from(renderMetricObject({ ...metric, values: [...metric.values] }, format, defaults)));
    if (slicer.overdue()) await slicer.pause();
  }
  return parts;
}
