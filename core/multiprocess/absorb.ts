import { renderLabels } from '../labels.js';
import type { Archive, ArchivedFamily } from './archive.js';
import type { FamilyMerger } from './merge.js';
import { modeOf } from './merge.js';
import type { PlainMerger } from './plain.js';
import type { StoreView } from './read.js';

/**
 * What goes into an archive and comes out of one: dead stores, other archives, and the merged
 * result written back as an archive. Both multi-process modes keep what exited processes counted
 * this way (directory mode in archive files, IPC mode in the primary's memory).
 */

/** Adds a dead store, as a compactor absorbs it. */
export function addDeadStore(merger: FamilyMerger, plain: PlainMerger, store: StoreView): void {
  const source = { alive: false, worker: store.header.worker, rank: store.header.startedAt };
  for (const s of store.series) {
    const mode = modeOf(s.family.def);
    // A dead worker labelled by its pid will never be replaced by a successor: do not keep it for ever.
    if ((mode === 'all' || mode === 'liveall') && store.header.workerSource === 'pid') continue;
    merger.add(s.family.def, s.values, s.rendered, store.v, s.offset, source);
  }
  plain.add(store.plain, false, store.header.worker, store.header.startedAt);
}

export function addArchive(merger: FamilyMerger, plain: PlainMerger, archive: Archive): void {
  for (const { def, since, series } of archive.families) {
    for (const s of series) merger.add(def, s.labels, renderLabels(def.labelNames, s.labels), s.slots, 0, { alive: false, worker: s.worker ?? '', rank: since });
  }
  plain.add(archive.plain, false, '');
}

/** The merged values as an archive owned by `by`, every definition of a name kept apart. */
export function toArchive(by: string, absorbed: Record<string, number>, merger: FamilyMerger, plain: PlainMerger): Archive {
  const v = merger.values();
  const families: ArchivedFamily[] = merger
    .families()
    .filter((f) => f.series.length > 0)
    .map((f) => ({
      def: f.def,
      since: Number.isFinite(f.rank) ? f.rank : Date.now(),
      series: f.series.map((s) => ({ labels: s.labels, ...(s.worker !== undefined ? { worker: s.worker } : {}), slots: Array.from(v.subarray(s.offset, s.offset + f.width)) })),
    }));
  return { promhttp: 1, owner: by, absorbed, families, plain: plain.summed() };
}
