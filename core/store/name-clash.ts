import type { Registry } from 'prom-client';
import { Counter, Gauge, Histogram, Summary } from 'prom-client';
import { optionError } from '../errors.js';
import { familyNames } from '../exposition/format.js';
import type { FamilyDef } from './types.js';

/** What decides the names a metric exposes: its name and its kind (`info` for info metrics, `unknown` when untyped). */
export interface NamedMetric {
  readonly name: string;
  readonly kind: string;
}

/**
 * The sample-name suffixes of each kind in OpenMetrics 1.0, `''` being the family name itself.
 * `_created` is among them although promhttp does not write it: another client, or a later
 * version, may, and the spec forbids a family whose name could clash with one.
 */
const SUFFIXES: Readonly<Record<string, readonly string[]>> = {
  counter: ['_total', '_created'],
  gauge: [''],
  histogram: ['_bucket', '_count', '_sum', '_created'],
  summary: ['', '_count', '_sum', '_created'],
  info: ['_info'],
  unknown: [''],
};

/**
 * The OpenMetrics family name of a metric, and every name it may take in an exposition: the family
 * name, the sample names of its kind, and the name it was given (what the text format shows).
 */
export function exposedNames({ name, kind }: NamedMetric): { family: string; names: string[] } {
  const { family } = familyNames(name, kind === 'info' ? 'gauge' : kind, 'openmetrics', kind === 'info');
  return { family, names: [...new Set([name, family, ...(SUFFIXES[kind] ?? SUFFIXES.unknown!).map((suffix) => family + suffix)])] };
}

export const kindOfDef = (def: FamilyDef): string => (def.info ? 'info' : def.type);

/** The kind of anything registered in a prom-client registry: promhttp's families, prom-client's metrics, custom collectors. */
function kindOf(metric: { readonly family?: { readonly def: FamilyDef }; readonly type?: unknown }): string {
  if (metric.family !== undefined) return kindOfDef(metric.family.def);
  // prom-client registers a metric from its base constructor, before the subclass has set `type`.
  if (metric instanceof Counter) return 'counter';
  if (metric instanceof Gauge) return 'gauge';
  if (metric instanceof Histogram) return 'histogram';
  if (metric instanceof Summary) return 'summary';
  return typeof metric.type === 'string' && metric.type in SUFFIXES ? metric.type : 'unknown';
}

type Registered = { readonly name: string; readonly family?: { readonly def: FamilyDef }; readonly type?: unknown };

const article = (kind: string): string => (kind === 'info' || kind === 'unknown' ? `an ${kind === 'info' ? 'info metric' : 'untyped metric'}` : `a ${kind}`);

/** A name `a` and `b` would both expose, if any: the family name when they would be one family. */
function sharedName(a: NamedMetric, b: NamedMetric): string | undefined {
  const ours = exposedNames(a);
  const theirs = exposedNames(b);
  if (ours.family === theirs.family) return ours.family;
  const names = new Set(theirs.names);
  return ours.names.find((name) => names.has(name));
}

function clashMessage(where: string, metric: NamedMetric, other: NamedMetric, shared: string, owner: string): string {
  return (
    `${where}: "${metric.name}" (${article(metric.kind)}) would clash with ${article(other.kind)} "${other.name}" ${owner}: ` +
    `in OpenMetrics both would expose "${shared}", and a scraper would reject or mix them. Give one of them another name.`
  );
}

/**
 * Refuses promhttp families whose exposed names would collide, in OpenMetrics, with each other or
 * with anything already in the registry (a counter `jobs_total` and a gauge `jobs`, a gauge
 * `x_count` beside a histogram `x`). Metrics of the same name are the caller's to judge.
 */
export function refuseNameClash(where: string, registry: Registry, metrics: readonly NamedMetric[]): void {
  for (let i = 0; i < metrics.length; i++) {
    const metric = metrics[i]!;
    for (let j = 0; j < i; j++) {
      const shared = sharedName(metric, metrics[j]!);
      if (shared !== undefined) throw optionError(clashMessage(where, metric, metrics[j]!, shared, 'created with it'));
    }
    for (const registered of registry.getMetricsAsArray() as unknown as Registered[]) {
      if (registered.name === metric.name) continue;
      const other = { name: registered.name, kind: kindOf(registered) };
      const shared = sharedName(metric, other);
      if (shared !== undefined) throw optionError(clashMessage(where, metric, other, shared, 'already in this registry'));
    }
  }
}

const guarded = new WeakSet<Registry>();

/**
 * Makes a registry that holds promhttp families refuse a metric registered later whose names
 * would clash with one of them (a prom-client `new Gauge({ name: 'jobs' })` beside promhttp's
 * `jobs_total`). prom-client offers no hook, so the registry's own `registerMetric` is wrapped,
 * once; prom-client's constructors call it, so the metric is refused as it is created.
 */
export function guardRegistry(registry: Registry): void {
  if (guarded.has(registry)) return;
  guarded.add(registry);
  const register = registry.registerMetric;
  registry.registerMetric = function registerMetric(this: Registry, metric) {
    const incoming = metric as unknown as Registered;
    // promhttp's own families were checked against everything before being registered.
    if (incoming.family === undefined && typeof incoming.name === 'string') {
      const named = { name: incoming.name, kind: kindOf(incoming) };
      for (const registered of registry.getMetricsAsArray() as unknown as Registered[]) {
        if (registered.family === undefined || registered.name === named.name) continue;
        const other = { name: registered.name, kind: kindOf(registered) };
        const shared = sharedName(named, other);
        if (shared !== undefined) throw optionError(clashMessage('registerMetric', named, other, shared, 'that promhttp keeps in this registry'));
      }
    }
    return register.call(this, metric);
  };
}
