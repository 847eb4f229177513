import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Steps } from '../exposition/slice.js';
import { runSync } from '../exposition/slice.js';
import { addArchive, addDeadStore, toArchive } from './absorb.js';
import { encodeArchive } from './archive.js';
import { archiveName, claimedName, keyOf, ownerCertainlyDead, removeEntry, removeQuietly, workName } from './files.js';
import type { OwnedEntry } from './files.js';
import { createFamilyMerger } from './merge.js';
import { createPlainMerger } from './plain.js';
import type { ArchiveView, DirectoryView, ReadCache } from './read.js';
import { readDirectorySteps } from './read.js';

/** The points between which a compactor can die; tests stop it at each to prove nothing is counted twice. */
export type CompactStep = 'claimed' | 'archive-written' | 'archive-renamed' | 'removed';

export interface CompactOptions {
  readonly dir: string;
  /** The compacting store: it owns the archive and the claims. */
  readonly by: string;
  readonly cache?: ReadCache;
  readonly now?: number;
  /** At most this many entries are absorbed per run, so one run stays short. @default 64 */
  readonly maxClaims?: number;
  /** Called after each step. */
  readonly afterStep?: (step: CompactStep) => void;
}

export interface CompactResult {
  /** Dead stores and archives merged into this store's archive. */
  readonly absorbed: number;
  /** Entries deleted (absorbed originals, leftovers of dead compactors). */
  readonly removed: number;
}

/** Absorbed keys are forgotten this long after their files are gone: far longer than any read takes. */
export const PRUNE_AFTER_MS = 10 * 60_000;

/**
 * The ids of the archives that cannot be read whole. What a compactor that died had claimed may be
 * listed as absorbed in any of them (its own, or one that absorbed its archive and so its list):
 * while one exists, claims are not taken over, and a store whose own archive is among them does not
 * compact, which would replace that archive.
 */
function unreadableArchives(view: DirectoryView): Set<string> {
  const ids = new Set<string>();
  for (const a of view.archives) if (a.problem !== undefined) ids.add(a.id);
  for (const u of view.unreadable) if (u.entry.kind === 'archive') ids.add(u.id);
  return ids;
}

/**
 * Dead stores and dead stores' archives nobody (alive) is absorbing, that this compactor may take.
 * Never one that could not be read whole: absorbing what was readable would lose for good what a
 * later read could still recover (a file made readable again, a version of promhttp that reads
 * it), and such an entry still counts where it is.
 */
function candidates(view: DirectoryView, by: string): OwnedEntry[] {
  const unreadable = unreadableArchives(view).size > 0;
  const takeable = (entry: OwnedEntry, ownerAlive: boolean): boolean => {
    if (entry.claimedBy === by) return true;
    if (entry.claimedBy !== undefined) return !unreadable && !view.isAlive(entry.claimedBy);
    return !ownerAlive;
  };
  const out: OwnedEntry[] = [];
  for (const s of view.stores) if (!s.absorbed && s.problems.length === 0 && takeable(s.entry, s.alive)) out.push(s.entry);
  for (const a of view.archives) if (!a.absorbed && a.problem === undefined && a.id !== by && takeable(a.entry, view.isAlive(a.id))) out.push(a.entry);
  return out;
}

/** The archive could not be written (disk full, file size limit): the store counts it as a failed write. */
export class ArchiveWriteError extends Error {}

/**
 * Merges dead stores into the compactor's own archive so the directory stays small and reads stay
 * fast. Steps, each safe to die after:
 * 1. claim each dead entry by renaming it to `claimed.<by>.…` (a rename has one winner);
 * 2. read the archives again, and drop claimed entries some archive already lists;
 * 3. write the new archive (old content + claimed entries, listing them as absorbed) to a
 *    temporary file, fsync, rename it into place: this is the moment the values move;
 * 4. delete the claimed entries.
 * A reader counts a claimed entry until an archive lists it, and skips it after; a compactor that
 * dies leaves claims that the next one takes over once it sees the claimer is dead.
 */
export function compact(options: CompactOptions): CompactResult {
  return runSync(compactSteps(options));
}

/**
 * `compact` as steps: a store's timer runs them sliced, giving the event loop back while it reads
 * and merges. Nothing in the protocol needs the steps to run at once: other processes compact at
 * the same time anyway. Two runs by one store must not overlap (see store.ts).
 */
