import { checkKeys, checkObject, checkType, optionError } from '../errors.js';
import type { ScrapeRequest, ScrapeResponse } from '../exposition/respond.js';
import type { HttpMetrics, HttpMetricsOptions } from '../http-metrics.js';
import { createHttpMetrics, HTTP_METRICS_OPTION_KEYS } from '../http-metrics.js';
import type { ScrapeAnswerOptions } from '../scrape/answer.js';
import { createScrapeAnswer, SCRAPE_ANSWER_KEYS } from '../scrape/answer.js';

/** Options every adapter takes, on top of `createHttpMetrics`'s (used when `metrics` is absent). */
export interface AdapterOptions extends HttpMetricsOptions, ScrapeAnswerOptions {
  /**
   * Record into these metrics instead of creating new ones, so several servers or adapters can
   * share one set. Cannot be combined with `createHttpMetrics` options.
   */
  metrics?: HttpMetrics;
  /**
   * Where the adapter serves the exposition; `false` serves nothing (use a separate metrics
   * server, or `metricsHandler`).
   * @default "/metrics"
   */
  path?: string | false;
  /**
   * Record scrapes of `path` like any other request.
   * @default false
   */
  includeMetricsPath?: boolean;
}

/** What an adapter needs at request time, resolved once. */
export interface ResolvedAdapterOptions {
  readonly metrics: HttpMetrics;
  /** `undefined` when serving is off. */
  readonly path: string | undefined;
  readonly includeMetricsPath: boolean;
  /**
   * The whole answer to a request for `path`, ready for the framework's response: `auth`, method,
   * scrape protection, negotiation, gzip. Every adapter serves its scrapes through this one
   * function, so all of them answer alike. Give it the request's headers and remote address
   * (`scrapeRequestOf`, `scrapeRequestOfFetch`).
   */
  scrape(request: ScrapeRequest): Promise<ScrapeResponse>;
  /** The adapter's own options, as given. */
  readonly own: Record<string, unknown>;
}

const ADAPTER_KEYS = ['metrics', 'path', 'includeMetricsPath'];

/**
 * Validates an adapter's options and creates (or reuses) its metrics. For adapter authors: every
 * adapter resolves its options here, so all of them accept and reject the same things.
 */
export function resolveAdapterOptions(where: string, options: unknown, ownKeys: readonly string[] = []): ResolvedAdapterOptions {
  const o = checkObject(where, options);
  checkKeys(where, o, [...ADAPTER_KEYS, ...SCRAPE_ANSWER_KEYS, ...ownKeys, ...HTTP_METRICS_OPTION_KEYS]);
  const path = o.path ?? '/metrics';
  if (path !== false && (typeof path !== 'string' || !path.startsWith('/'))) {
    throw optionError(`${where}: "path" must be a path starting with "/" (e.g. "/metrics") or false, got ${JSON.stringify(path)}.`);
  }
  checkType(where, 'includeMetricsPath', o.includeMetricsPath, 'boolean', 'true or false');
  const own: Record<string, unknown> = {};
  const core: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(o)) {
    if (ownKeys.includes(key)) own[key] = value;
    else if (HTTP_METRICS_OPTION_KEYS.includes(key)) core[key] = value;
  }
  let metrics = o.metrics as HttpMetrics | undefined;
  if (metrics !== undefined) {
    if (typeof metrics.begin !== 'function' || typeof metrics.finish !== 'function') {
      throw optionError(`${where}: "metrics" must come from createHttpMetrics().`);
    }
    const clash = Object.keys(core);
    if (clash.length > 0) {
      throw optionError(`${where}: "${clash[0]}" configures new metrics, but "metrics" passes existing ones. Give it to createHttpMetrics() instead.`);
    }
  } else {
    metrics = createHttpMetrics(core as HttpMetricsOptions);
  }
  // Checked even when nothing is served here: the options are still wrong.
  const scrape = createScrapeAnswer(where, metrics.registry, { auth: o.auth as ScrapeAnswerOptions['auth'], scrape: o.scrape as ScrapeAnswerOptions['scrape'] });
  return { metrics, path: path === false ? undefined : (path as string), includeMetricsPath: o.includeMetricsPath === true, scrape, own };
}
