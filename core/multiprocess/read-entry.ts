import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { Steps } from '../exposition/slice.js';
import type { Archive, DecodedArchive } from './archive.js';
import { decodeArchive } from './archive.js';
import { checkValues } from './check-values.js';
import type { ReadProblem } from './damage.js';
import { unreadable } from './damage.js';
import type { OwnedEntry } from './files.js';
import type { MetaHeader, ParsedMeta } from './meta.js';
import { emptyMeta, parseMeta } from './meta.js';
import type { PlainMetric } from './plain.js';
import { SNAPSHOT_FILE, readSnapshot } from './snapshot.js';
import type { StoredExemplar } from '../exemplars/store.js';
import { readExemplarsFile } from './exemplars.js';

/** Reading one store or archive of the directory; read.ts decides what the reads mean together. */

/**
 * What a long-lived reader keeps between reads, so that each scrape only parses what changed:
 * metadata logs by store id (they only grow), archives by name (replaced whole, so a new inode,
 * size or time means new content).
 */
export interface ReadCache {
  readonly meta: Map<string, ParsedMeta>;
  readonly archives: Map<string, { ino: number; size: number; mtimeMs: number; decoded: DecodedArchive }>;
  /** The sliced read using the cache, if one is under way: reads of one cache take turns. */
  turn?: Promise<unknown>;
}

export const newReadCache = (): ReadCache => ({ meta: new Map(), archives: new Map() });

/** The entry moved away (a compactor claimed it) or lost its files while being read. */
export class Missing extends Error {}

/** Opens a file to read; throws `Missing` when it is not there, any other error as it is. */
function open(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') throw new Missing();
    throw error;
  }
}

function readFrom(fd: number, from: number): Buffer {
  const size = fstatSync(fd).size;
  const buffer = Buffer.alloc(Math.max(0, size - from));
  let done = 0;
  while (done < buffer.length) {
    const n = readSync(fd, buffer, done, buffer.length - done, from + done);
    if (n === 0) break;
    done += n;
  }
  return done === buffer.length ? buffer : buffer.subarray(0, done);
}

/** Whether the file still starts with `line`: one read of its first line's bytes. */
function startsWith(fd: number, line: Buffer): boolean {
  const head = Buffer.alloc(line.length);
  return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(line);
}

function* readMeta(fd: number, cached: ParsedMeta | undefined): Steps<ParsedMeta> {
  const { ino, size } = fstatSync(fd);
  // Another file (the store rewrote its log), a shorter one, or one that was damaged (and may have
  // been mended in place) is parsed from its start. A log only grows, so its header never changes:
  // one whose header was overwritten in place (same size, same inode) is parsed again too, and
  // then counted as this reader's first reader would count it.
  const reuse =
    cached !== undefined &&
    cached.ino === ino &&
    size >= cached.bytes &&
    cached.problem === undefined &&
    cached.badLines === 0 &&
    (cached.headerLine === undefined || startsWith(fd, cached.headerLine));
  const meta = reuse ? cached : emptyMeta(ino);
  const chunk = readFrom(fd, meta.bytes);
  if (chunk.length > 0) yield* parseMeta(meta, chunk);
  else meta.partial = false;
  return meta;
}

function readValues(fd: number): Float64Array {
  const bytes = readFrom(fd, 0);
  // Values are written 8 bytes at a time at 8-byte offsets; anything not yet written reads as 0.
  // The bytes are a fresh buffer of their own: read them in place rather than copying megabytes.
  if (bytes.byteOffset % 8 === 0) return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 3);
  const v = new Float64Array(bytes.length >>> 3);
  new Uint8Array(v.buffer).set(bytes.subarray(0, v.length * 8));
  return v;
}

/** A store whose log's header could be read. */
export interface RawStore {
  readonly entry: OwnedEntry;
  readonly meta: ParsedMeta & { readonly header: MetaHeader };
  /** Its values; `undefined` when values.bin cannot be read (see `problems`). */
  readonly v: Float64Array | undefined;
  /** When values.bin was last written (unix ms): the heartbeat, where its slots cannot be read. */
  readonly valuesWritten: number;
  readonly plain: readonly PlainMetric[];
  /** The default labels of its registry, as its snapshot says (`undefined` when it does not say). */
  readonly labels: Readonly<Record<string, string>> | undefined;
  /** Its last exemplars, by slot (none when it wrote none). */
  readonly exemplars: ReadonlyMap<number, StoredExemplar>;
  /** What of it could not be read. */
  readonly problems: readonly ReadProblem[];
}

/** A store whose log has no readable header: nothing of it can be attributed. */
export interface UnreadableStore {
  readonly entry: OwnedEntry;
  readonly problem: ReadProblem;
}

