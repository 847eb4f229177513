import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { register as globalRegistry } from 'prom-client';
import { checkKeys, checkObject, describeValue, optionError } from '../errors.js';
import type { ScrapeRequest, ScrapeResponse } from '../exposition/respond.js';
import type { HttpMetrics } from '../http-metrics.js';
import type { ScrapeAnswerOptions } from './answer.js';
import { createScrapeAnswer, SCRAPE_ANSWER_KEYS } from './answer.js';

export interface MetricsHandlerOptions extends ScrapeAnswerOptions {
  /** Serve the registry of these metrics. */
  metrics?: HttpMetrics;
  /**
   * Serve this registry (when `metrics` is not given).
   * @default prom-client's global `register`
   */
  registry?: Registry;
}

/** The scrape request a node:http request describes. */
export function scrapeRequestOf(req: IncomingMessage): ScrapeRequest {
  return { method: req.method ?? 'GET', accept: req.headers.accept, acceptEncoding: req.headers['accept-encoding'], headers: req.headers, remoteAddress: req.socket?.remoteAddress };
}

/** Answers a scrape on a node:http response with `scrape` (an adapter's resolved `scrape`); never throws. */
export async function sendScrape(scrape: (request: ScrapeRequest) => Promise<ScrapeResponse>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const answer = await scrape(scrapeRequestOf(req));
    if (res.headersSent || res.destroyed) return;
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  } catch (error) {
    if (!res.headersSent && !res.destroyed) {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`promhttp: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  }
}

/**
 * A node:http request handler that serves the metrics, whatever path it is mounted on.
 * @example
 * http.createServer(metricsHandler()).listen(9464, '127.0.0.1');
 */
export function metricsHandler(options?: MetricsHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const o = checkObject('metricsHandler', options);
  checkKeys('metricsHandler', o, ['metrics', 'registry', ...SCRAPE_ANSWER_KEYS]);
  if (o.metrics !== undefined && o.registry !== undefined) {
    throw optionError('metricsHandler: give "metrics" or "registry", not both (metrics.registry is what gets served).');
  }
  const registry = (o.metrics as HttpMetrics | undefined)?.registry ?? (o.registry as Registry | undefined) ?? globalRegistry;
  if (typeof (registry as Partial<Registry>).getMetricsAsArray !== 'function') {
    throw optionError(`metricsHandler: "registry" must be a prom-client Registry, got ${describeValue(o.registry)}.`);
  }
  const scrape = createScrapeAnswer('metricsHandler', registry, o as ScrapeAnswerOptions);
  return function promhttpMetricsHandler(req, res) {
    void sendScrape(scrape, req, res);
  };
}
