import { closeSync, existsSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Arena, FamilyDef } from '../store/types.js';
import { renderLabels } from '../labels.js';
import { procName, removeQuietly, workName } from './files.js';
import type { Identity } from './identity.js';
import type { StoredFamily, StoredSeries } from './meta.js';
import { HEADER_SLOTS, SLOT_DONE, SLOT_HEARTBEAT, familyLine, headerLine, seriesLine } from './meta.js';

/** An arena whose values are mirrored into `proc.<id>/values.bin` and whose series are logged in `meta.jsonl`. */
export interface DirectoryArena extends Arena {
  readonly identity: Identity;
  /** The store's directory, `<dir>/proc.<id>`. */
  readonly path: string;
  readonly families: readonly StoredFamily[];
  readonly series: readonly StoredSeries[];
  /** Writes what changed since the last flush (done once per event-loop turn by itself). */
  flush(): void;
  /** Records that the store is alive now (read where the OS cannot tell). */
  heartbeat(): void;
  /** True when the store's files are still in place. */
  present(): boolean;
  /** Writes the store's files afresh from memory (after a failed write, or after someone deleted them). */
  restore(): void;
  /** Marks the store done (a dead store to every reader), flushes and closes its files. Idempotent. */
  close(): void;
  readonly closed: boolean;
  /** Failed writes since the last successful `restore` (disk full, directory removed); recording never throws. */
  readonly writeErrors: number;
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
 * `writeThrough`, `touch` writes at once and nothing is lost.
 */
export function createDirectoryArena(dir: string, identity: Identity, options: { writeThrough: boolean }): DirectoryArena {
  const path = join(dir, procName(identity.id));
  // Fixed once: a rewritten log must repeat the original byte for byte, since readers resume parsing by offset.
  const startedAt = Date.now();
  const book = createFamilyBook();
  const { families } = book;
  const series: StoredSeries[] = [];
  /** The log after its header, in write order. */
  const appended: string[] = [];
  let used = HEADER_SLOTS;
  let metaFd = -1;
  let valuesFd = -1;
  let closed = false;
  let writeErrors = 0;
  let bytes: Uint8Array;
  let dirty = new Uint8Array(8);
  /** Dirty page range; `hi < 0` when nothing is dirty. */
  let lo = Number.MAX_SAFE_INTEGER;
  let hi = -1;
  let pending = false;

  function failed(error: unknown): void {
    if (writeErrors++ === 0) {
      process.emitWarning(`promhttp: cannot write the multi-process store ${path}: ${error instanceof Error ? error.message : String(error)}. Values are kept in memory and the files are rewritten at the next heartbeat.`);
    }
  }

  function log(): string {
    return headerLine(identity, startedAt) + appended.join('');
  }

  function openFiles(): void {
    metaFd = openSync(join(path, 'meta.jsonl'), 'a');
    valuesFd = openSync(join(path, 'values.bin'), 'r+');
  }

  /** Creates the store's directory in one rename, so no reader ever sees it without its files. */
  function createFiles(): void {
    const tmp = join(dir, workName('tmp', identity.id));
    mkdirSync(tmp);
    writeFileSync(join(tmp, 'meta.jsonl'), log());
    writeFileSync(join(tmp, 'values.bin'), bytes.subarray(0, used * 8));
    try {
      renameSync(tmp, path);
    } catch (error) {
      removeQuietly(tmp);
      throw error;
    }
    openFiles();
  }

  /**
   * Rewrites both files from memory, each replaced in one rename (readers see the old file or the
   * new one), or recreates the directory if it is gone.
   */
  function rewrite(): void {
    for (const fd of [metaFd, valuesFd]) {
      try {
        closeSync(fd);
      } catch {
        // Already unusable; new descriptors are opened below.
      }
    }
    // Until the new ones are open, writes must fail rather than reach whatever file reuses these numbers.
    metaFd = valuesFd = -1;
    if (!existsSync(path)) return createFiles();
    for (const [file, content] of [['meta.jsonl', log()], ['values.bin', bytes.subarray(0, used * 8)]] as const) {
      writeFileSync(join(path, `${file}.tmp`), content);
      renameSync(join(path, `${file}.tmp`), join(path, file));
    }
    openFiles();
  }

  function append(text: string): void {
    if (closed) return;
    try {
      writeSync(metaFd, text);
    } catch (error) {
      failed(error);
    }
  }

  function write(fromSlot: number, toSlot: number): void {
    if (closed) return;
    try {
      writeSync(valuesFd, bytes, fromSlot * 8, (toSlot - fromSlot) * 8, fromSlot * 8);
    } catch (error) {
      failed(error);
    }
  }

  function flush(): void {
    pending = false;
    if (hi < 0) return;
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

  const arena: DirectoryArena = {
    v: new Float64Array(4096),
    shared: true,
    identity,
    path,
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
      // One write per new series: readers see whole lines or a partial last line, which they skip.
      text += seriesLine(stored);
      appended.push(text);
      append(text);
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
    present() {
      return existsSync(join(path, 'meta.jsonl')) && existsSync(join(path, 'values.bin'));
    },
    restore() {
      if (closed) return;
      const errors = writeErrors;
      try {
        rewrite();
        // Only a complete rewrite repairs earlier failures.
        if (writeErrors === errors) writeErrors = 0;
      } catch (error) {
        failed(error);
      }
    },
    close() {
      if (closed) return;
      arena.v[SLOT_DONE] = 1;
      flush();
      write(0, HEADER_SLOTS);
      closed = true;
      for (const fd of [metaFd, valuesFd]) {
        try {
          closeSync(fd);
        } catch {
          // Nothing left to lose: the values were written above.
        }
      }
    },
    get closed() {
      return closed;
    },
    get writeErrors() {
      return writeErrors;
    },
  };
  bytes = new Uint8Array(arena.v.buffer);
  arena.v[SLOT_HEARTBEAT] = Date.now();
  createFiles();
  return arena;
}
