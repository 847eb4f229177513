import { optionError } from '../errors.js';
import { observeSummary } from '../store/family.js';
import type { LabelValues, MetricCore, MetricInfo } from './metric.js';
import { defineMetric, labelsArgs } from './metric.js';
import type { MetricOptions } from './options.js';
import { checkMetricOptions } from './options.js';
import type { EndTimer } from './timer.js';
import { startTimer } from './timer.js';

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

function childAt(core: MetricCore, offset: number): SummaryChild {
  const { arena, errors } = core;
  function observe(value: number): void {
    if (typeof value !== 'number' || !Number.isFinite(value)) return errors.value();
    observeSummary(arena, offset, value);
  }
  return { observe, startTimer: () => startTimer(undefined, (_labels, seconds) => observe(seconds)) };
}

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
  return defineMetric(WHERE, checked, { type: 'summary' }, (core) => {
    const child = (offset: number): SummaryChild => core.child(offset, (o) => childAt(core, o));
    const pick = (labels: unknown): SummaryChild => child(labels !== null && typeof labels === 'object' ? core.offsetOf(labels) : core.bare());
    return {
      name: checked.name,
      help: checked.help,
      labelNames: checked.labelNames as readonly L[],
      registry: checked.registry,
      observe: (a: unknown, b?: number) => (a !== null && typeof a === 'object' ? pick(a).observe(b as number) : pick(undefined).observe(a as number)),
      startTimer: (labels?: Partial<LabelValues<L>>) => startTimer<L>(labels, (all, seconds) => pick(all).observe(seconds)),
      labels: (...args: unknown[]) => child(labelsArgs(core, args)),
    } as Summary<L>;
  });
}
