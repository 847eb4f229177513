import { closeSync, fsyncSync, lstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ID_PATTERN, hasProc, parseId, pidNamespace, readStat } from './identity.js';

/**
 * The directory layout. Every name carries the id of the store it belongs to, so a reader can
 * judge each entry without reading it, and a rename is the only way an entry changes hands.
 *
 * - `proc.<id>/`                        a live or dead store: `meta.jsonl`, `values.bin`, `plain.json`
 * - `archive.<id>.json`                 what store `<id>` has absorbed from dead stores
 * - `claimed.<by>.proc.<id>/`           a dead store being absorbed by store `<by>`
 * - `claimed.<by>.archive.<id>.json`    a dead store's archive being absorbed by `<by>`
 * - `tmp.<by>.<n>` / `trash.<by>.<n>`   work in progress of `<by>`; never read
 *
 * Anything else in the directory is not ours and is left alone.
 */
export type Entry = OwnedEntry | WorkEntry;

/** A store (`proc`) or an archive, claimed or not. */
export interface OwnedEntry {
  readonly kind: 'proc' | 'archive';
  readonly name: string;
  readonly id: string;
  readonly claimedBy?: string;
}

export interface WorkEntry {
  readonly kind: 'tmp' | 'trash';
  readonly name: string;
  readonly owner: string;
}

export const isOwned = (entry: Entry): entry is OwnedEntry => entry.kind === 'proc' || entry.kind === 'archive';

const ENTRY = new RegExp(`^(?:claimed\\.(${ID_PATTERN})\\.)?(proc|archive)\\.(${ID_PATTERN})(\\.json)?$`);
const WORK = new RegExp(`^(tmp|trash)\\.(${ID_PATTERN})\\.[\\w-]+$`);

export function parseEntry(name: string): Entry | undefined {
  const m = ENTRY.exec(name);
  if (m) {
    const kind = m[2] as 'proc' | 'archive';
    // proc entries are directories without an extension, archives are .json files.
    if ((kind === 'archive') !== (m[4] !== undefined)) return undefined;
    return m[1] ? { kind, name, id: m[3]!, claimedBy: m[1] } : { kind, name, id: m[3]! };
  }
  const w = WORK.exec(name);
  return w ? { kind: w[1] as 'tmp' | 'trash', name, owner: w[2]! } : undefined;
}

/** The absorption key of an entry: stores and archives of one id are absorbed separately. */
export const keyOf = (kind: 'proc' | 'archive', id: string): string => `${kind === 'proc' ? 'p' : 'a'}:${id}`;

export const procName = (id: string): string => `proc.${id}`;
export const archiveName = (id: string): string => `archive.${id}.json`;
export const claimedName = (by: string, kind: 'proc' | 'archive', id: string): string =>
  `claimed.${by}.${kind === 'proc' ? procName(id) : archiveName(id)}`;

let counter = 0;
/** A fresh `tmp.`/`trash.` name owned by `owner`. */
export const workName = (kind: 'tmp' | 'trash', owner: string): string => `${kind}.${owner}.${Date.now().toString(36)}${(counter++).toString(36)}`;

/** How often a store proves it is alive where the OS cannot tell (no /proc, or another host). */
export const HEARTBEAT_MS = 10_000;
/** A heartbeat older than this means dead, where it is the only evidence. */
export const STALE_MS = 5 * 60_000;

/** What the liveness test needs to know about a store's writer. */
export interface Owner {
  readonly pid: number;
  readonly start: string;
  readonly host: string;
  /** The writer's PID namespace, when it could tell. */
  readonly pidns?: string | undefined;
  readonly task?: { readonly tid: number; readonly start: string } | undefined;
  /** Unix ms of the last heartbeat. */
  readonly heartbeat: number;
  /** The store was closed (its thread ended, or `close()` was called). */
  readonly done: boolean;
}

const HOST = hostname();

/** Whether a writer's pids are ours to check: same host, and the same PID namespace where it told. */
function pidsComparable(owner: { readonly host: string; readonly pidns?: string | undefined }): boolean {
  // A container of the same pod has the host name and the volume, not the pids.
  return owner.host === HOST && (owner.pidns === undefined || owner.pidns === pidNamespace());
}

/**
 * True only when the writer cannot be running any more: it said so, or its pid is free, or its pid
 * now belongs to a process (or thread) that started at another time (a reused pid), or it is a
 * zombie. Where the OS cannot answer, a heartbeat older than `STALE_MS` decides.
 */
export function isCertainlyDead(owner: Owner, now: number): boolean {
  if (owner.done) return true;
  const stale = now - owner.heartbeat > STALE_MS;
  // Another host or PID namespace has its own pids: only its heartbeat speaks for it.
  if (!pidsComparable(owner)) return stale;
  if (pidGone(owner.pid)) return true;
  if (!hasProc() || owner.start.startsWith('m')) return stale;
  const stat = readStat(`/proc/${owner.pid}/stat`);
  if (stat === null || stat === undefined || stat.start !== owner.start || stat.state === 'Z' || stat.state === 'X') return true;
  if (owner.task !== undefined) {
    const task = readStat(`/proc/${owner.pid}/task/${owner.task.tid}/stat`);
    if (task === null || task === undefined || task.start !== owner.task.start) return true;
  }
  return false;
}

/**
 * Judges the owner of an entry whose content is not read (work files, a store without its files)
 * from its id: pid and start time. An owner of another PID namespace cannot be judged so: its
 * entry is taken for abandoned once nothing touched it for `STALE_MS` (work lasts milliseconds,
 * and a live store rewrites missing files within a heartbeat).
 */
export function ownerCertainlyDead(dir: string, entry: { readonly name: string }, id: string, now: number): boolean {
  const parsed = parseId(id);
  if (parsed === undefined) return false;
  const owner = { pid: parsed.pid, start: parsed.start, host: HOST, pidns: parsed.pidns, done: false };
  if (pidsComparable(owner)) return isCertainlyDead({ ...owner, heartbeat: now }, now);
  try {
    return now - lstatSync(join(dir, entry.name)).mtimeMs > STALE_MS;
  } catch {
    return false;
  }
}

/** True when no process has this pid (ESRCH). EPERM means it exists under another user. */
export function pidGone(pid: number): boolean {
  // kill(0) and kill(-n) address process groups: never let a malformed pid through.
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Writes a file so that readers see the old content or the new, never a part: write a temporary
 * file, fsync it, rename it over the target.
 */
export function writeAtomically(dir: string, owner: string, target: string, content: string): void {
  const tmp = join(dir, workName('tmp', owner));
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, target);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

/**
 * Removes an entry so that no reader ever sees it half deleted: it first disappears in one rename,
 * then the renamed copy is deleted. Returns false when the entry was already gone.
 */
export function removeEntry(dir: string, name: string, owner: string): boolean {
  const trash = join(dir, workName('trash', owner));
  try {
    renameSync(join(dir, name), trash);
  } catch {
    return false;
  }
  rmSync(trash, { recursive: true, force: true });
  return true;
}

/** Best-effort deletion of work files; a concurrent deleter is not an error. */
export function removeQuietly(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch {
    // Someone else is deleting it too; whoever is last finishes the job.
  }
}