/**
 * Reads one store. Throws `Missing` when it moved away while being read (a compactor claimed it),
 * returns an `UnreadableStore` when its log's header cannot be read, and otherwise every part that
 * can be read, with `problems` naming the others: a values.bin that cannot be what its writer
 * wrote is not read at all, lines of the log that do not parse are skipped.
 */
export function* readStore(dir: string, entry: OwnedEntry, cache: ReadCache | undefined, exemplars = true): Steps<RawStore | UnreadableStore> {
  const path = join(dir, entry.name);
  const metaPath = join(path, 'meta.jsonl');
  const valuesPath = join(path, 'values.bin');
  const broken = (reason: string): UnreadableStore => ({ entry, problem: { file: 'meta', path: metaPath, reason } });
  let metaFd: number;
  try {
    metaFd = open(metaPath);
  } catch (error) {
    if (error instanceof Missing) throw error;
    return broken(unreadable(error));
  }
  let valuesFd = -1;
  try {
    let valuesError: unknown;
    try {
      valuesFd = open(valuesPath);
    } catch (error) {
      if (error instanceof Missing) throw error;
      valuesError = error;
    }
    let meta: ParsedMeta;
    try {
      meta = yield* readMeta(metaFd, cache?.meta.get(entry.id));
    } catch (error) {
      return broken(unreadable(error));
    }
    cache?.meta.set(entry.id, meta);
    const { header } = meta;
    // Stores come into place whole (a directory renamed), header included: a log without one was cut or overwritten.
    if (header === undefined) return broken(meta.problem ?? (meta.partial ? 'is truncated in its first line' : 'is empty (0 bytes)'));
    if (header.id !== entry.id) return broken(`is corrupted: its header is that of another store (${header.id})`);
    const problems: ReadProblem[] = [];
    if (meta.badLines > 0) problems.push({ file: 'meta', path: metaPath, reason: `is corrupted: ${meta.badLines} of its lines are no family or series of this store` });
    let v: Float64Array | undefined;
    let valuesWritten = header.startedAt;
    if (valuesError !== undefined) problems.push({ file: 'values', path: valuesPath, reason: unreadable(valuesError) });
    else {
      try {
        valuesWritten = fstatSync(valuesFd).mtimeMs;
        const read = readValues(valuesFd);
        const why = yield* checkValues(read, meta.series, meta.extent);
        if (why === undefined) v = read;
        else problems.push({ file: 'values', path: valuesPath, reason: why });
      } catch (error) {
        problems.push({ file: 'values', path: valuesPath, reason: unreadable(error) });
      }
    }
    const snapshot = readSnapshot(path);
    // No snapshot: either none was written yet, or the store moved away while we read it.
    if (snapshot === undefined && !existsSync(metaPath)) throw new Missing();
    if (snapshot?.problem !== undefined) problems.push({ file: 'snapshot', path: join(path, SNAPSHOT_FILE), reason: snapshot.problem });
    return { entry, meta: meta as RawStore['meta'], v, valuesWritten, plain: snapshot?.metrics ?? [], labels: snapshot?.labels, exemplars: v === undefined || !exemplars ? new Map() : readExemplarsFile(path), problems };
  } finally {
    closeSync(metaFd);
    if (valuesFd >= 0) closeSync(valuesFd);
  }
}

/** An archive as read: what could be read of it, and what could not. */
export interface ReadArchive {
  /** `undefined` when its first line cannot be read: then not even its list of absorbed entries is known. */
  readonly archive: Archive | undefined;
  readonly problem: ReadProblem | undefined;
}

/** Reads one archive; throws `Missing` when it moved away. */
export function* readArchive(dir: string, entry: OwnedEntry, cache: ReadCache | undefined): Steps<ReadArchive> {
  const path = join(dir, entry.name);
  const problem = (reason: string | undefined): ReadProblem | undefined => (reason === undefined ? undefined : { file: 'archive', path, reason });
  let fd: number;
  try {
    fd = open(path);
  } catch (error) {
    if (error instanceof Missing) throw error;
    return { archive: undefined, problem: problem(unreadable(error)) };
  }
  let stat: { ino: number; size: number; mtimeMs: number };
  let bytes: Buffer;
  try {
    stat = fstatSync(fd);
    const known = cache?.archives.get(entry.name);
    if (known !== undefined && known.ino === stat.ino && known.size === stat.size && known.mtimeMs === stat.mtimeMs) return { archive: known.decoded.archive, problem: problem(known.decoded.problem) };
    bytes = readFrom(fd, 0);
  } catch (error) {
    return { archive: undefined, problem: problem(unreadable(error)) };
  } finally {
    closeSync(fd);
  }
  // An archive is replaced whole, never written in place: the bytes read are one version of it.
  const decoded = yield* decodeArchive(bytes);
  cache?.archives.set(entry.name, { ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs, decoded });
  return { archive: decoded.archive, problem: problem(decoded.problem) };
}
