import type { GaugeMode } from '../metrics/gauge.js';
import type { NativeHistogramOptions } from '../metrics/native-options.js';

/**
 * Computes a label value from what the framework hands a handler: Koa's `ctx`, Hono's `c`, or
 * node:http's `(req, res)`. It runs once the response is known, so it can read the status.
 * Anything but a string (or a throw) records the label as `__invalid__` and counts the mistake
 * in `promhttp_label_errors_total`; the request is never affected.
 */
export type LabelFunction<Args extends readonly unknown[]> = (...args: Args) => string | undefined;

/** A label value: a constant, or a function of the request and response. */
export type LabelSource<Args extends readonly unknown[]> = string | LabelFunction<Args>;

/** Label values by label name. */
export type RouteLabels<L extends string, Args extends readonly unknown[]> = { readonly [K in L]: LabelSource<Args> };

/** What every per-route metric takes. */
export interface RouteMetricOptions<L extends string, Args extends readonly unknown[]> {
  /**
   * The metric name, in base units and snake_case; counters end in `_total`.
   * @example "cnt_collection_total"
   */
  name: string;
  /** One sentence saying what is measured. */
  help: string;
  /**
   * Label names and where their values come from. Keep every value bounded: a route parameter
   * that names one of a few collections is fine, a user id is not.
   * @default {}
   * @example { collection: (ctx) => ctx.params.id, status: (ctx) => String(ctx.status) }
   */
  labels?: RouteLabels<L, Args>;
  /**
   * How many label sets the metric keeps. Past it, a request with a new label set is recorded into
   * one overflow series whose every label is `overflow` (a value `overflow` a label function
   * returns is kept as `_overflow`), counted in
   * `promhttp_series_overflow_total{metric}`, and the first one warns once: a label computed
   * from client input (a header, a parameter) cannot grow without bound.
   * @default 2000
   * @example 100
   */
  maxSeries?: number;
}

/** Options of a per-route counter: counts the requests of the route. */
export type RouteCounterOptions<L extends string, Args extends readonly unknown[]> = RouteMetricOptions<L, Args>;

/** Options of a per-route histogram: the duration of the route, in seconds. */
export interface RouteHistogramOptions<L extends string, Args extends readonly unknown[]> extends RouteMetricOptions<L, Args> {
  /**
   * Upper bounds of the buckets in seconds, strictly increasing (+Inf is implicit).
   * @default DEFAULT_BUCKETS (0.005 … 10)
   */
  buckets?: readonly number[];
  /**
   * Native histograms besides the classic buckets, exposed in protobuf to a Prometheus started
   * with `--enable-feature=native-histograms` (see docs/native-histograms.md). `true` takes
   * client_golang's defaults.
   * @default false
   * @example { bucketFactor: 1.05 }
   */
  nativeHistograms?: boolean | NativeHistogramOptions;
}

/** Options of a per-route summary: count and sum of the route's duration, in seconds. */
export type RouteSummaryOptions<L extends string, Args extends readonly unknown[]> = RouteMetricOptions<L, Args>;

/** Options of a per-route gauge. */
export interface RouteGaugeOptions<L extends string, Args extends readonly unknown[]> extends RouteMetricOptions<L, Args> {
  /**
   * Sets the gauge from the request and response when the response is known. Without it the
   * gauge counts the route's requests in progress: up when one starts, down when it ends (its
   * label functions then run at the start, before there is a response).
   * @default undefined (requests in progress)
   * @example (ctx) => Number(ctx.get('content-length'))
   */
  value?: (...args: Args) => number;
  /**
   * How several processes' values merge in multi-process mode.
   * @default "livesum"
   */
  mode?: GaugeMode;
}

/** Grouping of the request metrics' `route` label: a function of the request, or `"path"`. */
export type RouteOption<Args extends readonly unknown[]> = 'path' | ((...args: Args) => string | undefined);

/**
 * Per-route metrics, the same on every adapter. `M` is what the adapter attaches to a route: a
 * Koa or Hono middleware, or for node:http a wrapper around a handler.
 */
export interface RouteMetricsApi<Args extends readonly unknown[], M> {
  /** Counts the route's requests, labelled from the request and response. */
  counter<const L extends string = never>(options: RouteCounterOptions<L, Args>): M;
  /** Requests in progress on the route, or a value computed from the request and response. */
  gauge<const L extends string = never>(options: RouteGaugeOptions<L, Args>): M;
  /** Duration of the route in a histogram. */
  histogram<const L extends string = never>(options: RouteHistogramOptions<L, Args>): M;
  /** Duration of the route in a summary (count and sum). */
  summary<const L extends string = never>(options: RouteSummaryOptions<L, Args>): M;
  /** Applies a metric made by this object to every tracked request, on every route. */
  registerDefault(metric: M): void;
  /** On a route: leaves its requests out of the request metrics and of the `registerDefault` metrics. */
  doNotTrack(): M;
}
