import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Registry } from 'prom-client';
import { register as globalRegistry } from 'prom-client';
import { checkKeys, checkObject, checkType, describeValue, optionError } from '../../errors.js';
import type { HttpMetrics } from '../../http-metrics.js';
import { checkLabelName } from '../../names.js';
import { sharedModeOf } from '../mode.js';
import { MULTIPROC_DIR_ENV } from '../options.js';
import type { MetricsServer } from '../../scrape/server.js';
import { startMetricsServer } from '../../scrape/server.js';
import { onGracefulExit } from './exit-hook.js';
import type { FileSdGroup } from './target-file.js';
import { removeTargetFile, writeTargetFile } from './target-file.js';
import type { WorkerIndexSource } from './worker-index.js';
import { workerIndex } from './worker-index.js';

/** Options of `startWorkerTarget()`. */
export interface WorkerTargetOptions {
  /**
   * The first metrics port: the worker with index i serves its metrics on `basePort + i`.
   * @example 9101 (workers 0…3 on 9101…9104)
   */
  basePort: number;
  /**
   * The directory Prometheus reads target files from (`file_sd_configs`); created if missing.
   * Each worker writes `promhttp-<port>.json` there and removes it when it exits gracefully.
   * @example "/run/myapp-targets"
   */
  dir: string;
  /**
   * This worker's slot, from 0.
   * @default $PROMHTTP_WORKER, else PM2's $NODE_APP_INSTANCE
   */
  index?: number;
  /**
   * The address the metrics server binds.
   * @default "127.0.0.1"
   */
  host?: string;
  /**
   * The host name Prometheus connects to, written into the target file.
   * @default `host`, or this machine's host name when `host` is "0.0.0.0" or "::"
   */
  address?: string;
  /**
   * The path that serves the metrics (written as `__metrics_path__` when it is not the default).
   * @default "/metrics"
   */
  path?: string;
  /**
   * Target labels added to every series of this worker, besides `worker` (the index).
   * @example { app: "checkout" }
   */
  labels?: Readonly<Record<string, string>>;
  /**
   * Serve this registry.
   * @default prom-client's global `register`
   */
  registry?: Registry;
  /** Serve the registry of these request metrics (instead of `registry`). */
  metrics?: HttpMetrics;
  /**
   * How long, in ms, to keep trying while the port is still taken, as during a rolling restart
   * where the predecessor with the same index has not exited yet.
   * @default 10000
   */
  waitForPort?: number;
}

/** A worker's own metrics target. */
export interface WorkerTarget {
  readonly index: number;
  /** Where the index came from: the option, $PROMHTTP_WORKER or PM2. */
  readonly indexSource: WorkerIndexSource;
  readonly port: number;
  /** The scrape URL. */
  readonly url: string;
  /** The target file written for Prometheus. */
  readonly file: string;
  /** Removes the target file and stops the metrics server. Idempotent. */
  close(): Promise<void>;
}

const WHERE = 'startWorkerTarget';
const KEYS = ['basePort', 'dir', 'index', 'host', 'address', 'path', 'labels', 'registry', 'metrics', 'waitForPort'];
const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

function checkLabels(labels: unknown): Record<string, string> {
  const object = checkObject(`${WHERE}: "labels"`, labels);
  for (const [name, value] of Object.entries(object)) {
    checkLabelName(`${WHERE}: "labels"`, name);
    if (name === 'worker') throw optionError(`${WHERE}: "labels" cannot set "worker", which holds the worker's index. Pick another name.`);
    if (typeof value !== 'string') throw optionError(`${WHERE}: "labels.${name}" must be a string, got ${describeValue(value)}.`);
  }
  return object as Record<string, string>;
}

async function listen(options: Parameters<typeof startMetricsServer>[0], waitMs: number): Promise<MetricsServer> {
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      return await startMetricsServer(options);
    } catch (error) {
      if ((error as { code?: string }).code !== 'EADDRINUSE' || Date.now() >= until) throw error;
      await sleep(100);
    }
  }
}

/**
 * Serves this worker's own metrics on a port stable per worker index (`basePort + index`) and
 * announces it to Prometheus through a `file_sd_configs` target file. Each worker is then a target
 * of its own: no merging, and Prometheus sums across workers (`sum(rate(...))`). Mind the series
 * count, which grows with the workers; see docs/multiprocess-targets.md.
 * @example
 * await startWorkerTarget({ basePort: 9101, dir: '/run/myapp-targets' });
 */
