import type { Format, MetricObject } from '../../exposition/format.js';
import { renderFamily, renderMetricObject } from '../../exposition/format.js';
import type { Series } from '../../store/types.js';
import type { MergedMessage, WorkerCounts } from './protocol.js';
import { decodeFamily, decodePlain, decodeValues } from './protocol.js';

export const WORKERS_METRIC = 'promhttp_cluster_workers';
const HELP = 'node:cluster workers in this scrape, by state: fresh values, stale (did not answer in time, shown as last sent), or exited (counts kept).';

const SLICE_MS = 10;
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function workersMetric(counts: WorkerCounts): MetricObject {
  return {
    name: WORKERS_METRIC,
    help: HELP,
    type: 'gauge',
    values: [
      { labels: { state: 'fresh' }, value: counts.fresh },
      { labels: { state: 'stale' }, value: counts.stale },
      { labels: { state: 'exited' }, value: counts.exited },
    ],
  };
}

/** Renders the primary's merged answer in the layout of directory mode: promhttp families, the workers gauge, plain metrics. */
export async function renderMerged(message: MergedMessage, format: Format): Promise<string> {
  const v = decodeValues(message.values);
  const parts: string[] = [];
  const names = new Set<string>();
  let sliceStart = performance.now();
  for (const family of message.families) {
    const def = decodeFamily(family.def);
    if (def === undefined) continue;
    names.add(def.name);
    const series: Series[] = family.series.map(([rendered, offset]) => ({ values: [], rendered, offset }));
    parts.push(renderFamily(def, series, v, format));
    if (performance.now() - sliceStart > SLICE_MS) {
      await yieldToLoop();
      sliceStart = performance.now();
    }
  }
  parts.push(renderMetricObject(workersMetric(message.workers), format));
  for (const metric of decodePlain(message.plain)) {
    if (names.has(metric.name) || metric.name === WORKERS_METRIC) continue;
    parts.push(renderMetricObject({ ...metric, values: [...metric.values] }, format));
  }
  return parts.join('');
}
