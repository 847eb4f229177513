import { checkBuckets, DEFAULT_BUCKETS } from '../../core/buckets.js';
import { checkKeys, checkObject, checkType, optionError } from '../../core/errors.js';
import type { MetricNames, Naming } from '../../core/metric-names.js';
import { checkNaming, checkRequestLabels, requestLabels, requestMetricNames } from '../../core/metric-names.js';
import { checkPrefix } from '../../core/names.js';
import { formatDuration, parseDuration } from './duration.js';
import { SCRAPES_PER_WINDOW, shortestWindow, WORKBOOK_PERIOD } from './workbook.js';

/** What the dashboard, rules and alerts are generated for: the app's metric options and its objectives. */
export interface OpsOptions {
  /**
   * The `prefix` option of `createHttpMetrics` (or of the adapter).
   * @default ""
   */
  prefix?: string;
  /**
   * The `naming` option of `createHttpMetrics`. `"otel"`: the same dashboard, rules and alerts for
   * OpenTelemetry's names, which count requests with the duration histogram's `_count` (with
   * `nativeHistograms`, `histogram_count` of the native histogram).
   * @default "default"
   */
  naming?: Naming;
  /** The `names` option of `createHttpMetrics`. */
  names?: MetricNames;
  /**
   * The app records native histograms (its `nativeHistograms` option) and Prometheus stores them
   * (`--enable-feature=native-histograms`). Prometheus 2.42 then keeps the duration histogram as
   * one native series, without `_bucket`, `_count` and `_sum`: every latency query reads it with
   * `histogram_quantile`, `histogram_fraction`, `histogram_count` and `histogram_sum` instead, and
   * under naming "otel" so does every request count. `latency` need not be a bucket bound then.
   * @default false
   */
  nativeHistograms?: boolean;
  /**
   * The `labels` option of `createHttpMetrics`: every request query selects these values, and the
   * rules keep these labels.
   * @default {}
   */
  labels?: Readonly<Record<string, string>>;
  /**
   * The Prometheus job that scrapes the app. The rules and alerts then cover that job only, and the
   * dashboard's job list offers only it.
   * @default every job with request metrics
   */
  job?: string;
  /**
   * Availability objective, in percent: the share of requests answered without a 5xx.
   * @default 99.9
   */
  availability?: number;
  /**
   * Latency threshold in seconds: a request slower than this counts against the latency objective.
   * It must be one of the histogram's bucket bounds, since only those can be read exactly (with
   * `nativeHistograms`, any number of seconds above 0).
   * @default 0.5
   */
  latency?: number;
  /**
   * Latency objective, in percent: the share of requests faster than `latency`.
   * @default 99
   */
  latencyObjective?: number;
  /**
   * The `buckets` option of `createHttpMetrics`, to check `latency` against.
   * @default DEFAULT_BUCKETS
   */
  buckets?: readonly number[];
  /**
   * The period the objectives hold over. The burn-rate windows and `for` durations scale with it
   * (the usual 1h/5m pair is for 30 days).
   * @default "30d"
   */
  sloPeriod?: string;
  /**
   * How often Prometheus scrapes the app. Every burn-rate window must hold 4 scrapes for `rate()`
   * to answer, so this bounds how short `sloPeriod` may be (24 days at 1 minute, 6 days at 15 s).
   * @default "1m"
   */
  scrapeInterval?: string;
  /**
   * How long a batch job may go without a successful run before it alerts.
   * @default "1d"
   */
  batchMaxAge?: string;
  /**
   * A scrape slower than this, in seconds, on average over 5 minutes, alerts.
   * @default 1
   */
  scrapeSlow?: number;
  /**
   * Where the runbook lives; each alert links to its section (`#` and its name in lower case).
   * The default serves the raw Markdown, where the anchor does not scroll: point it at a rendered
   * copy (your repository's file view, a wiki) to land on the section.
   * @default https://unpkg.com/promhttp/docs/operations.md (the runbook published with the package)
   */
  runbookUrl?: string;
}

