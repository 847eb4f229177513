import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdapterOptions, ExemplarsOption, RequestToken, RouteMetricsApi, RouteOption } from '../core/adapter/index.js';
import { closedStatus, compileRouteOption, createRouteMetrics, labelStatus, pathOfTarget, resolveAdapterOptions, sendScrape, whenClosed } from '../core/adapter/index.js';
import type { ExpressApp } from './express-route.js';
import { routeTemplates } from './express-route.js';
import type { RequestView } from './express-view.js';
import { inView, viewOf } from './express-view.js';

/** Options of `expressMetrics`: the ones every adapter takes, or `createHttpMetrics` options, and `route`. */
export interface ExpressMetricsOptions extends AdapterOptions {
  /**
   * Computes the request metrics' `route` label from the request and response. `"path"` labels
   * by raw path: one series set per distinct path, capped by `maxRoutes` (see docs/route-metrics.md).
   * @default the matched route's whole template (mount paths and `req.route.path`), else `unmatched`
   * Runs when the response closes, with the request as this middleware saw it (`req.url`,
   * `req.path`, `req.params`, `req.baseUrl`) and `res.statusCode` reading the status recorded.
   * @example (req) => `/${req.originalUrl.split(/[/?]/)[1]}/*` (group by first path segment)
   */
  route?: RouteOption<[req: ExpressRequest, res: ServerResponse]>;
  /**
   * Exemplars on the request metrics: `true` takes the trace id of the active OpenTelemetry span,
   * else of the `traceparent` header; a function gets `(req, res)` as the request starts and
   * returns the labels, or `undefined` (docs/exemplars.md).
   * @default false
   * @example (req) => ({ trace_id: String(req.headers['x-trace-id']) })
   */
  exemplars?: ExemplarsOption<[req: ExpressRequest, res: ServerResponse]>;
}

/**
 * The part of an Express request promhttp reads, declared here so that the published types need
 * neither `express` nor `@types/express`; Express 4 and 5 requests both fit it.
 */
export interface ExpressRequest extends IncomingMessage {
  /** The request target as received, before mounted routers trimmed `url`. */
  readonly originalUrl: string;
  /** The path (no query), relative to the router that runs the current function. */
  readonly path: string;
  /** The route parameters of the current route (and of the mount paths, with `mergeParams`). */
  readonly params: Record<string, string>;
  /** The route that matched: its `path` is the template as written. */
  readonly route?: { readonly path?: unknown };
  /** The application the request is in. */
  readonly app?: unknown;
}

/** An Express middleware, as `app.use()` and the routing methods take it. */
export type ExpressMiddleware = (req: ExpressRequest, res: ServerResponse, next: (error?: unknown) => void) => void;

/** The middleware, with per-route metrics that are route middleware too: `router.get(path, metrics.counter({...}), handler)`. */
export type ExpressMetrics = ExpressMiddleware & RouteMetricsApi<[req: ExpressRequest, res: ServerResponse], ExpressMiddleware>;

/** The `traceparent` header, which exemplars fall back on. */
const traceparentOf = (req: object): unknown => (req as IncomingMessage).headers.traceparent;

/**
 * A route whose own path matches every path (`*`, `/*`, `(.*)` on Express 4; `*name`, `/*name`,
 * `/{*name}` on Express 5): a 404 it sends is a not-found handler's, as NestJS answers under a
 * global prefix (`router.all('*path')` mounted at the prefix).
 */
const CATCH_ALL = /^\/?(?:\*\w*|\{\/?\*\w+\}|\(\.\*\))$/;

/**
 * Records every request and serves the metrics at `path`. Register it first, before your routes
 * and routers, so that it sees every request. Its methods put metrics on single routes
 * (docs/route-metrics.md).
 * @example
 * const app = express();
 * const metrics = expressMetrics();
 * app.use(metrics);
 * app.get('/users/:id', metrics.counter({ name: 'user_reads_total', help: 'User reads.' }), (req, res) => res.json({ id: req.params.id }));
 */
