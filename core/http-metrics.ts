import type { Registry } from 'prom-client';
import { collectDefaultMetrics, register as globalRegistry } from 'prom-client';
import { checkBuckets, DEFAULT_BUCKETS } from './buckets.js';
import { checkKeys, checkObject, checkType, describeValue, optionError } from './errors.js';
import type { ExcludeRule } from './exclude.js';
import { compileExclude } from './exclude.js';
import type { Exposition, ExposeRequest } from './exposition/render.js';
import { expose } from './exposition/shared.js';
import type { ScrapeRequest, ScrapeResponse } from './exposition/respond.js';
import { respond } from './exposition/respond.js';
import { UNMATCHED, methodIndex, statusCode } from './labels.js';
import type { MetricNames, Naming } from './metric-names.js';
import { checkNaming, checkRequestLabels, requestMetricNames } from './metric-names.js';
import { checkPrefix } from './names.js';
import { createRequestFamilies, existingRequestFamilies } from './request-families.js';
import { bucketIndex, observeNativeAt } from './store/family.js';
import { HELD } from './store/native-keys.js';
import type { MultiprocessOptions } from './multiprocess/index.js';
import { applyMultiprocessOption } from './multiprocess/index.js';
import { staticLabelsOf } from './metrics/static-labels.js';
import { checkMaxSeries } from './metrics/options.js';
import { recordErrors } from './metrics/record-errors.js';
import type { ExemplarLabels } from './exemplars/labels.js';
import { BAD_EXEMPLAR, checkExemplar } from './exemplars/labels.js';
import type { ExemplarCapture, ExemplarsOption, TraceparentOf } from './exemplars/option.js';
import { checkExemplarsOption, exemplarCapture } from './exemplars/option.js';
import { bucketSlot, exemplarRecorder } from './exemplars/store.js';
import type { NativeHistogramOptions } from './metrics/native-options.js';
import { checkNativeHistograms } from './metrics/native-options.js';

export { DEFAULT_BUCKETS };
export type { ExemplarCapture, ExemplarLabels, ExemplarsOption, MetricNames, Naming, TraceparentOf };

