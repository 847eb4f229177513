import type { Arena, FamilyDef } from '../store/types.js';
import { renderLabels } from '../labels.js';
import type { Identity } from './identity.js';
import type { StoredFamily, StoredSeries } from './meta.js';
import { HEADER_SLOTS, SLOT_DONE, SLOT_HEARTBEAT, familyLine, headerLine, seriesLine } from './meta.js';
import type { Snapshot } from './snapshot.js';
import type { StoreFilesOptions } from './store-files.js';
import { createStoreFiles } from './store-files.js';

/** An arena whose values are mirrored into `proc.<id>/values.bin` and whose series are logged in `meta.jsonl`. */
export interface DirectoryArena extends Arena {
  readonly identity: Identity;
  /** When the store opened (unix ms), as its header says: how every reader ranks its definitions. */
  readonly startedAt: number;
  /** The store's directory, `<dir>/proc.<id>`. */
  readonly path: string;
  readonly families: readonly StoredFamily[];
  readonly series: readonly StoredSeries[];
  /** Writes what changed since the last flush (done once per event-loop turn by itself). */
  flush(): void;
  /** Records that the store is alive now (read where the OS cannot tell). */
  heartbeat(): void;
  /** Why the store's files are not what it wrote (removed, replaced, cut short), or `undefined`. */
  verify(): string | undefined;
  /** Writes the snapshot (plain metrics, default labels) now, and keeps it: every restore writes the last one again. */
  savePlain(snapshot: Snapshot): void;
  /**
   * Writes the store's files afresh from memory: in place when they are still there (using no more
   * space than they need), else replaced or recreated, the shared directory included. True when it
   * succeeded, and writes then go on.
   */
  restore(): boolean;
  /** Counts a failed write of the store's files or archive and stops writing until a restore succeeds (see store-files.ts). */
  failed(error: unknown): void;
  /** Marks the store done (a dead store to every reader), flushes and closes its files. Idempotent. */
  close(): void;
  readonly closed: boolean;
  /** From a failed write until a restore succeeds: nothing is written meanwhile, the values stay in memory. */
  readonly failing: boolean;
  /** Failed writes since the store opened (disk full, file size limit, directory removed); recording never throws. */
  readonly writeErrors: number;
}

export interface DirectoryArenaOptions extends StoreFilesOptions {
  readonly writeThrough: boolean;
  /** Called before each flush, before any value goes out: the store saves its default labels there when they changed. */
  readonly beforeFlush?: () => void;
}

/**
 * The families an arena has allocated series for, numbered in allocation order. Arenas whose
 * values are read outside this process keep it, since the reader needs every label name.
 */
export interface FamilyBook {
  readonly families: readonly StoredFamily[];
  /** Arena.describe: the full label names (static ones first) a family will be allocated with. */
  describe(def: FamilyDef, labelNames: readonly string[]): void;
  /** The family for `def`, numbered and appended to `families` the first time it is seen. */
  familyFor(def: FamilyDef, labelValues: readonly string[]): StoredFamily;
}

export function createFamilyBook(): FamilyBook {
  const families: StoredFamily[] = [];
  const familyOf = new Map<FamilyDef, StoredFamily>();
  const labelNamesOf = new Map<FamilyDef, readonly string[]>();
  return {
    families,
    describe(def, labelNames) {
      labelNamesOf.set(def, labelNames);
    },
    familyFor(def, labelValues) {
      let family = familyOf.get(def);
      if (family === undefined) {
        const names = labelNamesOf.get(def) ?? def.labelNames;
        // Static labels come first in the values; name any the family was not told about.
        const labelNames = names.length === labelValues.length ? names : [...labelValues.slice(def.labelNames.length).map((_, i) => `label_${i}`), ...def.labelNames];
        const staticCount = labelNames.length - def.labelNames.length;
        family = { index: families.length, def: { ...def, labelNames, ...(staticCount > 0 ? { staticCount } : {}) } };
        familyOf.set(def, family);
        families.push(family);
      }
      return family;
    },
  };
}

/** A copy of `values` with room for at least `needed` slots, doubling so growth stays amortised. */
export function grownValues(values: Float64Array, needed: number): Float64Array {
  const grown = new Float64Array(Math.max(values.length * 2, needed));
  grown.set(values);
  return grown;
}

/** Slots per dirty-tracking page: 4 KiB of values. */
const PAGE_SHIFT = 9;

/**
 * Creates the store's files and returns the arena that mirrors into them. The hot path pays for
 * `touch` only: three compares and two byte stores, no allocation. The dirty pages are written once
 * per event-loop turn with positional writes, so a SIGKILL loses at most the current turn; with
 * `writeThrough`, `touch` writes at once and nothing is lost. A write that fails never reaches the
 * caller (see store-files.ts): the values stay here, and are all written again by `restore()`.
 */
