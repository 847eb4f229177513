import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Arena, FamilyDef } from '../store/types.js';
import { renderLabels } from '../labels.js';
import { HEARTBEAT_MS, procName, removeQuietly, workName } from './files.js';
import type { Identity } from './identity.js';
import type { StoredFamily, StoredSeries } from './meta.js';
import { HEADER_SLOTS, SLOT_DONE, SLOT_HEARTBEAT, familyLine, headerLine, seriesLine } from './meta.js';
import type { PlainMetric } from './plain.js';
import { writeSnapshot } from './snapshot.js';

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
  /** Why the store's files are not what it wrote (removed, replaced, cut short), or `undefined`. */
  verify(): string | undefined;
  /** Writes the plain-metric snapshot now, and keeps it: every restore writes the last one again. */
  savePlain(metrics: readonly PlainMetric[]): void;
  /**
   * Writes the store's files afresh from memory: in place when they are still there (using no more
   * space than they need), else replaced or recreated, the shared directory included. True when it
   * succeeded, and writes then go on.
   */
  restore(): boolean;
  /**
   * Counts a failed write of the store's files (its own, or the store's archive), warns at the first
   * one since the files were last complete, stops writing, and has `retry` called in `RETRY_MS`.
   */
  failed(error: unknown): void;
  /** Marks the store done (a dead store to every reader), flushes and closes its files. Idempotent. */
  close(): void;
  readonly closed: boolean;
  /** From a failed write until a restore succeeds: nothing is written meanwhile, the values stay in memory. */
  readonly failing: boolean;
  /** Failed writes since the store opened (disk full, file size limit, directory removed); recording never throws. */
  readonly writeErrors: number;
}

export interface DirectoryArenaOptions {
  readonly writeThrough: boolean;
  /** Called after each failed write is counted. */
  readonly onWriteError?: () => void;
  /** Called `RETRY_MS` after a failed write while writes still fail: the store then tries `restore()`. */
  readonly retry?: () => void;
}

/** How long after a failed write the store tries again: as often as it proves it is alive. */
export const RETRY_MS = HEARTBEAT_MS;

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
        family = { index: families.length, def: { ...def, labelNames } };
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
/** values.bin grows by whole pages, ahead of the series logged in meta.jsonl. */
const GROW_SLOTS = 1 << PAGE_SHIFT;

/**
 * Writes all of `length` bytes or throws: a short write (disk full, file size limit) is a failure,
 * and writing the rest names its cause (ENOSPC, EFBIG). `position` null appends.
 */
function writeFully(fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null): void {
  let done = 0;
  while (done < length) {
    const n = writeSync(fd, buffer, offset + done, length - done, position === null ? null : position + done);
    if (n === 0) throw new Error(`only ${done} of ${length} bytes could be written`);
    done += n;
  }
}

/** Writes a file whole under a work name, then renames it into place; a failure leaves no work file behind. */
function replaceFile(target: string, content: Uint8Array): void {
  const tmp = `${target}.tmp`;
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, target);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

/**
 * Creates the store's files and returns the arena that mirrors into them. The hot path pays for
 * `touch` only: three compares and two byte stores, no allocation. The dirty pages are written once
 * per event-loop turn with positional writes, so a SIGKILL loses at most the current turn; with
 * `writeThrough`, `touch` writes at once and nothing is lost.
 *
 * A write that fails never reaches the caller: the store counts it, keeps everything in memory,
 * writes nothing more, and writes its files whole again once `restore()` succeeds. Files are only
 * ever left complete: values.bin is made long enough for a series before the series is logged, and a
 * log line written in part is cut off again, so a reader never takes a failing store for a damaged one.
 */
