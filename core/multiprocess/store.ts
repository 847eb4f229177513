import { accessSync, constants, mkdirSync } from 'node:fs';
import type { Registry } from 'prom-client';
import { register as globalRegistry } from 'prom-client';
import { optionError } from '../errors.js';
import { resetOnOpen } from './clear.js';
import { registerSurvivingClear } from './survive-clear.js';
import { createMergedCollector } from './collector.js';
import type { CompactResult } from './compact.js';
import { createCompactor } from './compactor.js';
import type { DirectoryArena } from './directory-arena.js';
import { createDirectoryArena } from './directory-arena.js';
import { HEARTBEAT_MS, keyOf } from './files.js';
import { newIdentity } from './identity.js';
import type { ResolvedMultiprocess } from './options.js';
import { MULTIPROC_DIR_ENV, resolveMultiprocess } from './options.js';
import { readDirectory } from './read.js';
import type { HealthCounters } from './health.js';
import { createHealthCounters } from './health.js';
import { defaultLabelsOf } from '../exposition/default-labels.js';
import type { Snapshot } from './snapshot.js';
import { collectPlain } from './snapshot.js';
import { peekExemplars } from '../exemplars/store.js';
import { EXEMPLARS_WRITE_MS, exemplarsWriter } from './exemplars.js';

/** This process's (or worker thread's) part of a multi-process directory. */
export interface MultiprocessStore {
  /** The shared directory (absolute). */
  readonly dir: string;
  /** This store's id: `<pid>-<threadId>-<process start>-<n>`. */
  readonly id: string;
  /** This process's `worker` label. */
  readonly worker: string;
  /** The registry whose metrics the store holds and whose exposition is merged. */
  readonly registry: Registry;
  /** Writes pending values now (done by itself once per event-loop turn). */
  flush(): void;
  /** Saves the registry's plain prom-client metrics for the other processes now (done by itself every `snapshotInterval`). */
  snapshot(): Promise<void>;
  /** Merges dead processes' files into this store's archive now (done by itself every `compactInterval`). */
  compact(): CompactResult;
  /**
   * Saves a last snapshot, marks the store done and closes its files: other processes then treat
   * it as dead (its counts stay in the totals). Call it when a worker thread or a process ends
   * gracefully; values recorded afterwards are not shared. Idempotent.
   */
  close(): Promise<void>;
}

const stores = new WeakMap<Registry, MultiprocessStore>();
const open = new Set<{ arena: DirectoryArena; snapshot(): Promise<void> }>();
let hooked = false;

/**
 * One set of exit hooks for every store: `exit` (synchronous) writes the last values and marks the
 * stores done; `beforeExit` (natural end of the event loop) also saves plain metrics, which prom-client
 * only gives asynchronously.
 */
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', function promhttpCloseStores() {
    for (const store of open) store.arena.close();
  });
  let saved = false;
  process.on('beforeExit', function promhttpSaveSnapshots() {
    if (saved || open.size === 0) return;
    saved = true;
    for (const store of open) void store.snapshot();
  });
}

export function storeFor(registry: Registry): MultiprocessStore | undefined {
  return stores.get(registry);
}

function warnOnce(): (what: string, error: unknown) => void {
  let warned = false;
  return (what, error) => {
    if (warned) return;
    warned = true;
    process.emitWarning(`promhttp: multi-process ${what} failed: ${error instanceof Error ? error.message : String(error)}`);
  };
}

/**
 * Opens this process's store in `options.dir` for `registry`: creates its files, applies the reset
 * policy, registers the merged collector and starts the background timers (all unref'd). The caller
 * installs `arena` as the registry's arena.
 */
