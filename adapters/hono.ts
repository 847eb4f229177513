import type { Context, Hono, MiddlewareHandler, Next } from 'hono';
import type { AdapterOptions, ExemplarsOption, NodeResponse, RequestToken, RouteMetricsApi, RouteOption } from '../core/adapter/index.js';
import {
  CLIENT_CLOSED,
  closedStatus,
  compileRouteOption,
  createRouteMetrics,
  labelStatus,
  nodeResponseOf,
  optionError,
  pathOfUrl,
  remoteAddressOf,
  resolveAdapterOptions,
  scrapeResponse,
  untilSettled,
  upgradedStatus,
  watchUpgrades,
  whenClosed,
} from '../core/adapter/index.js';
import type { Handler, Matched } from './hono-routes.js';
import { matchOf, registeredOn, routeOf, templateOf, unwrapped } from './hono-routes.js';

/** Options of `honoMetrics`: the adapter options shared by every promhttp adapter, and `route`. */
export interface HonoMetricsOptions extends AdapterOptions {
  /**
   * Computes the request metrics' `route` label from the context. `"path"` labels by raw path:
   * one series set per distinct path, capped by `maxRoutes` (see docs/route-metrics.md).
   * @default the matched route template, else `unmatched`
   * @example (c) => `/${c.req.path.split('/')[1]}/*` (group by first path segment)
   */
  route?: RouteOption<[c: Context]>;
  /**
   * Exemplars on the request metrics: `true` takes the trace id of the active OpenTelemetry span,
   * else of the `traceparent` header; a function gets `c` as the request starts and returns the
   * labels, or `undefined` (docs/exemplars.md). `wrap(app)` never sees the context: a function
   * needs the middleware.
   * @default false
   * @example (c) => ({ trace_id: c.get('traceId') })
   */
  exemplars?: ExemplarsOption<[c: Context]>;
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

/** The `traceparent` header, which exemplars fall back on; the key is the request (`c.req.raw` in the middleware). */
const traceparentOf = (request: object): unknown => (request as Request).headers.get('traceparent');

/** Stands for the response of a context that was never finalized: Hono's error handler answers it. */
const UNFINALIZED = { status: 500 } as const;

/**
 * Runs `record` while `c.res` reads a stand-in answered with `status`, the status promhttp records,
 * when the context's response does not carry it (the client left: 499); the context keeps its own
 * response. Label functions that read `c.res.status` then agree with `http_requests_total`.
 */
function asRecordedIn(c: Context, status: number, record: () => void): void {
  // Reading c.res makes a response when the context has none yet; a Response carries 200–599 only.
  if ((c.finalized && c.res.status === status) || status < 200 || status > 599) return record();
  Object.defineProperty(c, 'res', { value: new Response(null, { status }), configurable: true });
  try {
    record();
  } finally {
    delete (c as { res?: unknown }).res;
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
          // A client that left while the handler ran: on Node its connection is gone, elsewhere its signal aborted.
          const outgoing = nodeResponseOf(c.env);
          const left = outgoing !== undefined ? outgoing.closed && closedStatus(outgoing) === CLIENT_CLOSED : c.req.raw.signal.aborted;
          if (left) asRecordedIn(c, CLIENT_CLOSED, end);
          else end();
        }
      },
    untracked: (untrack) =>
      async function promhttpHonoUntracked(c, next) {
        // The request, not the context: wrap() sees only the request.
        untrack(c.req.raw);
        await next();
      },
  }, traceparentOf);

  const serveRequest = (request: Request, env: unknown): Promise<Response> => scrapeResponse(scrape, request, remoteAddressOf(request, env));
  const serveMetrics = (c: Context): Promise<Response> => serveRequest(c.req.raw, c.env);

  // On Node the request's context and token ride on its response, so that one listener serves every request.
  const CTX = Symbol('promhttp.context');
  const TOKEN = Symbol('promhttp.request');
  const PATH = Symbol('promhttp.path');
  const MATCHED = Symbol('promhttp.matched');
  type Tracked = NodeResponse & { [CTX]: Context; [TOKEN]: RequestToken; [PATH]: string; [MATCHED]: Matched | undefined };

  // The response and its socket tell how it ended: after its last byte, or cut short by the client or the server.
  function recordHonoRequest(this: Tracked): void {
    const c = this[CTX];
    const status = closedStatus(this);
    const labelled = labelStatus(this, status);
    const token = this[TOKEN];
    if (grouping === undefined && typeof token === 'number') return endRequest(token, c.req.method, routeOf(c, labelled, promhttpHono), status);
    // registerDefault metrics and a route function read c.res.status: the status recorded.
    asRecordedIn(c, status, () => endRequest(token, c.req.method, grouping ? grouping(labelled, [c]) : routeOf(c, labelled, promhttpHono), status));
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
    const outgoing = nodeResponseOf(c.env) as Tracked | undefined;
    if (outgoing !== undefined) {
      const record = scrape ? recordHonoScrape : recordHonoRequest;
      outgoing[TOKEN] = token;
      outgoing[CTX] = c;
      if (outgoing.closed) record.call(outgoing);
      else whenClosed(outgoing, record);
      return scrape ? serveMetrics(c) : void (await next());
    }
    // Elsewhere the response is out of reach once returned; the request's signal says the client left.
    const method = c.req.method;
    const end = (status: number): void => endRequest(token, method, scrape ? metricsPath : grouping ? grouping(status, [c]) : routeOf(c, status, promhttpHono), status);
    // registerDefault metrics and a route function read c.res.status: the status recorded.
    const record = grouping === undefined && typeof token === 'number' ? end : (status: number): void => asRecordedIn(c, status, () => end(status));
    if (scrape) return untilSettled(c.req.raw.signal, serveMetrics(c), record);
    // On Bun, a request upgraded to a WebSocket is answered 101, whatever the handler returned (Hono's upgradeWebSocket: an empty 200).
    watchUpgrades(c.env);
    const request = c.req.raw;
    // Hono turns thrown Errors into c.res through onError; an unfinalized context goes to its error handler, 500 by default.
    await untilSettled(request.signal, next().then(() => (c.finalized ? c.res : UNFINALIZED)), (status) => record(upgradedStatus(request, status)));
  }
  const rawPath = own.route === 'path' ? compileRouteOption<[string]>('honoMetrics', 'path', (path) => path) : undefined;

  function wrap<App extends AnyHono>(app: App): App['fetch'] {
    if (typeof (app as Partial<AnyHono> | null)?.fetch !== 'function' || typeof app.router?.match !== 'function' || !Array.isArray(app.routes)) {
      throw optionError('honoMetrics.wrap: pass your Hono app, e.g. serve({ fetch: honoMetrics().wrap(app) }).');
    }
    if (grouping !== undefined && rawPath === undefined) {
      throw optionError("honoMetrics.wrap: a route function needs Hono's context, which wrap never sees; use app.use(metrics) for it, or route: 'path'.");
    }
    if (metrics.exemplarMode === 'function') {
      throw optionError("honoMetrics.wrap: an exemplars function needs Hono's context, which wrap never sees; use app.use(metrics) for it, or exemplars: true.");
    }
    const twice = 'honoMetrics.wrap: this app already runs this middleware (app.use(metrics)); use one of the two, or every request would be counted twice.';
    if (app.routes.some((route) => unwrapped(route.handler) === promhttpHono)) throw optionError(twice);
    // wrap answers the metrics path before Hono routes anything: middleware there (an auth check)
    // would never run for it, and a route there would never answer.
    const refuseOnMetricsPath = (method: string, pattern: string): void => {
      if (metricsPath === undefined || !registeredOn(pattern, metricsPath)) return;
      const registration = method === 'ALL' ? `app.use('${pattern}', …)` : `app.${method.toLowerCase()}('${pattern}', …)`;
      throw optionError(
        `honoMetrics.wrap: the app registers ${registration} on the metrics path ${metricsPath}, which wrap answers before Hono routes the request, so that ${method === 'ALL' ? 'middleware (an auth check, say)' : 'route'} would never run for it. ` +
          `To serve the metrics behind your middleware, wrap with honoMetrics({ metrics, path: false }) and add app.get('${metricsPath}', honoMetrics({ metrics })) after the middleware (docs/hono.md); or give wrap another "path".`,
      );
    };
    for (const route of app.routes) refuseOnMetricsPath(route.method, route.path);
    refuseDefaults("honoMetrics.registerDefault: label functions get Hono's context, which wrap() never sees; use app.use(metrics) instead of wrap(app) to register defaults.");
    const fetch = app.fetch;
    const router = app.router;
    // Hono matches a request before anything asynchronous happens, through app.router: a router
    // that passes every call on lets wrap read that match as fetch returns, instead of matching twice.
    // Only the first match of a dispatch is the request's: a handler may route another request
    // before fetch returns, through app.request() or through this very fetch.
    let awaitingMatch = false;
    let matchedPath: string | undefined;
    let matchedRoutes: Matched | undefined;
    /** The path and match of the dispatch that returned last, read right after it returns. */
    let seenPath: string | undefined;
    let seenMatch: Matched | undefined;
    app.router = {
      get name() {
        return router.name;
      },
      add(method, path, handler) {
        if (unwrapped(handler[0] as Handler) === promhttpHono) throw optionError(twice);
        refuseOnMetricsPath(method, path);
        router.add(method, path, handler);
      },
      match(method, path) {
        const result = router.match(method, path);
        if (awaitingMatch) {
          awaitingMatch = false;
          matchedPath = path;
          matchedRoutes = result[0] as Matched;
        }
        return result;
      },
    };
    function dispatch(request: Request, env: unknown, executionCtx: unknown): Response | Promise<Response> {
      // A dispatch inside another one (this fetch called from a handler) leaves the outer one's match as it found it.
      const outerAwaiting = awaitingMatch;
      const outerPath = matchedPath;
      const outerRoutes = matchedRoutes;
      awaitingMatch = true;
      matchedPath = undefined;
      matchedRoutes = undefined;
      try {
        return fetch(request, env, executionCtx as never);
      } finally {
        seenPath = matchedPath;
        seenMatch = matchedRoutes;
        awaitingMatch = outerAwaiting;
        matchedPath = outerPath;
        matchedRoutes = outerRoutes;
      }
    }
    const routeFor = (method: string, path: string, matched: Matched | undefined, status: number): string | undefined =>
      rawPath !== undefined ? rawPath(status, [path]) : templateOf(matched ?? matchOf(router, method, path), status);

    function recordWrapped(this: Tracked): void {
      const method = this.req.method ?? '';
      const status = closedStatus(this);
      endRequest(this[TOKEN], method, routeFor(method, this[PATH], this[MATCHED], labelStatus(this, status)), status);
    }
    function recordFetched(token: RequestToken, request: Request, scrape: boolean, path: string, matched: Matched | undefined, answered: number): void {
      // On Bun, a request upgraded to a WebSocket is answered 101, whatever the handler returned (Hono's upgradeWebSocket: an empty 200).
      const status = upgradedStatus(request, answered);
      const method = request.method;
      endRequest(token, method, scrape ? metricsPath : routeFor(method, path, matched, status), status);
    }

    const wrapped = (request: Request, env?: unknown, executionCtx?: unknown): Response | Promise<Response> => {
      const path = pathOfUrl(request.url);
      const scrape = path === metricsPath;
      if (scrape && !includeMetricsPath) return serveRequest(request, env);
      if (!scrape && metrics.isExcluded(path)) return fetch(request, env, executionCtx as never);
      // No registerDefault metrics here (refused above), so beginRequest never reads their arguments.
      const token = plain() ? metrics.begin() : beginRequest(request, [] as never);
      const outgoing = nodeResponseOf(env) as Tracked | undefined;
      if (outgoing !== undefined) {
        outgoing[TOKEN] = token;
        whenClosed(outgoing, scrape ? recordHonoScrape : recordWrapped);
        if (scrape) return serveRequest(request, env);
        try {
          return dispatch(request, env, executionCtx);
        } finally {
          outgoing[PATH] = seenPath ?? path;
          outgoing[MATCHED] = seenMatch;
        }
      }
      // Elsewhere the response is known when fetch returns or settles.
      watchUpgrades(env);
      let result: Response | Promise<Response>;
      try {
        result = scrape ? serveRequest(request, env) : dispatch(request, env, executionCtx);
      } catch (error) {
        // Hono turns thrown Errors into responses; anything else escapes, and the server answers 500.
        recordFetched(token, request, scrape, seenPath ?? path, seenMatch, 500);
        throw error;
      }
      // Answered within this turn: the client cannot have been seen to leave.
      if (!(result instanceof Promise)) {
        recordFetched(token, request, scrape, seenPath ?? path, seenMatch, result.status);
        return result;
      }
      const routedPath = seenPath ?? path;
      const matched = seenMatch;
      return untilSettled(request.signal, result, (status) => recordFetched(token, request, scrape, routedPath, matched, status));
    };
    return wrapped as App['fetch'];
  }

  return Object.assign(promhttpHono, api, { wrap });
}

export type { AdapterOptions, HttpMetrics, HttpMetricsOptions } from '../core/adapter/index.js';
