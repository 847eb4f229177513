import type { Registry } from 'prom-client';
import { optionError } from '../errors.js';
import type { Family } from '../store/family.js';
import type { Collector } from '../store/registry.js';
import { getOrCreateFamily } from '../store/registry.js';
import type { Arena, FamilyDef } from '../store/types.js';
import { describeNative } from './native-options.js';
import type { CheckedOptions } from './options.js';
import type { RecordErrors } from './record-errors.js';
import { recordErrors } from './record-errors.js';
import { staticLabelsOf } from './static-labels.js';

/** The value recorded for a label that was missing or not a string, so mistakes stay bounded and visible. */
export const INVALID_LABEL_VALUE = '__invalid__';

/** Label values by label name. */
export type LabelValues<L extends string> = { readonly [K in L]: string };

/** What all metric objects share. */
export interface MetricInfo<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly registry: Registry;
}

/** The part of a metric the typed factories build on: finds series, counts mistakes. */
export interface MetricCore {
  readonly family: Family;
  readonly arena: Arena;
  readonly errors: RecordErrors;
  /** Offset of the series for `labels` (an object by label name); mistakes are counted, never thrown. */
  offsetOf(labels: unknown): number;
  /** Offset of the series for positional label values. */
  offsetOfList(values: readonly unknown[]): number;
  /** Offset of the series without labels; for a labelled metric that is a mistake, recorded as `__invalid__`. */
  bare(): number;
  /** `offsetOf` when `labels` is an object, else `bare`: the methods that take labels first or not at all. */
  offsetFor(labels: unknown): number;
  /** Returns the child cached for a series, creating it with `make` on first use. */
  child<C>(offset: number, make: (offset: number) => C): C;
  /**
   * `record` itself, or for the overflow series `record` that also counts the sample in
   * `promhttp_series_overflow_total`. A child takes it once, when it is made: recording into any
   * other series costs nothing more for the limit.
   */
  recorder(offset: number, record: RecordValue): RecordValue;
}

/** How a child stores one value at its series' offset. */
export type RecordValue = (arena: Arena, offset: number, value: number) => void;

const cores = new WeakMap<Family, MetricCore>();
const objects = new WeakMap<MetricCore, unknown>();

function describeDef(def: FamilyDef): string {
  const labels = def.labelNames.length ? `labels [${def.labelNames.join(', ')}]` : 'no labels';
  const extra = def.buckets ? `, buckets [${def.buckets.join(', ')}]` : def.gaugeMode ? `, mode "${def.gaugeMode}"` : '';
  const limit = def.maxSeries === undefined ? '' : `, maxSeries ${def.maxSeries}`;
  const native = def.native === undefined ? '' : `, native histograms (${describeNative(def.native)})`;
  return `a ${def.info ? 'info metric' : def.type} with ${labels}${extra}${native}${limit}`;
}

function findFamily(where: string, registry: Registry, def: FamilyDef): Family {
  const existing = registry.getSingleMetric(def.name) as unknown as Partial<Collector> | undefined;
  if (existing !== undefined) {
    if (existing.family === undefined) {
      throw optionError(`${where}: a metric named "${def.name}" was already registered in this registry by prom-client or another library. Use another name.`);
    }
    const was = describeDef(existing.family.def);
    const now = describeDef(def);
    if (was !== now) throw optionError(`${where}: "${def.name}" already exists in this registry as ${was}; it cannot also be ${now}. Use the same definition everywhere, or another name.`);
  }
  return getOrCreateFamily(registry, def, staticLabelsOf(registry), where);
}

function createCore(family: Family, registry: Registry): MetricCore {
  const names = family.def.labelNames;
  const n = names.length;
  const errors = recordErrors(registry, family.def.name);
  const children = new Map<number, unknown>();
  const invalid = (): string[] => names.map(() => INVALID_LABEL_VALUE);
  let bareOffset = -1;

  /** `values` in label-name order, owned by the caller; anything but a string becomes the sentinel, counted once. */
  function offsetOfValues(values: unknown[], bad: boolean): number {
    for (let i = 0; i < n; i++) {
      if (typeof values[i] !== 'string') {
        values[i] = INVALID_LABEL_VALUE;
        bad = true;
      }
    }
    if (bad) errors.label();
    return family.get(values as string[]).offset;
  }

  function offsetOf(labels: unknown): number {
    if (labels === null || typeof labels !== 'object') {
      errors.label();
      return family.get(invalid()).offset;
    }
    const given = labels as Record<string, unknown>;
    return offsetOfValues(names.map((name) => given[name]), Object.keys(given).length !== n);
  }

  function offsetOfList(list: readonly unknown[]): number {
    return offsetOfValues(list.slice(0, n), list.length !== n);
  }

  function bare(): number {
    if (n > 0) {
      errors.label();
      return family.get(invalid()).offset;
    }
    if (bareOffset < 0) bareOffset = family.get([]).offset;
    return bareOffset;
  }

  // A metric without labels shows 0 from the start, so "absent" never has to mean "zero".
  if (n === 0) bare();

  return {
    family,
    arena: family.arena,
    errors,
    offsetOf,
    offsetOfList,
    bare,
    offsetFor: (labels) => (labels !== null && typeof labels === 'object' ? offsetOf(labels) : bare()),
    child<C>(offset: number, make: (offset: number) => C): C {
      let found = children.get(offset) as C | undefined;
      if (found === undefined) {
        found = make(offset);
        children.set(offset, found);
      }
      return found;
    },
    recorder(offset, record) {
      if (!family.isOverflow(offset)) return record;
      return function recordOverflow(arena, at, value) {
        record(arena, at, value);
        errors.overflow();
      };
    },
  };
}

/**
 * Finds or creates the family for `def` and the metric object built on it. Creating the same
 * metric twice returns the first object; a different definition under the same name fails here.
 */
export function defineMetric<M>(where: string, checked: CheckedOptions, def: Omit<FamilyDef, 'name' | 'help' | 'labelNames'>, build: (core: MetricCore) => M): M {
  // A metric without labels has one series: a limit would mean nothing, and does not set it apart.
  const limit = checked.labelNames.length > 0 ? { maxSeries: checked.maxSeries } : {};
  const family = findFamily(where, checked.registry, { name: checked.name, help: checked.help, labelNames: checked.labelNames, ...limit, ...def });
  let core = cores.get(family);
  if (core === undefined) {
    core = createCore(family, checked.registry);
    cores.set(family, core);
  }
  let object = objects.get(core) as M | undefined;
  if (object === undefined) {
    object = build(core);
    objects.set(core, object);
  }
  return object;
}

/** `labels(...)` takes an object by label name, or the values in label-name order. */
export function labelsArgs(core: MetricCore, args: readonly unknown[]): number {
  return args.length === 1 && args[0] !== null && typeof args[0] === 'object' ? core.offsetOf(args[0]) : core.offsetOfList(args);
}