export function expressMetrics(options?: ExpressMetricsOptions): ExpressMetrics {
  const { metrics, path: metricsPath, includeMetricsPath, scrape, own } = resolveAdapterOptions('expressMetrics', options, ['route']);
  const grouping = compileRouteOption<[ExpressRequest, ServerResponse]>('expressMetrics', own.route, (req) => pathOfTarget(req.originalUrl ?? req.url ?? '/'));
  const templateOf = routeTemplates();
  // A route function reads the request, as registerDefault metrics do.
  const readsRequest = typeof own.route === 'function';
  const { api, beginRequest, endRequest, plain } = createRouteMetrics<[req: ExpressRequest, res: ServerResponse], ExpressMiddleware>('expressMetrics', metrics, {
    // At 'close', like the request metrics: the status is the one sent, also after an error handler;
    // the request as this route saw it, however it left the routers.
    metric: (metric) =>
      function promhttpExpressRoute(req, res, next) {
        const end = metric.begin([req, res]);
        const view = viewOf(req);
        whenClosed(res, () => inView(req, res, view, closedStatus(res), end));
        next();
      },
    untracked: (untrack) =>
      function promhttpExpressUntracked(req, _res, next) {
        untrack(req);
        next();
      },
  }, traceparentOf);

  /** `labelled`: the status that decides the label (labelStatus), read before res.statusCode shows the one recorded. */
  function routeOf(req: ExpressRequest, res: ServerResponse, labelled: number, app: unknown): string | undefined {
    if (grouping !== undefined) return grouping(labelled, [req, res]);
    // Runs in a 'close' listener, where a throw would take the process down.
    try {
      const own = req.route?.path;
      if (typeof own === 'string' && CATCH_ALL.test(own) && labelled === 404) return undefined;
      return templateOf(app as ExpressApp | undefined, req.app as ExpressApp | undefined, req.route, req.originalUrl ?? req.url ?? '/');
    } catch {
      return undefined;
    }
  }

  // At 'close' the status is the one Express sent: after its default error handler (err.status,
  // else 500) or the app's own error middleware. A response that did not finish was cut short.
  function recordExpressRequest(token: RequestToken, req: ExpressRequest, res: ServerResponse, app: unknown, view: RequestView | undefined): void {
    const status = closedStatus(res);
    const labelled = labelStatus(res, status);
    if (view === undefined) return endRequest(token, req.method ?? '', routeOf(req, res, labelled, app), status);
    // registerDefault metrics and a route function see the request as this middleware saw it.
    inView(req, res, view, status, () => endRequest(token, req.method ?? '', routeOf(req, res, labelled, app), status));
  }

  function promhttpExpress(req: ExpressRequest, res: ServerResponse, next: (error?: unknown) => void): void {
    const path = pathOfTarget(req.url ?? '/');
    const scrapes = path === metricsPath;
    if (scrapes ? includeMetricsPath : !metrics.isExcluded(path)) {
      const token = plain() ? metrics.begin() : beginRequest(req, [req, res]);
      // A closure per request, not the token on the response as the other adapters do: Express
      // gives every request and response a prototype of its own, and V8 adds a property to such
      // an object slowly (3 µs per request, measured in process; the closure costs a fraction of that).
      // The app the middleware runs in: by 'close', a request answered in a sub-application is in that one.
      const app = req.app;
      const view = readsRequest || typeof token !== 'number' ? viewOf(req) : undefined;
      whenClosed(res, scrapes ? () => endRequest(token, req.method ?? '', metricsPath, closedStatus(res)) : () => recordExpressRequest(token, req, res, app, view));
    }
    if (scrapes) return void sendScrape(scrape, req, res);
    next();
  }
  return Object.assign(promhttpExpress, api);
}

export type { AdapterOptions, HttpMetrics, HttpMetricsOptions } from '../core/adapter/index.js';
