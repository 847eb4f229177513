// The names of everything promhttp records, in one place: the metrics use them, and so do the
// dashboard, recording rules and alerts generated for them (`promhttp-ops`). This file imports
// nothing but option checks, so the generator can carry it without prom-client.
import { checkKeys, checkObject, describeValue, optionError } from './errors.js';
import { checkLabelName, checkMetricName } from './names.js';

/** Names of the request metrics, before `prefix` is applied. */
export interface MetricNames {
  /**
   * The request counter; ends in `_total`, as every counter name does. Not under `naming: "otel"`,
   * which records no counter.
   * @default "http_requests_total"
   */
  requests?: string;
  /** @default "http_request_duration_seconds" ("http_server_request_duration_seconds" under `naming: "otel"`) */
  duration?: string;
  /** @default "http_requests_in_flight" ("http_server_active_requests" under `naming: "otel"`) */
  inFlight?: string;
}

/** The request metrics' names when neither `prefix` nor `names` is given. */
export const DEFAULT_METRIC_NAMES: Readonly<Required<MetricNames>> = Object.freeze({
  requests: 'http_requests_total',
  duration: 'http_request_duration_seconds',
  inFlight: 'http_requests_in_flight',
});

/** The labels of the request counter and histogram, in this order (the in-flight gauge has none). */
export const REQUEST_LABELS = Object.freeze(['method', 'route', 'status_code'] as const);

/**
 * How the request metrics are named. `default`: promhttp's (and most Prometheus clients') names.
 * `otel`: OpenTelemetry's stable HTTP server metrics as Prometheus writes them, which have no
 * request counter (the histogram's `_count` is the count).
 */
export type Naming = 'default' | 'otel';

/** `http.server.request.duration` and `http.server.active_requests`, as Prometheus names them. */
export const OTEL_METRIC_NAMES = Object.freeze({
  duration: 'http_server_request_duration_seconds',
  inFlight: 'http_server_active_requests',
});

/**
 * OpenTelemetry's `error.type`, on the duration histogram's series of failed requests (5xx) only:
 * the label is left out of every other series (see `renderLabels`).
 */
export const OTEL_ERROR_LABEL = 'error_type';

/** The duration histogram's labels under `naming: 'otel'`, in this order. */
export const OTEL_REQUEST_LABELS = Object.freeze(['http_request_method', 'http_route', 'http_response_status_code', OTEL_ERROR_LABEL] as const);

/** The request metrics' label names under a naming, in order: method, route, status (and error type). */
export function requestLabels(naming: Naming): readonly string[] {
  return naming === 'otel' ? OTEL_REQUEST_LABELS : REQUEST_LABELS;
}

/** The request metrics' names, prefix applied; no request counter under `naming: 'otel'`. */
export interface RequestNames {
  readonly requests: string | undefined;
  readonly duration: string;
  readonly inFlight: string;
}

/** Checks a `naming` option: `"default"` or `"otel"`. */
export function checkNaming(where: string, naming: unknown): Naming {
  if (naming === undefined || naming === 'default' || naming === 'otel') return naming ?? 'default';
  throw optionError(`${where}: "naming" must be "default" (http_requests_total, http_request_duration_seconds, http_requests_in_flight) or "otel" (OpenTelemetry's http_server_request_duration_seconds and http_server_active_requests), got ${describeValue(naming)}.`);
}

/** The label that keeps process metrics apart in multi-process mode (PM2's instance, `PROMHTTP_WORKER`). */
export const WORKER_LABEL = 'worker';

