import { OVERFLOW, escapeLabelValue, renderLabels } from '../labels.js';
import type { FamilyDef, GaugeMode, Series } from '../store/types.js';
import { classicWidth, seriesWidth } from '../store/types.js';
import { mergeNative } from '../store/native-merge.js';
import { WORKER_LABEL } from '../metric-names.js';

/**
 * Merging promhttp families across stores. Counters, histograms and summaries are summed over
 * every store, live or dead, so totals never go down when a process exits. Gauges follow their
 * mode; `live*` modes ignore dead stores.
 *
 * Families are merged by name and definition: stores that disagree on a family (a deploy changed
 * its buckets, labels or type) are kept apart, so that nothing is lost; which one is shown is
 * decided at render time (see definitions.ts).
 */
export interface MergedSeries extends Series {
  /** Label values without the worker label. */
  readonly labels: readonly string[];
  /** `all` and `liveall` gauges: whose value this is. */
  readonly worker?: string;
  /** Whether the value comes from a live store (`all` gauges prefer live over dead). */
  alive: boolean;
}

export interface MergedFamily {
  /** The definition as the most recently started source gave it (its help text is the one shown). */
  def: FamilyDef;
  readonly mode: GaugeMode | undefined;
  readonly width: number;
  readonly series: MergedSeries[];
  /**
   * When the most recently started source of this definition started (unix ms): the newest
   * definition of a name is the current code's. The rendering process's own store is `Infinity`.
   */
  rank: number;
}

export interface Source {
  readonly alive: boolean;
  readonly worker: string;
  /** When the source's process started (unix ms), `Infinity` for the rendering process itself. */
  readonly rank: number;
}

export interface FamilyMerger {
  /** Adds one series. `slots` is read at `offset` with the layout of `seriesWidth(def)`. */
  add(def: FamilyDef, labels: readonly string[], rendered: string, slots: ArrayLike<number>, offset: number, source: Source): void;
  /** Every definition of every name, in order of first appearance. */
  families(): MergedFamily[];
  /** The merged slots every `MergedSeries.offset` points into. Replaced when it grows: read it afresh. */
  values(): Float64Array;
  /** The series of `family` with `like`'s labels, created with zeroed slots if it has none yet. */
  seriesLike(family: MergedFamily, like: MergedSeries): MergedSeries;
}

/** How a gauge without a declared mode is merged: one series per worker (info metrics: whether any live process says so). */
export function modeOf(def: FamilyDef): GaugeMode | undefined {
  if (def.type !== 'gauge') return undefined;
  return def.gaugeMode ?? (def.info ? 'livemax' : 'all');
}

/**
 * What makes two definitions of a name mergeable; the help text is left out, it only describes, and
 * so is whether protobuf carries a native histogram's classic buckets too, which stores nothing.
 */
export function definitionKey(def: FamilyDef): string {
  const native = def.native === undefined ? [] : [def.native.schema, def.native.zeroThreshold, def.native.maxBuckets];
  return JSON.stringify([def.name, def.type, def.labelNames, def.buckets ?? [], modeOf(def) ?? '', def.info === true, ...(native.length > 0 ? [native] : [])]);
}

/** The label the per-worker gauges get; a family that already has a `worker` label keeps it for itself. */
export function workerLabelFor(def: FamilyDef): string {
  return def.labelNames.includes(WORKER_LABEL) ? `promhttp_${WORKER_LABEL}` : WORKER_LABEL;
}

export interface MergerOptions {
  /** Room to allocate at once, when the caller can tell how much the merge needs (growing copies it all). @default 1024 */
  readonly initialSlots?: number;
  /**
   * How many stores (processes, archives) the merge reads. A family keeps at most its `maxSeries`
   * label sets per store; a label set past that goes to the family's overflow series, as it would
   * in a process. Each process keeps to its limit, so this only bites where one store gathers
   * many: an archive of many exited processes is merged as one store.
   * @default Infinity
   */
  readonly stores?: number;
}

/** Whether label `i` of `def` keeps its value on an overflow series: a static label, or one of `overflowKeeps`. */
function keeps(def: FamilyDef, i: number): boolean {
  return i < (def.staticCount ?? 0) || def.overflowKeeps?.includes(def.labelNames[i]!) === true;
}

/** The overflow label set of a family: its static labels and `overflowKeeps` as they are, its other ones `overflow`. */
function overflowLabels(def: FamilyDef, labels: readonly string[]): string[] {
  return labels.map((value, i) => (keeps(def, i) ? value : OVERFLOW));
}

/** A process writes `overflow` for no value it was given (it writes `_overflow`), so these are only its overflow series. */
function isOverflow(def: FamilyDef, labels: readonly string[]): boolean {
  for (let i = def.staticCount ?? 0; i < labels.length; i++) if (labels[i] !== OVERFLOW && !keeps(def, i)) return false;
  return true;
}

