import { escapeLabelValue } from '../labels.js';
import type { FamilyDef, GaugeMode, Series } from '../store/types.js';
import { seriesWidth } from '../store/types.js';
import { WORKER_LABEL } from '../metric-names.js';

/**
 * Merging promhttp families across stores. Counters, histograms and summaries are summed over
 * every store, live or dead, so totals never go down when a process exits. Gauges follow their
 * mode; `live*` modes ignore dead stores.
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
  readonly def: FamilyDef;
  readonly mode: GaugeMode | undefined;
  readonly width: number;
  readonly series: MergedSeries[];
}

export interface FamilyMerger {
  /**
   * Adds one series. `slots` is read at `offset` with the layout of `seriesWidth(def)`.
   * `stableWorker` is false when the worker label is only a pid, which an archive does not keep.
   */
  add(def: FamilyDef, labels: readonly string[], rendered: string, slots: ArrayLike<number>, offset: number, source: Source): void;
  families(): MergedFamily[];
  /** The merged slots every `MergedSeries.offset` points into. */
  values(): Float64Array;
}

export interface Source {
  readonly alive: boolean;
  readonly worker: string;
}

/** How a gauge without a declared mode is merged: one series per worker (info metrics: whether any live process says so). */
export function modeOf(def: FamilyDef): GaugeMode | undefined {
  if (def.type !== 'gauge') return undefined;
  return def.gaugeMode ?? (def.info ? 'livemax' : 'all');
}

function compatible(a: FamilyDef, b: FamilyDef): boolean {
  return a.type === b.type && (a.buckets ?? []).join() === (b.buckets ?? []).join();
}

/** The label the per-worker gauges get; a family that already has a `worker` label keeps it for itself. */
export function workerLabelFor(def: FamilyDef): string {
  return def.labelNames.includes(WORKER_LABEL) ? `promhttp_${WORKER_LABEL}` : WORKER_LABEL;
}

export function createFamilyMerger(): FamilyMerger {
  const byName = new Map<string, { family: MergedFamily; index: Map<string, MergedSeries> }>();
  let v = new Float64Array(1024);
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

  return {
    add(def, labels, rendered, slots, offset, source) {
      let entry = byName.get(def.name);
      if (entry === undefined) {
        entry = { family: { def, mode: modeOf(def), width: seriesWidth(def), series: [] }, index: new Map() };
        byName.set(def.name, entry);
      } else if (!compatible(entry.family.def, def)) {
        // Stores disagree on the family (a deploy changed its buckets or type): the first one read wins.
        return;
      }
      const { family, index } = entry;
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
        const at = slotsFor(width);
        for (let i = 0; i < width; i++) v[at + i] = slots[offset + i] ?? 0;
        const series: MergedSeries = { values: labels, labels, rendered: key, offset: at, alive: source.alive, ...(perWorker ? { worker: source.worker } : {}) };
        index.set(key, series);
        family.series.push(series);
        return;
      }
      const at = found.offset;
      if (mode === undefined) {
        for (let i = 0; i < width; i++) v[at + i]! += slots[offset + i] ?? 0;
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
    families: () => [...byName.values()].map((e) => e.family),
    values: () => v,
  };
}