/** promhttp's metrics about itself. */
export const HEALTH_METRICS = Object.freeze({
  /** Counter, label `metric`: record calls with wrong labels (recorded as `__invalid__`). */
  labelErrors: 'promhttp_label_errors_total',
  /** Counter, label `metric`: values a metric cannot take (dropped). */
  valueErrors: 'promhttp_value_errors_total',
  /** Gauge, label `state` (`live`, `dead`): processes with files in the multi-process directory. */
  processes: 'promhttp_multiprocess_processes',
  /** Counter, label `metric`: samples that went to a metric's overflow series past its series limit. */
  seriesOverflow: 'promhttp_series_overflow_total',
  /** Counter, label `file` (`meta`, `values`, `snapshot`, `archive`): files in the multi-process directory a scrape could not read, once per scrape. */
  readErrors: 'promhttp_multiprocess_read_errors_total',
  /** Counter: failed writes of a process's own file in the multi-process directory. */
  writeErrors: 'promhttp_multiprocess_write_errors_total',
  /** Counter, label `reason`: scrapes answered 503 instead of rendered. */
  scrapeRejected: 'promhttp_scrape_rejected_total',
});

/** What `runJob` pushes for a batch job. */
export const JOB_METRICS = Object.freeze({
  /** Summary (`_count`, `_sum`): one observation per run. */
  duration: 'job_duration_seconds',
  lastSuccess: 'job_last_success_timestamp_seconds',
  lastFailure: 'job_last_failure_timestamp_seconds',
  failures: 'job_failures_total',
  recordsTotal: 'job_records_processed_total',
  lastRecords: 'job_last_records_processed',
});

/**
 * The request metric names for a `prefix` (already checked) and `names` option, validated:
 * `where` starts each error message. Under `naming: 'otel'` the defaults are OpenTelemetry's and
 * there is no request counter to name.
 */
export function requestMetricNames(where: string, prefix: string, names: unknown, naming: Naming = 'default'): RequestNames {
  const object = checkObject(`${where}: "names"`, names);
  if (naming === 'otel' && object.requests !== undefined) {
    throw optionError(
      `${where}: "names.requests" names the request counter, which naming "otel" does not record: OpenTelemetry counts requests in the duration histogram's _count (${prefix}${OTEL_METRIC_NAMES.duration}_count). Leave "names.requests" out.`,
    );
  }
  const defaults: Readonly<Required<MetricNames>> = naming === 'otel' ? { ...OTEL_METRIC_NAMES, requests: '' } : DEFAULT_METRIC_NAMES;
  checkKeys(`${where}: "names"`, object, Object.keys(DEFAULT_METRIC_NAMES));
  const pick = (key: keyof MetricNames): string => checkMetricName(`${where}: "names.${key}"`, prefix + ((object[key] as string | undefined) ?? defaults[key]));
  const result = { requests: naming === 'otel' ? undefined : pick('requests'), duration: pick('duration'), inFlight: pick('inFlight') };
  const given = [result.requests, result.duration, result.inFlight].filter((name) => name !== undefined);
  if (new Set(given).size !== given.length) throw optionError(`${where}: "names" must give ${given.length === 3 ? 'three' : 'two'} different names, got ${given.join(', ')}.`);
  // OpenMetrics exposes a counter's samples as <family>_total: any other name would differ between the two formats.
  if (result.requests !== undefined && !result.requests.endsWith('_total')) {
    throw optionError(`${where}: "names.requests" must end in "_total", as counter names do; write "${result.requests.slice(prefix.length)}_total".`);
  }
  return result;
}

/** Checks the constant labels of the request metrics (the `labels` option). */
export function checkRequestLabels(where: string, labels: unknown, naming: Naming = 'default'): Readonly<Record<string, string>> {
  const object = checkObject(`${where}: "labels"`, labels);
  for (const [name, value] of Object.entries(object)) {
    checkLabelName(`${where}: "labels"`, name);
    if ([...requestLabels(naming), 'le'].includes(name)) {
      throw optionError(`${where}: "labels" cannot set "${name}", which promhttp sets on every request. Pick another name.`);
    }
    if (typeof value !== 'string') throw optionError(`${where}: "labels.${name}" must be a string, got ${describeValue(value)}.`);
  }
  return Object.freeze({ ...(object as Record<string, string>) });
}