export function createFamilyMerger(options: MergerOptions = {}): FamilyMerger {
  const initialSlots = options.initialSlots ?? 1024;
  const stores = options.stores ?? Infinity;
  const byKey = new Map<string, MergedFamily>();
  // Stores share one def object per family: most lookups skip building the key.
  const byDef = new Map<FamilyDef, MergedFamily>();
  const indexOf = new Map<MergedFamily, Map<string, MergedSeries>>();
  /** Label sets of each family, its overflow series aside. */
  const kept = new Map<MergedFamily, number>();
  let v = new Float64Array(Math.max(1024, initialSlots));
  let used = 0;

  function slotsFor(width: number): number {
    if (used + width > v.length) {
      const grown = new Float64Array(Math.max(v.length * 2, used + width));
      grown.set(v);
      v = grown;
    }
    const offset = used;
    used += width;
    return offset;
  }

  function familyFor(def: FamilyDef, rank: number): MergedFamily {
    let family = byDef.get(def);
    if (family === undefined) {
      const key = definitionKey(def);
      family = byKey.get(key);
      if (family === undefined) {
        family = { def, mode: modeOf(def), width: seriesWidth(def), series: [], rank };
        byKey.set(key, family);
        indexOf.set(family, new Map());
      }
      byDef.set(def, family);
    }
    if (rank > family.rank) {
      family.rank = rank;
      family.def = def;
    }
    return family;
  }

  function create(family: MergedFamily, index: Map<string, MergedSeries>, key: string, labels: readonly string[], alive: boolean, worker: string | undefined): MergedSeries {
    const series: MergedSeries = { values: labels, labels, rendered: key, offset: slotsFor(family.width), alive, ...(worker !== undefined ? { worker } : {}) };
    index.set(key, series);
    family.series.push(series);
    return series;
  }

  /** Past the family's limit, a new label set that is not an overflow one is added to its overflow series. */
  function full(family: MergedFamily, labels: readonly string[]): boolean {
    const { def } = family;
    if (def.maxSeries === undefined || labels.length <= (def.staticCount ?? 0)) return false;
    return (kept.get(family) ?? 0) >= def.maxSeries * stores && !isOverflow(def, labels);
  }

  const merger: FamilyMerger = {
    add(def, labels, rendered, slots, offset, source) {
      const family = familyFor(def, source.rank);
      const index = indexOf.get(family)!;
      const { mode, width } = family;
      if (mode !== undefined && mode.startsWith('live') && !source.alive) return;
      const perWorker = mode === 'all' || mode === 'liveall';
      let key = rendered;
      if (perWorker) {
        const label = `${workerLabelFor(def)}="${escapeLabelValue(source.worker)}"`;
        key = rendered === '' ? label : `${rendered},${label}`;
      }
      const found = index.get(key);
      if (found === undefined) {
        if (full(family, labels)) {
          // Merged like any sample of the overflow series, by the family's rule: sums stay exact.
          const into = overflowLabels(family.def, labels);
          return merger.add(def, into, renderLabels(family.def.labelNames, into), slots, offset, source);
        }
        if (!isOverflow(family.def, labels)) kept.set(family, (kept.get(family) ?? 0) + 1);
        const at = create(family, index, key, labels, source.alive, perWorker ? source.worker : undefined).offset;
        const native = family.def.native;
        const copied = native === undefined ? width : classicWidth(family.def);
        for (let i = 0; i < copied; i++) v[at + i] = slots[offset + i] ?? 0;
        // Native buckets are merged even into empty slots: what comes from outside is checked there.
        if (native !== undefined) mergeNative(v, at + copied, native, slots, offset + copied, def.native!);
        return;
      }
      const at = found.offset;
      if (mode === undefined) {
        const native = family.def.native;
        const summed = native === undefined ? width : classicWidth(family.def);
        for (let i = 0; i < summed; i++) v[at + i]! += slots[offset + i] ?? 0;
        // Brought to the lower schema of the two, then summed bucket by bucket (see store/native-merge.ts).
        if (native !== undefined) mergeNative(v, at + summed, native, slots, offset + summed, def.native!);
        return;
      }
      const value = slots[offset] ?? 0;
      const time = slots[offset + 1] ?? 0;
      const newer = time > v[at + 1]!;
      let replace = false;
      switch (mode) {
        case 'sum':
        case 'livesum':
          v[at]! += value;
          break;
        case 'min':
        case 'livemin':
          if (value < v[at]!) v[at] = value;
          break;
        case 'max':
        case 'livemax':
          if (value > v[at]!) v[at] = value;
          break;
        case 'mostrecent':
        case 'livemostrecent':
          replace = newer;
          break;
        case 'all':
        case 'liveall':
          // Two stores share a worker label (a restarted worker and its dead predecessor): the live one, else the latest.
          replace = (source.alive && !found.alive) || (source.alive === found.alive && newer);
          break;
      }
      if (replace) {
        v[at] = value;
        found.alive = source.alive;
      }
      if (newer) v[at + 1] = time;
    },
    families: () => [...byKey.values()],
    values: () => v,
    seriesLike(family, like) {
      const index = indexOf.get(family)!;
      return index.get(like.rendered) ?? create(family, index, like.rendered, like.labels, like.alive, like.worker);
    },
  };
  return merger;
}
