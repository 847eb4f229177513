import type { Steps } from '../exposition/slice.js';
import { CHUNK } from '../exposition/slice.js';
import { renderLabels } from '../labels.js';
import type { Archive, ArchivedFamily, ArchivedSeries } from './archive.js';
import type { FamilyMerger } from './merge.js';
import { modeOf } from './merge.js';
import type { PlainMerger } from './plain.js';
import type { StoreView } from './read.js';

/**
 * What goes into an archive and comes out of one: dead stores, other archives, and the merged
 * result written back as an archive. Both multi-process modes keep what exited processes counted
 * this way (directory mode in archive files, IPC mode in the primary's memory).
 */

/** Adds a dead store, as a compactor absorbs it; yields every `CHUNK` series. */
export function* addDeadStore(merger: FamilyMerger, plain: PlainMerger, store: StoreView): Steps<void> {
  // Its default labels become part of its series' labels in the archive, which keeps no snapshot of them.
  const source = { alive: false, worker: store.header.worker, rank: store.header.startedAt, labels: store.labels };
  let n = 0;
  for (const s of store.series) {
    if (++n % CHUNK === 0) yield;
    const mode = modeOf(s.family.def);
    // A dead worker labelled by its pid will never be replaced by a successor: do not keep it for ever.
    if ((mode === 'all' || mode === 'liveall') && store.header.workerSource === 'pid') continue;
    merger.add(s.family.def, s.values, s.rendered, store.v, s.offset, source);
  }
  plain.add(store.plain, false, store.header.worker, store.header.startedAt);
}

/** Adds an archive's families and plain metrics; yields every `CHUNK` series. */
export function* addArchive(merger: FamilyMerger, plain: PlainMerger, archive: Archive): Steps<void> {
  let n = 0;
  for (const { def, since, series } of archive.families) {
    for (const s of series) {
      merger.add(def, s.labels, renderLabels(def.labelNames, s.labels), s.slots, 0, { alive: false, worker: s.worker ?? '', rank: since });
      if (++n % CHUNK === 0) yield;
    }
  }
  plain.add(archive.plain, false, '');
}

/** The merged values as an archive owned by `by`, every definition of a name kept apart; yields every `CHUNK` series. */
export function* toArchive(by: string, absorbed: Record<string, number>, merger: FamilyMerger, plain: PlainMerger): Steps<Archive> {
  const v = merger.values();
  const families: ArchivedFamily[] = [];
  let n = 0;
  for (const f of merger.families()) {
    if (f.series.length === 0) continue;
    const series: ArchivedSeries[] = [];
    for (const s of f.series) {
      series.push({ labels: s.labels, ...(s.worker !== undefined ? { worker: s.worker } : {}), slots: Array.from(v.subarray(s.offset, s.offset + f.width)) });
      if (++n % CHUNK === 0) yield;
    }
    families.push({ def: f.def, since: Number.isFinite(f.rank) ? f.rank : Date.now(), series });
  }
  return { promhttp: 1, owner: by, absorbed, families, plain: plain.summed() };
}
