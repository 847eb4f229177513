import type { Registry } from 'prom-client';
import type { Format, MetricObject } from '../exposition/format.js';
import type { Steps } from '../exposition/slice.js';
import { CHUNK, createSlicer, runSliced } from '../exposition/slice.js';
import { RENDER_MERGED } from '../store/types.js';
import { addArchive } from './absorb.js';
import { conflictsMetric, resolveDefinitions } from './definitions.js';
import type { DirectoryArena } from './directory-arena.js';
import { HEALTH_METRICS } from '../metric-names.js';
import { keyOf } from './files.js';
import type { FamilyMerger } from './merge.js';
import { createFamilyMerger } from './merge.js';
import type { PlainMerger, PlainMetric } from './plain.js';
import { createPlainMerger } from './plain.js';
import type { DirectoryView, ReadCache } from './read.js';
import { newReadCache, problemsOf, readDirectorySliced } from './read.js';
import { warnDamaged } from './damage.js';
import type { HealthCounters } from './health.js';
import { createHealthCounters } from './health.js';
import { createLocalArena } from '../store/arena.js';
import type { Arena } from '../store/types.js';
import { renderMergedView } from './render-merged.js';
import { allExemplars, peekExemplars } from '../exemplars/store.js';
import { createExemplarIndex } from './exemplars.js';
import { collectPlain } from './snapshot.js';
import { defaultLabelsOf } from '../exposition/default-labels.js';

/** The reading process's own store: its values are read from memory, fresher than its file. */
export interface OwnStore {
  readonly arena: DirectoryArena;
  readonly registry: Registry;
  /** Its counters of read and write errors, in `arena`. */
  readonly health: HealthCounters;
  /** The registry's default labels, saved for the other processes first if they changed. */
  labels(): Readonly<Record<string, string>>;
  /** Saves the plain metrics a scrape shows, with the default labels they carry, for the other processes. */
  save(metrics: readonly PlainMetric[], labels: Readonly<Record<string, string>>): void;
}

/**
 * What a reader without a store of its own (`renderDirectory`, the CLI) keeps from render to render:
 * its own count of the files it skipped, in memory, added to the counts of the app's processes.
 */
export interface Reader {
  readonly health: HealthCounters;
  readonly arena: Arena;
}

export function newReader(): Reader {
  const arena = createLocalArena();
  return { health: createHealthCounters(arena), arena };
}

export interface MergedCollector {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge';
  readonly aggregator: 'sum';
  /** prom-client's view (`registry.metrics()`): only the store's own gauge, since prom-client renders metric by metric. */
  get(): Promise<MetricObject>;
  reset(): void;
  [RENDER_MERGED](format: Format, defaults: Readonly<Record<string, string>>, signal?: AbortSignal): Promise<Buffer[]>;
}

const NAME = HEALTH_METRICS.processes;
const HELP = 'Processes (and worker threads) with metrics in the multi-process directory, by state; dead ones are merged into archives and then no longer counted.';

function processesMetric(view: DirectoryView, self: boolean): MetricObject {
  let live = self ? 1 : 0;
  let dead = 0;
  for (const s of view.stores) {
    if (s.absorbed) continue;
    if (s.alive) live++;
    else dead++;
  }
  return { name: NAME, help: HELP, type: 'gauge', values: [{ labels: { state: 'live' }, value: live }, { labels: { state: 'dead' }, value: dead }] };
}

