import { checkBuckets, DEFAULT_BUCKETS } from '../buckets.js';
import type { ExemplarLabels } from '../exemplars/labels.js';
import { metricExemplars, sameExemplars } from '../exemplars/metric.js';
import type { ExemplarsOption } from '../exemplars/option.js';
import { checkExemplarsOption } from '../exemplars/option.js';
import { bucketSlot } from '../exemplars/store.js';
import { bucketIndex, observeHistogram } from '../store/family.js';
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
  /**
   * Exemplars taken by themselves on every observation: `true` takes the trace and span id of the
   * active OpenTelemetry span (when the app has `@opentelemetry/api` and the trace is sampled); a
   * function returns the labels, or `undefined` for none. Labels given to `observe` win either
   * way, and are kept even without this option. OpenMetrics and protobuf scrapes show the latest
   * exemplar of each bucket (docs/exemplars.md).
   * @default false
   * @example true
   */
  exemplars?: ExemplarsOption<[]>;
}

/** A histogram with its labels fixed. */
export interface HistogramChild {
  /**
   * Records a finite number; anything else is dropped and counted in `promhttp_value_errors_total`.
   * `exemplar` labels (`{ trace_id }`, at most 128 characters of names and values) are kept as the
   * exemplar of the bucket the value falls in.
   */
  observe(value: number, exemplar?: ExemplarLabels): void;
  /** Starts a timer that observes the elapsed seconds when it ends. */
  startTimer(): EndTimer;
}

/** A distribution (durations, sizes) in buckets, with count and sum; merges across processes and instances. */
export interface Histogram<L extends string = never> extends MetricInfo<L> {
  readonly buckets: readonly number[];
  observe(value: number, exemplar?: ExemplarLabels): void;
  observe(labels: LabelValues<L>, value: number, exemplar?: ExemplarLabels): void;
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
  const checked = checkMetricOptions(WHERE, options, ['buckets', 'nativeHistograms', 'exemplars'], ['le']);
  const buckets = checkBuckets(WHERE, checked.o.buckets, DEFAULT_BUCKETS, 'upper bounds, e.g. [0.1, 1, 10]');
  const native = checkNativeHistograms(`${WHERE} "${checked.name}"`, checked.o.nativeHistograms);
  const exemplarsOption = checkExemplarsOption(`${WHERE} "${checked.name}"`, checked.o.exemplars, false);
  // Bound once: the buckets are fixed for the life of the metric.
  const record = (arena: Arena, offset: number, value: number): void => observeHistogram(arena, buckets, offset, value, native);
  const metric = defineMetric(WHERE, checked, { type: 'histogram', buckets, ...(native === undefined ? {} : { native }) }, (core) => {
    const exemplars = metricExemplars(core, exemplarsOption);
    return {
      name: checked.name,
      help: checked.help,
      labelNames: checked.labelNames as readonly L[],
      registry: checked.registry,
      buckets,
      ...observerMethods<L>(core, record, {
        auto: exemplarsOption !== undefined,
        // The exemplar of the classic bucket the value went to; a native histogram shows the same ones.
        keep: (offset, value, given) => exemplars.keep(bucketSlot(offset, bucketIndex(buckets, value)), value, given),
      }),
    };
  }) as Histogram<L>;
  sameExemplars(WHERE, metric, exemplarsOption);
  return metric;
}
