import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Registry } from 'prom-client';
import { register as globalRegistry } from 'prom-client';
import { checkKeys, checkObject, describeValue, optionError } from '../errors.js';
import type { TextFormat } from '../exposition/format.js';
import { createLocalArena } from '../store/arena.js';
import { peekArena, setArena } from '../store/registry.js';
import type { ClearResult } from './clear.js';
import { clearEntries } from './clear.js';
import type { Reader } from './collector.js';
import { newReader, renderDirectoryView } from './collector.js';
import { workerId } from './identity.js';
import { inIpcMode } from './ipc/worker.js';
import { newReadCache } from './read.js';
import type { MultiprocessOptions } from './options.js';
import { resolveMultiprocess } from './options.js';
import type { MultiprocessStore } from './store.js';
import { openStore, storeFor } from './store.js';

export type { ClearResult } from './clear.js';
export type { CompactResult } from './compact.js';
export { WORKER_ENV } from './identity.js';
export { MULTIPROC_DIR_ENV } from './options.js';
export type { MultiprocessOptions, ResetPolicy } from './options.js';
export type { MultiprocessStore } from './store.js';

export interface EnableMultiprocessOptions extends MultiprocessOptions {
  /**
   * The registry whose promhttp metrics go to the directory and whose exposition is merged.
   * @default prom-client's global `register`
   */
  registry?: Registry;
}

const WHERE = 'enableMultiprocess';

/**
 * Puts a registry in multi-process mode: its promhttp metrics are recorded in the shared
 * directory, and its exposition (`metrics.render()`, `/metrics`) shows every process merged.
 * Setting `PROMETHEUS_MULTIPROC_DIR` does this by itself for prom-client's global registry only;
 * call this for another registry, or to choose options (`dir` defaults to the variable). Call it
 * before creating metrics in the registry; calling it again returns the same store.
 * @example
 * const store = enableMultiprocess({ dir: '/run/myapp-metrics' });
 * const metrics = createHttpMetrics(); // records into the directory
 */
export function enableMultiprocess(options?: EnableMultiprocessOptions): MultiprocessStore {
  const o = checkObject(WHERE, options);
  const { registry: given, ...rest } = o;
  const registry = (given as Registry | undefined) ?? globalRegistry;
  if (typeof (registry as Partial<Registry>)?.registerMetric !== 'function') {
    throw optionError(`${WHERE}: "registry" must be a prom-client Registry (new Registry()), got ${describeValue(given)}.`);
  }
  return storeForRegistry(WHERE, registry, resolveMultiprocess(WHERE, rest));
}

function storeForRegistry(where: string, registry: Registry, resolved: ReturnType<typeof resolveMultiprocess>): MultiprocessStore {
  if (resolved === undefined) throw optionError(`${where}: multi-process mode needs a directory: pass { dir } or set PROMETHEUS_MULTIPROC_DIR.`);
  const existing = storeFor(registry);
  if (existing !== undefined) {
    if (existing.dir !== resolved.dir) throw optionError(`${where}: this registry already records into ${existing.dir}; one registry uses one directory. Use a new Registry() for ${resolved.dir}.`);
    return existing;
  }
  if (inIpcMode(registry)) {
    throw optionError(`${where}: this registry is in IPC mode (clusterWorker()): its metrics go to the cluster primary, so it cannot also record into ${resolved.dir}. Use one mode: drop clusterWorker() to record into the directory, or drop the directory option to stay in IPC mode.`);
  }
  if (peekArena(registry) !== undefined) {
    throw optionError(`${where}: this registry already holds promhttp metrics in memory. Turn multi-process mode on before creating any metric (or set PROMETHEUS_MULTIPROC_DIR before the app starts).`);
  }
  const { store, arena } = openStore(registry, resolved);
  setArena(registry, arena);
  return store;
}

/**
 * Applies `createHttpMetrics`'s `multiprocess` option to its registry. `false` pins the registry to
 * memory even when `PROMETHEUS_MULTIPROC_DIR` is set; `undefined` leaves the choice to the variable,
 * which only prom-client's global registry follows.
 */
export function applyMultiprocessOption(where: string, registry: Registry, value: unknown): void {
  if (value === undefined) return;
  if (value === false) {
    const arena = peekArena(registry);
    if (arena === undefined) setArena(registry, createLocalArena());
    else if (inIpcMode(registry)) throw optionError(`${where}: "multiprocess: false", but this registry is in IPC mode (clusterWorker()): its metrics go to the cluster primary. For metrics of this process alone, use a new Registry() that is not passed to clusterWorker().`);
    else if (arena.shared) throw optionError(`${where}: "multiprocess: false", but this registry already records into a multi-process directory. Use a new Registry().`);
    return;
  }
  storeForRegistry(where, registry, resolveMultiprocess(where, value));
}

/** Options of `renderDirectory`. */
export interface RenderDirectoryOptions {
  /**
   * The exposition format: one of the text formats (scrapes get protobuf from a process's own
   * scrape answer, when they ask for it).
   * @default "text"
   */
  format?: TextFormat;
}

function checkDir(where: string, dir: unknown): string {
  if (typeof dir !== 'string' || dir === '') throw optionError(`${where}: the first argument must be the multi-process directory, e.g. "/run/myapp-metrics", got ${describeValue(dir)}.`);
  const path = resolve(dir);
  if (!existsSync(path)) throw optionError(`${where}: the directory ${path} does not exist.`);
  return path;
}

/**
 * Renders the merged exposition of a directory from outside the app (a sidecar, a cron job, the
 * CLI): every process's promhttp metrics and plain-metric snapshots, merged. Never writes.
 * @example
 * const text = await renderDirectory('/run/myapp-metrics');
 */
const readers = new Map<string, { cache: ReturnType<typeof newReadCache>; reader: Reader }>();

export async function renderDirectory(dir: string, options?: RenderDirectoryOptions): Promise<string> {
  const where = 'renderDirectory';
  const path = checkDir(where, dir);
  const o = checkObject(where, options);
  checkKeys(where, o, ['format']);
  const format = o.format ?? 'text';
  if (format !== 'text' && format !== 'openmetrics') throw optionError(`${where}: "format" must be "text" or "openmetrics", got ${describeValue(format)}.`);
  // A sidecar renders the same directory scrape after scrape: keep what was parsed, as a live
  // process's collector does, so only what changed since the last render is read again, and count
  // the files it skipped from render to render.
  let state = readers.get(path);
  if (state === undefined) readers.set(path, (state = { cache: newReadCache(), reader: newReader() }));
  const text = Buffer.concat(await renderDirectoryView(path, format, state.cache, state.reader)).toString();
  return format === 'openmetrics' ? `${text}# EOF\n` : text;
}

/** Options of `clearDirectory`. */
export interface ClearDirectoryOptions {
  /**
   * Clear even while live processes use the directory; their values vanish from the merged view
   * until they rewrite their files (within 10 s).
   * @default false
   */
  force?: boolean;
}

/**
 * Deletes every promhttp file in a directory (other files are left alone): totals start from
 * zero. Throws while live processes use it, unless `force`.
 */
export function clearDirectory(dir: string, options?: ClearDirectoryOptions): ClearResult {
  const where = 'clearDirectory';
  const path = checkDir(where, dir);
  const o = checkObject(where, options);
  checkKeys(where, o, ['force']);
  // Not a store: the id only names this clear's own work files.
  return clearEntries(path, workerId(), o.force === true);
}