export function createDirectoryArena(dir: string, identity: Identity, options: DirectoryArenaOptions): DirectoryArena {
  // Fixed once: a rewritten log must repeat the original byte for byte, since readers resume parsing by offset.
  const startedAt = Date.now();
  const book = createFamilyBook();
  const { families } = book;
  const series: StoredSeries[] = [];
  /** The log after its header, in write order. */
  const appended: string[] = [];
  let used = HEADER_SLOTS;
  let closed = false;
  let bytes: Uint8Array;
  let dirty = new Uint8Array(8);
  /** Dirty page range; `hi < 0` when nothing is dirty. */
  let lo = Number.MAX_SAFE_INTEGER;
  let hi = -1;
  let pending = false;

  function write(fromSlot: number, toSlot: number): void {
    if (!closed) files.write(bytes, fromSlot, toSlot);
  }

  function flush(): void {
    pending = false;
    options.beforeFlush?.();
    // Nothing is written while writes fail; the restore writes everything.
    if (hi < 0 || files.failing) return;
    const last = hi;
    let page = lo;
    lo = Number.MAX_SAFE_INTEGER;
    hi = -1;
    while (page <= last) {
      if (dirty[page] === 0) {
        page++;
        continue;
      }
      // Runs of dirty pages separated by one clean page are written as one: a syscall costs more than 4 KiB of copying.
      let end = page;
      while (end < last && (dirty[end + 1] === 1 || (end + 2 <= last && dirty[end + 2] === 1))) end++;
      dirty.fill(0, page, end + 1);
      write(page << PAGE_SHIFT, Math.min((end + 1) << PAGE_SHIFT, used));
      page = end + 1;
    }
  }

  function restore(): boolean {
    if (closed || !files.restore()) return false;
    // Everything is written: nothing is dirty any more.
    dirty.fill(0);
    lo = Number.MAX_SAFE_INTEGER;
    hi = -1;
    return true;
  }

  const arena: DirectoryArena = {
    v: new Float64Array(4096),
    shared: true,
    identity,
    startedAt,
    get path() {
      return files.path;
    },
    families,
    series,
    describe: book.describe,
    alloc(def, labelValues, width) {
      if (used + width > arena.v.length) {
        arena.v = grownValues(arena.v, used + width);
        bytes = new Uint8Array(arena.v.buffer);
      }
      const pages = ((used + width) >>> PAGE_SHIFT) + 1;
      if (pages > dirty.length) {
        const grown = new Uint8Array(Math.max(dirty.length * 2, pages));
        grown.set(dirty);
        dirty = grown;
      }
      let text = '';
      const known = families.length;
      const family = book.familyFor(def, labelValues);
      if (families.length > known) text += familyLine(family);
      const offset = used;
      used += width;
      const stored: StoredSeries = { family, values: [...labelValues], rendered: renderLabels(family.def.labelNames, labelValues), offset };
      series.push(stored);
      text += seriesLine(stored);
      appended.push(text);
      if (!closed) {
        files.extend(used);
        files.append(text);
      }
      return offset;
    },
    touch: options.writeThrough
      ? function touchThrough(offset, width) {
          write(offset, offset + width);
        }
      : function touchDirty(offset, width) {
          const first = offset >>> PAGE_SHIFT;
          const last = (offset + width - 1) >>> PAGE_SHIFT;
          dirty[first] = 1;
          dirty[last] = 1;
          // Only a histogram with hundreds of buckets spans more than two pages.
          if (last > first + 1) dirty.fill(1, first, last);
          if (first < lo) lo = first;
          if (last > hi) {
            hi = last;
            if (!pending) {
              pending = true;
              setImmediate(flush);
            }
          }
        },
    flush,
    heartbeat() {
      arena.v[SLOT_HEARTBEAT] = Date.now();
      write(SLOT_HEARTBEAT, SLOT_HEARTBEAT + 1);
    },
    verify: () => (closed ? undefined : files.verify()),
    savePlain(snapshot) {
      if (!closed) files.savePlain(snapshot);
    },
    restore,
    failed: (error) => files.failed(error),
    close() {
      if (closed) return;
      arena.v[SLOT_DONE] = 1;
      // The last chance to leave everything in the directory.
      if (files.failing) restore();
      flush();
      write(0, HEADER_SLOTS);
      closed = true;
      files.close();
    },
    get closed() {
      return closed;
    },
    get failing() {
      return files.failing;
    },
    get writeErrors() {
      return files.writeErrors;
    },
  };
  bytes = new Uint8Array(arena.v.buffer);
  arena.v[SLOT_HEARTBEAT] = Date.now();
  const files = createStoreFiles(
    dir,
    identity.id,
    { log: () => Buffer.from(headerLine(identity, startedAt) + appended.join('')), values: () => bytes.subarray(0, used * 8) },
    options,
  );
  return arena;
}
