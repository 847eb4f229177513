import type { Format, MetricObject } from '../../exposition/format.js';
import type { FamilyDef, Series } from '../../store/types.js';
import { createSlicer } from '../../exposition/slice.js';
import { renderMergedView } from '../render-merged.js';
import type { Conflict } from '../definitions.js';
import { conflictsMetric } from '../definitions.js';
import type { MergedMessage, WorkerCounts } from './protocol.js';
import { decodeFamily, decodePlain, decodeValues } from './protocol.js';
import type { StoredExemplar } from '../../exemplars/store.js';
import { decodeExemplars } from '../exemplars.js';

export const WORKERS_METRIC = 'promhttp_cluster_workers';
const HELP = 'node:cluster workers in this scrape, by state: fresh values, stale (did not answer in time, shown as last sent), or exited (counts kept).';

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
export async function renderMerged(message: MergedMessage, format: Format, defaults: Readonly<Record<string, string>>, signal?: AbortSignal): Promise<Buffer[]> {
  const gauges = [workersMetric(message.workers), conflictsMetric(decodeConflicts(message.conflicts))];
  return renderMergedView(decodedFamilies(message), decodeValues(message.values), gauges, decodePlain(message.plain), format, defaults, createSlicer(signal), decodedExemplars(message.exemplars));
}

/** The merged exemplars by family name and slot; anything that is not one is skipped. */
function decodedExemplars(raw: unknown): Map<string, Map<number, StoredExemplar>> {
  const byName = new Map<string, Map<number, StoredExemplar>>();
  for (const item of Array.isArray(raw) ? (raw as unknown[]) : []) {
    if (!Array.isArray(item) || typeof item[0] !== 'string') continue;
    let slots = byName.get(item[0]);
    if (slots === undefined) byName.set(item[0], (slots = new Map()));
    decodeExemplars([item.slice(1)], slots);
  }
  return byName;
}

function decodeConflicts(raw: unknown): Conflict[] {
  const conflicts: Conflict[] = [];
  for (const c of Array.isArray(raw) ? (raw as unknown[]) : []) {
    if (!Array.isArray(c)) continue;
    const [metric, action, count] = c as unknown[];
    if (typeof metric === 'string' && (action === 'rebucketed' || action === 'merged' || action === 'hidden') && typeof count === 'number') conflicts.push({ metric, action, count });
  }
  return conflicts;
}

/** Decoded one at a time, so a large answer is decoded in the render's slices; families this process cannot read are skipped. */
function* decodedFamilies(message: MergedMessage): Generator<{ def: FamilyDef; series: Series[] }> {
  for (const family of message.families) {
    const def = decodeFamily(family.def);
    if (def === undefined) continue;
    yield { def, series: family.series.map(([rendered, offset]) => ({ values: [], rendered, offset })) };
  }
}
