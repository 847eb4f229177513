import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Registry } from 'prom-client';
import { register as globalRegistry } from 'prom-client';
import { checkKeys, checkObject, describeValue, optionError } from './errors.js';
import type { MetricInfo } from './metrics/metric.js';
import { defineMetric } from './metrics/metric.js';
import { checkMetricOptions } from './metrics/options.js';
import type { Family } from './store/family.js';
import { setGauge } from './store/family.js';
import type { Collector } from './store/registry.js';

/** Options of `info()`. */
export interface InfoOptions {
  /**
   * Where the metric is registered.
   * @default prom-client's global `register`
   */
  registry?: Registry;
}

/** An info metric: constant labels on a gauge of value 1. */
export interface Info<L extends string = string> extends MetricInfo<L> {
  readonly labels: Readonly<Record<L, string>>;
}

const sameKeys = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && [...a].sort().join('\u0000') === [...b].sort().join('\u0000');

/** The same labels, whatever the order of their keys. */
function sameLabels(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean {
  const keys = Object.keys(a);
  return sameKeys(keys, Object.keys(b)) && keys.every((key) => a[key] === b[key]);
}

function familyOf(registry: Registry, name: string): Family | undefined {
  return (registry.getSingleMetric(name) as unknown as Partial<Collector> | undefined)?.family;
}

function infoName(name: unknown): unknown {
  return typeof name === 'string' && !name.endsWith('_info') ? `${name}_info` : name;
}

/**
 * Exposes facts about the running program as labels on a gauge of value 1, `<name>_info` (the
 * suffix is added when missing). OpenMetrics scrapers see it as an `info` metric.
 * Calling it again with the same labels (in any key order) returns the same metric; other values
 * fail, since a process has one build.
 * @example
 * info('build', 'Build of this service.', { version: '1.4.2', commit: 'a1b2c3d' });
 * // build_info{version="1.4.2",commit="a1b2c3d"} 1
 */
export function info<const L extends string>(name: string, help: string, labels: Readonly<Record<L, string>>, options?: InfoOptions): Info<L> {
  const where = 'info';
  const o = checkObject(where, options);
  checkKeys(where, o, ['registry']);
  const given = checkObject(`${where}: the labels`, labels);
  for (const [key, value] of Object.entries(given)) {
    if (typeof value !== 'string') throw optionError(`${where}: the value of label "${key}" must be a string, got ${describeValue(value)}.`);
  }
  // Another call may name the same labels in another order: the metric keeps its first order.
  const registered = typeof name === 'string' ? familyOf((o.registry as Registry | undefined) ?? globalRegistry, infoName(name) as string) : undefined;
  const keys = Object.keys(given);
  const labelNames = registered !== undefined && sameKeys(registered.def.labelNames, keys) ? [...registered.def.labelNames] : keys;
  const values = labelNames.map((key) => given[key] as string);
  const checked = checkMetricOptions(where, { name: infoName(name), help, labelNames, registry: o.registry }, []);
  // Every running process reports the same build: merging takes one value, not their sum, and
  // forgets processes that have exited (an old version's series would otherwise linger).
  const metric = defineMetric(where, checked, { type: 'gauge', gaugeMode: 'livemax', info: true }, (core) => {
    setGauge(core.arena, core.family.get(values).offset, 1);
    return { name: checked.name, help: checked.help, labelNames: labelNames as L[], registry: checked.registry, labels: Object.freeze({ ...given }) as Record<L, string> };
  });
  if (!sameLabels(metric.labels, given)) {
    throw optionError(`${where}: "${checked.name}" already exists with other label values (${JSON.stringify(metric.labels)}); a process exposes one set. Use another name for other facts.`);
  }
  return metric as Info<L>;
}

/** Options of `appInfo()`. */
export interface AppInfoOptions extends InfoOptions {
  /**
   * Where to look for the app's `package.json`: a file, or a directory searched upwards.
   * @default process.cwd()
   */
  path?: string;
  /**
   * The metric name.
   * @default "app_info"
   */
  name?: string;
}

/** The labels of `app_info`. */
export type AppInfoLabel = 'name' | 'version' | 'runtime' | 'runtime_version';

function findPackageJson(start: string): string | undefined {
  const first = resolve(start);
  if (existsSync(first) && statSync(first).isFile()) return first;
  for (let dir = first; ; dir = dirname(dir)) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Exposes the running app's name and version from its nearest `package.json`, and the runtime:
 * `app_info{name="shop",version="1.4.2",runtime="node",runtime_version="20.11.1"} 1`.
 * Fails at startup when no `package.json` is found (bundled deployments: use `info()` instead).
 * @example
 * appInfo();
 */
export function appInfo(options?: AppInfoOptions): Info<AppInfoLabel> {
  const where = 'appInfo';
  const o = checkObject(where, options);
  checkKeys(where, o, ['registry', 'path', 'name']);
  if (o.path !== undefined && typeof o.path !== 'string') throw optionError(`${where}: "path" must be a file or directory path, got ${describeValue(o.path)}.`);
  const start = (o.path as string | undefined) ?? process.cwd();
  const file = findPackageJson(start);
  if (file === undefined) {
    throw optionError(`${where}: no package.json found in ${start} or above. Pass { path: '/path/to/app' }, or use info('app', 'The app.', { name, version }).`);
  }
  let manifest: { name?: unknown; version?: unknown };
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8')) as typeof manifest;
  } catch (error) {
    throw optionError(`${where}: ${file} could not be read as JSON (${error instanceof Error ? error.message : String(error)}).`);
  }
  const bun = process.versions.bun;
  return info(
    (o.name as string | undefined) ?? 'app_info',
    'Name and version of the running app (from its package.json) and of its runtime.',
    {
      name: typeof manifest.name === 'string' ? manifest.name : '',
      version: typeof manifest.version === 'string' ? manifest.version : '',
      runtime: bun === undefined ? 'node' : 'bun',
      runtime_version: bun ?? process.versions.node,
    },
    o.registry === undefined ? undefined : { registry: o.registry as Registry },
  );
}
