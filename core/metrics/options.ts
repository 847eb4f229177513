import type { Registry } from 'prom-client';
import { register as globalRegistry } from 'prom-client';
import { checkKeys, checkObject, describeValue, optionError } from '../errors.js';
import { checkLabelName, checkMetricName } from '../names.js';
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
}

const COMMON_KEYS = ['name', 'help', 'labelNames', 'registry'];

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
  return { o, name, help: o.help, labelNames: Object.freeze([...(labelNames as string[])]), registry };
}
