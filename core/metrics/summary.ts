import { optionError } from '../errors.js';
import { observeSummary } from '../store/family.js';
import type { LabelValues, MetricInfo } from './metric.js';
import { defineMetric } from './metric.js';
import { observerMethods } from './observer.js';
import type { MetricOptions } from './options.js';
import { checkMetricOptions } from './options.js';
import type { EndTimer } from './timer.js';

/**
 * Options of `summary()`. There are no quantile options: quantiles computed in each process
 * cannot be merged across processes or instances, so promhttp summaries carry count and sum only.
 * For percentiles, use `histogram()` and `histogram_quantile()`.
 */
export type SummaryOptions<L extends string = never> = MetricOptions<L>;

/** A summary with its labels fixed. */
export interface SummaryChild {
  /** Records a finite number; anything else is dropped and counted in `promhttp_value_errors_total`. */
  observe(value: number): void;
  /** Starts a timer that observes the elapsed seconds when it ends. */
  startTimer(): EndTimer;
}

/** Count and sum of observations: enough for rates and averages, cheap, and mergeable. */
export interface Summary<L extends string = never> extends MetricInfo<L> {
  observe(value: number): void;
  observe(labels: LabelValues<L>, value: number): void;
  startTimer(labels?: Partial<LabelValues<L>>): EndTimer<L>;
  labels(labels: LabelValues<L>): SummaryChild;
  labels(...values: string[]): SummaryChild;
}

const WHERE = 'summary';
const QUANTILE_KEYS = ['percentiles', 'quantiles', 'maxAgeSeconds', 'ageBuckets', 'compressCount'];

/**
 * Creates a summary (count and sum, no quantiles), or returns the one already registered under
 * this name with the same labels. Never throws once created.
 * @example
 * const size = summary({ name: 'upload_size_bytes', help: 'Size of uploads.' });
 * size.observe(2048);
 */
export function summary<const L extends string = never>(options: SummaryOptions<L>): Summary<L> {
  const given = options as unknown as Record<string, unknown> | undefined;
  const quantileKey = given !== null && typeof given === 'object' ? QUANTILE_KEYS.find((k) => k in given) : undefined;
  if (quantileKey !== undefined) {
    throw optionError(`${WHERE}: "${quantileKey}" is not supported: quantiles cannot be merged across processes or instances. Use histogram() and histogram_quantile() instead.`);
  }
  const checked = checkMetricOptions(WHERE, options, [], ['quantile']);
  return defineMetric(WHERE, checked, { type: 'summary' }, (core) => ({
    name: checked.name,
    help: checked.help,
    labelNames: checked.labelNames as readonly L[],
    registry: checked.registry,
    ...observerMethods<L>(core, observeSummary),
  })) as Summary<L>;
}
