import type { IncomingMessage } from 'node:http';
import type { AdapterOptions, ClosedResponse, ClosingResponse, ExemplarsOption, RequestToken, RouteMetricsApi, RouteOption } from '../core/adapter/index.js';
import { asRecorded, closedStatus, compileRouteOption, createRouteMetrics, labelStatus, resolveAdapterOptions, scrapeRequestOf, whenClosed } from '../core/adapter/index.js';

/** Options of `koaMetrics`: the ones every adapter takes, or `createHttpMetrics` options, and `route`. */
export interface KoaMetricsOptions extends AdapterOptions {
  /**
   * Computes the request metrics' `route` label from the context. `"path"` labels by raw path:
   * one series set per distinct path, capped by `maxRoutes` (see docs/route-metrics.md).
   * @default the router's template (`ctx._matchedRoute`), else `unmatched`
   * @example (ctx) => `/${ctx.path.split('/')[1]}/*` (group by first path segment)
   */
  route?: RouteOption<[ctx: KoaRouteContext]>;
  /**
   * Exemplars on the request metrics: `true` takes the trace id of the active OpenTelemetry span,
   * else of the `traceparent` header; a function gets `ctx` as the request starts and returns the
   * labels, or `undefined` (docs/exemplars.md).
   * @default false
   * @example (ctx) => ({ trace_id: ctx.state.traceId })
   */
  exemplars?: ExemplarsOption<[ctx: KoaRouteContext]>;
}

/**
 * The part of a Koa context the middleware touches. Declared here rather than imported so that
 * the published types need neither `koa` nor `@types/koa`; Koa 2 and 3 contexts both fit it.
 */
export interface KoaMetricsContext {
  readonly method: string;
  readonly path: string;
  status: number;
  body: unknown;
  get(field: string): string;
  set(field: string, value: string): void;
  /** node:http's request: its headers and socket serve `auth`. */
  readonly req: IncomingMessage;
  readonly res: ClosedResponse & ClosingResponse;
  /** The route template, set by `@koa/router` and `koa-router` (a RegExp for RegExp routes). */
  readonly _matchedRoute?: string | RegExp | undefined;
}

/** The context label functions get: a Koa context, with the router's `params`, the app's `state` and the response. */
export interface KoaRouteContext extends KoaMetricsContext {
  readonly params: Readonly<Record<string, string>>;
  readonly state: Record<string, unknown>;
  readonly response: { readonly status: number; get(field: string): unknown };
}

/** A Koa middleware: `app.use(koaMetrics())`. */
export type KoaMetricsMiddleware = (ctx: KoaMetricsContext, next: () => Promise<unknown>) => Promise<unknown>;

/** The middleware, with per-route metrics that are middleware too: `router.get(path, metrics.counter({...}), handler)`. */
export type KoaMetrics = KoaMetricsMiddleware & RouteMetricsApi<[ctx: KoaRouteContext], KoaMetricsMiddleware>;

/** Koa parses the path lazily and throws on some absolute-form targets (`GET http://[::1 HTTP/1.1`). */
function pathOf(ctx: KoaMetricsContext): string | undefined {
  try {
    return ctx.path;
  } catch {
    return undefined;
  }
}

/** The `traceparent` header, which exemplars fall back on. */
const traceparentOf = (ctx: object): unknown => (ctx as KoaMetricsContext).req.headers.traceparent;

function routeOf(route: unknown): string | undefined {
  if (typeof route === 'string') return route;
  return route instanceof RegExp ? String(route) : undefined;
}

/**
 * Records every request that passes through it and serves the metrics at `path`. Put it first,
 * before the router, so that it sees every request and every error.
 * Its methods put metrics on single routes (docs/route-metrics.md).
 * @example
 * const app = new Koa();
 * const metrics = koaMetrics();
 * app.use(metrics);
 * router.get('/c/:id', metrics.counter({ name: 'c_total', help: 'Hits by c.', labels: { c: (ctx) => ctx.params.id } }), handler);
 * app.use(router.routes());
 */
