import { OVERFLOW, escapeLabelValue, renderLabels } from '../labels.js';
import type { FamilyDef, GaugeMode, Series } from '../store/types.js';
import { classicWidth, seriesWidth } from '../store/types.js';
import { mergeNative } from '../store/native-merge.js';
import type { Labelled } from './family-labels.js';
import { definitionKey, modeOf, permutation, seriesIdentity, withDefaultLabels, workerLabelFor } from './family-labels.js';

export { definitionKey, modeOf, workerLabelFor } from './family-labels.js';

/**
 * Merging promhttp families across stores. Counters, histograms and summaries are summed over
 * every store, live or dead, so totals never go down when a process exits. Gauges follow their
 * mode; `live*` modes ignore dead stores.
 *
 * Families are merged by name and definition (type, label names as a set, buckets, gauge mode):
 * stores that disagree on a family (a deploy changed its buckets, labels or type) are kept apart,
 * so that nothing is lost; how they are shown together is decided at render time (see
 * definitions.ts). A series is added under the labels of the process that wrote it: its family's
 * labels, and its registry's default labels where the family has no label of that name.
 */
export interface MergedSeries extends Series {
  /** Label values, in the order of `names`, without the worker label. */
  readonly labels: readonly string[];
  /** The label names of `labels`: the family's, or those of the definition a series was folded from. */
  readonly names: readonly string[];
  /** `all` and `liveall` gauges: whose value this is. */
  readonly worker?: string;
  /** Whether the value comes from a live store (`all` gauges prefer live over dead). */
  alive: boolean;
}

export interface MergedFamily {
  /** The definition as the most recently started source gave it (its help text is the one shown), in the label order of the first. */
  def: FamilyDef;
  readonly mode: GaugeMode | undefined;
  readonly width: number;
  readonly series: MergedSeries[];
  /** When the most recently started source of this definition started (unix ms): the newest definition of a name is the current code's. */
  rank: number;
}

export interface Source {
  readonly alive: boolean;
  readonly worker: string;
  /** When the source's process started (unix ms); 0 when unknown. */
  readonly rank: number;
  /** The default labels of the source's registry (`registry.setDefaultLabels`), as it last saved them. */
  readonly labels?: Readonly<Record<string, string>> | undefined;
}

export interface FamilyMerger {
  /** Adds one series. `slots` is read at `offset` with the layout of `seriesWidth(def)`. */
  add(def: FamilyDef, labels: readonly string[], rendered: string, slots: ArrayLike<number>, offset: number, source: Source): void;
  /** Every definition of every name, in order of first appearance. */
  families(): MergedFamily[];
  /** The merged slots every `MergedSeries.offset` points into. Replaced when it grows: read it afresh. */
  values(): Float64Array;
  /** The series of `family` that is the same series as `like` (same labels as a set), created with zeroed slots if it has none yet. */
  seriesLike(family: MergedFamily, like: MergedSeries): MergedSeries;
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

const perWorker = (mode: GaugeMode | undefined): boolean => mode === 'all' || mode === 'liveall';

/**
 * Merges one gauge sample into the series at `at` by `mode`: `value` recorded at `time` by a
 * source that is `alive` or not.
 */
export function mergeGauge(v: Float64Array, at: number, series: MergedSeries, mode: GaugeMode, value: number, time: number, alive: boolean): void {
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
      replace = (alive && !series.alive) || (alive === series.alive && newer);
      break;
  }
  if (replace) {
    v[at] = value;
    series.alive = alive;
  }
  if (newer) v[at + 1] = time;
}

/** How a definition's series reach their merged family. */
interface Route {
  readonly family: MergedFamily;
  /** Where each of the family's labels is among the definition's (the same names in another order). */
  readonly perm: number[] | undefined;
  /** Slots per series of the definition as written. */
  readonly width: number;
}

