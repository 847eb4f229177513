import cluster from 'node:cluster';
import type { Registry } from 'prom-client';
import { register as globalRegistry } from 'prom-client';
import { checkKeys, checkObject, checkType, describeValue, optionError } from '../../errors.js';
import type { Format } from '../../exposition/format.js';
import { defaultLabelsOf } from '../../exposition/default-labels.js';
import { peekArena, setArena } from '../../store/registry.js';
import { RENDER_MERGED } from '../../store/types.js';
import { WORKER_ENV } from '../identity.js';
import { MULTIPROC_DIR_ENV } from '../options.js';
import type { PlainMetric } from '../plain.js';
import { collectPlain } from '../snapshot.js';
import { registerSurvivingClear } from '../survive-clear.js';
import { createTrackedArena } from './arena.js';
import { parentPrimary, underPm2 } from './env.js';
import type { CollectMessage, MergedMessage, ResyncMessage, ScrapeMessage, StateMessage, WorkerCounts } from './protocol.js';
import { encodeFamily, encodePlain, encodeValues, isMessage } from './protocol.js';
import { allExemplars, peekExemplars } from '../../exemplars/store.js';
import { encodeExemplars } from '../exemplars.js';
import { WORKERS_METRIC, renderMerged, workersMetric } from './render.js';

/** Options of `clusterWorker()`. */
export interface ClusterWorkerOptions {
  /**
   * The registry whose promhttp metrics are shared with the other workers, and whose exposition
   * (`/metrics`) shows every worker merged.
   * @default prom-client's global `register`
   */
  registry?: Registry;
  /**
   * This worker's `worker` label, for per-worker gauges and process metrics. Give each worker
   * the slot it fills, so a re-forked worker takes its predecessor's place.
   * @default $PROMHTTP_WORKER (set it in `cluster.fork({ PROMHTTP_WORKER: String(slot) })`), else the node:cluster worker id
   */
  worker?: string;
  /**
   * How often, in ms, the worker sends its values to the primary when they changed. A worker
   * that is killed keeps in the totals what it had sent; this bounds what it can lose.
   * @default 1000
   */
  pushInterval?: number;
}

/** A worker's side of IPC mode. */
export interface ClusterWorker {
  readonly registry: Registry;
  /** This worker's `worker` label. */
  readonly worker: string;
  /** Sends this worker's values to the primary now (done by itself every `pushInterval`). */
  push(): Promise<void>;
  /**
   * Sends a last state and stops talking to the primary; scrapes of this registry then fail with
   * 500. Await it before `process.exit()` in a graceful shutdown, so that nothing recorded since the
   * last push is lost. Idempotent.
   */
  close(): Promise<void>;
}

const WHERE = 'clusterWorker';
const workers = new WeakMap<Registry, ClusterWorker>();

/** True when `clusterWorker()` put this registry in IPC mode: its promhttp metrics go to the cluster primary. */
export function inIpcMode(registry: Registry): boolean {
  return workers.has(registry);
}

function checkPlace(): number {
  if (underPm2() && parentPrimary() === undefined) {
    throw optionError(
      `${WHERE}: this process runs under PM2, whose cluster mode has no primary of the app's own to collect the workers' metrics (prom-client's AggregatorRegistry answers with an empty body there). Use directory mode instead: set ${MULTIPROC_DIR_ENV}=/run/myapp-metrics in the app's environment (ecosystem file "env"), or pass multiprocess: { dir: "/run/myapp-metrics" } to createHttpMetrics().`,
    );
  }
  if (!cluster.isWorker || typeof process.send !== 'function') {
    throw optionError(`${WHERE}() runs in a node:cluster worker; in the primary call clusterPrimary(). For processes that are not cluster workers, use directory mode (${MULTIPROC_DIR_ENV}).`);
  }
  const primary = parentPrimary();
  if (primary === undefined) {
    throw optionError(`${WHERE}: the cluster primary did not call clusterPrimary() before forking this worker, so nobody would answer its scrapes. Call clusterPrimary() in the primary before cluster.fork().`);
  }
  // The primary waits timeoutMs for the others, then merges and answers: allow for both.
  return primary.timeoutMs + 2_000;
}

