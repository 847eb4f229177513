import type { Steps } from '../../exposition/slice.js';
import { CHUNK, runSync } from '../../exposition/slice.js';
import { renderLabels } from '../../labels.js';
import type { FamilyDef } from '../../store/types.js';
import type { Archive } from '../archive.js';
import { addArchive, toArchive } from '../absorb.js';
import type { Conflict } from '../definitions.js';
import { resolveDefinitions } from '../definitions.js';
import type { FamilyMerger, MergedFamily } from '../merge.js';
import { createFamilyMerger, modeOf } from '../merge.js';
import type { PlainMerger, PlainMetric } from '../plain.js';
import { createPlainMerger } from '../plain.js';
import { readLabels } from '../snapshot.js';
import type { StateMessage } from './protocol.js';
import { decodeFamily, decodePlain, decodeValues } from './protocol.js';
import type { StoredExemplar } from '../../exemplars/store.js';
import { createExemplarIndex, decodeExemplars } from '../exemplars.js';

/** What the primary holds of one live worker: its series and the values it sent last. */
export interface WorkerState {
  readonly pid: number;
  /** When the primary first heard from the worker (unix ms): the newest worker's definitions are the current code's. */
  readonly since: number;
  worker: string;
  stable: boolean;
  readonly families: Array<FamilyDef | undefined>;
  readonly series: Array<{ readonly def: FamilyDef; readonly values: readonly string[]; readonly rendered: string; readonly offset: number }>;
  v: Float64Array;
  plain: PlainMetric[];
  /** The worker registry's default labels, as it last sent them. */
  labels: Readonly<Record<string, string>> | undefined;
  /** The latest exemplars it sent, by slot of its values. */
  readonly exemplars: Map<number, StoredExemplar>;
}

export function newWorkerState(pid: number): WorkerState {
  return { pid, since: Date.now(), worker: String(pid), stable: false, families: [], series: [], v: new Float64Array(0), plain: [], labels: undefined, exemplars: new Map() };
}

/**
 * Applies a worker's state message. Returns false when the message does not continue what the
 * primary has (it starts past the series the primary knows): the worker must then send everything.
 */
export function applyState(state: WorkerState, message: StateMessage): boolean {
  if (message.familiesFrom > state.families.length || message.seriesFrom > state.series.length) return false;
  state.families.length = message.familiesFrom;
  for (const encoded of message.families) state.families.push(decodeFamily(encoded));
  state.series.length = message.seriesFrom;
  for (const [index, values, offset] of message.series) {
    const def = state.families[index];
    // A series of a family the primary cannot read is dropped; its slots are simply never rendered.
    if (def === undefined || !Array.isArray(values) || values.length !== def.labelNames.length) continue;
    state.series.push({ def, values, rendered: renderLabels(def.labelNames, values), offset });
  }
  state.worker = message.worker;
  state.stable = message.stable;
  state.v = decodeValues(message.values);
  state.plain = decodePlain(message.plain);
  state.labels = readLabels(message.labels);
  // A state from the first series on carries every exemplar the worker has.
  if (message.seriesFrom === 0) state.exemplars.clear();
  decodeExemplars(message.exemplars, state.exemplars);
  return true;
}

function* addWorker(families: FamilyMerger, plain: PlainMerger, state: WorkerState, alive: boolean, worker: string, rank = state.since): Steps<void> {
  const source = { alive, worker, rank, labels: state.labels };
  let n = 0;
  for (const s of state.series) {
    const mode = modeOf(s.def);
    // A dead worker whose label will not come back (node:cluster ids grow on re-fork) would keep its per-worker gauges for ever.
    if (!alive && !state.stable && (mode === 'all' || mode === 'liveall')) continue;
    families.add(s.def, s.values, s.rendered, state.v, s.offset, source);
    if (++n % CHUNK === 0) yield;
  }
  plain.add(state.plain, alive, worker, rank);
}

/** The workers that exited, merged: what they counted stays in the totals without keeping each of them. */
export function absorbWorker(archive: Archive | undefined, state: WorkerState): Archive {
  // The exited workers are one store: their families keep to their limits however many exit.
  const families = createFamilyMerger({ stores: 1 });
  const plain = createPlainMerger();
  if (archive !== undefined) runSync(addArchive(families, plain, archive));
  runSync(addWorker(families, plain, state, false, state.worker));
  return runSync(toArchive('primary', {}, families, plain));
}

export interface ClusterView {
  readonly families: MergedFamily[];
  readonly v: Float64Array;
  readonly plain: PlainMetric[];
  readonly conflicts: Conflict[];
  /** Exemplars of the live workers, by family name and slot of `v`. */
  readonly exemplars: Map<string, Map<number, StoredExemplar>>;
}

/**
 * Merges the live workers (as last heard from) and the exited ones, by the same rules as directory
 * mode, yielding every `CHUNK` series. Where workers disagree on a definition, the one shown is
 * chosen by when the primary first heard from each (see definitions.ts), whichever worker asks.
 */
export function* mergeWorkers(live: Iterable<WorkerState>, archive: Archive | undefined): Steps<ClusterView> {
  // As they are now: a state message applied while the merge gives the loop back changes the
  // worker's series in place, and an exiting worker moves into a new archive.
  const states = [...live].map((state) => ({ ...state, series: state.series.slice() }));
  const families = createFamilyMerger({ stores: states.length + (archive === undefined ? 0 : 1) });
  const plain = createPlainMerger();
  // Two live workers may claim one label (a replacement started before its predecessor exited): keep them apart.
  const taken = new Set<string>();
  for (const state of states) {
    const worker = taken.has(state.worker) ? `${state.worker}@${state.pid}` : state.worker;
    taken.add(worker);
    yield* addWorker(families, plain, state, true, worker, state.since);
  }
  if (archive !== undefined) yield* addArchive(families, plain, archive);
  const resolved = yield* resolveDefinitions(families, plain.conflicts());
  const exemplars = createExemplarIndex();
  for (const state of states) exemplars.add(state.series, (s) => s.def, state.exemplars, state.labels);
  return { families: resolved.families, v: families.values(), plain: plain.result(), conflicts: resolved.conflicts, exemplars: exemplars.merged(resolved.families) };
}