export interface HttpMetricsOptions {
  /**
   * Where the metrics are registered and what `/metrics` serves.
   * @default prom-client's global `register`, so metrics you create with prom-client show up too
   */
  registry?: Registry;
  /**
   * Put before every request metric name.
   * @default ""
   * @example "shop_" gives shop_http_requests_total
   */
  prefix?: string;
  /**
   * The names of the request metrics. `"otel"`: OpenTelemetry's stable HTTP server metrics as
   * Prometheus writes them, `http_server_request_duration_seconds` (labels `http_request_method`,
   * `http_route`, `http_response_status_code`, and `error_type` on the series of 5xx responses)
   * and `http_server_active_requests`, with no request counter: the histogram's `_count` counts
   * the requests.
   * @default "default" (http_requests_total, http_request_duration_seconds, http_requests_in_flight)
   * @example "otel"
   */
  naming?: Naming;
  /** Override single metric names (the prefix still applies). */
  names?: MetricNames;
  /**
   * Upper bounds of the latency histogram, in seconds, strictly increasing (+Inf is implicit).
   * @default DEFAULT_BUCKETS (0.005 … 10)
   */
  buckets?: readonly number[];
  /**
   * Native histograms for the latency histogram, besides its classic buckets: exponential buckets
   * chosen as latencies arrive, with a quantile error bounded by the bucket factor at any latency.
   * They reach a Prometheus started with `--enable-feature=native-histograms`, over protobuf; the
   * text formats keep the classic buckets (see docs/native-histograms.md). `true` takes
   * client_golang's defaults.
   * @default false
   * @example { bucketFactor: 1.1, maxBuckets: 160 }
   */
  nativeHistograms?: boolean | NativeHistogramOptions;
  /**
   * Also register prom-client's default process metrics (CPU, memory, event loop, GC), once per registry.
   * @default true
   */
  defaultMetrics?: boolean;
  /**
   * Constant labels put on every request metric.
   * @example { service: "checkout", region: "eu-west-1" }
   */
  labels?: Readonly<Record<string, string>>;
  /**
   * How many distinct route labels are kept, besides `unmatched` and `overflow`. Requests on further
   * routes are labelled `overflow`, so a buggy route function or an unexpected path shape cannot
   * explode the number of series. The budget belongs to the metrics: every instance recording into
   * them (another server, a hot reload) shares it.
   * @default 500
   */
  maxRoutes?: number;
  /**
   * How many label sets (method × route × status) the request histogram and counter keep each,
   * after `maxRoutes`. Past it, a request on a new label set is recorded on route `overflow` with
   * its real method and status code (constant and static labels stay), so errors still show, counted in
   * `promhttp_series_overflow_total{metric}`, and the first one warns once. Shared like
   * `maxRoutes` by every instance recording into the same metrics.
   * @default 2000
   */
  maxSeries?: number;
  /**
   * Requests on these paths are not recorded: exact paths, RegExps, or predicates on the path.
   * @example ["/health", /^\/static\//]
   */
  exclude?: ExcludeRule | readonly ExcludeRule[];
  /**
   * Share the metrics of every process of the app (node:cluster, PM2, several instances, worker
   * threads) through a directory, so that any process's `/metrics` shows the totals. `true` uses
   * `PROMETHEUS_MULTIPROC_DIR`; `false` keeps this registry in memory even when it is set.
   * @default on for prom-client's global registry when PROMETHEUS_MULTIPROC_DIR is set; off for any other registry
   * @example { dir: "/run/myapp-metrics" }
   */
  multiprocess?: boolean | MultiprocessOptions;
  /**
   * Exemplars on the duration histogram's buckets and on the request counter: the latest request
   * of each bucket carries its trace id, for Prometheus to link to the trace (OpenMetrics and
   * protobuf scrapes only; the text format has no place for them). `true`: the trace and span id
   * (`trace_id`, `span_id`) of the active OpenTelemetry span when the request starts (the context
   * manager the app registered with `@opentelemetry/api` 1.x), none when that span is not sampled;
   * with no active span, those of the request's `traceparent` header when it is sampled. A function: the labels it returns, or `undefined` for none; adapters call it
   * with the arguments their `route` function gets, `start()` with none. Labels over 128
   * characters (names and values) are dropped and counted in `promhttp_value_errors_total`. See
   * docs/exemplars.md.
   * @default false
   * @example true
   */
  exemplars?: ExemplarsOption;
}

/** What a request ended with. */
export interface RequestResult {
  /** The request method; anything but the standard methods is recorded as `_OTHER`. */
  method: string;
  /** The matched route template (`/users/:id`); `undefined` or `""` is recorded as `unmatched`. */
  route?: string | undefined;
  /** The response status; 499 when the client went away first. */
  status: number;
  /**
   * Exemplar labels for this request, e.g. `{ trace_id }`, instead of the ones the `exemplars`
   * option took at `start()`; recorded even when that option is off.
   */
  exemplar?: ExemplarLabels | undefined;
}

/** Records a finished request. Only the first call counts. */
export type EndRequest = (result: RequestResult) => void;

export interface HttpMetrics {
  /** The registry the metrics live in. */
  readonly registry: Registry;
  /** Marks a request in flight and returns the function that records it when it ends. */
  start(): EndRequest;
  /**
   * Low-level form of `start()` for adapters that keep their own per-request state: marks a
   * request in flight and returns its start time. Pair each call with exactly one `finish`.
   */
  begin(): number;
  /**
   * Low-level form of `end`: records a request begun at `startedAt` and leaves the in-flight
   * count. `exemplar` labels go on the bucket and counter sample it adds (see `exemplarsFrom`).
   */
  finish(startedAt: number, method: string, route: string | undefined, status: number, exemplar?: ExemplarLabels): void;
  /** Ends a request begun with `begin()` without recording it (a route marked `doNotTrack`): only the in-flight count goes down. */
  leave(): void;
  /** True when `exclude` leaves this path out. */
  isExcluded(path: string): boolean;
  /**
   * For adapters: what takes a request's exemplar labels when it begins, from the `exemplars`
   * option, to hand to `finish`; `undefined` when exemplars are off. `traceparentOf` reads the
   * `traceparent` header from the request object the capture is given.
   */
  exemplarsFrom<Args extends readonly unknown[]>(traceparentOf?: TraceparentOf): ExemplarCapture<Args> | undefined;
  /** How the `exemplars` option takes exemplars: from the trace (`true`), from a function of the request, or not at all. */
  readonly exemplarMode: 'trace' | 'function' | undefined;
  /** Renders the registry for a scraper (format negotiation, gzip); never rejects. */
  render(request?: ExposeRequest): Promise<Exposition>;
  /** The whole HTTP answer to a scrape (405 for other methods, HEAD without a body); never rejects. */
  respond(request: ScrapeRequest): Promise<ScrapeResponse>;
}

