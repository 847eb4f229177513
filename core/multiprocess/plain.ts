import type { Conflict } from './definitions.js';
import { decodeNumber } from './numbers.js';
import { WORKER_LABEL } from '../metric-names.js';

/**
 * Plain prom-client metrics (the app's own `new Counter()`, the default process metrics) as one
 * process saw them: the shape of `metric.get()`, with the registry's default labels applied.
 */
export interface PlainMetric {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  /** The label names the metric was created with, where prom-client says (snapshots of older versions do not). */
  readonly labelNames?: readonly string[];
  readonly values: readonly PlainSample[];
}

export interface PlainSample {
  readonly metricName?: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

const SUMMED = new Set(['counter', 'histogram', 'summary']);

/**
 * Process metrics describe one process (its memory, its event loop): summing them means nothing,
 * so they are always shown per process, like gauges.
 */
export function isPerProcess(metric: { name: string; type: string }): boolean {
  return !SUMMED.has(metric.type) || metric.name.startsWith('process_') || metric.name.startsWith('nodejs_');
}

/** Reads plain metrics from untrusted JSON, dropping what does not parse and counting it in `dropped.bad`. */
export function readPlainMetrics(raw: unknown, dropped: { bad: number } = { bad: 0 }): PlainMetric[] {
  const metrics: PlainMetric[] = [];
  for (const m of Array.isArray(raw) ? (raw as Array<Record<string, unknown>>) : []) {
    if (!m || typeof m.name !== 'string' || typeof m.help !== 'string' || typeof m.type !== 'string' || !Array.isArray(m.values)) {
      dropped.bad++;
      continue;
    }
    const values: PlainSample[] = [];
    for (const x of m.values as Array<Record<string, unknown>>) {
      const value = decodeNumber(x?.value);
      if (value === undefined || !x.labels || typeof x.labels !== 'object') {
        dropped.bad++;
        continue;
      }
      values.push({ ...(typeof x.metricName === 'string' ? { metricName: x.metricName } : {}), labels: x.labels as Record<string, string | number>, value });
    }
    const labelNames = Array.isArray(m.labelNames) && m.labelNames.every((n) => typeof n === 'string') ? { labelNames: m.labelNames as string[] } : {};
    metrics.push({ name: m.name, help: m.help, type: m.type, ...labelNames, values });
  }
  return metrics;
}

interface Slot {
  readonly metric: { name: string; help: string; type: string; values: PlainSample[] };
  readonly index: Map<string, number>;
  /** When the most recently started process with this metric (of this type) started. */
  rank: number;
  /** A per-process metric's samples, with the process each is of; labelled when the result is built. */
  readonly perProcess: Array<{ readonly sample: PlainSample; readonly worker: string }>;
  /** Whether any process's metric has a `worker` label of its own. */
  ownWorker: boolean;
}

function sampleKey(sample: { readonly metricName?: string | undefined; readonly labels: PlainSample['labels'] }): string {
  const labels = Object.keys(sample.labels)
    .sort()
    .map((k) => `${k}=${String(sample.labels[k])}`);
  return `${sample.metricName ?? ''}\u0000${labels.join('\u0000')}`;
}

export interface PlainMerger {
  /**
   * A process's metrics: summed kinds are added up, the others kept per process (live ones only).
   * `rank` is when the process started (unix ms).
   */
  add(metrics: readonly PlainMetric[], alive: boolean, worker: string, rank?: number): void;
  /**
   * Everything merged, in order of first appearance. Where processes disagree on a metric's type
   * (a deploy changed it), the type shown is chosen as for promhttp's own families (see
   * definitions.ts): counted kinds before gauges, then the most recently started process's. A
   * summary is added into a shown histogram (its count in `+Inf`), a histogram into a shown
   * summary (count and sum); other types are left out.
   */
  result(): PlainMetric[];
  /** What `result()` did with the types it did not show, as promhttp's families report it. */
  conflicts(): Conflict[];
  /** Only the summed kinds, of every type seen: what an archive keeps, so that nothing is lost. */
  summed(): PlainMetric[];
}

/**
 * Whether a metric has a `worker` label of its own (which must keep its values): then the label
 * that tells processes apart is `promhttp_worker`, as for families. Decided for a metric over every
 * process, from its label names and any sample's labels, so that every process's series of it get
 * the same label, whichever of them set a value with it.
 */
function hasWorkerLabel(metric: PlainMetric): boolean {
  return metric.labelNames?.includes(WORKER_LABEL) === true || metric.values.some((s) => s.labels[WORKER_LABEL] !== undefined);
}

/** The samples of a slot, per-process ones labelled with their process. */
function valuesOf(slot: Slot): PlainSample[] {
  if (slot.perProcess.length === 0) return slot.metric.values;
  const label = slot.ownWorker ? `promhttp_${WORKER_LABEL}` : WORKER_LABEL;
  return slot.perProcess.map(({ sample, worker }) => ({ ...sample, labels: { ...sample.labels, [label]: worker } }));
}

const COUNTED = new Set(['counter', 'histogram', 'summary']);
const DISTRIBUTION = new Set(['histogram', 'summary']);

/** Whether `a` is shown before `b`: counted kinds before the others, then the later start, then the type's name. */
function before(a: Slot, b: Slot): boolean {
  const ac = COUNTED.has(a.metric.type);
  if (ac !== COUNTED.has(b.metric.type)) return ac;
  if (a.rank !== b.rank) return a.rank > b.rank;
  return a.metric.type > b.metric.type;
}

/** `other`'s count and sum added into `shown`, a histogram or summary of another type; a new metric. */
function folded(shown: PlainMetric, others: readonly PlainMetric[]): PlainMetric {
  const values = [...shown.values];
  const index = new Map(values.map((sample, i) => [sampleKey(sample), i]));
  const add = (metricName: string, labels: PlainSample['labels'], value: number): void => {
    const sample = { metricName, labels, value };
    const key = sampleKey(sample);
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, values.length);
      values.push(sample);
    } else values[at] = { ...values[at]!, value: values[at]!.value + value };
  };
  const { name } = shown;
  for (const other of others) {
    for (const sample of other.values) {
      const role = sample.metricName === `${name}_count` ? 'count' : sample.metricName === `${name}_sum` ? 'sum' : undefined;
      if (role === undefined) continue;
      add(sample.metricName!, sample.labels, sample.value);
      // A summary has no buckets: its observations are only known to be at most +Inf.
      if (role === 'count' && shown.type === 'histogram') add(`${name}_bucket`, { ...sample.labels, le: '+Inf' }, sample.value);
    }
  }
  return { ...shown, values };
}