/** The series of the own store, the other stores and the archives, merged; yields every `CHUNK` series. */
function* mergeSteps(view: DirectoryView, self: OwnStore | undefined, ownPlain: readonly PlainMetric[], reader: Reader | undefined): Steps<{ families: FamilyMerger; plain: PlainMerger }> {
  // Series of one label set in several stores share their slots: the stores' sizes are the most it needs.
  let slots = self?.arena.v.length ?? 0;
  for (const store of view.stores) slots += store.v.length;
  // Each store keeps to its families' limits: the merged output of a family holds at most that per store read.
  const read = (self ? 1 : 0) + view.stores.filter((s) => !s.absorbed).length + view.archives.filter((a) => !a.absorbed).length;
  const families = createFamilyMerger({ initialSlots: slots, stores: read });
  const plain = createPlainMerger();
  // Two live processes may claim the same worker label (two apps, same PM2 instance number): keep per-process series apart.
  const taken = new Set<string>();
  const unique = (worker: string, pid: number): string => {
    const label = taken.has(worker) ? `${worker}@${pid}` : worker;
    taken.add(label);
    return label;
  };
  // An own store taken for dead (a stale heartbeat, where the OS cannot tell) is counted from its
  // claimed copy or from the archive that absorbed it, not from memory as well.
  const selfId = self?.arena.identity.id;
  const own = self && !view.absorbed.has(keyOf('proc', selfId!)) && !view.stores.some((s) => s.id === selfId) ? self : undefined;
  // Every process adds the stores in one order, its own among them by its id: floating-point sums
  // (a histogram's _sum) then come out the same whoever serves, so they never go down between two
  // scrapes answered by different processes, and a clashing worker label is renamed alike.
  // Live stores first, so that a dead predecessor with the same label is the one renamed.
  const sources = [...(own ? [{ id: selfId!, alive: true, store: undefined }] : []), ...view.stores.map((store) => ({ id: store.id, alive: store.alive, store }))].sort(
    (a, b) => Number(b.alive) - Number(a.alive) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  for (const { store } of sources) {
    if (store === undefined) {
      const { arena } = own!;
      // Ranked by its start, as every other process reads it: the definitions shown do not depend on who serves.
      const source = { alive: true, worker: unique(arena.identity.worker, arena.identity.pid), rank: arena.startedAt, labels: own!.labels() };
      const series = arena.series;
      // Series recorded while this merge gives the loop back are left for the next scrape.
      const count = series.length;
      for (let i = 0; i < count; i++) {
        const s = series[i]!;
        // Read the arena afresh: it is replaced when it grows.
        families.add(s.family.def, s.values, s.rendered, arena.v, s.offset, source);
        if ((i + 1) % CHUNK === 0) yield;
      }
      plain.add(ownPlain, true, source.worker, arena.startedAt);
      continue;
    }
    if (store.absorbed) continue;
    const source = { alive: store.alive, worker: store.alive ? unique(store.header.worker, store.header.pid) : store.header.worker, rank: store.header.startedAt, labels: store.labels };
    for (let i = 0; i < store.series.length; i++) {
      const s = store.series[i]!;
      families.add(s.family.def, s.values, s.rendered, store.v, s.offset, source);
      if ((i + 1) % CHUNK === 0) yield;
    }
    plain.add(store.plain, store.alive, source.worker, store.header.startedAt);
    yield;
  }
  for (const archive of view.archives) if (!archive.absorbed) yield* addArchive(families, plain, archive.archive);
  if (reader !== undefined) {
    const source = { alive: true, worker: '', rank: 0 };
    for (const family of reader.health.families) for (const s of family.series) families.add(family.def, s.values, s.rendered, reader.arena.v, s.offset, source);
  }
  return { families, plain };
}

/**
 * Merges the whole directory (plus, when given, the reading process's own store from memory) and
 * renders it: promhttp families first, then this collector's gauges, then plain prom-client
 * metrics. Reading, merging and rendering give the event loop back every few milliseconds.
 * Nothing here talks to other processes: a busy or stuck worker cannot slow a scrape down. Once
 * `signal` aborts (every scrape waiting for it timed out), the work stops at its next slice.
 */
export async function renderDirectoryView(
  dir: string,
  format: Format,
  cache: ReadCache,
  own: OwnStore | Reader,
  defaults: Readonly<Record<string, string>> = {},
  signal?: AbortSignal,
): Promise<Buffer[]> {
  const self = 'registry' in own && !own.arena.closed ? own : undefined;
  const state = 'registry' in own ? undefined : own;
  // The own registry is read live; a failing collector fails the scrape, as in single-process mode.
  const labels = self !== undefined ? defaultLabelsOf(self.registry) : undefined;
  const ownPlain: PlainMetric[] = self ? await collectPlain(self.registry) : [];
  signal?.throwIfAborted();
  // Own values come from memory; writing them out first (plain metrics as this scrape shows them,
  // then the arena) means no later scrape, served by another process from our files, can show less
  // than this one: totals never go down between scrapes.
  if (self !== undefined) self.save(ownPlain, labels!);
  self?.arena.flush();
  const slicer = createSlicer(signal);
  // The text format has no place for exemplars: its scrapes leave their files unread.
  const withExemplars = format !== 'text';
  const view = await readDirectorySliced(dir, { cache, exemplars: withExemplars, ...(self ? { self: self.arena.identity.id } : {}) }, slicer);
  // What could not be read is counted by this scrape, and shown by it.
  const problems = problemsOf(view);
  warnDamaged(dir, problems);
  // A closed store counts no more: its counters are no longer written.
  if (self !== undefined || state !== undefined) (self ?? state)!.health.read(problems);
  const merged = await runSliced(mergeSteps(view, self, ownPlain, state), slicer);
  const resolved = await runSliced(resolveDefinitions(merged.families, merged.plain.conflicts()), slicer);
  const gauges = [processesMetric(view, self !== undefined), conflictsMetric(resolved.conflicts)];
  // Exemplars follow the same stores as the values: the own one from memory, unless absorbed or claimed.
  const exemplars = createExemplarIndex();
  const selfId = self?.arena.identity.id;
  if (withExemplars) {
    if (self && !view.absorbed.has(keyOf('proc', selfId!)) && !view.stores.some((s) => s.id === selfId)) exemplars.add(self.arena.series, (s) => s.family.def, allExemplars(peekExemplars(self.arena)), labels);
    for (const store of view.stores) if (!store.absorbed) exemplars.add(store.series, (s) => s.family.def, store.exemplars, store.labels);
  }
  const parts = await renderMergedView(resolved.families, merged.families.values(), gauges, merged.plain.result(), format, defaults, slicer, withExemplars ? exemplars.merged(resolved.families) : undefined);
  // What was read from memory since the first flush goes out before the answer does, for the same reason.
  self?.arena.flush();
  return parts;
}

/** The collector a multi-process registry holds: the exposition hands it the whole scrape. */
export function createMergedCollector(dir: string, own: OwnStore): MergedCollector {
  const cache = newReadCache();
  return {
    name: NAME,
    help: HELP,
    type: 'gauge',
    aggregator: 'sum',
    async get() {
      const self = !own.arena.closed;
      return processesMetric(await readDirectorySliced(dir, { cache, ...(self ? { self: own.arena.identity.id } : {}) }), self);
    },
    reset() {},
    [RENDER_MERGED]: (format, defaults, signal) => renderDirectoryView(dir, format, cache, own, defaults, signal),
  };
}
