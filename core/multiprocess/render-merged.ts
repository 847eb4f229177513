import type { Format, MetricObject } from '../exposition/format.js';
import { renderFamily, renderMetricObject } from '../exposition/format.js';
import type { Slicer } from '../exposition/slice.js';
import { CHUNK, createSlicer } from '../exposition/slice.js';
import type { FamilyDef, Series } from '../store/types.js';
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
  slicer: Slicer = createSlicer(),
): Promise<Buffer[]> {
  const parts: Buffer[] = [];
  const names = new Set<string>();
  for (const { def, series } of families) {
    names.add(def.name);
    for (let from = 0; from < series.length; from += CHUNK) {
      const to = Math.min(from + CHUNK, series.length);
      parts.push(Buffer.from(renderFamily(def, from === 0 && to === series.length ? series : series.slice(from, to), v, format, from === 0)));
      if (slicer.overdue()) await slicer.pause();
    }
  }
  for (const gauge of gauges) {
    if (gauge === undefined) continue;
    names.add(gauge.name);
    parts.push(Buffer.from(renderMetricObject(gauge, format)));
  }
  for (const metric of plain) {
    if (names.has(metric.name)) continue;
    parts.push(Buffer.from(renderMetricObject({ ...metric, values: [...metric.values] }, format)));
    if (slicer.overdue()) await slicer.pause();
  }
  return parts;
}
