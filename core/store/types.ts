/**
 * The storage model shared by every promhttp metric: values live in one growable `Float64Array`
 * (the arena), each series owns a fixed run of slots in it, and families describe what the slots
 * mean. Keeping everything in one typed array makes the hot path a few additions, and lets the
 * multi-process store persist a process's state with one positional write.
 */
import type { NativeDef } from './native.js';
import { nativeWidth } from './native.js';

export type { NativeDef };

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

/**
 * How gauges from several processes are merged. `live*` modes ignore processes that have exited.
 * `all` keeps one series per process, with a `worker` label.
 */
export type GaugeMode =
  | 'all'
  | 'liveall'
  | 'sum'
  | 'livesum'
  | 'min'
  | 'livemin'
  | 'max'
  | 'livemax'
  | 'mostrecent'
  | 'livemostrecent';

export interface FamilyDef {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly labelNames: readonly string[];
  /** Histogram upper bounds, sorted, without +Inf. */
  readonly buckets?: readonly number[];
  /** Histograms only: native (exponential, sparse) buckets besides the classic ones. */
  readonly native?: NativeDef;
  /** Gauges only: how processes are merged in multi-process mode. */
  readonly gaugeMode?: GaugeMode;
  /** Rendered as `info` in OpenMetrics (a gauge of value 1 in the text format). */
  readonly info?: boolean;
  /**
   * Label sets the family keeps before samples of new ones go to its overflow series (see
   * limit.ts). Absent: no limit, for promhttp's own metrics, whose labels are bounded by design.
   */
  readonly maxSeries?: number;
  /**
   * Own labels that keep their value on the overflow series, whose other labels are `overflow`:
   * one overflow series per combination of theirs. Only for labels of a small fixed set (the
   * request metrics keep `method` and `status_code`, so errors among overflowed requests show).
   */
  readonly overflowKeeps?: readonly string[];
  /**
   * In a definition as processes share it (directory and IPC modes), where `labelNames` starts with
   * the static labels: how many they are. An overflow series keeps their values.
   */
  readonly staticCount?: number;
}

/**
 * Slots per series:
 * - counter: [value]
 * - gauge: [value, unix-ms of the last write] (the time serves `mostrecent` merging)
 * - histogram: [negative observations, sum, bucket_0 … bucket_n-1, bucket_+Inf] (buckets are not
 *   cumulative; the count is their total, so the first slot counts what OpenMetrics needs to
 *   know instead: a sum that took a negative value is no counter, and is not exposed there),
 *   then, with `native`, the native histogram's slots (see native.ts) from `classicWidth(def)` on
 * - summary: [count, sum]
 */
export function seriesWidth(def: FamilyDef): number {
  switch (def.type) {
    case 'counter':
      return 1;
    case 'gauge':
      return 2;
    case 'summary':
      return 2;
    case 'histogram':
      return classicWidth(def) + (def.native === undefined ? 0 : nativeWidth(def.native));
  }
}

/** Slots of a histogram's classic part, and where its native part starts. */
export const classicWidth = (def: FamilyDef): number => 3 + def.buckets!.length;

export interface Series {
  /** Label values, in the order of the family's label names. */
  readonly values: readonly string[];
  /** `name="value",...` ready for exposition, static labels included. */
  readonly rendered: string;
  /** Offset of the first slot in the arena. */
  readonly offset: number;
}

export interface Arena {
  /** The slots. Replaced when the arena grows, so read it afresh after any `alloc`. */
  v: Float64Array;
  /** Reserves slots for a new series of `family` and returns their offset. */
  alloc(family: FamilyDef, labelValues: readonly string[], width: number): number;
  /** Marks slots as written. A no-op for the local arena; the file-backed one persists them. */
  touch(offset: number, width: number): void;
  /** True when the values are shared with other processes and exposition must merge them. */
  readonly shared: boolean;
  /**
   * Told, once per family and before its first `alloc`, every label name of its series (static
   * labels first, as in `alloc`'s values): a persisted arena writes them down for other processes.
   */
  describe?(family: FamilyDef, labelNames: readonly string[]): void;
}

/**
 * Marks the collector that renders a registry's whole exposition, merged across processes
 * (multi-process mode). The exposition hands the scrape to it instead of rendering metric by
 * metric; it answers with the body as UTF-8 chunks, each encoded in the slice that rendered it.
 * It is given the render's abort signal, and stops at its next slice once that aborts.
 */
export const RENDER_MERGED = Symbol.for('promhttp.renderMerged');
