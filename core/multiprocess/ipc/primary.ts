import cluster, { type Worker } from 'node:cluster';
import { checkKeys, checkObject, checkType, optionError } from '../../errors.js';
import { runSliced } from '../../exposition/slice.js';
import type { Archive } from '../archive.js';
import { markPrimary } from './env.js';
import type { CollectMessage, MergedMessage, PrimaryMessage, ResyncMessage, ScrapeMessage, StateMessage } from './protocol.js';
import { encodeFamily, encodePlain, encodeValues, isMessage } from './protocol.js';
import type { WorkerState } from './state.js';
import { absorbWorker, applyState, mergeWorkers, newWorkerState } from './state.js';

/** Options of `clusterPrimary()`. */
export interface ClusterPrimaryOptions {
  /**
   * How long a scrape waits for the workers' fresh values, in ms. A worker that has not answered
   * by then (its event loop is busy) is shown with the values it sent last; the scrape never fails
   * because of it.
   * @default 250
   */
  timeoutMs?: number;
}

/** The primary's side of IPC mode. */
export interface ClusterPrimary {
  readonly timeoutMs: number;
  /** Workers the primary holds values of: live ones, and how many have exited (their counts are kept). */
  workers(): { live: number; exited: number };
  /** Stops answering workers (their scrapes then fail with 500). For tests and orderly shutdowns. */
  close(): void;
}

const WHERE = 'clusterPrimary';

interface Round {
  readonly waiting: Set<number>;
  readonly finish: () => void;
}

let current: ClusterPrimary | undefined;

function send(worker: Worker, message: PrimaryMessage): void {
  // A worker that is exiting cannot be told anything; the callback keeps the failure from becoming an 'error' event.
  if (worker.isConnected()) worker.send(message, () => {});
}

/**
 * Makes this node:cluster primary collect its workers' metrics, so that a scrape of any worker
 * (set up with `clusterWorker()`) shows the whole app. Call it before `cluster.fork()`. Workers that
 * exit keep their counts in the totals. Calling it again returns the same primary.
 * @example
 * if (cluster.isPrimary) {
 *   clusterPrimary();
 *   for (let i = 0; i < 4; i++) cluster.fork({ PROMHTTP_WORKER: String(i) });
 * }
 */
export function clusterPrimary(options?: ClusterPrimaryOptions): ClusterPrimary {
  const o = checkObject(WHERE, options);
  checkKeys(WHERE, o, ['timeoutMs']);
  checkType(WHERE, 'timeoutMs', o.timeoutMs, 'number', 'a number of milliseconds from 1 to 10000');
  const timeoutMs = (o.timeoutMs as number | undefined) ?? 250;
  if (!Number.isFinite(timeoutMs) || timeoutMs < 1 || timeoutMs > 10_000) {
    throw optionError(`${WHERE}: "timeoutMs" must be a number of milliseconds from 1 to 10000, got ${timeoutMs}. Keep it well under Prometheus's scrape_timeout.`);
  }
  if (!cluster.isPrimary) {
    throw optionError(`${WHERE}() runs in the node:cluster primary, before cluster.fork(); in the workers call clusterWorker().`);
  }
  if (current !== undefined) {
    if (current.timeoutMs !== timeoutMs) throw optionError(`${WHERE}() was already called with timeoutMs ${current.timeoutMs}; call it once.`);
    return current;
  }
  markPrimary(timeoutMs);

  const states = new Map<number, WorkerState>();
  const rounds = new Map<number, Round>();
  let archive: Archive | undefined;
  let exited = 0;
  let lastRound = 0;

  function receiveState(worker: Worker, message: StateMessage): void {
    let state = states.get(worker.id);
    if (state === undefined) {
      state = newWorkerState(worker.process.pid ?? 0);
      states.set(worker.id, state);
    }
    if (!applyState(state, message)) send(worker, { promhttpIpc: 'resync' } satisfies ResyncMessage);
    if (message.round !== undefined) {
      const round = rounds.get(message.round);
      if (round !== undefined && round.waiting.delete(worker.id) && round.waiting.size === 0) round.finish();
    }
  }

  async function answer(asker: Worker, req: number, stale: number): Promise<void> {
    const view = await runSliced(mergeWorkers(states.values(), archive));
    let slots = 0;
    for (const f of view.families) for (const s of f.series) slots = Math.max(slots, s.offset + f.width);
    const message: MergedMessage = {
      promhttpIpc: 'merged',
      req,
      families: view.families.map((f) => ({ def: encodeFamily(f.def), series: f.series.map((s) => [s.rendered, s.offset] as const) })),
      values: encodeValues(view.v, slots),
      plain: encodePlain(view.plain),
      conflicts: view.conflicts.map((c) => [c.metric, c.action, c.count] as const),
      exemplars: [...view.exemplars].flatMap(([name, slots]) => [...slots].map(([slot, e]) => [name, slot, e.labels, e.value, e.timestampMs] as const)),
      workers: { fresh: states.size - stale, stale, exited },
    };
    send(asker, message);
  }

  function scrape(asker: Worker, message: ScrapeMessage): void {
    receiveState(asker, message.state);
    const round = ++lastRound;
    const waiting = new Set<number>();
    for (const worker of Object.values(cluster.workers ?? {})) {
      // Only workers that sent a state use IPC mode; asking the others would only wait for nothing.
      if (worker === undefined || worker === asker || !states.has(worker.id) || !worker.isConnected()) continue;
      waiting.add(worker.id);
      send(worker, { promhttpIpc: 'collect', round } satisfies CollectMessage);
    }
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      rounds.delete(round);
      // A merge that fails leaves the asking worker to its reply timeout, which fails its scrape with 500.
      answer(asker, message.req, waiting.size).catch((error: unknown) => process.emitWarning(`promhttp: clusterPrimary: merging the workers' metrics failed: ${error instanceof Error ? error.message : String(error)}`));
    };
    const timer = setTimeout(finish, timeoutMs);
    timer.unref();
    rounds.set(round, { waiting, finish });
    if (waiting.size === 0) finish();
  }

  function onMessage(worker: Worker, message: unknown): void {
    if (isMessage<StateMessage>(message, 'state')) receiveState(worker, message);
    else if (isMessage<ScrapeMessage>(message, 'scrape')) scrape(worker, message);
  }

  function onExit(worker: Worker): void {
    const state = states.get(worker.id);
    if (state === undefined) return;
    states.delete(worker.id);
    archive = absorbWorker(archive, state);
    exited++;
    for (const round of rounds.values()) if (round.waiting.delete(worker.id) && round.waiting.size === 0) round.finish();
  }

  cluster.on('message', onMessage);
  cluster.on('exit', onExit);
  current = {
    timeoutMs,
    workers: () => ({ live: states.size, exited }),
    close() {
      cluster.off('message', onMessage);
      cluster.off('exit', onExit);
      for (const round of rounds.values()) round.finish();
      current = undefined;
    },
  };
  return current;
}