export async function startWorkerTarget(options: WorkerTargetOptions): Promise<WorkerTarget> {
  const o = checkObject(WHERE, options);
  checkKeys(WHERE, o, KEYS);
  const basePort = o.basePort;
  if (typeof basePort !== 'number' || !Number.isInteger(basePort) || basePort < 1 || basePort > 65535) {
    throw optionError(`${WHERE}: "basePort" must be a port number, e.g. 9101 (worker i then serves on 9101 + i), got ${describeValue(basePort)}.`);
  }
  if (typeof o.dir !== 'string' || o.dir === '') throw optionError(`${WHERE}: "dir" must be the directory Prometheus reads target files from, e.g. "/run/myapp-targets", got ${describeValue(o.dir)}.`);
  checkType(WHERE, 'index', o.index, 'number', 'a whole number from 0');
  const { index, source } = workerIndex(WHERE, o.index as number | undefined);
  const port = basePort + index;
  if (port > 65535) throw optionError(`${WHERE}: worker ${index} would serve on port ${port}, past 65535. Choose a lower "basePort".`);
  checkType(WHERE, 'host', o.host, 'string', 'an address such as "127.0.0.1" or "0.0.0.0"');
  const host = (o.host as string | undefined) ?? '127.0.0.1';
  checkType(WHERE, 'address', o.address, 'string', 'a host name or address Prometheus can reach');
  const address = (o.address as string | undefined) ?? (host === '0.0.0.0' || host === '::' ? hostname() : host);
  checkType(WHERE, 'path', o.path, 'string', 'a path such as "/metrics"');
  const path = (o.path as string | undefined) ?? '/metrics';
  const labels = checkLabels(o.labels);
  checkType(WHERE, 'waitForPort', o.waitForPort, 'number', 'a number of milliseconds');
  const waitForPort = (o.waitForPort as number | undefined) ?? 10_000;
  if (!Number.isFinite(waitForPort) || waitForPort < 0) throw optionError(`${WHERE}: "waitForPort" must be a number of milliseconds from 0, got ${waitForPort}.`);
  const dir = resolve(o.dir);
  const registry = (o.metrics as HttpMetrics | undefined)?.registry ?? (o.registry as Registry | undefined) ?? globalRegistry;
  const mode = sharedModeOf(registry);
  if (mode !== undefined) {
    throw optionError(
      `${WHERE}: this registry is in ${mode === 'ipc' ? 'IPC mode (clusterWorker())' : `directory mode (${MULTIPROC_DIR_ENV} or multiprocess)`}, so its /metrics shows the whole app: every worker's target would serve the same totals, and sum() over the targets would count them once per worker. Use one of the two: drop ${mode === 'ipc' ? 'clusterWorker()' : `directory mode (unset ${MULTIPROC_DIR_ENV}, or pass multiprocess: false)`} for one target per process, or drop startWorkerTarget() and scrape the app's own /metrics.`,
    );
  }

  const server = await listen({ port, host, path, ...(o.registry !== undefined ? { registry: o.registry as Registry } : {}), ...(o.metrics !== undefined ? { metrics: o.metrics as HttpMetrics } : {}) }, waitForPort);
  const shownHost = address.includes(':') ? `[${address}]` : address;
  const group: FileSdGroup = {
    targets: [`${shownHost}:${port}`],
    labels: { ...labels, worker: String(index), ...(path !== '/metrics' ? { __metrics_path__: path } : {}) },
  };
  let written: { path: string; inode: number };
  try {
    written = writeTargetFile(dir, port, group);
  } catch (error) {
    await server.close();
    throw optionError(`${WHERE}: cannot write the target file in ${dir} (${(error as Error).message}). Point "dir" at a writable directory that Prometheus reads.`);
  }
  const removeHook = onGracefulExit(() => removeTargetFile(written.path, written.inode));
  let closed: Promise<void> | undefined;
  return {
    index,
    indexSource: source,
    port,
    url: server.url,
    file: written.path,
    close() {
      closed ??= (async () => {
        removeHook();
        removeTargetFile(written.path, written.inode);
        await server.close();
      })();
      return closed;
    },
  };
}
