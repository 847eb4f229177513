import { optionError } from '../errors.js';
import { incCounter } from '../store/family.js';
import type { LabelValues, MetricCore, MetricInfo } from './metric.js';
import { defineMetric, labelsArgs } from './metric.js';
import type { MetricOptions } from './options.js';
import { checkMetricOptions } from './options.js';

/** Options of `counter()`. */
export type CounterOptions<L extends string = never> = MetricOptions<L>;

/** A counter with its labels fixed. */
export interface CounterChild {
  /**
   * Adds `value` (a finite number of at least 0); anything else is dropped and counted in
   * `promhttp_value_errors_total`.
   * @default 1
   */
  inc(value?: number): void;
}

/** A monotonic count: requests served, messages processed, errors seen. */
export interface Counter<L extends string = never> extends MetricInfo<L>, CounterChild {
  inc(value?: number): void;
  inc(labels: LabelValues<L>, value?: number): void;
  /** The child for one label set, by name or in label-name order; cache it on hot paths. */
  labels(labels: LabelValues<L>): CounterChild;
  labels(...values: string[]): CounterChild;
}

const WHERE = 'counter';

function childAt(core: MetricCore, offset: number): CounterChild {
  const { arena, errors } = core;
  const add = core.recorder(offset, incCounter);
  return {
    inc(value?: number) {
      const by = value === undefined ? 1 : value;
      if (typeof by !== 'number' || !(by >= 0) || by === Infinity) return errors.value();
      add(arena, offset, by);
    },
  };
}

/**
 * Creates a counter, or returns the one already registered under this name with the same labels.
 * Never throws once created: wrong labels are recorded as `__invalid__` and counted in
 * `promhttp_label_errors_total{metric}`; past `maxSeries` label sets, samples go to the overflow series.
 * @example
 * const processed = counter({ name: 'messages_processed_total', help: 'Messages handled.', labelNames: ['queue'] });
 * processed.inc({ queue: 'emails' });
 */
export function counter<const L extends string = never>(options: CounterOptions<L>): Counter<L> {
  const checked = checkMetricOptions(WHERE, options, []);
  if (!checked.name.endsWith('_total')) {
    throw optionError(`${WHERE}: counter names end in "_total", as Prometheus expects; write "${checked.name}_total".`);
  }
  return defineMetric(WHERE, checked, { type: 'counter' }, (core) => {
    const child = (offset: number): CounterChild => core.child(offset, (o) => childAt(core, o));
    return {
      name: checked.name,
      help: checked.help,
      labelNames: checked.labelNames as readonly L[],
      registry: checked.registry,
      inc(labelsOrValue?: LabelValues<L> | number, value?: number) {
        if (labelsOrValue !== null && typeof labelsOrValue === 'object') child(core.offsetOf(labelsOrValue)).inc(value);
        else child(core.bare()).inc(labelsOrValue);
      },
      labels: (...args: unknown[]) => child(labelsArgs(core, args)),
    } as Counter<L>;
  });
}