/** The options after defaults and checks. */
export interface ResolvedOps {
  readonly naming: Naming;
  /** The duration histogram is stored as a native histogram, without its classic series. */
  readonly native: boolean;
  /** The request metrics' names, prefix applied. */
  readonly names: { readonly duration: string; readonly inFlight: string };
  /**
   * The series that counts requests: the counter, or under naming "otel" the duration histogram's
   * `_count`, or with native histograms the native histogram itself (read with `requestRate`).
   */
  readonly requests: string;
  /**
   * What recording rules, rule groups and the dashboard are named after: the counter without
   * `_total`, or under naming "otel" the duration histogram's name with `_request_duration_seconds`
   * read as `_requests` (`http_server_requests`).
   */
  readonly base: string;
  /** The request metrics' label names. */
  readonly label: { readonly method: string; readonly route: string; readonly status: string };
  readonly labels: Readonly<Record<string, string>>;
  readonly job: string | undefined;
  /** Allowed share of 5xx (1 - availability), as a fraction. */
  readonly errorBudget: number;
  readonly latency: number;
  /** Allowed share of requests slower than `latency`, as a fraction. */
  readonly latencyBudget: number;
  readonly buckets: readonly number[];
  readonly sloPeriodMs: number;
  readonly scrapeIntervalMs: number;
  readonly batchMaxAgeMs: number;
  readonly scrapeSlow: number;
  readonly runbookUrl: string;
}

/** The runbook published with the package (docs/operations.md ships in it), as unpkg serves it. */
export const DEFAULT_RUNBOOK_URL = 'https://unpkg.com/promhttp/docs/operations.md';
const KEYS = ['prefix', 'naming', 'names', 'nativeHistograms', 'labels', 'job', 'availability', 'latency', 'latencyObjective', 'buckets', 'sloPeriod', 'scrapeInterval', 'batchMaxAge', 'scrapeSlow', 'runbookUrl'];
const WHERE = 'promhttp-ops';

/** The share a percentage objective leaves to failures, as a fraction. */
function budget(name: string, value: unknown, fallback: number): number {
  checkType(WHERE, name, value, 'number', 'a percentage between 0 and 100, e.g. 99.9');
  const p = (value as number | undefined) ?? fallback;
  if (!(p > 0 && p < 100)) throw optionError(`${WHERE}: "${name}" must be a percentage above 0 and below 100, e.g. 99.9; got ${p}.`);
  // The budget as the user would write it: (100 - 99.9) / 100 is 0.0009999999999999432 in
  // floating point, and 99.99999 leaves 1.00000000032e-7. The objective's own decimals, two more
  // for the percent, are all the budget has.
  const decimals = /\.(\d+)$/.exec(String(p))?.[1]?.length ?? 0;
  return /e/i.test(String(p)) ? Number(((100 - p) / 100).toPrecision(12)) : Number(((100 - p) / 100).toFixed(decimals + 2));
}

/** The objective's period, checked against the scrape interval: its shortest burn window must hold enough scrapes. */
function sloPeriod(period: unknown, interval: unknown): { sloPeriodMs: number; scrapeIntervalMs: number } {
  const sloPeriodMs = parseDuration(`${WHERE}: "sloPeriod"`, period ?? '30d');
  const scrapeIntervalMs = parseDuration(`${WHERE}: "scrapeInterval"`, interval ?? '1m');
  const shortest = shortestWindow(sloPeriodMs);
  if (shortest < SCRAPES_PER_WINDOW * scrapeIntervalMs) {
    const least = Math.ceil((SCRAPES_PER_WINDOW * scrapeIntervalMs * WORKBOOK_PERIOD) / shortestWindow(WORKBOOK_PERIOD) / 1000) * 1000;
    throw optionError(
      `${WHERE}: "sloPeriod" ${formatDuration(sloPeriodMs)} makes the shortest burn-rate window ${formatDuration(shortest)}, under ${SCRAPES_PER_WINDOW} scrapes ` +
        `of ${formatDuration(scrapeIntervalMs)} ("scrapeInterval"): rate() over it would answer nothing and the alert could not fire. ` +
        `Use an "sloPeriod" of at least ${formatDuration(least)}, or give the real "scrapeInterval" if Prometheus scrapes more often.`,
    );
  }
  return { sloPeriodMs, scrapeIntervalMs };
}

