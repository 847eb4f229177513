import cluster from 'node:cluster';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { threadId } from 'node:worker_threads';

/**
 * Who wrote a store: enough to tell later, from another process, whether the writer is certainly
 * gone. A pid alone is not: pids are reused, so the OS start time of the process (and, for a
 * worker thread, of its OS thread) is part of the identity; and a pid means something only in its
 * PID namespace (containers of one pod share a host name and a volume, not their pids).
 */
export interface Identity {
  /**
   * `<pid>-<threadId>-<start>-<seq>`, then `-n<inode>` of the PID namespace where Linux tells it;
   * unique on the host for ever (start times make reused pids distinct, namespaces tell apart the
   * pid 1 of two containers started in the same tick).
   */
  readonly id: string;
  readonly pid: number;
  readonly threadId: number;
  /** Linux: the process start time in clock ticks since boot (`/proc/<pid>/stat` field 22). Elsewhere: `m<unix-ms>`. */
  readonly start: string;
  /** Linux, worker threads only: the OS thread id and its start time, so a terminated thread reads as dead. */
  readonly task?: { readonly tid: number; readonly start: string };
  readonly host: string;
  /** Linux: the PID namespace, as `/proc/self/ns/pid` names it (`pid:[4026531836]`). */
  readonly pidns?: string;
  /** The stable `worker` label value. */
  readonly worker: string;
  /** Where `worker` came from; a `pid` label is not stable across restarts. */
  readonly workerSource: WorkerSource;
}

export type WorkerSource = 'option' | 'env' | 'pm2' | 'cluster' | 'pid';

interface Stat {
  /** Field 3: R, S, D, Z (zombie), X (dead)… */
  readonly state: string;
  /** Field 22, kept as text: it is only ever compared. */
  readonly start: string;
}

/** `undefined` when this system has no /proc, `null` when the process (or thread) does not exist. */
export function readStat(path: string): Stat | null | undefined {
  if (!HAS_PROC) return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const start = fields[19];
  return state !== undefined && start !== undefined ? { state, start } : null;
}

/**
 * Whether /proc describes this process's own PID namespace: one mounted for another namespace (a
 * container started without its own /proc) shows other pids, which would judge stores wrongly.
 */
const HAS_PROC = (() => {
  try {
    readFileSync('/proc/self/stat');
    return readlinkSync('/proc/self') === String(process.pid);
  } catch {
    return false;
  }
})();

/** This process's PID namespace, `undefined` where Linux does not tell it. */
const PID_NS = (() => {
  try {
    const link = readlinkSync('/proc/self/ns/pid');
    return /^pid:\[\d+\]$/.test(link) ? link : undefined;
  } catch {
    return undefined;
  }
})();

/** The PID namespace this process's pids mean something in (`pid:[4026531836]`), if known. */
export const pidNamespace = (): string | undefined => PID_NS;

/** `-n<inode>`, the part of an id that names the PID namespace. */
const NS_SUFFIX = PID_NS === undefined ? '' : `-n${/\d+/.exec(PID_NS)![0]}`;

/** True when this system lets us read process start times (Linux). */
export const hasProc = (): boolean => HAS_PROC;

function processStart(): string {
  return readStat('/proc/self/stat')?.start ?? `m${Math.round(performance.timeOrigin)}`;
}

/** The calling thread's OS id and start time, for worker threads on Linux. */
function threadTask(pid: number): Identity['task'] {
  if (threadId === 0 || !HAS_PROC) return undefined;
  try {
    const tid = Number(/task\/(\d+)$/.exec(readlinkSync('/proc/thread-self'))?.[1]);
    const stat = readStat(`/proc/${pid}/task/${tid}/stat`);
    return Number.isInteger(tid) && stat ? { tid, start: stat.start } : undefined;
  } catch {
    return undefined;
  }
}

/** Environment variable a user (or a cluster primary, via `cluster.fork(env)`) sets to give each worker a stable label. */
export const WORKER_ENV = 'PROMHTTP_WORKER';

function workerLabel(explicit: string | undefined, pid: number): { worker: string; workerSource: WorkerSource } {
  if (explicit !== undefined) return { worker: explicit, workerSource: 'option' };
  const env = process.env;
  if (env[WORKER_ENV]) return { worker: env[WORKER_ENV], workerSource: 'env' };
  // PM2 numbers the instances of an app 0…n-1 and keeps the number across reloads.
  if (env.NODE_APP_INSTANCE) return { worker: env.NODE_APP_INSTANCE, workerSource: 'pm2' };
  if (env.pm_id) return { worker: env.pm_id, workerSource: 'pm2' };
  if (cluster.isWorker && cluster.worker) return { worker: String(cluster.worker.id), workerSource: 'cluster' };
  return { worker: String(pid), workerSource: 'pid' };
}

let sequence = 0;

/** An id owned by this thread, for work that is not a store (`clearDirectory`'s own files). */
export function workerId(seq = 0): string {
  return `${process.pid}-${threadId}-${processStart()}-${seq}${NS_SUFFIX}`;
}

/** A new identity for a store opened by this thread (several registries in one thread get several). */
export function newIdentity(explicitWorker?: string): Identity {
  const pid = process.pid;
  const start = processStart();
  const seq = sequence++;
  const { worker, workerSource } = workerLabel(explicitWorker, pid);
  const task = threadTask(pid);
  let label = worker;
  if (threadId !== 0) label += `-t${threadId}`;
  if (seq > 0) label += `-r${seq}`;
  return {
    id: `${pid}-${threadId}-${start}-${seq}${NS_SUFFIX}`,
    pid,
    threadId,
    start,
    ...(task ? { task } : {}),
    host: hostname(),
    ...(PID_NS !== undefined ? { pidns: PID_NS } : {}),
    worker: label,
    workerSource,
  };
}

/** Parses the pid, start time and PID namespace back out of an id, for entries whose metadata cannot be read. */
export function parseId(id: string): { pid: number; start: string; pidns?: string } | undefined {
  const match = /^(\d+)-\d+-(m?\d+)-\d+(?:-n(\d+))?$/.exec(id);
  if (!match) return undefined;
  return { pid: Number(match[1]), start: match[2]!, ...(match[3] !== undefined ? { pidns: `pid:[${match[3]}]` } : {}) };
}

export const ID_PATTERN = '\\d+-\\d+-m?\\d+-\\d+(?:-n\\d+)?';
