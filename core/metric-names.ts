// The names of everything promhttp records, in one place: the metrics use them, and so do the
// dashboard, recording rules and alerts generated for them (`promhttp-ops`). This file imports
// nothing but option checks, so the generator can carry it without prom-client.
import { checkKeys, checkObject, describeValue, optionError } from './errors.js';
import { checkLabelName, checkMetricName } from './names.js';

/** Names of the request metrics, before `prefix` is applied. */
export interface MetricNames {
  /**
   * The request counter; ends in `_total`, as every counter name does.
   * @default "http_requests_total"
   */
  requests?: string;
  /** @default "http_request_duration_seconds" */
  duration?: string;
  /** @default "http_requests_in_flight" */
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
 * `where` starts each error message.
 */
export function requestMetricNames(where: string, prefix: string, names: unknown): Required<MetricNames> {
  const object = checkObject(`${where}: "names"`, names);
  checkKeys(`${where}: "names"`, object, Object.keys(DEFAULT_METRIC_NAMES));
  const pick = (key: keyof MetricNames): string =>
    checkMetricName(`${where}: "names.${key}"`, prefix + ((object[key] as string | undefined) ?? DEFAULT_METRIC_NAMES[key]));
  const result = { requests: pick('requests'), duration: pick('duration'), inFlight: pick('inFlight') };
  if (new Set(Object.values(result)).size !== 3) throw optionError(`${where}: "names" must give three different names, got ${Object.values(result).join(', ')}.`);
  // OpenMetrics exposes a counter's samples as <family>_total: any other name would differ between the two formats.
  if (!result.requests.endsWith('_total')) {
    throw optionError(`${where}: "names.requests" must end in "_total", as counter names do; write "${result.requests.slice(prefix.length)}_total".`);
  }
  return result;
}

/** Checks the constant labels of the request metrics (the `labels` option). */
export function checkRequestLabels(where: string, labels: unknown): Readonly<Record<string, string>> {
  const object = checkObject(`${where}: "labels"`, labels);
  for (const [name, value] of Object.entries(object)) {
    checkLabelName(`${where}: "labels"`, name);
    if ([...REQUEST_LABELS, 'le'].includes(name)) {
      throw optionError(`${where}: "labels" cannot set "${name}", which promhttp sets on every request. Pick another name.`);
    }
    if (typeof value !== 'string') throw optionError(`${where}: "labels.${name}" must be a string, got ${describeValue(value)}.`);
  }
  return Object.freeze({ ...(object as Record<string, string>) });
}
