import type { Registry } from 'prom-client';
import { optionError } from '../errors.js';
import type { Format, MetricObject } from '../exposition/format.js';
import { defaultLabelsFor } from '../exposition/default-labels.js';
import { renderFamily } from '../exposition/format.js';
import { encodeSeries } from '../exposition/protobuf/family.js';
import { clearExemplars, exemplarsOfFamily } from '../exemplars/store.js';
import { OTEL_ERROR_LABEL } from '../metric-names.js';
import { arenaFromEnv } from '../multiprocess/store.js';
import { createLocalArena } from './arena.js';
import type { Family } from './family.js';
import { createFamily } from './family.js';
import { guardRegistry, kindOfDef, refuseNameClash } from './name-clash.js';
import { sameNative } from './native.js';
import type { Arena, FamilyDef } from './types.js';

/** Marks the objects promhttp registers in a prom-client registry, so exposition can render them fast. */
export const RENDER = Symbol.for('promhttp.render');

/**
 * What promhttp registers in a prom-client `Registry`: it satisfies prom-client's metric contract
 * (`get`, `reset`), so `registry.metrics()` and prom-client's Pushgateway still see it, and adds a
 * fast renderer that exposition uses instead.
 */
export interface Collector {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly aggregator: 'sum';
  get(): Promise<MetricObject>;
  reset(): void;
  /**
   * Renders series `from`..`to`; the header comes with `from === 0`. `defaults` are the registry's
   * default labels, put on every series that does not have the label itself. Protobuf comes as
   * the series' `Metric` fields, without the family's head (see exposition/protobuf/family.ts).
   */
  [RENDER](format: Format, from: number, to: number, defaults: Readonly<Record<string, string>>): string | Uint8Array;
  /** How many series there are to render, for chunking. */
  size(): number;
  readonly family?: Family;
}

/** The arena a registry's promhttp metrics write to. One per registry. */
const arenas = new WeakMap<Registry, Arena>();

/** Installs the arena for a registry; the multi-process store uses this to put its own in place. */
export function setArena(registry: Registry, arena: Arena): void {
  const current = arenas.get(registry);
  if (current !== undefined && current !== arena) {
    throw optionError('this registry already holds promhttp metrics in another store; create the multi-process store before any metric.');
  }
  arenas.set(registry, arena);
}

/** The registry's arena, if it has one yet. */
export function peekArena(registry: Registry): Arena | undefined {
  return arenas.get(registry);
}

/** The registry's arena, created on first use: file-backed when `PROMETHEUS_MULTIPROC_DIR` is set, else in memory. */
export function arenaFor(registry: Registry): Arena {
  let arena = arenas.get(registry);
  if (arena === undefined) {
    arena = arenaFromEnv(registry) ?? createLocalArena();
    arenas.set(registry, arena);
  }
  return arena;
}

/**
 * Whether `b`, asked for, is the family `a` holds. What the overflow series keep is the first
 * creator's to say: a definition that says nothing of it (counter() given the request counter's
 * exact name, labels and help) joins a family that keeps some labels on overflow.
 */
function sameDef(a: FamilyDef, b: FamilyDef): boolean {
  return (
    a.type === b.type &&
    a.labelNames.join() === b.labelNames.join() &&
    (a.buckets ?? []).join() === (b.buckets ?? []).join() &&
    a.gaugeMode === b.gaugeMode &&
    Boolean(a.info) === Boolean(b.info) &&
    a.maxSeries === b.maxSeries &&
    sameNative(a.native, b.native) &&
    (b.overflowKeeps === undefined || (a.overflowKeeps ?? []).join() === b.overflowKeeps.join())
  );
}

