import type { Context, Hono, MiddlewareHandler, Next } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { RouterRoute } from 'hono/types';
import type { AdapterOptions, RequestToken, RouteMetricsApi, RouteOption } from '../core/adapter/index.js';
import { CLIENT_CLOSED, closedStatus, compileRouteOption, createRouteMetrics, optionError, pathOfUrl, remoteAddressOf, resolveAdapterOptions, scrapeResponse, untilSettled } from '../core/adapter/index.js';

/** Options of `honoMetrics`: the adapter options shared by every promhttp adapter, and `route`. */
export interface HonoMetricsOptions extends AdapterOptions {
  /**
   * Computes the request metrics' `route` label from the context. `"path"` labels by raw path:
   * one series set per distinct path, capped by `maxRoutes` (see docs/route-metrics.md).
   * @default the matched route template, else `unmatched`
   * @example (c) => `/${c.req.path.split('/')[1]}/*` (group by first path segment)
   */
  route?: RouteOption<[c: Context]>;
}

/** What `wrap` accepts: any Hono app (its environment and schema types do not matter here). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Hono's type parameters are invariant; any app fits.
export type AnyHono = Hono<any, any, any>;

/** The middleware, with per-route metrics that are middleware too: `app.get(path, metrics.counter({...}), handler)`. */
export type HonoMetrics = MiddlewareHandler &
  RouteMetricsApi<[c: Context], MiddlewareHandler> & {
    /**
     * The app's `fetch`, recording every request before Hono routes it, instead of `app.use(metrics)`.
     * It costs about half as much per request: Hono answers a route with a single handler without
     * composing middleware, and a middleware takes that away. It never sees Hono's context, so a
     * `route` function and `registerDefault` need the middleware; `route: 'path'`, `exclude`,
     * `doNotTrack()` and per-route metrics work as with it.
     * @example serve({ fetch: honoMetrics().wrap(app), port: 3000 }) // @hono/node-server
     * @example export default { fetch: honoMetrics().wrap(app) } // Bun
     */
    wrap<App extends AnyHono>(app: App): App['fetch'];
  };

/** The node:http response that @hono/node-server passes as `c.env.outgoing`. */
type NodeResponse = { readonly closed: boolean; readonly writableFinished: boolean; readonly statusCode: number; on(event: 'close', listener: () => void): unknown };

function nodeResponse(env: unknown): NodeResponse | undefined {
  const outgoing = (env as { outgoing?: Partial<NodeResponse> } | null | undefined)?.outgoing;
  return typeof outgoing?.on === 'function' && typeof outgoing.writableFinished === 'boolean' ? (outgoing as NodeResponse) : undefined;
}

/** A sub-app with its own onError wraps each handler and keeps the original under this key. */
const COMPOSED_HANDLER = '__COMPOSED_HANDLER';
type Handler = { readonly length: number; readonly [COMPOSED_HANDLER]?: Handler };

/** Hono's own test (the one `showRoutes` uses), limited to `use()`/`all()`: a route-scoped function is part of its route. */
function isMiddleware(route: Pick<RouterRoute, 'method' | 'handler'>): boolean {
  return route.method === 'ALL' && unwrapped(route.handler).length > 1;
}

/** The function registered, under the wrappers of sub-apps with their own onError. */
function unwrapped(handler: Handler): Handler {
  while (handler[COMPOSED_HANDLER] !== undefined) handler = handler[COMPOSED_HANDLER];
  return handler;
}

/**
 * The template of the route that answered. `routeIndex` is the last function Hono dispatched: a
 * handler, or a middleware that answered early (auth), which is labelled with the route it guarded.
 * Past the last handler only middleware ran: it either served the request itself (serveStatic, a
 * proxy) or let it fall through to notFound, which is `unmatched` and never a raw path.
 */
function routeOf(c: Context, status: number): string | undefined {
  // On Node this runs in a 'close' listener, where a throw would take the process down.
  try {
    const routes = matchedRoutes(c);
    const last = c.req.routeIndex;
    for (let i = last; i < routes.length; i++) if (!isMiddleware(routes[i]!)) return routes[i]!.path;
    return status === 404 || status === CLIENT_CLOSED ? undefined : routes[last]?.path;
  } catch {
    return undefined;
  }
}

/** Stands for the response of a context that was never finalized: Hono's error handler answers it. */
const UNFINALIZED = { status: 500 } as const;

/** What a Hono router's `match` returns: each matched function, with the route it was registered under, and its parameters. */
type Matched = ReadonlyArray<readonly [readonly [unknown, RouterRoute], unknown]>;

/**
 * The template of the route that answered, for `wrap`, which sees the router's match but not which
 * function answered: the first handler, else (only middleware ran) the last middleware, as
 * `routeOf` does with the context.
 */
