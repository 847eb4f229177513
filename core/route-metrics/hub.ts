import type { ExemplarLabels, HttpMetrics, TraceparentOf } from '../http-metrics.js';
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
  /**
   * What an `exemplars` function gets, when it is less than what label functions get: the fetch
   * adapter's label functions also get a response, which does not exist yet when the exemplar is
   * taken. Default: the same arguments.
   */
  exemplarArgs?(args: Args): readonly unknown[];
}

/**
 * A request begun with `beginRequest`, to hand to `endRequest`. Usually just its start time: an
 * object is made only when `registerDefault` metrics, a `doNotTrack` middleware or exemplars exist.
 */
export type RequestToken = number | TrackedRequest;

interface TrackedRequest {
  readonly startedAt: number;
  readonly key: object;
  readonly ends: EndRouteMetric[] | undefined;
  /** The exemplar labels taken when the request began (unchecked: `finish` checks them). */
  readonly exemplar: unknown;
  ended: boolean;
}

/** What an adapter gets: the user-facing methods, plus the request hooks that run the defaults. */
export interface RouteMetricsHub<Args extends readonly unknown[], M> {
  readonly api: RouteMetricsApi<Args, M>;
  /**
   * Starts a tracked request: in flight in the request metrics, `registerDefault` metrics begun.
   * `key` is the object a `doNotTrack` middleware sees for the same request (Koa's ctx, Hono's c, node's req).
   */
  beginRequest(key: object, args: Args): RequestToken;
  /**
   * True while neither `registerDefault` metrics nor a `doNotTrack` middleware exist and exemplars
   * are off: then `metrics.begin()` is a complete token, and an adapter need not build `args` for
   * `beginRequest`.
   */
  plain(): boolean;
  /** Records the end of a request begun with `beginRequest`. Call it once per token. */
  endRequest(token: RequestToken, method: string, route: string | undefined, status: number): void;
  /**
   * For an entry point that cannot give `registerDefault` metrics their arguments: throws `message`
   * as an option error if any are registered, and makes every later `registerDefault` throw it.
   */
  refuseDefaults(message: string): void;
}

/**
 * Per-route metrics for one adapter instance, recorded into the registry of `metrics`. With
 * `exemplars` on, `beginRequest` also takes the request's exemplar labels (the `exemplars` function
 * gets `args`), and `traceparentOf` reads the `traceparent` header from the `key` it is given.
 */
export function createRouteMetrics<Args extends readonly unknown[], M>(where: string, metrics: HttpMetrics, attach: RouteAttach<Args, M>, traceparentOf?: TraceparentOf): RouteMetricsHub<Args, M> {
  const made = new WeakMap<object, RouteMetric<Args>>();
  const defaults: Array<RouteMetric<Args>> = [];
  const untracked = new WeakSet<object>();
  let untrackUsed = false;
  const untrack = (key: object): void => void untracked.add(key);
  const capture = metrics.exemplarsFrom<readonly unknown[]>(traceparentOf);
  const narrow = attach.exemplarArgs;
  const exemplarOf: ((key: object, args: Args) => unknown) | undefined = capture === undefined || narrow === undefined ? capture : (key, args) => capture(key, narrow(args));

  function make(kind: RouteMetricKind, options: unknown): M {
    const metric = defineRouteMetric<Args>(`${where}.${kind}`, kind, options, metrics.registry);
    const attached = attach.metric(metric);
    made.set(attached as object, metric);
    return attached;
  }

  let refusal: string | undefined;

  function registerDefault(attached: M): void {
    if (refusal !== undefined) throw optionError(refusal);
    const metric = typeof attached === 'function' ? made.get(attached) : undefined;
    if (metric === undefined) {
      throw optionError(`${where}.registerDefault: pass what this object's counter(), gauge(), histogram() or summary() returned, e.g. registerDefault(metrics.counter({ name, help })).`);
    }
    if (defaults.some((d) => d.name === metric.name)) throw optionError(`${where}.registerDefault: "${metric.name}" is already a default metric; register it once.`);
    defaults.push(metric);
  }

  function beginRequest(key: object, args: Args): RequestToken {
    const startedAt = metrics.begin();
    // Most apps use none of them: then a request is its start time, and nothing is allocated for it.
    if (defaults.length === 0 && !untrackUsed && exemplarOf === undefined) return startedAt;
    // Taken now, in the request's own async context: the active span is the request's here, not always by its end.
    const exemplar = exemplarOf?.(key, args);
    return { startedAt, key, ends: defaults.length > 0 ? defaults.map((metric) => metric.begin(args)) : undefined, exemplar, ended: false };
  }

  function endRequest(token: RequestToken, method: string, route: string | undefined, status: number): void {
    if (typeof token === 'number') return metrics.finish(token, method, route, status);
    if (token.ended) return;
    token.ended = true;
    const skip = untracked.has(token.key);
    if (skip) metrics.leave();
    else metrics.finish(token.startedAt, method, route, status, token.exemplar as ExemplarLabels | undefined);
    if (token.ends !== undefined) for (const end of token.ends) end(skip);
  }

  const api: RouteMetricsApi<Args, M> = {
    counter: (options) => make('counter', options),
    gauge: (options) => make('gauge', options),
    histogram: (options) => make('histogram', options),
    summary: (options) => make('summary', options),
    registerDefault,
    doNotTrack: () => {
      untrackUsed = true;
      return attach.untracked(untrack);
    },
  };
  function refuseDefaults(message: string): void {
    if (defaults.length > 0) throw optionError(message);
    refusal = message;
  }

  return { api, beginRequest, endRequest, refuseDefaults, plain: () => defaults.length === 0 && !untrackUsed && exemplarOf === undefined };
}
