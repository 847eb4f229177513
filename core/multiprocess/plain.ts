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
    metrics.push({ name: m.name, help: m.help, type: m.type, values });
  }
  return metrics;
}

interface Slot {
  readonly metric: { name: string; help: string; type: string; values: PlainSample[] };
  readonly index: Map<string, number>;
  /** When the most recently started process with this metric (of this type) started. */
  rank: number;
}

function sampleKey(sample: PlainSample): string {
  const labels = Object.keys(sample.labels)
    .sort()
    .map((k) => `${k}=${String(sample.labels[k])}`);
  return `${sample.metricName ?? ''}\u0000${labels.join('\u0000')}`;
}

export interface PlainMerger {
  /**
   * A process's metrics: summed kinds are added up, the others kept per process (live ones only).
   * `rank` is when the process started (unix ms), `Infinity` for the rendering process itself.
   */
  add(metrics: readonly PlainMetric[], alive: boolean, worker: string, rank?: number): void;
  /**
   * Everything merged, in order of first appearance. Where processes disagree on a metric's type
   * (a deploy changed it), the most recently started process's type is shown.
   */
  result(): PlainMetric[];
  /** The metrics `result()` leaves out for another type of the same name: name → how many types. */
  hidden(): Map<string, number>;
  /** Only the summed kinds, of every type seen: what an archive keeps, so that nothing is lost. */
  summed(): PlainMetric[];
}

/**
 * The label that tells processes apart in a per-process metric: `worker`, or `promhttp_worker`
 * when the metric has a `worker` label of its own (which must keep its values), as for families.
 */
function workerLabelOf(metric: PlainMetric): string {
  return metric.values.some((s) => s.labels[WORKER_LABEL] !== undefined) ? `promhttp_${WORKER_LABEL}` : WORKER_LABEL;
}

export function createPlainMerger(): PlainMerger {
  // By name and type: processes that disagree on a metric's type are kept apart.
  const slots = new Map<string, Slot>();
  function shown(): Map<string, Slot> {
    const byName = new Map<string, Slot>();
    for (const slot of slots.values()) {
      const best = byName.get(slot.metric.name);
      if (best === undefined || slot.rank > best.rank) byName.set(slot.metric.name, slot);
    }
    return byName;
  }
  return {
    add(metrics, alive, worker, rank = 0) {
      for (const metric of metrics) {
        const perProcess = isPerProcess(metric);
        if (perProcess && !alive) continue;
        const key = `${metric.name}\u0000${metric.type}`;
        let slot = slots.get(key);
        if (slot === undefined) {
          slot = { metric: { name: metric.name, help: metric.help, type: metric.type, values: [] }, index: new Map(), rank };
          slots.set(key, slot);
        } else if (rank > slot.rank) slot.rank = rank;
        const workerLabel = perProcess ? workerLabelOf(metric) : '';
        for (const sample of metric.values) {
          if (perProcess) {
            slot.metric.values.push({ ...sample, labels: { ...sample.labels, [workerLabel]: worker } });
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
      const byName = shown();
      return [...slots.values()].filter((s) => byName.get(s.metric.name) === s).map((s) => s.metric);
    },
    hidden() {
      const byName = shown();
      const hidden = new Map<string, number>();
      for (const slot of slots.values()) if (byName.get(slot.metric.name) !== slot) hidden.set(slot.metric.name, (hidden.get(slot.metric.name) ?? 0) + 1);
      return hidden;
    },
    summed: () => [...slots.values()].map((s) => s.metric).filter((m) => !isPerProcess(m) && m.values.length > 0),
  };
}
