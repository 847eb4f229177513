import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Slicer, Steps } from '../exposition/slice.js';
import { runSliced, runSync } from '../exposition/slice.js';
import type { Archive } from './archive.js';
import type { ReadProblem } from './damage.js';
import type { Entry, OwnedEntry, WorkEntry } from './files.js';
import { isCertainlyDead, isOwned, keyOf, ownerCertainlyDead, parseEntry } from './files.js';
import type { MetaHeader, StoredSeries } from './meta.js';
import { SLOT_DONE, SLOT_HEARTBEAT } from './meta.js';
import type { PlainMetric } from './plain.js';
import type { RawStore, ReadCache } from './read-entry.js';
import type { StoredExemplar } from '../exemplars/store.js';
import { Missing, readArchive, readStore } from './read-entry.js';

export type { ReadCache } from './read-entry.js';
export { newReadCache } from './read-entry.js';

export interface ReadOptions {
  /** The reading store's own id: its files are not read (it has its values in memory), and it counts as live. */
  readonly self?: string;
  readonly cache?: ReadCache;
  readonly now?: number;
  /**
   * Whether the stores' exemplars are read (a text scrape shows none).
   * @default true
   */
  readonly exemplars?: boolean;
}

/** A store as read from the directory. */
export interface StoreView {
  readonly entry: OwnedEntry;
  readonly id: string;
  readonly header: MetaHeader;
  /** Its series; none when its values cannot be read. */
  readonly series: readonly StoredSeries[];
  readonly v: Float64Array;
  /** Its last plain-metric snapshot (`[]` if none yet). */
  readonly plain: readonly PlainMetric[];
  /** The default labels of its registry, which label every series it wrote (`undefined` when unknown). */
  readonly labels: Readonly<Record<string, string>> | undefined;
  /** Its last exemplars, by slot. */
  readonly exemplars: ReadonlyMap<number, StoredExemplar>;
  readonly alive: boolean;
  /** An archive lists it: its values are counted there, not here. */
  readonly absorbed: boolean;
  /** What of it could not be read (and was skipped). */
  readonly problems: readonly ReadProblem[];
}

export interface ArchiveView {
  readonly entry: OwnedEntry;
  readonly id: string;
  readonly archive: Archive;
  readonly absorbed: boolean;
  /** What of it could not be read (and was skipped). */
  readonly problem: ReadProblem | undefined;
}

/** A store whose log has no readable header, or an archive whose first line cannot be read: nothing of it is used. */
export interface UnreadableView {
  readonly entry: OwnedEntry;
  readonly id: string;
  readonly problem: ReadProblem;
  readonly absorbed: boolean;
}

export interface DirectoryView {
  readonly stores: readonly StoreView[];
  readonly archives: readonly ArchiveView[];
  /** `tmp.` and `trash.` entries. */
  readonly work: readonly WorkEntry[];
  /** Store directories whose files someone else deleted: unreadable, ignored, removed once their owner is dead. */
  readonly broken: readonly OwnedEntry[];
  /** Stores and archives none of which can be read. */
  readonly unreadable: readonly UnreadableView[];
  /** Everything any archive lists as absorbed, with the time of absorption. */
  readonly absorbed: ReadonlyMap<string, number>;
  /** The absorption keys of every proc and archive entry listed, claimed or not. */
  readonly present: ReadonlySet<string>;
  /** False when entries kept vanishing under a compactor, so the view may be off by one store. */
  readonly consistent: boolean;
  /** Whether the store `id` is live: listed unclaimed and not certainly dead. */
  isAlive(id: string): boolean;
}

const ATTEMPTS = 10;

/**
 * Reads every store and archive of the directory such that each value is counted exactly once.
 *
 * The order is what makes it safe against compaction running at the same time: list the
 * directory, read every store, then read the archives. A store absorbed after our listing is
 * either read by us (and then listed by the archive we read later, so skipped there or here) or
 * gone (and then listed). An entry that vanished between listing and reading is harmless if an
 * archive lists it; otherwise a compactor moved it, and the read starts over.
 */
export function readDirectory(dir: string, options: ReadOptions = {}): DirectoryView {
  return runSync(readDirectorySteps(dir, options));
}

/**
 * `readDirectory` for a scrape: the same reads, giving the event loop back between stores and
 * within large ones. Reading later than listing is what the protocol above already allows for: a
 * compactor (this process's own included) may run in between. Reads sharing a cache take turns.
 */
export async function readDirectorySliced(dir: string, options: ReadOptions = {}, slicer?: Slicer): Promise<DirectoryView> {
  const cache = options.cache;
  if (cache === undefined) return runSliced(readDirectorySteps(dir, options), slicer);
  const previous = cache.turn ?? Promise.resolve();
  const read = previous.then(() => runSliced(readDirectorySteps(dir, options), slicer));
  cache.turn = read.catch(() => undefined);
  return read;
}

/** `readDirectory` as steps, for work that reads the directory among other steps (compaction). */
export function* readDirectorySteps(dir: string, options: ReadOptions): Steps<DirectoryView> {
  let view: DirectoryView | undefined;
  for (let attempt = 0; attempt < ATTEMPTS && (view === undefined || !view.consistent); attempt++) {
    view = yield* readOnce(dir, options, attempt === ATTEMPTS - 1);
  }
  return view!;
}

