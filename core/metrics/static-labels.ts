import type { Registry } from 'prom-client';
import { checkObject, describeValue, optionError } from '../errors.js';
import { OTEL_REQUEST_LABELS } from '../metric-names.js';
import { checkLabelName } from '../names.js';
import type { Collector } from '../store/registry.js';

/**
 * Label names a static label may not take: `le` and `quantile` belong to histograms and
 * summaries, the request labels of both namings to every HTTP metric (static labels are set
 * before any `createHttpMetrics` says which naming it uses), `metric` to promhttp's own error
 * counters.
 */
const RESERVED: readonly string[] = ['le', 'quantile', 'method', 'route', 'status_code', ...OTEL_REQUEST_LABELS, 'metric'];

const byRegistry = new WeakMap<Registry, Readonly<Record<string, string>>>();
const NONE: Readonly<Record<string, string>> = Object.freeze({});

/** The labels `setStaticLabels` put on this registry (an empty object when none). */
export function staticLabelsOf(registry: Registry): Readonly<Record<string, string>> {
  return byRegistry.get(registry) ?? NONE;
}

function holdsPromhttpMetrics(registry: Registry): boolean {
  return (registry.getMetricsAsArray() as unknown as Array<Partial<Collector>>).some((m) => m.family !== undefined);
}

/**
 * Puts the same labels (service, version, region) on every metric of a registry: request
 * metrics, metrics from `counter()`/`gauge()`/`histogram()`/`summary()`, info metrics, and
 * prom-client's own metrics (through `registry.setDefaultLabels`).
 *
 * Call it once, before creating any metric in the registry: promhttp renders each series' labels
 * when the series is created, so labels added later would be missing from existing series.
 * Calling it again with the same labels does nothing.
 * @example
 * setStaticLabels(register, { service: 'checkout', region: 'eu-west-1' });
 */
export function setStaticLabels(registry: Registry, labels: Readonly<Record<string, string>>): void {
  const where = 'setStaticLabels';
  if (typeof (registry as Partial<Registry> | undefined)?.setDefaultLabels !== 'function') {
    throw optionError(`${where}: the first argument must be a prom-client Registry (new Registry(), or prom-client's register), got ${describeValue(registry)}.`);
  }
  const object = checkObject(`${where}: the labels`, labels);
  const checked: Record<string, string> = {};
  for (const [name, value] of Object.entries(object)) {
    checkLabelName(where, name);
    if (RESERVED.includes(name)) throw optionError(`${where}: "${name}" is set by promhttp on its own metrics; pick another label name.`);
    if (typeof value !== 'string') throw optionError(`${where}: the value of "${name}" must be a string, got ${describeValue(value)}.`);
    checked[name] = value;
  }
  const current = byRegistry.get(registry);
  if (current !== undefined && JSON.stringify(current) === JSON.stringify(checked)) return;
  if (holdsPromhttpMetrics(registry)) {
    throw optionError(`${where}: this registry already holds promhttp metrics, which would miss these labels. Call setStaticLabels before creating any metric.`);
  }
  byRegistry.set(registry, Object.freeze(checked));
  registry.setDefaultLabels(checked);
}
