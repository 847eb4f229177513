import type { Registry } from 'prom-client';
import { checkKeys, checkObject, describeValue, optionError } from '../errors.js';
import type { ScrapeRequest, ScrapeResponse } from '../exposition/respond.js';
import { expositionAnswer, plainAnswer, refuseMethod } from '../exposition/respond.js';
import { acceptsGzip, negotiate } from '../exposition/render.js';
import type { Format } from '../exposition/format.js';
import { ScrapeAbandoned, renderUnderWay, sharedExposition } from '../exposition/shared.js';
import type { AuthOption } from './auth.js';
import { compileAuth } from './auth.js';
import { rejectionCounter } from './rejected.js';

/** Limits on the work scrapes may cause. */
export interface ScrapeProtection {
  /**
   * Renders running at the same time; a scrape that would start one more is answered 503 at once,
   * with `Retry-After`. A scrape that asks for the same format and encoding as a render under way
   * joins it and takes no slot: fifty identical scrapes cost one render and are all answered. A
   * render whose scrapes all timed out keeps its slot until it has stopped (at its next slice).
   * @default 10
   */
  maxInFlight?: number;
  /**
   * The longest a scrape may take, in milliseconds; a scrape that cannot be rendered in time is
   * answered 503 instead of with a body its scraper would throw away. Prometheus says how long it
   * waits in `X-Prometheus-Scrape-Timeout-Seconds`, which applies when it is shorter. At most
   * 2147483647 (about 24.8 days, the longest a timer can wait); a header beyond that sets no deadline.
   * @default none (only Prometheus's header)
   */
  timeoutMs?: number;
}

/** Who may scrape and how much scraping a server accepts: options of every adapter, `metricsHandler` and `startMetricsServer`. */
export interface ScrapeAnswerOptions {
  /**
   * Credentials a scrape must bring. Without them (or with wrong ones) it is answered 401 with a
   * `WWW-Authenticate` challenge, or 403 when an `auth` function refuses it; the metrics stay closed.
   * @default none: anyone who reaches the endpoint can read it
   */
  auth?: AuthOption;
  /** Scrape protection: concurrency and time limits. */
  scrape?: ScrapeProtection;
}

/** The option names `createScrapeAnswer` reads, for entry points that check their keys. */
export const SCRAPE_ANSWER_KEYS: readonly string[] = ['auth', 'scrape'];

const TIMEOUT_HEADER = 'x-prometheus-scrape-timeout-seconds';
/** The longest delay a timer holds (2^31 − 1 ms, about 24.8 days); Node fires a longer one after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function positive(where: string, name: string, value: unknown, fallback: number | undefined, whole: boolean): number | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || value === Infinity || (whole && !Number.isInteger(value))) {
    throw optionError(`${where}: "scrape.${name}" must be a ${whole ? 'whole number of at least 1' : 'positive number of milliseconds'}, got ${describeValue(value)}.`);
  }
  if (!whole && value > MAX_TIMER_MS) {
    throw optionError(`${where}: "scrape.${name}" must be at most ${MAX_TIMER_MS} ms (about 24.8 days, the longest a timer can wait), got ${value}; leave it out for no deadline.`);
  }
  return value;
}

/**
 * The time a scrape may take, in ms: the shorter of `timeoutMs` and what the scraper said it
 * waits, less a tenth (at most half a second), so that the refusal still reaches it in time. A
 * scraper that says it waits longer than a timer can hold sets no deadline: taken literally, the
 * timer would fire at once and refuse every scrape.
 */
function deadlineOf(request: ScrapeRequest, timeoutMs: number | undefined): number | undefined {
  const seconds = Number(firstHeader(request, TIMEOUT_HEADER));
  const ms = seconds > 0 && Number.isFinite(seconds) ? seconds * 1000 - Math.min(500, seconds * 100) : undefined;
  const fromHeader = ms !== undefined && ms <= MAX_TIMER_MS ? ms : undefined;
  if (fromHeader === undefined) return timeoutMs;
  return timeoutMs === undefined ? fromHeader : Math.min(fromHeader, timeoutMs);
}

/**
 * The whole answer to a scrape of `registry`, with the `auth` and `scrape` options applied:
 * credentials first (a refused scrape learns nothing, not even the allowed methods), then the
 * method, then the concurrency limit, then the render, shared with concurrent scrapes of the
 * same format and bounded by the scrape's deadline. Refusals are counted in
 * `promhttp_scrape_rejected_total{reason}`. Validates the options now; the answer never rejects.
 */
export function createScrapeAnswer(where: string, registry: Registry, options: ScrapeAnswerOptions = {}): (request: ScrapeRequest) => Promise<ScrapeResponse> {
  const auth = compileAuth(where, options.auth);
  const limits = checkObject(`${where}: "scrape"`, options.scrape);
  checkKeys(`${where}: "scrape"`, limits, ['maxInFlight', 'timeoutMs']);
  const maxInFlight = positive(where, 'maxInFlight', limits.maxInFlight, 10, true)!;
  const timeoutMs = positive(where, 'timeoutMs', limits.timeoutMs, undefined, false);
  const rejected = rejectionCounter(registry, auth !== undefined);
  /** Renders this answer started that have not stopped yet, abandoned ones included: the work maxInFlight bounds. */
  let running = 0;
  function started(stopped: Promise<unknown>): void {
    running++;
    void stopped.then(() => void running--);
  }

  async function render(request: ScrapeRequest, format: Format, gzip: boolean): Promise<ScrapeResponse> {
    const head = request.method === 'HEAD';
    const deadline = deadlineOf(request, timeoutMs);
    if (deadline === undefined) return expositionAnswer(await sharedExposition(registry, format, gzip, undefined, started), head);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), deadline);
    try {
      return expositionAnswer(await sharedExposition(registry, format, gzip, controller.signal, started), head);
    } catch (error) {
      if (!(error instanceof ScrapeAbandoned)) throw error;
      rejected('timeout');
      return plainAnswer(503, `the metrics could not be rendered within the scrape timeout (${Math.round(deadline)} ms).`, { 'retry-after': '1' });
    } finally {
      clearTimeout(timer);
    }
  }

  return async function answerScrape(request: ScrapeRequest): Promise<ScrapeResponse> {
    if (auth !== undefined) {
      const refusal = await auth(request);
      if (refusal !== undefined) {
        rejected('unauthorized');
        return refusal.status === 401
          ? plainAnswer(401, 'credentials are required to read the metrics.', { 'www-authenticate': refusal.challenge! })
          : plainAnswer(403, 'this client may not read the metrics.');
      }
    }
    const wrongMethod = refuseMethod(request.method);
    if (wrongMethod !== undefined) return wrongMethod;
    const format = negotiate(request.accept ?? firstHeader(request, 'accept'));
    const gzip = acceptsGzip(request.acceptEncoding ?? firstHeader(request, 'accept-encoding'));
    // Checked and started in one go, with no await between: the count cannot change in between.
    if (running >= maxInFlight && !renderUnderWay(registry, format, gzip)) {
      rejected('max_in_flight');
      return plainAnswer(503, `${running} renders are running already (scrape.maxInFlight); try again shortly.`, { 'retry-after': '1' });
    }
    try {
      return await render(request, format, gzip);
    } catch (error) {
      return plainAnswer(500, error instanceof Error ? error.message : String(error));
    }
  };
}

function firstHeader(request: ScrapeRequest, name: string): string | undefined {
  const value = request.headers?.[name];
  return typeof value === 'string' ? value : value?.[0];
}
