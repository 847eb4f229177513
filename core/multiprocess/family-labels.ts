import { renderLabels } from '../labels.js';
import { WORKER_LABEL } from '../metric-names.js';
import type { FamilyDef, GaugeMode } from '../store/types.js';

/**
 * What makes a series the same series for Prometheus, across processes: its labels as a set. The
 * order in which a process lists its label names, or passes its constant labels, is no part of it;
 * nor is a label whose value is empty, which Prometheus takes for a label that is not there.
 */

/** How a gauge without a declared mode is merged: one series per worker (info metrics: whether any live process says so). */
export function modeOf(def: FamilyDef): GaugeMode | undefined {
  if (def.type !== 'gauge') return undefined;
  return def.gaugeMode ?? (def.info ? 'livemax' : 'all');
}

/** The label the per-worker gauges get; a family that already has a `worker` label keeps it for itself. */
export function workerLabelFor(def: FamilyDef): string {
  return def.labelNames.includes(WORKER_LABEL) ? `promhttp_${WORKER_LABEL}` : WORKER_LABEL;
}

/**
 * What makes two definitions of a name one: its type, its label names as a set, its buckets, its
 * gauge mode, its native histogram's settings. The help text is left out (it only describes), and
 * so are `maxSeries` and whether protobuf carries a native histogram's classic buckets too, which
 * stores nothing.
 */
export function definitionKey(def: FamilyDef): string {
  const native = def.native === undefined ? [] : [[def.native.schema, def.native.zeroThreshold, def.native.maxBuckets]];
  return JSON.stringify([def.name, def.type, [...def.labelNames].sort(), def.buckets ?? [], modeOf(def) ?? '', def.info === true, ...native]);
}

/** The identity of a series among every definition of its name: its non-empty labels, sorted. */
export function seriesIdentity(names: readonly string[], values: readonly string[], worker?: readonly [string, string]): string {
  const pairs: Array<readonly [string, string]> = [];
  for (let i = 0; i < names.length; i++) if (values[i] !== '') pairs.push([names[i]!, values[i]!]);
  if (worker !== undefined) pairs.push(worker);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return JSON.stringify(pairs);
}

/** A definition seen through a source's default labels: those the definition lacks come first, like static labels. */
export interface Labelled {
  readonly def: FamilyDef;
  /** The values of the added labels, before the series' own. */
  readonly values: readonly string[];
  /** The added labels, rendered. */
  readonly rendered: string;
}

/**
 * `def` with the default labels (`registry.setDefaultLabels`) of the process that wrote it, where
 * the family has no label of that name (nor the per-process label of an `all` gauge): they are
 * part of the identity of that process's series, as they are of its plain prom-client metrics.
 * `undefined` when none applies.
 */
export function withDefaultLabels(def: FamilyDef, labels: Readonly<Record<string, string>> | undefined): Labelled | undefined {
  if (labels === undefined) return undefined;
  const mode = modeOf(def);
  const worker = mode === 'all' || mode === 'liveall' ? workerLabelFor(def) : undefined;
  const names: string[] = [];
  const values: string[] = [];
  for (const name in labels) {
    if (def.labelNames.includes(name) || name === worker) continue;
    names.push(name);
    values.push(String(labels[name]));
  }
  if (names.length === 0) return undefined;
  return {
    def: { ...def, labelNames: [...names, ...def.labelNames], staticCount: names.length + (def.staticCount ?? 0) },
    values,
    rendered: renderLabels(names, values),
  };
}

/** For each label of `to`, its index in `from` (the same names in another order); `undefined` when the order is the same. */
export function permutation(from: readonly string[], to: readonly string[]): number[] | undefined {
  if (from.every((name, i) => name === to[i])) return undefined;
  return to.map((name) => from.indexOf(name));
}