const OPTION_KEYS = ['registry', 'prefix', 'naming', 'names', 'buckets', 'nativeHistograms', 'defaultMetrics', 'labels', 'maxRoutes', 'maxSeries', 'exclude', 'multiprocess', 'exemplars'] as const;
const WHERE = 'createHttpMetrics';

/** Option keys of `createHttpMetrics`, for adapters that accept them alongside their own. */
export const HTTP_METRICS_OPTION_KEYS: readonly string[] = OPTION_KEYS;

const defaultMetricsDone = new WeakSet<Registry>();

function registerDefaultMetrics(registry: Registry): void {
  if (defaultMetricsDone.has(registry)) return;
  defaultMetricsDone.add(registry);
  // Someone else (the app, or another library) may have collected them into this registry already.
  if (registry.getSingleMetric('process_cpu_user_seconds_total') !== undefined) return;
  collectDefaultMetrics({ register: registry });
}

/**
 * Creates the standard request metrics and the hooks that feed them. Options are validated here;
 * nothing afterwards throws. Called again on the same registry with the same options, it records
 * into the same series; with other `labels`, `buckets`, `nativeHistograms`, `maxRoutes`, `maxSeries` or `names` over them, it throws.
 * @example
 * const metrics = createHttpMetrics();
 * const end = metrics.start();
 * // … handle the request …
 * end({ method: 'GET', route: '/users/:id', status: 200 });
 */
