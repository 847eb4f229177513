import { resolve } from 'node:path';
import { checkKeys, checkType, describeValue, optionError } from '../errors.js';

/** The variable that turns multi-process mode on (the name Python's client uses, so one setting serves both). */
export const MULTIPROC_DIR_ENV = 'PROMETHEUS_MULTIPROC_DIR';

/** What happens, when a store opens, to the values that dead processes left in the directory. */
export type ResetPolicy = 'auto' | 'always' | 'never';

export interface MultiprocessOptions {
  /**
   * The directory every process of the app shares (created if missing). Use a directory of its
   * own, on a local disk (tmpfs is ideal), one per app.
   * @default process.env.PROMETHEUS_MULTIPROC_DIR
   * @example "/run/myapp-metrics"
   */
  dir?: string;
  /**
   * Write each change to the file at once, instead of once per event-loop turn. Nothing is lost
   * even on SIGKILL, at the cost of a few system calls per request.
   * @default false (a SIGKILL loses at most the requests of the current event-loop turn)
   */
  writeThrough?: boolean;
  /**
   * `auto`: when no live process uses the directory (a cold start of the whole app), forget what
   * dead processes left, so totals start from zero; a rolling restart keeps them.
   * `always`: forget dead processes' values whenever a process starts.
   * `never`: keep them across cold starts too.
   * @default "auto"
   */
  reset?: ResetPolicy;
  /**
   * This process's stable `worker` label, used for per-process gauges and process metrics. It
   * should survive restarts of the same slot (worker 3 restarted is still 3).
   * @default $PROMHTTP_WORKER, else PM2's $NODE_APP_INSTANCE or $pm_id, else cluster.worker.id, else the pid
   */
  worker?: string;
  /**
   * How often, in ms, plain prom-client metrics (your own `new Counter()`, process metrics) are
   * saved for the other processes to read. Other processes see them this much late at most.
   * @default 5000
   */
  snapshotInterval?: number;
  /**
   * How often, in ms, this process merges the files of dead processes into its archive.
   * @default 30000
   */
  compactInterval?: number;
}

export interface ResolvedMultiprocess {
  /** Absolute. */
  readonly dir: string;
  readonly writeThrough: boolean;
  readonly reset: ResetPolicy;
  readonly worker: string | undefined;
  readonly snapshotInterval: number;
  readonly compactInterval: number;
}

const KEYS = ['dir', 'writeThrough', 'reset', 'worker', 'snapshotInterval', 'compactInterval'];

function envDir(): string | undefined {
  const dir = process.env[MULTIPROC_DIR_ENV];
  return dir === undefined || dir.trim() === '' ? undefined : dir;
}

function interval(where: string, name: string, value: unknown, fallback: number): number {
  checkType(where, name, value, 'number', 'a number of milliseconds of at least 100');
  const ms = (value as number | undefined) ?? fallback;
  if (!Number.isFinite(ms) || ms < 100) throw optionError(`${where}: "${name}" must be a number of milliseconds of at least 100, got ${ms}.`);
  return ms;
}

/**
 * Resolves the `multiprocess` option: `undefined` follows `PROMETHEUS_MULTIPROC_DIR`, `false`
 * turns the mode off, `true` or an object turns it on. Returns `undefined` when the mode is off.
 */
export function resolveMultiprocess(where: string, value: unknown): ResolvedMultiprocess | undefined {
  if (value === false) return undefined;
  if (value === undefined) {
    const dir = envDir();
    return dir === undefined ? undefined : resolveMultiprocess(where, { dir });
  }
  if (value === true) value = {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw optionError(`${where}: "multiprocess" must be true, false or an object such as { dir: "/run/myapp-metrics" }, got ${describeValue(value)}.`);
  }
  const o = value as Record<string, unknown>;
  checkKeys(`${where}: "multiprocess"`, o, KEYS);
  checkType(where, 'multiprocess.dir', o.dir, 'string', 'a directory path');
  const dir = (o.dir as string | undefined) ?? envDir();
  if (dir === undefined || dir === '') {
    throw optionError(`${where}: multi-process mode needs a directory: set ${MULTIPROC_DIR_ENV} or pass multiprocess: { dir: "/run/myapp-metrics" }.`);
  }
  checkType(where, 'multiprocess.writeThrough', o.writeThrough, 'boolean', 'true or false');
  const reset = o.reset ?? 'auto';
  if (reset !== 'auto' && reset !== 'always' && reset !== 'never') {
    throw optionError(`${where}: "multiprocess.reset" must be "auto", "always" or "never", got ${describeValue(reset)}.`);
  }
  checkType(where, 'multiprocess.worker', o.worker, 'string', 'a short label value such as "3"');
  if (o.worker === '') throw optionError(`${where}: "multiprocess.worker" must not be empty; leave it out to use the default.`);
  return {
    dir: resolve(dir),
    writeThrough: o.writeThrough === true,
    reset,
    worker: o.worker as string | undefined,
    snapshotInterval: interval(where, 'multiprocess.snapshotInterval', o.snapshotInterval, 5_000),
    compactInterval: interval(where, 'multiprocess.compactInterval', o.compactInterval, 30_000),
  };
}
