import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdapterOptions, ExemplarsOption, RequestToken, RouteMetricsApi, RouteOption } from '../core/adapter/index.js';
import { UNMATCHED, asRecorded, closedStatus, compileRouteOption, createRouteMetrics, labelStatus, normalizePath, optionError, resolveAdapterOptions, sendScrape, whenClosed } from '../core/adapter/index.js';

export interface NodeMetricsOptions extends AdapterOptions {
  /**
   * Computes the route label from the request, e.g. from your router's match. `"path"` labels by
   * raw path: one series set per distinct path, capped by `maxRoutes` (see docs/route-metrics.md).
   * @default the path normalised (`/users/42` → `/users/:id`), every 404 labelled `unmatched`
   * @example (req) => router.match(req)?.template
   */
  route?: RouteOption<[req: IncomingMessage]>;
  /**
   * Exemplars on the request metrics: `true` takes the trace id of the active OpenTelemetry span,
   * else of the `traceparent` header; a function gets `(req, res)` as the request starts and
   * returns the labels, or `undefined` (docs/exemplars.md).
   * @default false
   * @example (req) => ({ trace_id: String(req.headers['x-trace-id']) })
   */
  exemplars?: ExemplarsOption<[req: IncomingMessage, res: ServerResponse]>;
}

/** Puts metrics around one route's handler: `metrics.counter({...})(handler)`; an async handler's promise passes through. */
export type NodeRouteWrapper<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse<Req> = ServerResponse<Req>> = <R>(
  handler: (req: Req, res: Res) => R,
) => (req: Req, res: Res) => R;

/** The instrumented listener, with per-route metrics whose label functions get `(req, res)`. */
export type InstrumentedListener<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse<Req> = ServerResponse<Req>> = ((req: Req, res: Res) => void) &
  RouteMetricsApi<[req: Req, res: Res], NodeRouteWrapper<Req, Res>>;

/** The `traceparent` header, which exemplars fall back on. */
const traceparentOf = (req: object): unknown => (req as IncomingMessage).headers.traceparent;

/** The path part of a request target, without allocating when there is no query. */
function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/**
 * Wraps an `http.createServer` request listener: records every request and serves `/metrics`.
 * Its methods wrap single route handlers in metrics (docs/route-metrics.md).
 * @example
 * http.createServer(instrument((req, res) => res.end('hi'))).listen(3000);
 * @example
 * const app = instrument(router);
 * const getUser = app.counter({ name: 'user_reads_total', help: 'User reads.', labels: { status: (req, res) => String(res.statusCode) } })(readUser);
 */
export function instrument<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse<Req> = ServerResponse<Req>>(
  // One plain signature, not a union with RequestListener: a union would leave an inline
  // listener's (req, res) untyped. A RequestListener still fits it.
  listener: (req: Req, res: Res) => void,
  options?: NodeMetricsOptions,
): InstrumentedListener<Req, Res> {
  if (typeof listener !== 'function') throw optionError('instrument: the first argument must be your request listener, (req, res) => { … }.');
  const { metrics, path: metricsPath, includeMetricsPath, scrape, own } = resolveAdapterOptions('instrument', options, ['route']);
  const routeOf = compileRouteOption<[Req]>('instrument', own.route, (req) => pathOf(req.url ?? '/'));
  const handle = listener;
  const { api, beginRequest, endRequest, plain } = createRouteMetrics<[req: Req, res: Res], NodeRouteWrapper<Req, Res>>('instrument', metrics, {
    metric: (metric) => (handler) =>
      function promhttpRoute(req, res) {
        // 'close' comes after the last byte or when the response was cut short, whoever answered (or
        // failed to); res.statusCode then reads the status recorded (499 for a client that left).
        const end = metric.begin([req, res]);
        whenClosed(res, function recordRoute() {
          asRecorded(this, closedStatus(this), end);
        });
        return handler(req, res);
      },
    untracked: (untrack) => (handler) =>
      function promhttpUntracked(req, res) {
        untrack(req);
        return handler(req, res);
      },
  }, traceparentOf);

  // The request's token rides on its response, so that one listener serves every request.
  const TOKEN = Symbol('promhttp.request');
  type Tracked = Res & { [TOKEN]: RequestToken };

  function recordRequest(this: Tracked): void {
    const req = this.req;
    const status = closedStatus(this);
    const labelled = labelStatus(this, status);
    const route = routeOf !== undefined ? routeOf(labelled, [req]) : labelled === 404 ? UNMATCHED : normalizePath(req.url);
    const token = this[TOKEN];
    if (typeof token === 'number') return endRequest(token, req.method ?? '', route, status);
    // registerDefault metrics read res.statusCode: the status recorded.
    asRecorded(this, status, () => endRequest(token, req.method ?? '', route, status));
  }

  function promhttpInstrumented(req: Req, res: Res): void {
    const url = req.url ?? '/';
    const path = pathOf(url);
    if (path === metricsPath) {
      if (!includeMetricsPath) return void sendScrape(scrape, req, res);
    } else if (metrics.isExcluded(path)) {
      return handle(req, res);
    }
    (res as Tracked)[TOKEN] = plain() ? metrics.begin() : beginRequest(req, [req, res]);
    // 'close' comes after the last byte, or when the client or the server cut the response short.
    whenClosed(res as Tracked, recordRequest);
    if (path === metricsPath) return void sendScrape(scrape, req, res);
    handle(req, res);
  }
  return Object.assign(promhttpInstrumented, api);
}

export type { HttpMetrics, HttpMetricsOptions, AdapterOptions } from '../core/adapter/index.js';