/** `series.values` holds the family's own label values only; the static ones come first. */
function toMetricObject(family: Family, staticLabels: Readonly<Record<string, string>>): MetricObject {
  const { def, series } = family;
  const v = family.arena.v;
  const values: NonNullable<MetricObject['values']> = [];
  for (const s of series) {
    const labels: Record<string, string> = { ...staticLabels };
    // As renderLabels writes them: an empty error_type is no error_type.
    def.labelNames.forEach((n, i) => {
      if (s.values[i] !== '' || n !== OTEL_ERROR_LABEL) labels[n] = s.values[i]!;
    });
    const o = s.offset;
    if (def.type === 'histogram') {
      let acc = 0;
      def.buckets!.forEach((b, i) => {
        acc += v[o + 2 + i]!;
        values.push({ metricName: `${def.name}_bucket`, labels: { ...labels, le: b }, value: acc });
      });
      acc += v[o + 2 + def.buckets!.length]!;
      values.push({ metricName: `${def.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: acc });
      values.push({ metricName: `${def.name}_sum`, labels, value: v[o + 1]! });
      values.push({ metricName: `${def.name}_count`, labels, value: acc });
    } else if (def.type === 'summary') {
      values.push({ metricName: `${def.name}_count`, labels, value: v[o]! });
      values.push({ metricName: `${def.name}_sum`, labels, value: v[o + 1]! });
    } else {
      values.push({ labels, value: v[o]! });
    }
  }
  return { name: def.name, help: def.help, type: def.info ? 'gauge' : def.type, values };
}

/**
 * Returns the family registered under `def.name`, creating and registering it on first use.
 * Creating the same family twice (hot reload, test suites) returns the first one; a clash with a
 * different definition, with a metric promhttp did not create, or with the names another metric
 * exposes in OpenMetrics fails here, at construction, with `where` in the message.
 */
export function getOrCreateFamily(
  registry: Registry,
  def: FamilyDef,
  staticLabels: Readonly<Record<string, string>> = {},
  where = 'registry',
): Family {
  const existing = registry.getSingleMetric(def.name) as unknown as Partial<Collector> | undefined;
  if (existing !== undefined) {
    const family = existing.family;
    if (family === undefined) {
      throw optionError(
        `${where}: a metric named "${def.name}" is already registered in this registry and was not created by promhttp. Choose another name (the "names" or "prefix" option) or remove it first.`,
      );
    }
    if (!sameDef(family.def, def)) {
      throw optionError(
        `${where}: the metric "${def.name}" already exists in this registry with other labels, buckets, native histograms, type or maxSeries. Use the same definition everywhere, or another name.`,
      );
    }
    return family;
  }
  refuseNameClash(where, registry, [{ name: def.name, kind: kindOfDef(def) }]);
  const arena = arenaFor(registry);
  const labels = { names: Object.keys(staticLabels), values: Object.values(staticLabels) };
  arena.describe?.(def, [...labels.names, ...def.labelNames]);
  const family = createFamily(arena, def, labels);
  // A default label the family sets itself (a static label, its own labels) is not added again.
  const ownLabels = [...labels.names, ...def.labelNames];
  const collector: Collector = {
    name: def.name,
    help: def.help,
    type: def.info ? 'gauge' : def.type,
    aggregator: 'sum',
    family,
    get: async () => toMetricObject(family, staticLabels),
    reset() {
      const v = arena.v;
      for (const s of family.series) {
        v.fill(0, s.offset, s.offset + family.width);
        arena.touch(s.offset, family.width);
      }
      clearExemplars(arena, def);
    },
    size: () => (arena.shared ? 0 : family.series.length),
    [RENDER](format, from, to, defaults) {
      // A shared arena is rendered, merged across processes, by the multi-process collector.
      if (arena.shared) return '';
      // Once per chunk of series: a few labels to look at, whatever the registry's size.
      const extra = defaultLabelsFor(defaults, ownLabels);
      const series = from === 0 && to === family.series.length ? family.series : family.series.slice(from, to);
      const exemplars = exemplarsOfFamily(arena, def);
      return format === 'protobuf' ? encodeSeries(def, series, arena.v, extra, exemplars) : renderFamily(def, series, arena.v, format, from === 0, extra, exemplars);
    },
  };
  guardRegistry(registry);
  registry.registerMetric(collector as never);
  return family;
}