/**
 * The name the request rules and the dashboard go by. A counter loses `_total`, as its rate is
 * recorded. Without one (naming "otel"), the histogram's `_count` would make names that read as a
 * count of counts (`job:http_server_request_duration_seconds_count:rate5m`) and a dashboard uid cut
 * at 40 characters: the requests are named after the histogram instead, `…_request_duration_seconds`
 * becoming `…_requests`, any other name losing its unit.
 */
function baseName(counter: string | undefined, duration: string): string {
  if (counter !== undefined) return counter.slice(0, -'_total'.length);
  return duration.endsWith('_request_duration_seconds') ? `${duration.slice(0, -'_request_duration_seconds'.length)}_requests` : duration.replace(/_seconds$/, '');
}

/** Checks the options and fills in the defaults; throws a `TypeError` starting with `promhttp:`. */
export function resolveOps(options?: OpsOptions): ResolvedOps {
  const o = checkObject(WHERE, options);
  checkKeys(WHERE, o, KEYS);
  const naming = checkNaming(WHERE, o.naming);
  const names = requestMetricNames(WHERE, checkPrefix(WHERE, o.prefix), o.names, naming);
  const labels = checkRequestLabels(WHERE, o.labels, naming);
  checkType(WHERE, 'nativeHistograms', o.nativeHistograms, 'boolean', 'true when the app records native histograms and Prometheus stores them');
  const native = (o.nativeHistograms as boolean | undefined) ?? false;
  // Without a counter (naming "otel"), the histogram counts the same requests: its _count, or the native histogram.
  const requests = names.requests ?? (native ? names.duration : `${names.duration}_count`);
  const [method, route, status] = requestLabels(naming) as [string, string, string];
  checkType(WHERE, 'job', o.job, 'string', 'the job name in your Prometheus configuration, e.g. "checkout"');
  if (o.job === '') throw optionError(`${WHERE}: "job" must not be empty; leave it out to cover every job.`);
  const buckets = checkBuckets(WHERE, o.buckets, DEFAULT_BUCKETS, 'numbers in seconds, e.g. [0.1, 0.5, 1]');
  checkType(WHERE, 'latency', o.latency, 'number', 'a bucket bound in seconds, e.g. 0.5');
  const latency = (o.latency as number | undefined) ?? 0.5;
  if (native ? !(latency > 0) : !buckets.includes(latency)) {
    if (native) throw optionError(`${WHERE}: "latency" must be a number of seconds above 0, e.g. 0.5; got ${latency}.`);
    throw optionError(`${WHERE}: "latency" must be one of the histogram's bucket bounds (${buckets.join(', ')}), got ${latency}. Pick one of them, or add it to "buckets" in the app and here.`);
  }
  checkType(WHERE, 'scrapeSlow', o.scrapeSlow, 'number', 'seconds, e.g. 1');
  const scrapeSlow = (o.scrapeSlow as number | undefined) ?? 1;
  if (!(scrapeSlow > 0)) throw optionError(`${WHERE}: "scrapeSlow" must be a number of seconds above 0, got ${scrapeSlow}.`);
  checkType(WHERE, 'runbookUrl', o.runbookUrl, 'string', 'a URL, e.g. "https://wiki.example.com/promhttp"');
  return {
    naming,
    native,
    names: { duration: names.duration, inFlight: names.inFlight },
    requests,
    base: baseName(names.requests, names.duration),
    label: { method, route, status },
    labels,
    job: o.job as string | undefined,
    errorBudget: budget('availability', o.availability, 99.9),
    latency,
    latencyBudget: budget('latencyObjective', o.latencyObjective, 99),
    buckets,
    ...sloPeriod(o.sloPeriod, o.scrapeInterval),
    batchMaxAgeMs: parseDuration(`${WHERE}: "batchMaxAge"`, o.batchMaxAge ?? '1d'),
    scrapeSlow,
    runbookUrl: (o.runbookUrl as string | undefined) ?? DEFAULT_RUNBOOK_URL,
  };
}