function templateOf(matched: Matched, status: number): string | undefined {
  for (let i = 0; i < matched.length; i++) if (!isMiddleware(matched[i]![0][1])) return matched[i]![0][1].path;
  return status === 404 || status === CLIENT_CLOSED ? undefined : matched[matched.length - 1]?.[0][1].path;
}

/** The router's match, when Hono's own was not seen. On Node this runs in a 'close' listener, where a throw would take the process down. */
function matchOf(router: AnyHono['router'], method: string, path: string): Matched {
  try {
    return router.match(method === 'HEAD' ? 'GET' : method, path)[0] as Matched;
  } catch {
    return [];
  }
}

/**
 * Records every request and serves the metrics, on @hono/node-server and on Bun (or any runtime
 * that hands Hono a standard Request). Register it before your routes, so it sees every request.
 * Its methods put metrics on single routes (docs/route-metrics.md).
 * @example
 * const app = new Hono();
 * const metrics = honoMetrics();
 * app.use(metrics);
 * app.get('/users/:id', metrics.histogram({ name: 'user_seconds', help: 'Time to serve a user.' }), (c) => c.json({ id: c.req.param('id') }));
 */
export function honoMetrics(options?: HonoMetricsOptions): HonoMetrics {
  const { metrics, path: metricsPath, includeMetricsPath, scrape, own } = resolveAdapterOptions('honoMetrics', options, ['route']);
  const grouping = compileRouteOption<[Context]>('honoMetrics', own.route, (c) => c.req.path);
  const { api, beginRequest, endRequest, plain, refuseDefaults } = createRouteMetrics<[c: Context], MiddlewareHandler>('honoMetrics', metrics, {
    // Hono's onError has set c.res by the time next() settles, on Node and on Bun alike.
    metric: (metric) =>
      async function promhttpHonoRoute(c, next) {
        const end = metric.begin([c]);
        try {
          await next();
        } finally {
          end();
        }
      },
    untracked: (untrack) =>
      async function promhttpHonoUntracked(c, next) {
        // The request, not the context: wrap() sees only the request.
        untrack(c.req.raw);
        await next();
      },
  });

  const serveRequest = (request: Request, env: unknown): Promise<Response> => scrapeResponse(scrape, request, remoteAddressOf(request, env));
  const serveMetrics = (c: Context): Promise<Response> => serveRequest(c.req.raw, c.env);

  // On Node the request's context and token ride on its response, so that one listener serves every request.
  const CTX = Symbol('promhttp.context');
  const TOKEN = Symbol('promhttp.request');
  const PATH = Symbol('promhttp.path');
  const MATCHED = Symbol('promhttp.matched');
  type Tracked = NodeResponse & { [CTX]: Context; [TOKEN]: RequestToken; [PATH]: string; [MATCHED]: Matched | undefined; readonly req: { readonly method?: string } };

  // The socket tells how the response ended: after its last byte, or when the client left.
  function recordHonoRequest(this: Tracked): void {
    const c = this[CTX];
    const status = closedStatus(this);
    endRequest(this[TOKEN], c.req.method, grouping ? grouping(status, [c]) : routeOf(c, status), status);
  }

  function recordHonoScrape(this: Tracked): void {
    endRequest(this[TOKEN], this.req.method ?? '', metricsPath, closedStatus(this));
  }

  async function promhttpHono(c: Context, next: Next): Promise<Response | void> {
    const path = c.req.path;
    const scrape = path === metricsPath;
    if (scrape && !includeMetricsPath) return serveMetrics(c);
    // next() resolves to the Context, which must not be returned: Hono would take it for the response.
    if (!scrape && metrics.isExcluded(path)) return void (await next());
    const token = plain() ? metrics.begin() : beginRequest(c.req.raw, [c]);
    const outgoing = nodeResponse(c.env) as Tracked | undefined;
    if (outgoing !== undefined) {
      const record = scrape ? recordHonoScrape : recordHonoRequest;
      outgoing[TOKEN] = token;
      outgoing[CTX] = c;
      if (outgoing.closed) record.call(outgoing);
      else outgoing.on('close', record);
      return scrape ? serveMetrics(c) : void (await next());
    }
    // Elsewhere the response is out of reach once returned; the request's signal says the client left.
    const method = c.req.method;
    const record = (status: number): void => endRequest(token, method, scrape ? metricsPath : grouping ? grouping(status, [c]) : routeOf(c, status), status);
    if (scrape) return untilSettled(c.req.raw.signal, serveMetrics(c), record);
    // Hono turns thrown Errors into c.res through onError; an unfinalized context goes to its error handler, 500 by default.
    await untilSettled(c.req.raw.signal, next().then(() => (c.finalized ? c.res : UNFINALIZED)), record);
  }
  const rawPath = own.route === 'path' ? compileRouteOption<[string]>('honoMetrics', 'path', (path) => path) : undefined;

  function wrap<App extends AnyHono>(app: App): App['fetch'] {
    if (typeof (app as Partial<AnyHono> | null)?.fetch !== 'function' || typeof app.router?.match !== 'function' || !Array.isArray(app.routes)) {
      throw optionError('honoMetrics.wrap: pass your Hono app, e.g. serve({ fetch: honoMetrics().wrap(app) }).');
    }
    if (grouping !== undefined && rawPath === undefined) {
      throw optionError("honoMetrics.wrap: a route function needs Hono's context, which wrap never sees; use app.use(metrics) for it, or route: 'path'.");
    }
    const twice = 'honoMetrics.wrap: this app already runs this middleware (app.use(metrics)); use one of the two, or every request would be counted twice.';
    if (app.routes.some((route) => unwrapped(route.handler) === promhttpHono)) throw optionError(twice);
    refuseDefaults("honoMetrics.registerDefault: label functions get Hono's context, which wrap() never sees; use app.use(metrics) instead of wrap(app) to register defaults.");
    const fetch = app.fetch;
    const router = app.router;
    // Hono matches a request before anything asynchronous happens, through app.router: a router
    // that passes every call on lets wrap read that match as fetch returns, instead of matching twice.
    let seenPath: string | undefined;
    let seenMatch: Matched | undefined;
    app.router = {
      get name() {
        return router.name;
      },
      add(method, path, handler) {
        if (unwrapped(handler[0] as Handler) === promhttpHono) throw optionError(twice);
        router.add(method, path, handler);
      },
      match(method, path) {
        const result = router.match(method, path);
        seenPath = path;
        seenMatch = result[0] as Matched;
        return result;
      },
    };
    function dispatch(request: Request, env: unknown, executionCtx: unknown): Response | Promise<Response> {
      seenPath = undefined;
      seenMatch = undefined;
      return fetch(request, env, executionCtx as never);
    }
    const routeFor = (method: string, path: string, matched: Matched | undefined, status: number): string | undefined =>
      rawPath !== undefined ? rawPath(status, [path]) : templateOf(matched ?? matchOf(router, method, path), status);

    function recordWrapped(this: Tracked): void {
      const method = this.req.method ?? '';
      const status = closedStatus(this);
      endRequest(this[TOKEN], method, routeFor(method, this[PATH], this[MATCHED], status), status);
    }
    function recordFetched(token: RequestToken, method: string, scrape: boolean, path: string, matched: Matched | undefined, status: number): void {
      endRequest(token, method, scrape ? metricsPath : routeFor(method, path, matched, status), status);
    }

    const wrapped = (request: Request, env?: unknown, executionCtx?: unknown): Response | Promise<Response> => {
      const path = pathOfUrl(request.url);
      const scrape = path === metricsPath;
      if (scrape && !includeMetricsPath) return serveRequest(request, env);
      if (!scrape && metrics.isExcluded(path)) return fetch(request, env, executionCtx as never);
      // No registerDefault metrics here (refused above), so beginRequest never reads their arguments.
      const token = plain() ? metrics.begin() : beginRequest(request, [] as never);
      const outgoing = nodeResponse(env) as Tracked | undefined;
      if (outgoing !== undefined) {
        outgoing[TOKEN] = token;
        outgoing.on('close', scrape ? recordHonoScrape : recordWrapped);
        if (scrape) return serveRequest(request, env);
        try {
          return dispatch(request, env, executionCtx);
        } finally {
          outgoing[PATH] = seenPath ?? path;
          outgoing[MATCHED] = seenMatch;
        }
      }
      // Elsewhere the response is known when fetch returns or settles.
      const method = request.method;
      let result: Response | Promise<Response>;
      try {
        result = scrape ? serveRequest(request, env) : dispatch(request, env, executionCtx);
      } catch (error) {
        // Hono turns thrown Errors into responses; anything else escapes, and the server answers 500.
        recordFetched(token, method, scrape, seenPath ?? path, seenMatch, 500);
        throw error;
      }
      // Answered within this turn: the client cannot have been seen to leave.
      if (!(result instanceof Promise)) {
        recordFetched(token, method, scrape, seenPath ?? path, seenMatch, result.status);
        return result;
      }
      const routedPath = seenPath ?? path;
      const matched = seenMatch;
      return untilSettled(request.signal, result, (status) => recordFetched(token, method, scrape, routedPath, matched, status));
    };
    return wrapped as App['fetch'];
  }

  return Object.assign(promhttpHono, api, { wrap });
}

export type { AdapterOptions, HttpMetrics, HttpMetricsOptions } from '../core/adapter/index.js';
