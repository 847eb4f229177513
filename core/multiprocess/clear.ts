import { join } from 'node:path';
import type { ResetPolicy } from './options.js';
import { ownerCertainlyDead, removeEntry, removeQuietly } from './files.js';
import type { DirectoryView } from './read.js';
import { readDirectory } from './read.js';

/** What a clear did. */
export interface ClearResult {
  /** Entries (stores, archives, leftovers) deleted. */
  readonly removed: number;
  /** Live processes (and worker threads) that were using the directory. */
  readonly live: number;
}

function liveCount(view: DirectoryView): number {
  return view.stores.filter((s) => s.alive).length;
}

/** Deletes the entries of `view` that `drop` selects; work files of dead owners go too. */
function removeWhere(dir: string, by: string, view: DirectoryView, drop: (entry: { id: string; claimedBy?: string | undefined; alive: boolean }) => boolean): number {
  let removed = 0;
  for (const s of view.stores) if (drop({ id: s.id, claimedBy: s.entry.claimedBy, alive: s.alive }) && removeEntry(dir, s.entry.name, by)) removed++;
  for (const a of view.archives) if (drop({ id: a.id, claimedBy: a.entry.claimedBy, alive: view.isAlive(a.id) }) && removeEntry(dir, a.entry.name, by)) removed++;
  // Entries that cannot be read go as the others do, judged by their id: a reset starts from zero whatever they held.
  for (const u of view.unreadable) if (drop({ id: u.id, claimedBy: u.entry.claimedBy, alive: u.entry.claimedBy === undefined && view.isAlive(u.id) }) && removeEntry(dir, u.entry.name, by)) removed++;
  const now = Date.now();
  for (const w of view.work) {
    if (ownerCertainlyDead(dir, w, w.owner, now)) {
      removeQuietly(join(dir, w.name));
      removed++;
    }
  }
  return removed;
}

/**
 * Applies the reset policy when a store opens, before it creates its own files. A cold start is
 * one where no live process uses the directory: whatever is there was left by a previous run.
 */
export function resetOnOpen(dir: string, by: string, policy: ResetPolicy): ClearResult {
  if (policy === 'never') return { removed: 0, live: 0 };
  const view = readDirectory(dir);
  const live = liveCount(view);
  if (policy === 'auto' && live > 0) return { removed: 0, live };
  // Claims of a live compactor are left to it; everything else of the dead goes.
  const removed = removeWhere(dir, by, view, (e) => !e.alive && (e.claimedBy === undefined || !view.isAlive(e.claimedBy)));
  return { removed, live };
}

/**
 * Deletes everything promhttp keeps in `dir` (other files are left alone). Refuses while live
 * processes use it, unless `force`: their values would then vanish from the merged view until they
 * write their files again (at their next heartbeat).
 */
export function clearEntries(dir: string, by: string, force: boolean): ClearResult {
  const view = readDirectory(dir);
  const live = liveCount(view);
  if (live > 0 && !force) {
    const pids = [...new Set(view.stores.filter((s) => s.alive).map((s) => s.header.pid))];
    throw new Error(`promhttp: ${live} live process${live === 1 ? '' : 'es'} (pid ${pids.join(', ')}) use ${dir}; stop them first, or force the clear.`);
  }
  return { removed: removeWhere(dir, by, view, () => true), live };
}
