import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { AdapterOptions } from '../core/index.js';
import { CLIENT_CLOSED, UNMATCHED, normalizePath, optionError, resolveAdapterOptions, sendScrape } from '../core/index.js';

export interface NodeMetricsOptions extends AdapterOptions {
  /**
   * Computes the route label from the request, e.g. from your router's match. Without it, the
   * path is normalised (`/users/42` → `/users/:id`) and every 404 is labelled `unmatched`.
   */
  route?: (req: IncomingMessage) => string | undefined;
}

/** The path part of a request target, without allocating when there is no query. */
function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/**
 * Wraps an `http.createServer` request listener: records every request and serves `/metrics`.
 * @example
 * http.createServer(instrument((req, res) => res.end('hi'))).listen(3000);
 */
export function instrument<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse<Req> = ServerResponse<Req>>(
  listener: RequestListener<typeof IncomingMessage, typeof ServerResponse> | ((req: Req, res: Res) => void),
  options?: NodeMetricsOptions,
): (req: Req, res: Res) => void {
  if (typeof listener !== 'function') throw optionError('instrument: the first argument must be your request listener, (req, res) => { … }.');
  const { metrics, path: metricsPath, includeMetricsPath, own } = resolveAdapterOptions('instrument', options, ['route']);
  const routeOf = own.route as NodeMetricsOptions['route'];
  if (routeOf !== undefined && typeof routeOf !== 'function') throw optionError('instrument: "route" must be a function (req) => string.');
  const handle = listener as (req: Req, res: Res) => void;

  function labelRoute(req: Req, status: number): string | undefined {
    if (routeOf === undefined) return status === 404 ? UNMATCHED : normalizePath(req.url);
    try {
      return routeOf(req);
    } catch {
      return UNMATCHED;
    }
  }

  return function promhttpInstrumented(req: Req, res: Res): void {
    const url = req.url ?? '/';
    const path = pathOf(url);
    if (path === metricsPath) {
      if (!includeMetricsPath) return void sendScrape(metrics.registry, req, res);
    } else if (metrics.isExcluded(path)) {
      return handle(req, res);
    }
    const startedAt = metrics.begin();
    res.once('close', function recordRequest() {
      const status = res.writableFinished ? res.statusCode : CLIENT_CLOSED;
      metrics.finish(startedAt, req.method ?? '', labelRoute(req, status), status);
    });
    if (path === metricsPath) return void sendScrape(metrics.registry, req, res);
    handle(req, res);
  };
}

export type { HttpMetrics, HttpMetricsOptions, AdapterOptions } from '../core/index.js';
