import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { Steps } from '../exposition/slice.js';
import type { Archive } from './archive.js';
import { decodeArchive } from './archive.js';
import type { OwnedEntry } from './files.js';
import type { ParsedMeta } from './meta.js';
import { emptyMeta, parseMeta } from './meta.js';
import type { PlainMetric } from './plain.js';
import { readSnapshot } from './snapshot.js';

/** Reading one store or archive of the directory; read.ts decides what the reads mean together. */

/**
 * What a long-lived reader keeps between reads, so that each scrape only parses what changed:
 * metadata logs by store id (they only grow), archives by name (replaced whole, so a new inode,
 * size or time means new content).
 */
export interface ReadCache {
  readonly meta: Map<string, ParsedMeta>;
  readonly archives: Map<string, { ino: number; size: number; mtimeMs: number; archive: Archive | undefined }>;
  /** The sliced read using the cache, if one is under way: reads of one cache take turns. */
  turn?: Promise<unknown>;
}

export const newReadCache = (): ReadCache => ({ meta: new Map(), archives: new Map() });

/** The entry moved away (a compactor claimed it) or lost its files while being read. */
export class Missing extends Error {}

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

function* readMeta(fd: number, cached: ParsedMeta | undefined): Steps<ParsedMeta> {
  let meta = cached ?? emptyMeta();
  if (fstatSync(fd).size < meta.bytes) meta = emptyMeta();
  const chunk = readFrom(fd, meta.bytes);
  if (chunk.length > 0) yield* parseMeta(meta, chunk);
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

export interface RawStore {
  readonly entry: OwnedEntry;
  readonly meta: ParsedMeta;
  readonly v: Float64Array;
  readonly plain: readonly PlainMetric[];
}

export function* readStore(dir: string, entry: OwnedEntry, cache: ReadCache | undefined): Steps<RawStore | undefined> {
  const path = join(dir, entry.name);
  const metaFd = open(join(path, 'meta.jsonl'));
  let valuesFd = -1;
  try {
    valuesFd = open(join(path, 'values.bin'));
    const meta = yield* readMeta(metaFd, cache?.meta.get(entry.id));
    if (meta.header === undefined || meta.header.id !== entry.id) return undefined;
    cache?.meta.set(entry.id, meta);
    const v = readValues(valuesFd);
    const plain = readSnapshot(path);
    // No snapshot: either none was written yet, or the store moved away while we read it.
    if (plain === undefined && !existsSync(join(path, 'meta.jsonl'))) throw new Missing();
    return { entry, meta, v, plain: plain ?? [] };
  } finally {
    closeSync(metaFd);
    if (valuesFd >= 0) closeSync(valuesFd);
  }
}

export function* readArchive(dir: string, entry: OwnedEntry, cache: ReadCache | undefined): Steps<Archive | undefined> {
  const fd = open(join(dir, entry.name));
  let stat: { ino: number; size: number; mtimeMs: number };
  let bytes: Buffer;
  try {
    stat = fstatSync(fd);
    const known = cache?.archives.get(entry.name);
    if (known !== undefined && known.ino === stat.ino && known.size === stat.size && known.mtimeMs === stat.mtimeMs) return known.archive;
    bytes = readFrom(fd, 0);
  } finally {
    closeSync(fd);
  }
  // An archive is replaced whole, never written in place: the bytes read are one version of it.
  const archive = yield* decodeArchive(bytes);
  cache?.archives.set(entry.name, { ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs, archive });
  return archive;
}
