import type { Context, MiddlewareHandler, Next } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { RouterRoute } from 'hono/types';
import type { AdapterOptions, RequestToken, RouteMetricsApi, RouteOption } from '../core/index.js';
import { CLIENT_CLOSED, compileRouteOption, createRouteMetrics, resolveAdapterOptions } from '../core/index.js';

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

/** The middleware, with per-route metrics that are middleware too: `app.get(path, metrics.counter({...}), handler)`. */
export type HonoMetrics = MiddlewareHandler & RouteMetricsApi<[c: Context], MiddlewareHandler>;

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
function isMiddleware(route: RouterRoute): boolean {
  if (route.method !== 'ALL') return false;
  let handler: Handler = route.handler;
  while (handler[COMPOSED_HANDLER] !== undefined) handler = handler[COMPOSED_HANDLER];
  return handler.length > 1;
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
  const { metrics, path: metricsPath, includeMetricsPath, own } = resolveAdapterOptions('honoMetrics', options, ['route']);
  const grouping = compileRouteOption<[Context]>('honoMetrics', own.route, (c) => c.req.path);
  const { api, beginRequest, endRequest, plain } = createRouteMetrics<[c: Context], MiddlewareHandler>('honoMetrics', metrics, {
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
        untrack(c);
        await next();
      },
  });

  async function serveMetrics(c: Context): Promise<Response> {
    const answer = await metrics.respond({ method: c.req.method, accept: c.req.header('accept'), acceptEncoding: c.req.header('accept-encoding') });
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  }

  // On Node the request's context and token ride on its response, so that one listener serves every request.
  const CTX = Symbol('promhttp.context');
  const TOKEN = Symbol('promhttp.request');
  type Tracked = NodeResponse & { [CTX]: Context; [TOKEN]: RequestToken };

  // The socket tells how the response ended: after its last byte, or when the client left.
  function recordHonoRequest(this: Tracked): void {
    const c = this[CTX];
    const status = this.writableFinished ? this.statusCode : CLIENT_CLOSED;
    endRequest(this[TOKEN], c.req.method, grouping ? grouping(status, [c]) : routeOf(c, status), status);
  }

  function recordHonoScrape(this: Tracked): void {
    endRequest(this[TOKEN], this[CTX].req.method, metricsPath, this.writableFinished ? this.statusCode : CLIENT_CLOSED);
  }

  async function promhttpHono(c: Context, next: Next): Promise<Response | void> {
    const path = c.req.path;
    const scrape = path === metricsPath;
    if (scrape && !includeMetricsPath) return serveMetrics(c);
    // next() resolves to the Context, which must not be returned: Hono would take it for the response.
    if (!scrape && metrics.isExcluded(path)) return void (await next());
    const token = plain() ? metrics.begin() : beginRequest(c, [c]);
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
    // Its listener costs about a µs per request on Bun, but it records a request the moment its
    // client leaves, even while the handler still runs.
    const method = c.req.method;
    let ended = false;
    const record = (status: number): void => {
      if (ended) return;
      ended = true;
      endRequest(token, method, scrape ? metricsPath : grouping ? grouping(status, [c]) : routeOf(c, status), status);
    };
    const signal = c.req.raw.signal;
    const recordAbort = (): void => record(CLIENT_CLOSED);
    signal.addEventListener('abort', recordAbort);
    // Hono turns thrown Errors into c.res through onError; anything else escapes and becomes a 500.
    let status = 500;
    try {
      if (scrape) {
        const response = await serveMetrics(c);
        status = response.status;
        return response;
      }
      await next();
      // An unfinalized context goes to Hono's error handler, 500 by default.
      status = c.finalized ? c.res.status : 500;
    } finally {
      signal.removeEventListener('abort', recordAbort);
      record(signal.aborted ? CLIENT_CLOSED : status);
    }
  }
  return Object.assign(promhttpHono, api);
}

export type { AdapterOptions, HttpMetrics, HttpMetricsOptions } from '../core/index.js';