export function openStore(registry: Registry, options: ResolvedMultiprocess): { store: MultiprocessStore; arena: DirectoryArena } {
  const { dir } = options;
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.R_OK | constants.W_OK);
  } catch (error) {
    throw optionError(`the multi-process directory ${dir} cannot be created or written (${(error as Error).message}). Point ${MULTIPROC_DIR_ENV} or multiprocess.dir at a writable directory.`);
  }
  const identity = newIdentity(options.worker);
  resetOnOpen(dir, identity.id, options.reset);
  // The counters live in the arena, which may fail its first write before they exist.
  const counters: { health?: HealthCounters } = {};
  // What the store last saved for the other processes; its default labels go out with its first values.
  let saved: Snapshot = { metrics: [], labels: defaultLabelsOf(registry) };
  const arena = createDirectoryArena(dir, identity, { writeThrough: options.writeThrough, onWriteError: () => counters.health?.wrote(), retry: recover, snapshot: saved, beforeFlush: saveLabels });
  const health = createHealthCounters(arena);
  counters.health = health;
  for (let i = 0; i < arena.writeErrors; i++) health.wrote();
  const warn = warnOnce();
  let evicted = false;

  /** Hands a snapshot to the arena, which writes it unless its writes fail (then its restore does). */
  function save(snapshot: Snapshot): void {
    saved = snapshot;
    arena.savePlain(snapshot);
  }

  /**
   * Saves the registry's default labels when they changed (`setDefaultLabels` replaces the object),
   * before values that other processes would read under the old ones go out, and returns them.
   */
  function saveLabels(): Readonly<Record<string, string>> {
    const labels = defaultLabelsOf(registry);
    if (labels !== saved.labels && !arena.closed) save({ metrics: saved.metrics, labels });
    return saved.labels;
  }

  /** Collects the plain metrics and saves them, with the default labels they were collected with. */
  async function snapshot(): Promise<void> {
    if (arena.closed) return;
    let snapshot: Snapshot;
    try {
      snapshot = { labels: defaultLabelsOf(registry), metrics: await collectPlain(registry, true) };
    } catch (error) {
      warn('snapshot', error);
      return;
    }
    save(snapshot);
  }

  const compactor = createCompactor({
    dir,
    by: identity.id,
    paused: () => arena.closed || arena.failing || evicted,
    warn: (error) => warn('compaction', error),
    failed: (error) => arena.failed(error),
  });

  /**
   * Writes the store's files again from memory, after failed writes or once someone removed or
   * replaced them: unless a compactor took them for a dead store's, which then already counts them.
   * (Not through the compactor's cache: a sliced compaction may be reading with it.)
   */
  function recover(): void {
    if (arena.closed || evicted) return;
    let absorbed = false;
    try {
      absorbed = readDirectory(dir, { self: identity.id }).absorbed.has(keyOf('proc', identity.id));
    } catch {
      // The directory cannot be read; the restore below says whether it can be written.
    }
    if (absorbed) {
      evicted = true;
      warn('store', new Error(`${arena.path} was absorbed while this process was running (its heartbeat looked stale); values recorded from now on are not shared`));
      return;
    }
    // Plain metrics changed meanwhile too: save them as they are now.
    if (arena.restore()) void snapshot();
  }

  /** Writes the exemplars recorded since the last write, for the other processes' scrapes; a failed write only waits for the next. */
  let exemplarsWritten = 0;
  const exemplarsFile = exemplarsWriter();
  function writeExemplars(): void {
    const exemplars = peekExemplars(arena);
    if (exemplars === undefined || exemplars.seq === exemplarsWritten || arena.closed || arena.failing || evicted) return;
    try {
      exemplarsFile.write(arena.path, exemplars);
      exemplarsWritten = exemplars.seq;
    } catch {
      // Exemplars point at requests and count nothing: the next write has the latest anyway.
    }
  }

  function heartbeat(): void {
    if (arena.closed || evicted) return;
    arena.heartbeat();
    // While writes fail, the retry after each failure takes care of the files.
    if (arena.failing) return;
    const damage = arena.verify();
    if (damage === undefined) return;
    // Values written since went nowhere: a failed write, though no call failed.
    arena.failed(new Error(damage));
    recover();
  }

  const timers = [
    setInterval(heartbeat, HEARTBEAT_MS),
    setInterval(() => void snapshot(), options.snapshotInterval),
    setInterval(writeExemplars, EXEMPLARS_WRITE_MS),
    // Jitter, so that workers started together do not all compact at the same moment.
    setInterval(compactor.inBackground, options.compactInterval * (0.8 + Math.random() * 0.4)),
    // A first run soon after start takes over what a predecessor left (a restarted worker).
    setTimeout(compactor.inBackground, Math.min(1_000, options.compactInterval)),
    setTimeout(() => void snapshot(), Math.min(1_000, options.snapshotInterval)),
  ];
  for (const timer of timers) timer.unref();

  const handle = { arena, snapshot };
  open.add(handle);
  hookExit();

  const store: MultiprocessStore = {
    dir,
    id: identity.id,
    worker: identity.worker,
    registry,
    flush: () => arena.flush(),
    snapshot,
    compact: compactor.now,
    async close() {
      if (arena.closed) return;
      for (const timer of timers) clearTimeout(timer);
      // Its claims must be settled while the store is alive: a compactor that sees them held by a
      // dead store takes them over.
      compactor.finish();
      await snapshot();
      writeExemplars();
      open.delete(handle);
      arena.close();
    },
  };
  registerSurvivingClear(registry, createMergedCollector(dir, { arena, registry, health, labels: saveLabels, save: (metrics, labels) => save({ metrics, labels }) }));
  stores.set(registry, store);
  return { store, arena };
}

/**
 * The arena of prom-client's global registry when `PROMETHEUS_MULTIPROC_DIR` is set, else
 * `undefined`. The variable speaks for the app's registry only, as in Python's client: a registry
 * made for something else (a job's registry pushed to a Pushgateway, a library's own) must not be
 * merged with the app's, and is shared only when asked (`multiprocess`, `enableMultiprocess`).
 */
export function arenaFromEnv(registry: Registry): DirectoryArena | undefined {
  if (registry !== globalRegistry) return undefined;
  const options = resolveMultiprocess(MULTIPROC_DIR_ENV, undefined);
  return options === undefined ? undefined : openStore(registry, options).arena;
}
