import type { HttpMetrics } from '../http-metrics.js';
import { optionError } from '../errors.js';
import type { EndRouteMetric, RouteMetric, RouteMetricKind } from './define.js';
import { defineRouteMetric } from './define.js';
import type { RouteMetricsApi } from './types.js';

/** How an adapter attaches metrics to a route: it turns the neutral pieces into its middleware or wrapper. */
export interface RouteAttach<Args extends readonly unknown[], M> {
  /** The middleware (or wrapper) that runs `metric` around a route. */
  metric(metric: RouteMetric<Args>): M;
  /** The middleware (or wrapper) that calls `untrack` with the request's key. */
  untracked(untrack: (key: object) => void): M;
}

/** Records the end of a request begun with `beginRequest`; only the first call counts. */
export type EndTrackedRequest = (method: string, route: string | undefined, status: number) => void;

/** What an adapter gets: the user-facing methods, plus the request hook that runs the defaults. */
export interface RouteMetricsHub<Args extends readonly unknown[], M> {
  readonly api: RouteMetricsApi<Args, M>;
  /**
   * Starts a tracked request: in flight in the request metrics, `registerDefault` metrics begun.
   * `key` is the object a `doNotTrack` middleware sees for the same request (Koa's ctx, Hono's c, node's req).
   */
  beginRequest(key: object, args: Args): EndTrackedRequest;
}

/** Per-route metrics for one adapter instance, recorded into the registry of `metrics`. */
export function createRouteMetrics<Args extends readonly unknown[], M>(where: string, metrics: HttpMetrics, attach: RouteAttach<Args, M>): RouteMetricsHub<Args, M> {
  const made = new WeakMap<object, RouteMetric<Args>>();
  const defaults: Array<RouteMetric<Args>> = [];
  const untracked = new WeakSet<object>();
  const untrack = (key: object): void => void untracked.add(key);

  function make(kind: RouteMetricKind, options: unknown): M {
    const metric = defineRouteMetric<Args>(`${where}.${kind}`, kind, options, metrics.registry);
    const attached = attach.metric(metric);
    made.set(attached as object, metric);
    return attached;
  }

  function registerDefault(attached: M): void {
    const metric = typeof attached === 'function' ? made.get(attached) : undefined;
    if (metric === undefined) {
      throw optionError(`${where}.registerDefault: pass what this object's counter(), gauge(), histogram() or summary() returned, e.g. registerDefault(metrics.counter({ name, help })).`);
    }
    if (defaults.some((d) => d.name === metric.name)) throw optionError(`${where}.registerDefault: "${metric.name}" is already a default metric; register it once.`);
    defaults.push(metric);
  }

  function beginRequest(key: object, args: Args): EndTrackedRequest {
    const startedAt = metrics.begin();
    // Most apps register no defaults: then nothing is allocated here but the closure.
    let ends: EndRouteMetric[] | undefined;
    if (defaults.length > 0) ends = defaults.map((metric) => metric.begin(args));
    let ended = false;
    return function endTrackedRequest(method, route, status) {
      if (ended) return;
      ended = true;
      const skip = untracked.has(key);
      if (skip) metrics.leave();
      else metrics.finish(startedAt, method, route, status);
      if (ends !== undefined) for (const end of ends) end(skip);
    };
  }

  const api: RouteMetricsApi<Args, M> = {
    counter: (options) => make('counter', options),
    gauge: (options) => make('gauge', options),
    histogram: (options) => make('histogram', options),
    summary: (options) => make('summary', options),
    registerDefault,
    doNotTrack: () => attach.untracked(untrack),
  };
  return { api, beginRequest };
}
