import { DEFAULT_BUCKETS } from '../http-metrics.js';
import { observeHistogram } from '../store/family.js';
import type { LabelValues, MetricCore, MetricInfo } from './metric.js';
import { defineMetric, labelsArgs } from './metric.js';
import type { MetricOptions } from './options.js';
import { checkBuckets, checkMetricOptions } from './options.js';
import type { EndTimer } from './timer.js';
import { startTimer } from './timer.js';

/** Options of `histogram()`. */
export interface HistogramOptions<L extends string = never> extends MetricOptions<L> {
  /**
   * Upper bounds of the buckets, strictly increasing (+Inf is implicit). Pick them around the
   * values you care about (your latency objective, for instance).
   * @default DEFAULT_BUCKETS (0.005 … 10, in seconds)
   * @example [0.1, 0.5, 1, 5, 30, 120]
   */
  buckets?: readonly number[];
}

/** A histogram with its labels fixed. */
export interface HistogramChild {
  /** Records a finite number; anything else is dropped and counted in `promhttp_value_errors_total`. */
  observe(value: number): void;
  /** Starts a timer that observes the elapsed seconds when it ends. */
  startTimer(): EndTimer;
}

/** A distribution (durations, sizes) in buckets, with count and sum; merges across processes and instances. */
export interface Histogram<L extends string = never> extends MetricInfo<L> {
  readonly buckets: readonly number[];
  observe(value: number): void;
  observe(labels: LabelValues<L>, value: number): void;
  startTimer(labels?: Partial<LabelValues<L>>): EndTimer<L>;
  labels(labels: LabelValues<L>): HistogramChild;
  labels(...values: string[]): HistogramChild;
}

const WHERE = 'histogram';

function childAt(core: MetricCore, offset: number, buckets: readonly number[]): HistogramChild {
  const { arena, errors } = core;
  function observe(value: number): void {
    if (typeof value !== 'number' || !Number.isFinite(value)) return errors.value();
    observeHistogram(arena, buckets, offset, value);
  }
  return { observe, startTimer: () => startTimer(undefined, (_labels, seconds) => observe(seconds)) };
}

/**
 * Creates a histogram, or returns the one already registered under this name with the same
 * labels and buckets. Never throws once created.
 * @example
 * const duration = histogram({ name: 'job_step_duration_seconds', help: 'Time per step.', labelNames: ['step'] });
 * const end = duration.startTimer({ step: 'load' });
 * await load();
 * end();
 */
export function histogram<const L extends string = never>(options: HistogramOptions<L>): Histogram<L> {
  const checked = checkMetricOptions(WHERE, options, ['buckets'], ['le']);
  const buckets = checkBuckets(WHERE, checked.o.buckets, DEFAULT_BUCKETS);
  return defineMetric(WHERE, checked, { type: 'histogram', buckets }, (core) => {
    const child = (offset: number): HistogramChild => core.child(offset, (o) => childAt(core, o, buckets));
    const pick = (labels: unknown): HistogramChild => child(labels !== null && typeof labels === 'object' ? core.offsetOf(labels) : core.bare());
    return {
      name: checked.name,
      help: checked.help,
      labelNames: checked.labelNames as readonly L[],
      registry: checked.registry,
      buckets,
      observe: (a: unknown, b?: number) => (a !== null && typeof a === 'object' ? pick(a).observe(b as number) : pick(undefined).observe(a as number)),
      startTimer: (labels?: Partial<LabelValues<L>>) => startTimer<L>(labels, (all, seconds) => pick(all).observe(seconds)),
      labels: (...args: unknown[]) => child(labelsArgs(core, args)),
    } as Histogram<L>;
  });
}
