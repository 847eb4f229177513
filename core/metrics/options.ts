import type { Registry } from 'prom-client';
import { register as globalRegistry } from 'prom-client';
import { checkKeys, checkObject, describeValue, optionError } from '../errors.js';
import { checkLabelName, checkMetricName } from '../names.js';
import { DEFAULT_MAX_SERIES } from '../store/limit.js';
import { staticLabelsOf } from './static-labels.js';

/** What every metric factory takes. */
export interface MetricOptions<L extends string = never> {
  /**
   * The metric name, in base units and snake_case; counters end in `_total`.
   * @example "queue_messages_processed_total"
   */
  name: string;
  /** One sentence saying what is measured; shown by Prometheus and Grafana. */
  help: string;
  /**
   * The label names, each from a bounded set of values (never ids, URLs or user input).
   * @default []
   * @example ["queue", "outcome"]
   */
  labelNames?: readonly L[];
  /**
   * How many label sets the metric keeps. Past it, a sample for a new label set is recorded into
   * one overflow series whose every label is `overflow` (static labels stay; a value `overflow`
   * given here is kept as `_overflow`, so that series is only the limit's), counted in
   * `promhttp_series_overflow_total{metric}`, and the first one warns once: nothing is lost, and
   * a label fed with ids or client input cannot grow memory and Prometheus without bound. Part of
   * the definition: every `counter()` (or other factory) call for the same metric gives the same.
   * @default 2000
   */
  maxSeries?: number;
  /**
   * Where the metric is registered.
   * @default prom-client's global `register`
   */
  registry?: Registry;
}

export interface CheckedOptions {
  readonly o: Record<string, unknown>;
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly registry: Registry;
  readonly maxSeries: number;
}

const COMMON_KEYS = ['name', 'help', 'labelNames', 'maxSeries', 'registry'];

/** Checks a `maxSeries` option: a whole number of at least 1, `DEFAULT_MAX_SERIES` when absent. */
export function checkMaxSeries(where: string, value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_SERIES;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    const got = typeof value === 'number' ? String(value) : describeValue(value);
    throw optionError(`${where}: "maxSeries" must be a whole number of at least 1 (the label sets kept before further ones go to the overflow series), e.g. ${DEFAULT_MAX_SERIES}; got ${got}.`);
  }
  return value;
}

/** Validates the options every factory shares; `reserved` are label names the metric type owns. */
export function checkMetricOptions(where: string, options: unknown, ownKeys: readonly string[], reserved: readonly string[] = []): CheckedOptions {
  const o = checkObject(where, options);
  checkKeys(where, o, [...COMMON_KEYS, ...ownKeys]);
  const name = checkMetricName(where, o.name);
  if (typeof o.help !== 'string' || o.help.trim() === '') {
    throw optionError(`${where}: "help" must be a non-empty sentence saying what "${name}" measures, got ${describeValue(o.help)}.`);
  }
  const registry = (o.registry as Registry | undefined) ?? globalRegistry;
  if (typeof (registry as Partial<Registry>).registerMetric !== 'function') {
    throw optionError(`${where}: "registry" must be a prom-client Registry (new Registry()), got ${describeValue(o.registry)}.`);
  }
  const labelNames = o.labelNames ?? [];
  if (!Array.isArray(labelNames)) throw optionError(`${where}: "labelNames" must be an array of label names, e.g. ["queue"], got ${describeValue(labelNames)}.`);
  const statics = staticLabelsOf(registry);
  for (const label of labelNames as unknown[]) {
    checkLabelName(`${where} "${name}"`, label);
    if (reserved.includes(label as string)) throw optionError(`${where} "${name}": the label name "${label as string}" is reserved for this metric type; pick another.`);
    if (Object.hasOwn(statics, label as string)) throw optionError(`${where} "${name}": "${label as string}" is already a static label of this registry (setStaticLabels); pick another label name.`);
  }
  if (new Set(labelNames).size !== labelNames.length) throw optionError(`${where} "${name}": "labelNames" lists a label twice: ${labelNames.join(', ')}.`);
  const maxSeries = checkMaxSeries(`${where} "${name}"`, o.maxSeries);
  return { o, name, help: o.help, labelNames: Object.freeze([...(labelNames as string[])]), registry, maxSeries };
}