export function* compactSteps(options: CompactOptions): Steps<CompactResult> {
  const { dir, by, cache } = options;
  const now = options.now ?? Date.now();
  const step = options.afterStep ?? (() => {});
  const view = yield* readDirectorySteps(dir, { self: by, ...(cache ? { cache } : {}), now });
  // A new archive would replace the one that cannot be read, and what it holds with it.
  if (!view.consistent || unreadableArchives(view).has(by)) return { absorbed: 0, removed: 0 };
  let removed = 0;

  // Leftovers: claimed entries already absorbed (their claimer died before deleting them), and work files of the dead.
  for (const s of view.stores) if (s.absorbed && s.entry.claimedBy !== undefined && removeEntry(dir, s.entry.name, by)) removed++;
  for (const a of view.archives) if (a.absorbed && a.entry.claimedBy !== undefined && removeEntry(dir, a.entry.name, by)) removed++;
  for (const u of view.unreadable) if (u.absorbed && u.entry.claimedBy !== undefined && removeEntry(dir, u.entry.name, by)) removed++;
  for (const b of view.broken) {
    const holder = b.claimedBy ?? b.id;
    if (ownerCertainlyDead(dir, b, b.id, now) && (holder === b.id || !view.isAlive(holder)) && removeEntry(dir, b.name, by)) removed++;
  }
  for (const w of view.work) {
    if (w.owner !== by && ownerCertainlyDead(dir, w, w.owner, now)) {
      removeQuietly(join(dir, w.name));
      removed++;
    }
  }

  const claimed: OwnedEntry[] = [];
  for (const entry of candidates(view, by).slice(0, options.maxClaims ?? 64)) {
    const target = claimedName(by, entry.kind, entry.id);
    if (entry.name !== target) {
      try {
        renameSync(join(dir, entry.name), join(dir, target));
      } catch {
        continue; // Another compactor won it.
      }
    }
    claimed.push({ kind: entry.kind, name: target, id: entry.id, claimedBy: by });
    step('claimed');
  }

  const own = view.archives.find((a) => a.id === by && a.entry.claimedBy === undefined);
  const prunable = own !== undefined && Object.entries(own.archive.absorbed).some(([key, at]) => now - at > PRUNE_AFTER_MS && !view.present.has(key));
  if (claimed.length === 0 && !prunable) return { absorbed: 0, removed };

  // Read again now that the claims are ours: an archive written meanwhile may list some of them.
  const after = claimed.length > 0 ? yield* readDirectorySteps(dir, { self: by, ...(cache ? { cache } : {}), now }) : view;
  if (!after.consistent || unreadableArchives(after).has(by)) return { absorbed: 0, removed };
  const current: ArchiveView | undefined = after.archives.find((a) => a.id === by && a.entry.claimedBy === undefined);
  // The archive is one store: its families keep to their limits however many processes it absorbs.
  const merger = createFamilyMerger({ stores: 1 });
  const plain = createPlainMerger();
  const absorbed: Record<string, number> = { ...current?.archive.absorbed };
  if (current) yield* addArchive(merger, plain, current.archive);
  const done: string[] = [];
  let count = 0;
  for (const entry of claimed) {
    const key = keyOf(entry.kind, entry.id);
    done.push(entry.name);
    if (after.absorbed.has(key)) continue;
    if (entry.kind === 'proc') {
      const store = after.stores.find((s) => s.entry.name === entry.name);
      if (store === undefined || store.problems.length > 0) {
        done.pop(); // Unreadable right now: keep the claim and try again next run.
        continue;
      }
      yield* addDeadStore(merger, plain, store);
    } else {
      const archive = after.archives.find((a) => a.entry.name === entry.name);
      if (archive === undefined || archive.problem !== undefined) {
        done.pop();
        continue;
      }
      yield* addArchive(merger, plain, archive.archive);
      for (const [k, at] of Object.entries(archive.archive.absorbed)) absorbed[k] = Math.max(at, absorbed[k] ?? 0);
    }
    absorbed[key] = now;
    count++;
  }
  for (const [key, at] of Object.entries(absorbed)) {
    if (now - at > PRUNE_AFTER_MS && !after.present.has(key)) delete absorbed[key];
  }
  // Every claim turned out unreadable: the archive would be written again unchanged.
  if (count === 0 && !prunable) return { absorbed: 0, removed };

  const text = yield* encodeArchive(yield* toArchive(by, absorbed, merger, plain));
  writeArchive(dir, by, text, step);

  for (const name of done) {
    if (removeEntry(dir, name, by)) removed++;
    step('removed');
  }
  return { absorbed: count, removed };
}

/** Writes the archive to a work file, fsyncs it and renames it into place; a failure leaves the old archive, and no work file. */
function writeArchive(dir: string, by: string, text: string, step: (step: CompactStep) => void): void {
  const tmp = join(dir, workName('tmp', by));
  try {
    const fd = openSync(tmp, 'w');
    try {
      const bytes = Buffer.from(text);
      // A short write (disk full, file size limit) is a failure like any other.
      if (writeSync(fd, bytes) !== bytes.length) throw new Error(`only part of the archive could be written to ${tmp}`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    step('archive-written');
    renameSync(tmp, join(dir, archiveName(by)));
  } catch (error) {
    removeQuietly(tmp);
    throw new ArchiveWriteError(`cannot write the archive ${join(dir, archiveName(by))}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  step('archive-renamed');
}