function listEntries(dir: string): Entry[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    // Removed under the app: nothing to read; the stores write theirs again (store.ts).
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const entries: Entry[] = [];
  for (const name of names) {
    const entry = parseEntry(name);
    if (entry) entries.push(entry);
  }
  return entries;
}

function* readOnce(dir: string, options: ReadOptions, last: boolean): Steps<DirectoryView> {
  const now = options.now ?? Date.now();
  const entries = listEntries(dir);
  const missing: string[] = [];
  const present = new Set<string>();
  const raw: RawStore[] = [];
  const work: WorkEntry[] = [];
  const broken: OwnedEntry[] = [];
  const unreadable: Array<{ entry: OwnedEntry; problem: ReadProblem }> = [];
  let selfListed = false;
  for (const entry of entries) {
    if (!isOwned(entry)) {
      work.push(entry);
      continue;
    }
    present.add(keyOf(entry.kind, entry.id));
    if (entry.kind !== 'proc') continue;
    if (entry.id === options.self && entry.claimedBy === undefined) {
      selfListed = true;
      continue;
    }
    try {
      const store = yield* readStore(dir, entry, options.cache, options.exemplars ?? true);
      if ('problem' in store) unreadable.push(store);
      else raw.push(store);
      yield;
    } catch (error) {
      if (!(error instanceof Missing)) throw error;
      // Still there without its files: not a move, someone deleted them. Otherwise a compactor moved it.
      if (existsSync(join(dir, entry.name))) broken.push(entry);
      else missing.push(keyOf('proc', entry.id));
    }
  }
  const archives: Array<{ entry: OwnedEntry; archive: Archive; problem: ReadProblem | undefined }> = [];
  const absorbed = new Map<string, number>();
  for (const entry of entries) {
    if (entry.kind !== 'archive' || !isOwned(entry)) continue;
    try {
      const { archive, problem } = yield* readArchive(dir, entry, options.cache);
      yield;
      if (archive === undefined) {
        if (problem !== undefined) unreadable.push({ entry, problem });
        continue;
      }
      archives.push({ entry, archive, problem });
      for (const [key, at] of Object.entries(archive.absorbed)) absorbed.set(key, Math.max(at, absorbed.get(key) ?? 0));
    } catch (error) {
      if (!(error instanceof Missing)) throw error;
      missing.push(keyOf('archive', entry.id));
    }
  }
  const consistent = last || missing.every((key) => absorbed.has(key));

  if (options.cache) {
    // Forget what is gone, so a long-lived reader does not grow without bound.
    const ids = new Set(entries.map((e) => (isOwned(e) ? e.id : e.owner)));
    const names = new Set(entries.map((e) => e.name));
    for (const id of options.cache.meta.keys()) if (!ids.has(id)) options.cache.meta.delete(id);
    for (const name of options.cache.archives.keys()) if (!names.has(name)) options.cache.archives.delete(name);
  }

  const stores: StoreView[] = raw.map(({ entry, meta, v, valuesWritten, plain, labels, exemplars, problems }) => {
    const header = meta.header;
    // Where the values cannot be read, the time they were last written stands for the heartbeat.
    const heartbeat = v === undefined ? valuesWritten : (v[SLOT_HEARTBEAT] ?? header.startedAt);
    // A claimed store is dead: only dead stores are claimed.
    const alive = entry.claimedBy === undefined && !isCertainlyDead({ ...header, heartbeat, done: v?.[SLOT_DONE] === 1 }, now);
    // A live store may be appending its last line; a dead one never will finish it.
    const cut = !alive && meta.partial ? [{ file: 'meta' as const, path: join(dir, entry.name, 'meta.jsonl'), reason: 'is truncated: its last line was cut short' }] : [];
    return {
      entry,
      id: entry.id,
      header,
      series: v === undefined ? [] : meta.series,
      v: v ?? new Float64Array(0),
      plain,
      labels,
      exemplars,
      alive,
      absorbed: absorbed.has(keyOf('proc', entry.id)),
      problems: [...problems, ...cut],
    };
  });
  const live = new Set(stores.filter((s) => s.alive).map((s) => s.id));
  // A store whose log cannot be read is judged by its id: a claimer taken for dead too soon would have its claims taken over.
  for (const u of unreadable) if (u.entry.kind === 'proc' && u.entry.claimedBy === undefined && !ownerCertainlyDead(dir, u.entry, u.entry.id, now)) live.add(u.entry.id);
  if (selfListed && options.self !== undefined) live.add(options.self);
  return {
    stores,
    archives: archives.map(({ entry, archive, problem }) => ({ entry, id: entry.id, archive, absorbed: absorbed.has(keyOf('archive', entry.id)), problem })),
    work,
    broken,
    unreadable: unreadable.map(({ entry, problem }) => ({ entry, id: entry.id, problem, absorbed: absorbed.has(keyOf(entry.kind, entry.id)) })),
    absorbed,
    present,
    consistent,
    isAlive: (id) => live.has(id),
  };
}

/** What a read skipped and no archive accounts for: each is one read error of the scrape. */
export function problemsOf(view: DirectoryView): ReadProblem[] {
  const problems: ReadProblem[] = [];
  for (const s of view.stores) if (!s.absorbed) problems.push(...s.problems);
  for (const a of view.archives) if (!a.absorbed && a.problem !== undefined) problems.push(a.problem);
  for (const u of view.unreadable) if (!u.absorbed) problems.push(u.problem);
  return problems;
}