export function koaMetrics(options?: KoaMetricsOptions): KoaMetrics {
  const { metrics, path: metricsPath, includeMetricsPath, scrape, own } = resolveAdapterOptions('koaMetrics', options, ['route']);
  const grouping = compileRouteOption<[KoaMetricsContext]>('koaMetrics', own.route, pathOf);
  const { api, beginRequest, endRequest, plain } = createRouteMetrics<[ctx: KoaRouteContext], KoaMetricsMiddleware>('koaMetrics', metrics, {
    // At 'close', like the request metrics: the status is the one sent, also after a throw.
    metric: (metric) =>
      function promhttpKoaRoute(ctx, next) {
        const end = metric.begin([ctx as KoaRouteContext]);
        // ctx.status then reads the status recorded (499 for a client that left).
        whenClosed(ctx.res, function recordKoaRoute() {
          asRecorded(this, closedStatus(this), end);
        });
        return next();
      },
    untracked: (untrack) =>
      function promhttpKoaUntracked(ctx, next) {
        untrack(ctx);
        return next();
      },
  }, traceparentOf);

  // The request's context and token ride on its response, so that one listener serves every request.
  const CTX = Symbol('promhttp.ctx');
  const TOKEN = Symbol('promhttp.request');
  type Tracked = KoaMetricsContext['res'] & { [CTX]: KoaMetricsContext; [TOKEN]: RequestToken };

  // Recording at 'close' takes the status that was really sent: after Koa turned a thrown error
  // into its response (err.status, else 500; ENOENT as 404 in Koa 2), or after an app-level error handler
  // rewrote it. A response that did not finish was cut short: closedStatus tells by whom.
  function recordKoaRequest(this: Tracked): void {
    const ctx = this[CTX];
    const status = closedStatus(this);
    const token = this[TOKEN];
    if (grouping === undefined && typeof token === 'number') return endRequest(token, ctx.method, routeOf(ctx._matchedRoute), status);
    // registerDefault metrics and a route function read ctx.status: the status recorded.
    // Read before asRecorded shows the status recorded on the response.
    const labelled = labelStatus(this, status);
    asRecorded(this, status, () => endRequest(token, ctx.method, grouping ? grouping(labelled, [ctx]) : routeOf(ctx._matchedRoute), status));
  }

  function recordKoaScrape(this: Tracked): void {
    endRequest(this[TOKEN], this[CTX].method, metricsPath, closedStatus(this));
  }

  function track(ctx: KoaMetricsContext, record: (this: Tracked) => void): void {
    const res = ctx.res as Tracked;
    res[TOKEN] = plain() ? metrics.begin() : beginRequest(ctx, [ctx as KoaRouteContext]);
    res[CTX] = ctx;
    whenClosed(res, record);
  }

  async function serveMetrics(ctx: KoaMetricsContext): Promise<void> {
    const answer = await scrape({ ...scrapeRequestOf(ctx.req), method: ctx.method });
    ctx.status = answer.status;
    const body = answer.body;
    // Koa sends a Buffer as bytes but would serialise a bare Uint8Array as JSON.
    ctx.body = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    // After the body: Koa derives Content-Length from it, which is 0 for HEAD; the core's is right.
    for (const name in answer.headers) ctx.set(name, answer.headers[name]!);
  }

  function koaMetricsMiddleware(ctx: KoaMetricsContext, next: () => Promise<unknown>): Promise<unknown> {
    const path = pathOf(ctx);
    if (path !== undefined && path === metricsPath) {
      if (includeMetricsPath) track(ctx, recordKoaScrape);
      return serveMetrics(ctx);
    }
    if (path === undefined || !metrics.isExcluded(path)) track(ctx, recordKoaRequest);
    // Errors pass through untouched, so Koa's error handling and app.on('error') see them as thrown.
    return next();
  }
  return Object.assign(koaMetricsMiddleware, api);
}

export type { AdapterOptions, HttpMetrics, HttpMetricsOptions } from '../core/adapter/index.js';
