import type { Registry } from 'prom-client';
import { checkKeys, checkObject, optionError } from '../errors.js';
import { counter } from '../metrics/counter.js';
import { gauge } from '../metrics/gauge.js';
import type { GaugeMode } from '../metrics/gauge.js';
import { histogram } from '../metrics/histogram.js';
import type { HistogramOptions } from '../metrics/histogram.js';
import { checkMaxSeries } from '../metrics/options.js';
import { summary } from '../metrics/summary.js';
import { compileLabels } from './labels.js';

/** Ends one request's part of a route metric; `skip` (doNotTrack) records nothing but still settles in-progress gauges. */
export type EndRouteMetric = (skip?: boolean) => void;

/** A per-route metric, framework-neutral: adapters call `begin` when the route starts. */
export interface RouteMetric<Args extends readonly unknown[]> {
  readonly name: string;
  /** Called when the route starts; the returned function when its response is known. */
  begin(args: Args): EndRouteMetric;
}

export type RouteMetricKind = 'counter' | 'gauge' | 'histogram' | 'summary';

const OWN_KEYS: Record<RouteMetricKind, readonly string[]> = { counter: [], gauge: ['value', 'mode'], histogram: ['buckets', 'nativeHistograms'], summary: [] };

function elapsed(startedAt: number): number {
  return (performance.now() - startedAt) / 1000;
}

/** Builds a per-route metric on the general metric factories, so it shares their store, checks and error counting. */
export function defineRouteMetric<Args extends readonly unknown[]>(where: string, kind: RouteMetricKind, options: unknown, registry: Registry): RouteMetric<Args> {
  const o = checkObject(where, options);
  checkKeys(where, o, ['name', 'help', 'labels', 'maxSeries', ...OWN_KEYS[kind]]);
  const { names, resolve } = compileLabels<Args>(`${where} "${String(o.name)}"`, o.labels);
  // Checked here too, so that a mistake names the adapter's method rather than the factory.
  const maxSeries = checkMaxSeries(`${where} "${String(o.name)}"`, o.maxSeries);
  const base = { name: o.name as string, help: o.help as string, labelNames: names, registry, maxSeries };
  const name = base.name;

  if (kind === 'counter') {
    const metric = counter<string>(base);
    return { name, begin: (args) => (skip) => void (skip || metric.inc(resolve(args))) };
  }
  if (kind === 'histogram' || kind === 'summary') {
    const metric =
      kind === 'histogram'
        ? histogram<string>({
            ...base,
            ...(o.buckets === undefined ? {} : { buckets: o.buckets as number[] }),
            ...(o.nativeHistograms === undefined ? {} : { nativeHistograms: o.nativeHistograms as HistogramOptions['nativeHistograms'] }),
          })
        : summary<string>(base);
    return {
      name,
      begin(args) {
        const startedAt = performance.now();
        return (skip) => void (skip || metric.observe(resolve(args), elapsed(startedAt)));
      },
    };
  }
  const value = o.value;
  if (value !== undefined && typeof value !== 'function') throw optionError(`${where} "${name}": "value" must be a function of the request returning a number, e.g. (ctx) => ctx.state.items; got ${typeof value}.`);
  const metric = gauge<string>({ ...base, ...(o.mode === undefined ? {} : { mode: o.mode as GaugeMode }) });
  if (value === undefined) {
    return {
      name,
      begin(args) {
        // Resolved once, so the series that went up is the one that comes down.
        const child = metric.labels(resolve(args));
        child.inc();
        return () => child.dec();
      },
    };
  }
  const compute = value as (...a: Args) => unknown;
  return {
    name,
    begin: (args) => (skip) => {
      if (skip) return;
      let result: unknown;
      try {
        result = compute(...args);
      } catch {
        // Left undefined: the gauge drops it and counts it in promhttp_value_errors_total.
      }
      metric.set(resolve(args), result as number);
    },
  };
}
