import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { HEARTBEAT_MS, procName, removeQuietly, workName } from './files.js';
import type { Snapshot } from './snapshot.js';
import { writeSnapshot } from './snapshot.js';

/** How long after a failed write the store tries again: as often as it proves it is alive. */
export const RETRY_MS = HEARTBEAT_MS;

/** What the files hold, from the store's memory: always all of it, for a store written afresh. */
export interface StoreContent {
  /** The whole log: header and every line since. */
  log(): Buffer;
  /** Every value slot in use, as bytes. */
  values(): Uint8Array;
}

export interface StoreFilesOptions {
  /** Called after each failed write is counted. */
  readonly onWriteError?: () => void;
  /** Called `RETRY_MS` after a failed write while writes still fail: the store then tries `restore()`. */
  readonly retry?: () => void;
  /** The snapshot the store's files are created with: the registry's default labels, before any plain metric is collected. */
  readonly snapshot?: Snapshot;
}

/**
 * A store's files, `proc.<id>/meta.jsonl`, `values.bin` and `plain.json`, as their only writer
 * sees them. No write throws: a failure is counted, warned about at the first one since the files
 * were last whole, and stops every write until `restore()` writes the files whole again from memory.
 * Files are only ever left complete: values.bin is made long enough for a series before the series
 * is logged, and a log line written in part is cut off again, so that a reader never takes a
 * failing store for a damaged one.
 */
export interface StoreFiles {
  /** `<dir>/proc.<id>`. */
  readonly path: string;
  /** Appends log lines (one write, so readers see whole lines or a partial last one, which they skip). */
  append(text: string): void;
  /** Makes values.bin long enough for `slots`: call it before logging a series there. */
  extend(slots: number): void;
  /** Writes the slots `from`..`to` of `bytes` at their place in values.bin. */
  write(bytes: Uint8Array, fromSlot: number, toSlot: number): void;
  /** Writes the snapshot now, and keeps it: every restore writes the last one again. */
  savePlain(snapshot: Snapshot): void;
  /**
   * Writes the files afresh from memory: in place when they are still the store's (using no more
   * space than they need), else replaced or created again, the shared directory included. True when
   * it succeeded; writes then go on.
   */
  restore(): boolean;
  /** Why the files are not what the store wrote (removed, replaced, cut short), or `undefined`. */
  verify(): string | undefined;
  /** Counts a failed write (of these files, or of the store's archive) and stops writing until a restore succeeds. */
  failed(error: unknown): void;
  /** Closes the files; nothing is written afterwards. */
  close(): void;
  /** From a failed write until a restore succeeds. */
  readonly failing: boolean;
  /** Failed writes since the store opened. */
  readonly writeErrors: number;
}

/** values.bin grows by 4 KiB at a time, ahead of the series logged in meta.jsonl. */
const GROW_SLOTS = 512;

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

/** Creates the store's files in `dir` (or starts failing, if they cannot be written: a full disk at start). */
export function createStoreFiles(dir: string, id: string, content: StoreContent, options: StoreFilesOptions = {}): StoreFiles {
  const path = join(dir, procName(id));
  const metaPath = join(path, 'meta.jsonl');
  const valuesPath = join(path, 'values.bin');
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
  // The first one is written with the store, so that no reader sees its series without its labels.
  let plain: Snapshot | undefined = options.snapshot;

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

  function openFiles(log: Buffer, slots: number): void {
    metaFd = openSync(metaPath, 'a');
    valuesFd = openSync(valuesPath, 'r+');
    metaWritten = log.length;
    fileSlots = slots;
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

  /** Creates the store's directory in one rename, so no reader ever sees it without its files. */
  function createFiles(log: Buffer, values: Uint8Array): void {
    // The shared directory too, if someone removed it.
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, workName('tmp', id));
    try {
      mkdirSync(tmp);
      writeFileSync(join(tmp, 'meta.jsonl'), log);
      writeFileSync(join(tmp, 'values.bin'), values);
      if (plain !== undefined) writeSnapshot(tmp, plain);
      renameSync(tmp, path);
    } catch (error) {
      removeQuietly(tmp);
      throw error;
    }
    openFiles(log, values.length / 8);
  }

  /** Replaces both files, values first: a reader that opens the new log then finds values for every series it logs. */
  function replaceFiles(log: Buffer, values: Uint8Array): void {
    closeFiles();
    replaceFile(valuesPath, values);
    replaceFile(metaPath, log);
    openFiles(log, values.length / 8);
    if (plain !== undefined) writeSnapshot(path, plain);
  }

  /** The files are still the store's: write every value, and the lines the log lacks, where they are. */
  function completeFiles(log: Buffer, values: Uint8Array): void {
    writeFully(valuesFd, values, 0, values.length, 0);
    fileSlots = Math.floor(fstatSync(valuesFd).size / 8);
    // Cut back what a failed append may have left of a line.
    ftruncateSync(metaFd, metaWritten);
    appendLog(log, metaWritten);
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

  const files: StoreFiles = {
    path,
    append(text) {
      if (closed || failing) return;
      try {
        appendLog(Buffer.from(text), 0);
      } catch (error) {
        failed(error);
      }
    },
    extend(slots) {
      if (slots <= fileSlots || closed || failing) return;
      const size = Math.ceil(slots / GROW_SLOTS) * GROW_SLOTS;
      try {
        ftruncateSync(valuesFd, size * 8);
        fileSlots = size;
      } catch (error) {
        failed(error);
      }
    },
    write(bytes, fromSlot, toSlot) {
      if (closed || failing) return;
      try {
        writeFully(valuesFd, bytes, fromSlot * 8, (toSlot - fromSlot) * 8, fromSlot * 8);
      } catch (error) {
        failed(error);
      }
    },
    savePlain(snapshot) {
      plain = snapshot;
      if (closed || failing) return;
      try {
        writeSnapshot(path, snapshot);
      } catch (error) {
        failed(error);
      }
    },
    restore() {
      if (closed) return false;
      const log = content.log();
      const values = content.values();
      try {
        if (filesInPlace()) completeFiles(log, values);
        else if (existsSync(path)) replaceFiles(log, values);
        else {
          closeFiles();
          createFiles(log, values);
        }
      } catch (error) {
        failed(error);
        return false;
      }
      failing = false;
      return true;
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
    failed,
    close() {
      closed = true;
      clearTimeout(retryTimer);
      closeFiles();
    },
    get failing() {
      return failing;
    },
    get writeErrors() {
      return writeErrors;
    },
  };
  try {
    createFiles(content.log(), content.values());
  } catch (error) {
    // A full disk at start: the app starts anyway, and the files are written once they can be.
    failed(error);
  }
  return files;
}
