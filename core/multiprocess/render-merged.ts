import type { Format, MetricObject } from '../exposition/format.js';
import { renderFamily, renderMetricObject } from '../exposition/format.js';
import { delimitFamily, encodeSeries, familyType } from '../exposition/protobuf/family.js';
import { encodeMetricObject } from '../exposition/protobuf/metric-object.js';
import type { Slicer } from '../exposition/slice.js';
import { CHUNK, createSlicer } from '../exposition/slice.js';
import type { SlotExemplars } from '../exemplars/store.js';
import type { FamilyDef, Series } from '../store/types.js';
import type { PlainMetric } from './plain.js';

/** Views of encoded bytes as Buffers, the chunks merged renders answer with; nothing is copied. */
function asBuffers(chunks: readonly Uint8Array[]): Buffer[] {
  return chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength));
}

/**
 * Renders a merged view in the one layout both multi-process modes share: promhttp families
 * first, then the mode's own gauges, then the plain prom-client metrics no family already covers.
 * Families are rendered `CHUNK` series at a time, each chunk encoded at once, giving the event loop
 * back whenever a slice is over, as single-process exposition does. `families` may be lazy: it is
 * walked once. Protobuf comes as complete length-delimited `MetricFamily` messages. `exemplars` are
 * by family name and slot of `v`.
 *
 * Series and plain metrics carry the default labels of the process that wrote them (merge.ts and
 * collectPlain put them there), so that every process renders the same series; `defaults`, the
 * serving registry's, only label the gauges, which describe this scrape.
 */
export async function renderMergedView(
  families: Iterable<{ readonly def: FamilyDef; readonly series: readonly Series[] }>,
  v: Float64Array,
  gauges: ReadonlyArray<MetricObject | undefined>,
  plain: readonly PlainMetric[],
  format: Format,
  defaults: Readonly<Record<string, string>> = {},
  slicer: Slicer = createSlicer(),
  exemplars?: ReadonlyMap<string, SlotExemplars>,
): Promise<Buffer[]> {
  const parts: Buffer[] = [];
  const names = new Set<string>();
  for (const { def, series } of families) {
    names.add(def.name);
    // A protobuf family is delimited by the length of all its metrics, known after its last chunk.
    const chunks: Uint8Array[] = [];
    const kept = exemplars?.get(def.name);
    for (let from = 0; from < series.length; from += CHUNK) {
      const to = Math.min(from + CHUNK, series.length);
      const slice = from === 0 && to === series.length ? series : series.slice(from, to);
      if (format === 'protobuf') chunks.push(encodeSeries(def, slice, v, '', kept));
      else parts.push(Buffer.from(renderFamily(def, slice, v, format, from === 0, '', kept)));
      if (slicer.overdue()) await slicer.pause();
    }
    if (format === 'protobuf') parts.push(...asBuffers(delimitFamily(def.name, def.help, familyType(def), chunks)));
  }
  const render = (metric: MetricObject, labels: Readonly<Record<string, string>>): Buffer[] =>
    format === 'protobuf' ? asBuffers(encodeMetricObject(metric, labels)) : [Buffer.from(renderMetricObject(metric, format, labels))];
  for (const gauge of gauges) {
    if (gauge === undefined) continue;
    names.add(gauge.name);
    parts.push(...render(gauge, defaults));
  }
  for (const metric of plain) {
    if (names.has(metric.name)) continue;
    parts.push(...render({ ...metric, values: [...metric.values] }, {}));
    if (slicer.overdue()) await slicer.pause();
  }
  return parts;
}
