import type { Registry } from 'prom-client';
import type { Format, MetricObject } from '../exposition/format.js';
import { renderFamily, renderMetricObject } from '../exposition/format.js';
import type { FamilyDef, Series } from '../store/types.js';
import { RENDER_MERGED } from '../store/types.js';
import type { DirectoryArena } from './directory-arena.js';
import { addArchive } from './absorb.js';
import { conflictsMetric, resolveDefinitions } from './definitions.js';
import { keyOf } from './files.js';
import { createFamilyMerger } from './merge.js';
import type { PlainMetric } from './plain.js';
import { createPlainMerger } from './plain.js';
import type { DirectoryView, ReadCache } from './read.js';
import { newReadCache, readDirectory } from './read.js';
import { collectPlain } from './snapshot.js';

/** The reading process's own store: its values are read from memory, fresher than its file. */
export interface OwnStore {
  readonly arena: DirectoryArena;
  readonly registry: Registry;
}

export interface MergedCollector {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge';
  readonly aggregator: 'sum';
  /** prom-client's view (`registry.metrics()`): only the store's own gauge, since prom-client renders metric by metric. */
  get(): Promise<MetricObject>;
  reset(): void;
  [RENDER_MERGED](format: Format): Promise<string>;
}

const NAME = 'promhttp_multiprocess_processes';
const HELP = 'Processes (and worker threads) with metrics in the multi-process directory, by state; dead ones are merged into archives and then no longer counted.';

/** Render time after which rendering yields to the event loop, as in single-process exposition. */
const SLICE_MS = 10;
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

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

/**
 * Merges the whole directory (plus, when given, the reading process's own store from memory) and
 * renders it: promhttp families first, then this collector's gauge, then plain prom-client metrics.
 * Nothing here talks to other processes: a busy or stuck worker cannot slow a scrape down.
 */
export async function renderDirectoryView(dir: string, format: Format, cache: ReadCache, own?: OwnStore): Promise<string> {
  const self = own !== undefined && !own.arena.closed ? own : undefined;
  // The own registry is read live; a failing collector fails the scrape, as in single-process mode.
  const ownPlain: PlainMetric[] = self ? await collectPlain(self.registry) : [];
  // Own values come from memory; writing them out first means no later scrape, served by another
  // process from our file, can show less than this one (totals never go down between scrapes).
  self?.arena.flush();
  const view = readDirectory(dir, { cache, ...(self ? { self: self.arena.identity.id } : {}) });
  const families = createFamilyMerger();
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
  if (self && !view.absorbed.has(keyOf('proc', selfId!)) && !view.stores.some((s) => s.id === selfId)) {
    const { arena } = self;
    // Its definitions are the current code's: they win over any other process's (see definitions.ts).
    const source = { alive: true, worker: unique(arena.identity.worker, arena.identity.pid), rank: Infinity };
    for (const s of arena.series) families.add(s.family.def, s.values, s.rendered, arena.v, s.offset, source);
    plain.add(ownPlain, true, source.worker, Infinity);
  }
  // Live stores first, so that a dead predecessor with the same label is the one renamed.
  const stores = [...view.stores].sort((a, b) => Number(b.alive) - Number(a.alive));
  for (const store of stores) {
    if (store.absorbed) continue;
    const source = { alive: store.alive, worker: store.alive ? unique(store.header.worker, store.header.pid) : store.header.worker, rank: store.header.startedAt };
    for (const s of store.series) families.add(s.family.def, s.values, s.rendered, store.v, s.offset, source);
    plain.add(store.plain, store.alive, source.worker, store.header.startedAt);
  }
  for (const archive of view.archives) if (!archive.absorbed) addArchive(families, plain, archive.archive);

  const resolved = resolveDefinitions(families, plain.hidden());
  return renderMergedView(resolved.families, families.values(), [processesMetric(view, self !== undefined), conflictsMetric(resolved.conflicts)], plain.result(), format);
}

/**
 * Renders a merged view in the one layout both multi-process modes share: promhttp families
 * first, then the mode's own gauges, then the plain prom-client metrics no family already covers.
 * `families` may be lazy: it is walked once, yielding to the event loop between slices.
 */
export async function renderMergedView(
  families: Iterable<{ readonly def: FamilyDef; readonly series: readonly Series[] }>,
  v: Float64Array,
  gauges: ReadonlyArray<MetricObject | undefined>,
  plain: readonly PlainMetric[],
  format: Format,
): Promise<string> {
  const parts: string[] = [];
  const names = new Set<string>();
  let sliceStart = performance.now();
  for (const family of families) {
    names.add(family.def.name);
    parts.push(renderFamily(family.def, family.series, v, format));
    if (performance.now() - sliceStart > SLICE_MS) {
      await yieldToLoop();
      sliceStart = performance.now();
    }
  }
  for (const gauge of gauges) {
    if (gauge === undefined) continue;
    names.add(gauge.name);
    parts.push(renderMetricObject(gauge, format));
  }
  for (const metric of plain) {
    if (names.has(metric.name)) continue;
    parts.push(renderMetricObject({ ...metric, values: [...metric.values] }, format));
  }
  return parts.join('');
}

/** The collector a multi-process registry holds: the exposition hands it the whole scrape. */
export function createMergedCollector(dir: string, own?: OwnStore): MergedCollector {
  const cache = newReadCache();
  return {
    name: NAME,
    help: HELP,
    type: 'gauge',
    aggregator: 'sum',
    async get() {
      const self = own !== undefined && !own.arena.closed;
      return processesMetric(readDirectory(dir, { cache, ...(self ? { self: own.arena.identity.id } : {}) }), self);
    },
    reset() {},
    [RENDER_MERGED]: (format) => renderDirectoryView(dir, format, cache, own),
  };
}