export function createFamilyMerger(options: MergerOptions = {}): FamilyMerger {
  const initialSlots = options.initialSlots ?? 1024;
  const stores = options.stores ?? Infinity;
  const byKey = new Map<string, MergedFamily>();
  // Stores share one def object per family: most lookups skip building the key.
  const routes = new Map<FamilyDef, Route>();
  /** The default labels last applied to a def, and what they made of it. */
  const labelled = new Map<FamilyDef, { readonly labels: object; readonly result: Labelled | undefined }>();
  const indexOf = new Map<MergedFamily, Map<string, MergedSeries>>();
  /** Series by identity, built when a family is first folded into. */
  const identities = new Map<MergedFamily, Map<string, MergedSeries>>();
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

  function labelledDef(def: FamilyDef, labels: Readonly<Record<string, string>> | undefined): Labelled | undefined {
    if (labels === undefined) return undefined;
    const memo = labelled.get(def);
    if (memo !== undefined && memo.labels === labels) return memo.result;
    const result = withDefaultLabels(def, labels);
    labelled.set(def, { labels, result });
    return result;
  }

  function routeFor(def: FamilyDef, rank: number): Route {
    let route = routes.get(def);
    if (route === undefined) {
      const key = definitionKey(def);
      let family = byKey.get(key);
      if (family === undefined) {
        family = { def, mode: modeOf(def), width: seriesWidth(def), series: [], rank };
        byKey.set(key, family);
        indexOf.set(family, new Map());
      }
      route = { family, perm: permutation(def.labelNames, family.def.labelNames), width: seriesWidth(def) };
      routes.set(def, route);
    }
    const family = route.family;
    if (rank > family.rank) {
      family.rank = rank;
      // Series are kept in the label order the family started with.
      family.def = route.perm === undefined ? def : { ...def, labelNames: family.def.labelNames, staticCount: family.def.staticCount };
    }
    return route;
  }

  function create(family: MergedFamily, key: string, names: readonly string[], labels: readonly string[], rendered: string, alive: boolean, worker: string | undefined): MergedSeries {
    const series: MergedSeries = { values: labels, labels, names, rendered, offset: slotsFor(family.width), alive, ...(worker !== undefined ? { worker } : {}) };
    indexOf.get(family)!.set(key, series);
    family.series.push(series);
    identities.get(family)?.set(identityOf(family, series), series);
    return series;
  }

  function identityOf(family: MergedFamily, series: MergedSeries): string {
    return seriesIdentity(series.names, series.labels, series.worker !== undefined ? [workerLabelFor(family.def), series.worker] : undefined);
  }

  /** Past the family's limit, a new label set that is not an overflow one is added to its overflow series. */
  function full(family: MergedFamily, labels: readonly string[]): boolean {
    const { def } = family;
    if (def.maxSeries === undefined || labels.length <= (def.staticCount ?? 0)) return false;
    return (kept.get(family) ?? 0) >= def.maxSeries * stores && !isOverflow(def, labels);
  }

  /** Adds a series whose labels are in the family's order; `width` slots are read from `slots`. */
  function addTo(family: MergedFamily, labels: readonly string[], rendered: string, slots: ArrayLike<number>, offset: number, width: number, source: Source): void {
    const { mode } = family;
    if (mode !== undefined && mode.startsWith('live') && !source.alive) return;
    const index = indexOf.get(family)!;
    const each = perWorker(mode);
    let key = rendered;
    if (each) {
      const label = `${workerLabelFor(family.def)}="${escapeLabelValue(source.worker)}"`;
      key = rendered === '' ? label : `${rendered},${label}`;
    }
    const found = index.get(key);
    if (found === undefined) {
      if (full(family, labels)) {
        // Merged like any sample of the overflow series, by the family's rule: sums stay exact.
        const into = overflowLabels(family.def, labels);
        return addTo(family, into, renderLabels(family.def.labelNames, into), slots, offset, width, source);
      }
      if (!isOverflow(family.def, labels)) kept.set(family, (kept.get(family) ?? 0) + 1);
      // A per-worker series is rendered with its worker label.
      const at = create(family, key, family.def.labelNames, labels, key, source.alive, each ? source.worker : undefined).offset;
      const native = family.def.native;
      const copied = native === undefined ? family.width : classicWidth(family.def);
      // A definition written with fewer slots (an older layout) leaves the others at 0.
      for (let i = 0; i < family.width; i++) v[at + i] = i < copied && i < width ? (slots[offset + i] ?? 0) : 0;
      // Native buckets are merged even into empty slots: what comes from outside is checked there.
      if (native !== undefined) mergeNative(v, at + copied, native, slots, offset + copied, native);
      return;
    }
    const at = found.offset;
    if (mode === undefined) {
      const native = family.def.native;
      const summed = native === undefined ? family.width : classicWidth(family.def);
      for (let i = 0; i < width && i < summed; i++) v[at + i]! += slots[offset + i] ?? 0;
      // Brought to the lower schema of the two, then summed bucket by bucket (see store/native-merge.ts).
      if (native !== undefined) mergeNative(v, at + summed, native, slots, offset + summed, native);
      return;
    }
    mergeGauge(v, at, found, mode, slots[offset] ?? 0, slots[offset + 1] ?? 0, source.alive);
  }

  return {
    add(def, labels, rendered, slots, offset, source) {
      const extra = labelledDef(def, source.labels);
      let values = labels;
      let text = rendered;
      if (extra !== undefined) {
        values = [...extra.values, ...labels];
        text = rendered === '' ? extra.rendered : `${extra.rendered},${rendered}`;
      }
      const route = routeFor(extra?.def ?? def, source.rank);
      if (route.perm !== undefined) {
        const given = values;
        values = route.perm.map((i) => given[i]!);
        text = renderLabels(route.family.def.labelNames, values);
      }
      addTo(route.family, values, text, slots, offset, route.width, source);
    },
    families: () => [...byKey.values()],
    values: () => v,
    seriesLike(family, like) {
      let index = identities.get(family);
      if (index === undefined) {
        index = new Map();
        for (const s of family.series) index.set(identityOf(family, s), s);
        identities.set(family, index);
      }
      const identity = seriesIdentity(like.names, like.labels, like.worker !== undefined ? [workerLabelFor(family.def), like.worker] : undefined);
      const found = index.get(identity);
      if (found !== undefined) return found;
      const created = create(family, identity, like.names, like.labels, like.rendered, like.alive, like.worker);
      v.fill(0, created.offset, created.offset + family.width);
      return created;
    },
  };
}