/** Sends to the primary; resolves once the message is handed to the channel, false if it could not be. */
function post(message: StateMessage | ScrapeMessage): Promise<boolean> {
  if (!process.connected || process.send === undefined) return Promise.resolve(false);
  // With a callback a failed send is reported there instead of as an 'error' event that would crash the worker.
  return new Promise((resolve) => process.send!(message, undefined, undefined, (error) => resolve(error === null)));
}

/**
 * Puts a node:cluster worker's registry in IPC mode: its promhttp metrics are sent to the primary
 * (set up with `clusterPrimary()`), and a scrape of this worker shows every worker merged. For
 * hosts without a writable directory; elsewhere prefer directory mode (`PROMETHEUS_MULTIPROC_DIR`),
 * which needs no primary and also works under PM2. Call it before creating metrics in the
 * registry; calling it again returns the same worker.
 * @example
 * clusterWorker();
 * http.createServer(instrument(app)).listen(3000);
 */
export function clusterWorker(options?: ClusterWorkerOptions): ClusterWorker {
  const o = checkObject(WHERE, options);
  checkKeys(WHERE, o, ['registry', 'worker', 'pushInterval']);
  const registry = (o.registry as Registry | undefined) ?? globalRegistry;
  if (typeof (registry as Partial<Registry>)?.registerMetric !== 'function') {
    throw optionError(`${WHERE}: "registry" must be a prom-client Registry (new Registry()), got ${describeValue(o.registry)}.`);
  }
  checkType(WHERE, 'worker', o.worker, 'string', 'a short label value such as "3"');
  if (o.worker === '') throw optionError(`${WHERE}: "worker" must not be empty; leave it out to use the default.`);
  checkType(WHERE, 'pushInterval', o.pushInterval, 'number', 'a number of milliseconds of at least 100');
  const pushInterval = (o.pushInterval as number | undefined) ?? 1_000;
  if (!Number.isFinite(pushInterval) || pushInterval < 100) throw optionError(`${WHERE}: "pushInterval" must be a number of milliseconds of at least 100, got ${pushInterval}.`);
  const replyTimeoutMs = checkPlace();
  const existing = workers.get(registry);
  if (existing !== undefined) return existing;
  if (peekArena(registry) !== undefined) {
    throw optionError(`${WHERE}: this registry already holds promhttp metrics of its own. Call clusterWorker() before creating any metric in it.`);
  }

  const label = (o.worker as string | undefined) ?? (process.env[WORKER_ENV] || undefined);
  const worker = label ?? String(cluster.worker!.id);
  const stable = label !== undefined;
  const arena = createTrackedArena();
  setArena(registry, arena);

  let sentFamilies = 0;
  let sentSeries = 0;
  /** The `seq` of the last exemplar sent: only newer ones go with the next state. */
  let sentExemplars = 0;
  let nextReq = 0;
  let closed = false;
  let counts: WorkerCounts = { fresh: 0, stale: 0, exited: 0 };
  const replies = new Map<number, (message: MergedMessage | Error) => void>();

  /** Built synchronously, so metadata goes out in the order the primary must apply it. */
  function state(plain: readonly PlainMetric[], round?: number): StateMessage {
    arena.takeChanged();
    const exemplars = peekExemplars(arena);
    const message: StateMessage = {
      promhttpIpc: 'state',
      ...(round !== undefined ? { round } : {}),
      worker,
      stable,
      familiesFrom: sentFamilies,
      families: arena.families.slice(sentFamilies).map((f) => encodeFamily(f.def)),
      seriesFrom: sentSeries,
      series: arena.series.slice(sentSeries).map((s) => [s.family, s.values, s.offset] as const),
      values: encodeValues(arena.v, arena.used),
      plain: encodePlain(plain),
      labels: defaultLabelsOf(registry),
      // From the first series on (the first state, a resync), every exemplar: the primary starts over.
      ...(exemplars === undefined || (sentSeries > 0 && exemplars.seq === sentExemplars) ? {} : { exemplars: encodeExemplars(allExemplars(exemplars), sentSeries === 0 ? 0 : sentExemplars) }),
    };
    sentFamilies = arena.families.length;
    sentSeries = arena.series.length;
    if (exemplars !== undefined) sentExemplars = exemplars.seq;
    return message;
  }

  async function push(round?: number): Promise<void> {
    if (closed) return;
    // Another worker's scrape must not fail because of this worker's collectors: skip the failing ones.
    const plain = await collectPlain(registry, true);
    await post(state(plain, round));
  }

  async function renderAll(format: Format, defaults: Readonly<Record<string, string>>, signal?: AbortSignal): Promise<Buffer[]> {
    if (closed) throw new Error('this worker has left IPC mode (clusterWorker().close())');
    // The own registry is read live; a failing collector fails the scrape, as in single-process mode.
    const plain = await collectPlain(registry);
    const req = ++nextReq;
    const reply = new Promise<MergedMessage | Error>((resolve) => {
      const timer = setTimeout(() => resolve(new Error(`the node:cluster primary did not answer within ${replyTimeoutMs} ms`)), replyTimeoutMs);
      replies.set(req, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
    void post({ promhttpIpc: 'scrape', req, state: state(plain) }).then((sent) => {
      if (!sent) replies.get(req)?.(new Error('the node:cluster primary is gone (the IPC channel is closed)'));
    });
    const answer = await reply;
    replies.delete(req);
    // A partial view would look like a counter reset to Prometheus; a failed scrape does not.
    if (answer instanceof Error) throw answer;
    counts = answer.workers;
    // Every scrape waiting for this render timed out while the primary merged: render nothing.
    signal?.throwIfAborted();
    return renderMerged(answer, format, defaults, signal);
  }

  function onMessage(message: unknown): void {
    if (isMessage<CollectMessage>(message, 'collect')) void push(message.round);
    else if (isMessage<MergedMessage>(message, 'merged')) replies.get(message.req)?.(message);
    else if (isMessage<ResyncMessage>(message, 'resync')) {
      sentFamilies = 0;
      sentSeries = 0;
      void push();
    }
  }

  let idleTicks = 0;
  const timer = setInterval(() => {
    // Plain prom-client metrics change without telling: send them now and then even when idle.
    if (arena.takeChanged() || ++idleTicks >= 10) {
      idleTicks = 0;
      void push();
    }
  }, pushInterval);
  timer.unref();
  let finalPushed = false;
  function pushBeforeExit(): void {
    if (finalPushed) return;
    finalPushed = true;
    void push();
  }

  process.on('message', onMessage);
  process.on('beforeExit', pushBeforeExit);
  // The primary learns at once that this worker takes part, so its scrapes ask this one too.
  setImmediate(() => void push());

  registerSurvivingClear(registry, {
    name: WORKERS_METRIC,
    help: workersMetric(counts).help,
    type: 'gauge',
    aggregator: 'sum',
    // prom-client's own view (`registry.metrics()`) renders metric by metric: only the counts of the last scrape.
    get: async () => workersMetric(counts),
    reset() {},
    [RENDER_MERGED]: renderAll,
  });

  const handle: ClusterWorker = {
    registry,
    worker,
    push: () => push(),
    async close() {
      if (closed) return;
      await push();
      closed = true;
      clearInterval(timer);
      process.off('message', onMessage);
      process.off('beforeExit', pushBeforeExit);
      for (const resolve of replies.values()) resolve(new Error('this worker has left IPC mode'));
    },
  };
  workers.set(registry, handle);
  return handle;
}