export function createDirectoryArena(dir: string, identity: Identity, options: DirectoryArenaOptions): DirectoryArena {
  const path = join(dir, procName(identity.id));
  const metaPath = join(path, 'meta.jsonl');
  const valuesPath = join(path, 'values.bin');
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
  /** Bytes of the log in meta.jsonl: always the end of a complete line. */
  let metaWritten = 0;
  /** Slots values.bin is long enough for. */
  let fileSlots = 0;
  let closed = false;
  let failing = false;
  let writeErrors = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let plain: readonly PlainMetric[] | undefined;
  let bytes: Uint8Array;
  let dirty = new Uint8Array(8);
  /** Dirty page range; `hi < 0` when nothing is dirty. */
  let lo = Number.MAX_SAFE_INTEGER;
  let hi = -1;
  let pending = false;

  function failed(error: unknown): void {
    writeErrors++;
    if (!failing) {
      failing = true;
      process.emitWarning(
        `promhttp: cannot write the multi-process store ${path}: ${error instanceof Error ? error.message : String(error)}. Its values are kept in memory and written again once a write succeeds (tried every ${RETRY_MS / 1000} s); promhttp_multiprocess_write_errors_total counts the failed writes.`,
      );
    }
    options.onWriteError?.();
    if (!closed && retryTimer === undefined && options.retry !== undefined) {
      retryTimer = setTimeout(() => {
        retryTimer = undefined;
        if (!closed && failing) options.retry!();
      }, RETRY_MS);
      retryTimer.unref();
    }
  }

  function log(): Buffer {
    return Buffer.from(headerLine(identity, startedAt) + appended.join(''));
  }

  function openFiles(): void {
    metaFd = openSync(metaPath, 'a');
    valuesFd = openSync(valuesPath, 'r+');
  }

  function closeFiles(): void {
    for (const fd of [metaFd, valuesFd]) {
      if (fd < 0) continue;
      try {
        closeSync(fd);
      } catch {
        // Already unusable; new descriptors are opened when the files are written again.
      }
    }
    // Until new ones are open, writes must fail rather than reach whatever file reuses these numbers.
    metaFd = valuesFd = -1;
  }

  function values(): Uint8Array {
    return bytes.subarray(0, used * 8);
  }

  /** Creates the store's directory in one rename, so no reader ever sees it without its files. */
  function createFiles(text: Buffer): void {
    // The shared directory too, if someone removed it.
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, workName('tmp', identity.id));
    try {
      mkdirSync(tmp);
      writeFileSync(join(tmp, 'meta.jsonl'), text);
      writeFileSync(join(tmp, 'values.bin'), values());
      if (plain !== undefined) writeSnapshot(tmp, plain);
      renameSync(tmp, path);
    } catch (error) {
      removeQuietly(tmp);
      throw error;
    }
    openFiles();
    metaWritten = text.length;
    fileSlots = used;
  }

  /** Replaces both files, values first: a reader that opens the new log then finds values for every series it logs. */
  function replaceFiles(text: Buffer): void {
    closeFiles();
    replaceFile(valuesPath, values());
    replaceFile(metaPath, text);
    openFiles();
    metaWritten = text.length;
    fileSlots = used;
    if (plain !== undefined) writeSnapshot(path, plain);
  }

  /** The files are still ours: write every value, and the lines the log lacks, where they are. */
  function completeFiles(text: Buffer): void {
    writeFully(valuesFd, bytes, 0, used * 8, 0);
    fileSlots = Math.floor(fstatSync(valuesFd).size / 8);
    // Cut back what a failed append may have left of a line.
    ftruncateSync(metaFd, metaWritten);
    appendLog(text, metaWritten);
    if (plain !== undefined) writeSnapshot(path, plain);
  }

  /**
   * Whether the files are the ones the store opened, and its log holds at least what it wrote (so
   * that completing it in place repeats no byte a reader has parsed); else they are replaced.
   */
  function filesInPlace(): boolean {
    if (metaFd < 0 || valuesFd < 0) return false;
    try {
      const meta = statSync(metaPath);
      return meta.ino === fstatSync(metaFd).ino && meta.size >= metaWritten && statSync(valuesPath).ino === fstatSync(valuesFd).ino;
    } catch {
      return false;
    }
  }

  /** Appends `text` from byte `from` on; a line written in part is cut off again, so the log only ever holds whole lines. */
  function appendLog(text: Uint8Array, from: number): void {
    try {
      writeFully(metaFd, text, from, text.length - from, null);
      metaWritten += text.length - from;
    } catch (error) {
      try {
        ftruncateSync(metaFd, metaWritten);
      } catch {
        // The restore cuts it before it appends again.
      }
      throw error;
    }
  }

  function append(text: string): void {
    if (closed || failing) return;
    try {
      appendLog(Buffer.from(text), 0);
    } catch (error) {
      failed(error);
    }
  }

  /** Makes values.bin long enough for `slots` before a series there is logged. */
  function extend(slots: number): void {
    if (slots <= fileSlots || closed || failing) return;
    const size = Math.ceil(slots / GROW_SLOTS) * GROW_SLOTS;
    try {
      ftruncateSync(valuesFd, size * 8);
      fileSlots = size;
    } catch (error) {
      failed(error);
    }
  }

  function write(fromSlot: number, toSlot: number): void {
    if (closed || failing) return;
    try {
      writeFully(valuesFd, bytes, fromSlot * 8, (toSlot - fromSlot) * 8, fromSlot * 8);
    } catch (error) {
      failed(error);
    }
  }

  function flush(): void {
    pending = false;
    // Nothing is written while writes fail; the restore writes everything.
    if (hi < 0 || failing) return;
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
    if (closed) return false;
    const text = log();
    try {
      if (filesInPlace()) completeFiles(text);
      else if (existsSync(path)) replaceFiles(text);
      else {
        closeFiles();
        createFiles(text);
      }
    } catch (error) {
      failed(error);
      return false;
    }
    failing = false;
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
      extend(used);
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
    verify() {
      if (closed || failing) return undefined;
      try {
        const meta = statSync(metaPath);
        const stored = statSync(valuesPath);
        if (meta.ino !== fstatSync(metaFd).ino || stored.ino !== fstatSync(valuesFd).ino) return 'its files were replaced';
        if (meta.size !== metaWritten) return `meta.jsonl is ${meta.size} bytes long, ${metaWritten} were written`;
        if (stored.size < fileSlots * 8) return `values.bin is ${stored.size} bytes long, ${fileSlots * 8} were written`;
        return undefined;
      } catch {
        return existsSync(dir) ? 'its files were removed' : 'the directory was removed';
      }
    },
    savePlain(metrics) {
      plain = metrics;
      if (closed || failing) return;
      try {
        writeSnapshot(path, metrics);
      } catch (error) {
        failed(error);
      }
    },
    restore,
    failed,
    close() {
      if (closed) return;
      arena.v[SLOT_DONE] = 1;
      // The last chance to leave everything in the directory.
      if (failing) restore();
      flush();
      write(0, HEADER_SLOTS);
      closed = true;
      clearTimeout(retryTimer);
      closeFiles();
    },
    get closed() {
      return closed;
    },
    get failing() {
      return failing;
    },
    get writeErrors() {
      return writeErrors;
    },
  };
  bytes = new Uint8Array(arena.v.buffer);
  arena.v[SLOT_HEARTBEAT] = Date.now();
  try {
    createFiles(log());
  } catch (error) {
    // A full disk at start: the app starts anyway, and the store is written once it can be.
    failed(error);
  }
  return arena;
}
