import { checkBuckets, DEFAULT_BUCKETS } from '../buckets.js';
import { observeHistogram } from '../store/family.js';
import type { Arena } from '../store/types.js';
import type { LabelValues, MetricInfo } from './metric.js';
import { defineMetric } from './metric.js';
import { observerMethods } from './observer.js';
import type { NativeHistogramOptions } from './native-options.js';
import { checkNativeHistograms } from './native-options.js';
import type { MetricOptions } from './options.js';
import { checkMetricOptions } from './options.js';
import type { EndTimer } from './timer.js';

/** Options of `histogram()`. */
export interface HistogramOptions<L extends string = never> extends MetricOptions<L> {
  /**
   * Upper bounds of the buckets, strictly increasing (+Inf is implicit). Pick them around the
   * values you care about (your latency objective, for instance).
   * @default DEFAULT_BUCKETS (0.005 … 10, in seconds)
   * @example [0.1, 0.5, 1, 5, 30, 120]
   */
  buckets?: readonly number[];
  /**
   * Native histograms besides the classic buckets: exponential buckets chosen as values arrive,
   * exposed in protobuf to a Prometheus started with `--enable-feature=native-histograms`
   * (see docs/native-histograms.md). `true` takes client_golang's defaults.
   * @default false
   * @example { bucketFactor: 1.05, maxBuckets: 100 }
   */
  nativeHistograms?: boolean | NativeHistogramOptions;
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
  const checked = checkMetricOptions(WHERE, options, ['buckets', 'nativeHistograms'], ['le']);
  const buckets = checkBuckets(WHERE, checked.o.buckets, DEFAULT_BUCKETS, 'upper bounds, e.g. [0.1, 1, 10]');
  const native = checkNativeHistograms(`${WHERE} "${checked.name}"`, checked.o.nativeHistograms);
  // Bound once: the buckets are fixed for the life of the metric.
  const record = (arena: Arena, offset: number, value: number): void => observeHistogram(arena, buckets, offset, value, native);
  return defineMetric(WHERE, checked, { type: 'histogram', buckets, ...(native === undefined ? {} : { native }) }, (core) => ({
    name: checked.name,
    help: checked.help,
    labelNames: checked.labelNames as readonly L[],
    registry: checked.registry,
    buckets,
    ...observerMethods<L>(core, record),
  })) as Histogram<L>;
}