export function createPlainMerger(): PlainMerger {
  // By name and type: processes that disagree on a metric's type are kept apart.
  const slots = new Map<string, Slot>();
  /** Per name, in order of first appearance: the slot shown, those folded into it, those left out. */
  function resolve(): Array<{ shown: Slot; folded: Slot[]; hidden: Slot[] }> {
    const byName = new Map<string, Slot[]>();
    for (const slot of slots.values()) {
      const same = byName.get(slot.metric.name);
      if (same === undefined) byName.set(slot.metric.name, [slot]);
      else same.push(slot);
    }
    return [...byName.values()].map((same) => {
      const shown = same.reduce((best, slot) => (before(slot, best) ? slot : best));
      const others = same.filter((slot) => slot !== shown);
      const foldable = (slot: Slot): boolean => DISTRIBUTION.has(shown.metric.type) && DISTRIBUTION.has(slot.metric.type) && !isPerProcess(shown.metric) && !isPerProcess(slot.metric);
      return { shown, folded: others.filter(foldable), hidden: others.filter((slot) => !foldable(slot)) };
    });
  }
  return {
    add(metrics, alive, worker, rank = 0) {
      for (const metric of metrics) {
        const perProcess = isPerProcess(metric);
        if (perProcess && !alive) continue;
        const key = `${metric.name}\u0000${metric.type}`;
        let slot = slots.get(key);
        if (slot === undefined) {
          slot = { metric: { name: metric.name, help: metric.help, type: metric.type, values: [] }, index: new Map(), rank, perProcess: [], ownWorker: false };
          slots.set(key, slot);
        } else if (rank > slot.rank) slot.rank = rank;
        if (perProcess && hasWorkerLabel(metric)) slot.ownWorker = true;
        for (const sample of metric.values) {
          if (perProcess) {
            slot.perProcess.push({ sample, worker });
            continue;
          }
          // Quantiles of several processes cannot be combined; count and sum can.
          if (metric.type === 'summary' && sample.labels.quantile !== undefined) continue;
          const key = sampleKey(sample);
          const at = slot.index.get(key);
          if (at === undefined) {
            slot.index.set(key, slot.metric.values.length);
            slot.metric.values.push(sample);
          } else {
            const prior = slot.metric.values[at]!;
            slot.metric.values[at] = { ...prior, value: prior.value + sample.value };
          }
        }
      }
    },
    result() {
      return resolve().map(({ shown, folded: others }) => {
        const metric = { ...shown.metric, values: valuesOf(shown) };
        return others.length === 0 ? metric : folded(metric, others.map((s) => s.metric));
      });
    },
    conflicts() {
      const conflicts: Conflict[] = [];
      for (const { shown, folded: others, hidden } of resolve()) {
        const name = shown.metric.name;
        if (others.length > 0) conflicts.push({ metric: name, action: shown.metric.type === 'histogram' ? 'rebucketed' : 'merged', count: others.length });
        if (hidden.length > 0) conflicts.push({ metric: name, action: 'hidden', count: hidden.length });
      }
      return conflicts;
    },
    summed: () => [...slots.values()].map((s) => s.metric).filter((m) => !isPerProcess(m) && m.values.length > 0),
  };
}
