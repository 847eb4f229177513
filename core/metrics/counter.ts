import { optionError } from '../errors.js';
import type { ExemplarLabels } from '../exemplars/labels.js';
import type { MetricExemplars } from '../exemplars/metric.js';
import { metricExemplars, sameExemplars } from '../exemplars/metric.js';
import type { ExemplarsOption } from '../exemplars/option.js';
import { checkExemplarsOption } from '../exemplars/option.js';
import { incCounter } from '../store/family.js';
import type { LabelValues, MetricCore, MetricInfo } from './metric.js';
import { defineMetric, labelsArgs } from './metric.js';
import type { MetricOptions } from './options.js';
import { checkMetricOptions } from './options.js';

/** Options of `counter()`. */
export interface CounterOptions<L extends string = never> extends MetricOptions<L> {
  /**
   * Exemplars taken by themselves on every increment: `true` takes the trace and span id of the
   * active OpenTelemetry span (when the app has `@opentelemetry/api` and the trace is sampled); a
   * function returns the labels, or `undefined` for none. Labels given to `inc` win either way,
   * and are kept even without this option. OpenMetrics and protobuf scrapes show the latest
   * exemplar of each series (docs/exemplars.md).
   * @default false
   * @example true
   */
  exemplars?: ExemplarsOption<[]>;
}

/** A counter with its labels fixed. */
export interface CounterChild {
  /**
   * Adds `value` (a finite number of at least 0); anything else is dropped and counted in
   * `promhttp_value_errors_total`. `exemplar` labels (`{ trace_id }`, at most 128 characters of
   * names and values) are kept as the series' exemplar, with `value`.
   * @default 1
   */
  inc(value?: number, exemplar?: ExemplarLabels): void;
}

/** A monotonic count: requests served, messages processed, errors seen. */
export interface Counter<L extends string = never> extends MetricInfo<L>, CounterChild {
  inc(value?: number, exemplar?: ExemplarLabels): void;
  inc(labels: LabelValues<L>, value?: number, exemplar?: ExemplarLabels): void;
  /** The child for one label set, by name or in label-name order; cache it on hot paths. */
  labels(labels: LabelValues<L>): CounterChild;
  labels(...values: string[]): CounterChild;
}

const WHERE = 'counter';

function childAt(core: MetricCore, offset: number, exemplars: MetricExemplars, auto: boolean): CounterChild {
  const { arena, errors } = core;
  const add = core.recorder(offset, incCounter);
  return {
    inc(value?: number, exemplar?: ExemplarLabels) {
      const by = value === undefined ? 1 : value;
      if (typeof by !== 'number' || !(by >= 0) || by === Infinity) return errors.value();
      add(arena, offset, by);
      if (auto || exemplar !== undefined) exemplars.keep(offset, by, exemplar);
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
  const checked = checkMetricOptions(WHERE, options, ['exemplars']);
  const exemplarsOption = checkExemplarsOption(`${WHERE} "${checked.name}"`, checked.o.exemplars, false);
  if (!checked.name.endsWith('_total')) {
    throw optionError(`${WHERE}: counter names end in "_total", as Prometheus expects; write "${checked.name}_total".`);
  }
  const metric = defineMetric(WHERE, checked, { type: 'counter' }, (core) => {
    const exemplars = metricExemplars(core, exemplarsOption);
    const auto = exemplarsOption !== undefined;
    const child = (offset: number): CounterChild => core.child(offset, (o) => childAt(core, o, exemplars, auto));
    return {
      name: checked.name,
      help: checked.help,
      labelNames: checked.labelNames as readonly L[],
      registry: checked.registry,
      inc(labelsOrValue?: LabelValues<L> | number, value?: number | ExemplarLabels, exemplar?: ExemplarLabels) {
        if (labelsOrValue !== null && typeof labelsOrValue === 'object') child(core.offsetOf(labelsOrValue)).inc(value as number | undefined, exemplar);
        else child(core.bare()).inc(labelsOrValue, value as ExemplarLabels | undefined);
      },
      labels: (...args: unknown[]) => child(labelsArgs(core, args)),
    } as Counter<L>;
  });
  sameExemplars(WHERE, metric, exemplarsOption);
  return metric;
}
