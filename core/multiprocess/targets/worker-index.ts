import { optionError } from '../../errors.js';
import { WORKER_ENV } from '../identity.js';

/** Where a worker's index came from. */
export type WorkerIndexSource = 'option' | 'env' | 'pm2';

/**
 * A worker's index: its slot, stable across restarts, unlike pids and node:cluster worker ids
 * (which grow each time the primary forks again). PM2 numbers instances itself; a node:cluster
 * primary passes the slot when it forks.
 */
export function workerIndex(where: string, explicit: number | undefined): { index: number; source: WorkerIndexSource } {
  if (explicit !== undefined) {
    if (!Number.isInteger(explicit) || explicit < 0) throw optionError(`${where}: "index" must be a whole number from 0, got ${explicit}.`);
    return { index: explicit, source: 'option' };
  }
  for (const [name, source] of [[WORKER_ENV, 'env'], ['NODE_APP_INSTANCE', 'pm2']] as const) {
    const text = process.env[name];
    if (text === undefined || text === '') continue;
    if (!/^\d+$/.test(text)) throw optionError(`${where}: $${name} is "${text}", but one target per process needs a whole number (the worker's slot, from 0), or pass "index".`);
    return { index: Number(text), source };
  }
  throw optionError(
    `${where}: this process has no worker index. Under PM2 it comes from NODE_APP_INSTANCE; with node:cluster, pass the slot when forking: cluster.fork({ ${WORKER_ENV}: String(slot) }) (worker ids grow on every re-fork, so they would not give a stable port); or pass "index".`,
  );
}