export function createHttpMetrics(options?: HttpMetricsOptions): HttpMetrics {
  const o = checkObject(WHERE, options);
  checkKeys(WHERE, o, OPTION_KEYS);
  const registry = (o.registry as Registry | undefined) ?? globalRegistry;
  if (typeof (registry as Partial<Registry>).registerMetric !== 'function') {
    throw optionError(`${WHERE}: "registry" must be a prom-client Registry (new Registry()), got ${describeValue(o.registry)}.`);
  }
  const prefix = checkPrefix(WHERE, o.prefix);
  const naming = checkNaming(WHERE, o.naming);
  const names = requestMetricNames(WHERE, prefix, o.names, naming);
  const buckets = checkBuckets(WHERE, o.buckets, DEFAULT_BUCKETS, 'numbers in seconds, e.g. [0.01, 0.1, 1, 10]');
  const native = checkNativeHistograms(WHERE, o.nativeHistograms);
  checkType(WHERE, 'defaultMetrics', o.defaultMetrics, 'boolean', 'true or false');
  // The registry's static labels (setStaticLabels) first, so these per-metric ones can override them.
  const staticLabels = { ...staticLabelsOf(registry), ...checkRequestLabels(WHERE, o.labels, naming) };
  checkType(WHERE, 'maxRoutes', o.maxRoutes, 'number', 'a whole number of at least 1');
  const maxRoutes = (o.maxRoutes as number | undefined) ?? 500;
  if (!Number.isInteger(maxRoutes) || maxRoutes < 1) throw optionError(`${WHERE}: "maxRoutes" must be a whole number of at least 1, got ${maxRoutes}.`);
  const maxSeries = checkMaxSeries(WHERE, o.maxSeries);
  const excluded = compileExclude(WHERE, o.exclude as HttpMetricsOptions['exclude']);
  const exemplars = checkExemplarsOption(WHERE, o.exemplars);
  const definition = { naming, names, buckets, labels: staticLabels, maxRoutes, maxSeries, ...(native === undefined ? {} : { native }) };
  const existing = existingRequestFamilies(WHERE, registry, definition);
  // Last, once every other option is valid: it may create files in the shared directory.
  applyMultiprocessOption(WHERE, registry, o.multiprocess);

  const families = existing ?? createRequestFamilies(registry, definition);
  if (o.defaultMetrics !== false) registerDefaultMetrics(registry);

  const { duration, requests, slotsFor } = families;
  const arena = duration.arena;
  const inFlight = families.inFlight.get([]).offset;
  const bounds = duration.def.buckets!;
  const classicWidth = 3 + bounds.length;
  // Made at construction, whether or not exemplars are on: an `exemplar` given to `end` or
  // `finish` is recorded either way, and nothing is looked up per request.
  const durationExemplar = exemplarRecorder(arena, duration.def);
  const requestExemplar = requests === undefined ? undefined : exemplarRecorder(arena, requests.def);
  let exemplarErrors: Array<() => void> | undefined;

  /** Counts exemplar labels that cannot be written as values the metrics could not take; the counters are made at the first. */
  function countBadExemplar(): void {
    try {
      exemplarErrors ??= [names.duration, ...(names.requests === undefined ? [] : [names.requests])].map((name) => recordErrors(registry, name).value);
    } catch {
      return;
    }
    for (const count of exemplarErrors) count();
  }

  function begin(): number {
    arena.v[inFlight]! += 1;
    arena.touch(inFlight, 1);
    return performance.now();
  }

  /** Keeps `exemplar` (unchecked, from the app) on the bucket and counter slots a request went to, or counts it as a mistake. */
  function keepExemplar(exemplar: unknown, bucket: number, c: number, seconds: number): void {
    const labels = checkExemplar(exemplar);
    if (labels === undefined) return;
    if (labels === BAD_EXEMPLAR) return countBadExemplar();
    const now = Date.now();
    durationExemplar(bucket, labels, seconds, now);
    if (requestExemplar !== undefined) requestExemplar(c, labels, 1, now);
  }

  function finish(startedAt: number, method: string, route: string | undefined, status: number, exemplar?: ExemplarLabels): void {
    const seconds = (performance.now() - startedAt) / 1000;
    const slots = slotsFor(typeof route === 'string' && route !== '' ? route : UNMATCHED, methodIndex(method), statusCode(status));
    const v = arena.v;
    const h = slots.h;
    const c = slots.c;
    const bucket = bucketSlot(h, bucketIndex(bounds, seconds));
    // A duration is never negative (performance.now() is monotonic): the first slot stays 0.
    v[h + 1]! += seconds;
    v[bucket]! += 1;
    v[inFlight]! -= 1;
    if (native === undefined) arena.touch(h, classicWidth);
    else {
      HELD[0] = seconds;
      observeNativeAt(arena, h, classicWidth, native);
    }
    arena.touch(inFlight, 1);
    // No request counter under naming "otel": the histogram's count is the count.
    if (c >= 0) {
      v[c]! += 1;
      arena.touch(c, 1);
    }
    if (slots.overflow !== undefined) slots.overflow();
    if (exemplar !== undefined) keepExemplar(exemplar, bucket, c, seconds);
  }

  function leave(): void {
    arena.v[inFlight]! -= 1;
    arena.touch(inFlight, 1);
  }

  function exemplarsFrom<Args extends readonly unknown[]>(traceparentOf?: TraceparentOf): ExemplarCapture<Args> | undefined {
    return exemplarCapture<Args>(exemplars, traceparentOf);
  }
  // `start()` has no request to read a header from: the active span, or the function called without arguments.
  const startExemplar = exemplarsFrom<[]>();
  const NO_KEY = {};

  return {
    registry,
    begin,
    finish,
    leave,
    start() {
      const startedAt = begin();
      const taken = startExemplar?.(NO_KEY, []) as ExemplarLabels | undefined;
      let ended = false;
      return function end(result: RequestResult) {
        if (ended) return;
        ended = true;
        finish(startedAt, result?.method, result?.route, result?.status, result?.exemplar ?? taken);
      };
    },
    isExcluded: excluded ?? (() => false),
    exemplarsFrom,
    exemplarMode: exemplars === undefined ? undefined : exemplars === true ? 'trace' : 'function',
    render: (request) => expose(registry, request),
    respond: (request) => respond(registry, request),
  };
}
