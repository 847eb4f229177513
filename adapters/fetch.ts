import type { AdapterOptions, ExemplarsOption, RequestToken, RouteMetricsApi, RouteOption } from '../core/adapter/index.js';
import {
  UNMATCHED,
  closedStatus,
  checkType,
  compileRouteOption,
  compileRouteTemplates,
  createRouteMetrics,
  nodeResponseOf,
  normalizePath,
  optionError,
  pathOfUrl,
  resolveAdapterOptions,
  remoteAddressOf,
  scrapeResponse,
  untilSettled,
  upgradedStatus,
  watchUpgrades,
} from '../core/adapter/index.js';

/** Options of `fetchMetrics`: the ones every adapter takes, or `createHttpMetrics` options, and where the route label comes from. */
export interface FetchMetricsOptions extends AdapterOptions {
  /**
   * The route templates your handler serves, matched by promhttp to label each request:
   * literal segments, `:name` for a whole segment, a final `*` for the rest of the path. When
   * several match, the most specific wins (a literal beats `:name`, which beats `*`); a request
   * none matches is `unmatched`. See docs/fetch.md.
   * @default none: without `routes` or `route`, the path normalised (`/users/42` → `/users/:id`), every 404 `unmatched`
   * @example ["/", "/users/:id", "/files/*"]
   */
  routes?: readonly string[];
  /**
   * Computes the route label from the request instead, e.g. from your router's match. `"path"`
   * labels by raw path: one series set per distinct path, capped by `maxRoutes` (see
   * docs/route-metrics.md). Cannot be combined with `routes`.
   * @default none (see `routes`)
   * @example (request) => router.match(request)?.template
   */
  route?: RouteOption<[request: Request]>;
  /**
   * Exemplars on the request metrics: `true` takes the trace id of the active OpenTelemetry span,
   * else of the `traceparent` header; a function gets `(request)` as the request starts and returns
   * the labels, or `undefined` (docs/exemplars.md).
   * @default false
   * @example (request) => ({ trace_id: request.headers.get('x-trace-id') ?? '' })
   */
  exemplars?: ExemplarsOption<[request: Request]>;
  /**
   * Answers what the handler throws or rejects with, and the status of that answer is recorded.
   * Give here what you would give `Bun.serve`'s `error` or `Deno.serve`'s `onError`: those run
   * after the request has been recorded as 500, so their status is never seen. When `onError`
   * itself throws, the request is recorded as 500 and the error goes on to the runtime.
   * @default none: a throw or rejection is recorded as 500 and passed on to the runtime unchanged
   * @example (error, request) => new Response('unavailable', { status: 503 })
   */
  onError?: (error: unknown, request: Request) => Response | Promise<Response>;
}

/** A fetch handler: `Bun.serve`'s and `Deno.serve`'s, or any WinterCG runtime's. Further arguments (Bun's server, Deno's info) pass through. */
export type FetchHandler = (request: Request, ...rest: never[]) => Response | Promise<Response>;

/** Puts metrics around one route's handler: `metrics.counter({...})(handler)`. */
export type FetchRouteWrapper = <H extends FetchHandler>(handler: H) => H;

/** The instrumented handler, with per-route metrics whose label functions get `(request, response)`. */
export type FetchMetrics<H extends FetchHandler = FetchHandler> = H & RouteMetricsApi<[request: Request, response: Response], FetchRouteWrapper>;

type Args = [request: Request, response: Response];
type OnError = NonNullable<FetchMetricsOptions['onError']>;

/** `handler`, with what it throws or rejects with answered by `onError`. */
function answeringErrors<H extends FetchHandler>(handler: H, onError: OnError): H {
  return function promhttpFetchErrors(this: unknown, request: Request, ...rest: never[]): Response | Promise<Response> {
    let result: Response | Promise<Response>;
    try {
      result = handler.call(this, request, ...rest);
    } catch (error) {
      return onError(error, request);
    }
    return typeof (result as Partial<Promise<Response>> | undefined)?.then === 'function' ? (result as Promise<Response>).then(undefined, (error: unknown) => onError(error, request)) : result;
  } as H;
}

/** The `traceparent` header, which exemplars fall back on. */
const traceparentOf = (request: object): unknown => (request as Request).headers.get('traceparent');

/** What label functions see as the response before there is one (a gauge of requests in progress): status 0, headers immutable. */
let pending: Response | undefined;
/** Bun's 101 after a WebSocket upgrade, which a Response cannot be constructed with. */
let switching: Response | undefined;
/** What they see when there will be none from the handler: it threw (500), the request was aborted (499; 500 when a node:http server cut it short), or Bun upgraded the request (101). */
const standIn = (status: number): Response =>
  status === 101 ? (switching ??= Object.defineProperty(new Response(null), 'status', { value: 101 })) : new Response(null, { status });
const settle = (args: Args, status: number, response: Response | undefined): void => void (args[1] = response?.status === status ? response : standIn(status));

function begin(request: Request): Args {
  return [request, (pending ??= Response.error())];
}

/**
 * The status of a request whose signal aborted: on @hono/node-server its node:http response says
 * whether the client left (499) or the server cut it short (500, `server.timeout`,
 * `closeAllConnections()`); elsewhere the signal stands for the client.
 */
function abortedStatus(env: unknown): (() => number) | undefined {
  const outgoing = nodeResponseOf(env);
  return outgoing === undefined ? undefined : () => closedStatus(outgoing);
}

/** Runs `run`, then `done` once with the status promhttp records and the response; the handler's result or throw passes through. */
function around(request: Request, env: unknown, run: () => Response | Promise<Response>, done: (status: number, response: Response | undefined) => void): Response | Promise<Response> {
  let result: Response | Promise<Response>;
  try {
    result = run();
  } catch (error) {
    done(upgradedStatus(request, 500), undefined);
    throw error;
  }
  if (!(result instanceof Response)) return untilSettled(request.signal, result, (status, response) => done(upgradedStatus(request, status), response), abortedStatus(env));
  done(upgradedStatus(request, result.status), result);
  return result;
}

/**
 * Wraps a fetch handler (`Bun.serve`, `Deno.serve`, any WinterCG runtime): records every request
 * and answers `path` (`/metrics`) before the handler runs. Its methods wrap single route handlers
 * in metrics (docs/route-metrics.md).
 * @example
 * Bun.serve({ fetch: fetchMetrics(handler, { routes: ['/', '/users/:id'] }) });
 * @example
 * Deno.serve(fetchMetrics(handler, { routes: ['/', '/users/:id'] }));
 */
export function fetchMetrics<H extends FetchHandler>(handler: H, options?: FetchMetricsOptions): FetchMetrics<H> {
  if (typeof handler !== 'function') throw optionError('fetchMetrics: the first argument must be your fetch handler, (request) => Response.');
  const { metrics, path: metricsPath, includeMetricsPath, scrape, own } = resolveAdapterOptions('fetchMetrics', options, ['route', 'routes', 'onError']);
  checkType('fetchMetrics', 'onError', own.onError, 'function', "a function (error, request) => Response, as you would give Bun.serve's error or Deno.serve's onError");
  const serve = own.onError === undefined ? handler : answeringErrors(handler, own.onError as OnError);
  const grouping = compileRouteOption<[Request]>('fetchMetrics', own.route, (request) => pathOfUrl(request.url));
  const template = compileRouteTemplates('fetchMetrics', own.routes);
  if (grouping !== undefined && template !== undefined) throw optionError('fetchMetrics: give "routes" (templates promhttp matches) or "route" (your own function), not both.');
  const { api, beginRequest, endRequest, plain } = createRouteMetrics<Args, FetchRouteWrapper>('fetchMetrics', metrics, {
    // The exemplars function gets (request), as documented: the response is only a stand-in then.
    exemplarArgs: (args) => [args[0]],
    metric: (metric) => (route) =>
      function promhttpFetchRoute(this: unknown, request: Request, ...rest: never[]) {
        watchUpgrades(rest[0]);
        const args = begin(request);
        const end = metric.begin(args);
        return around(request, rest[0], () => route.call(this, request, ...rest), (status, response) => (settle(args, status, response), end()));
      } as typeof route,
    untracked: (untrack) => (route) =>
      function promhttpFetchUntracked(this: unknown, request: Request, ...rest: never[]) {
        untrack(request);
        return route.call(this, request, ...rest);
      } as typeof route,
  }, traceparentOf);

  function routeOf(request: Request, path: string, status: number): string | undefined {
    if (path === metricsPath) return metricsPath;
    if (grouping !== undefined) return grouping(status, [request]);
    if (template !== undefined) return template(path);
    return status === 404 ? UNMATCHED : normalizePath(path);
  }

  function record(token: RequestToken, request: Request, path: string, status: number): void {
    const recorded = upgradedStatus(request, status);
    endRequest(token, request.method, routeOf(request, path, recorded), recorded);
  }

  function promhttpFetch(this: unknown, request: Request, ...rest: never[]): Response | Promise<Response> {
    const path = pathOfUrl(request.url);
    const scraped = path === metricsPath;
    if (scraped && !includeMetricsPath) return scrapeResponse(scrape, request, remoteAddressOf(request, rest[0]));
    if (!scraped && metrics.isExcluded(path)) return serve.call(this, request, ...rest);
    watchUpgrades(rest[0]);
    if (plain()) {
      const token = metrics.begin();
      let result: Response | Promise<Response>;
      try {
        result = scraped ? scrapeResponse(scrape, request, remoteAddressOf(request, rest[0])) : serve.call(this, request, ...rest);
      } catch (error) {
        record(token, request, path, 500);
        throw error;
      }
      // Answered within this turn: recorded now, with nothing allocated for it.
      if (!(result instanceof Response)) return untilSettled(request.signal, result, (status) => record(token, request, path, status), abortedStatus(rest[0]));
      record(token, request, path, result.status);
      return result;
    }
    // registerDefault metrics or doNotTrack: their label functions get the request and the response.
    const args = begin(request);
    const token = beginRequest(request, args);
    const run = (): Response | Promise<Response> => (scraped ? scrapeResponse(scrape, request, remoteAddressOf(request, rest[0])) : serve.call(this, request, ...rest));
    return around(request, rest[0], run, (status, response) => (settle(args, status, response), record(token, request, path, status)));
  }
  return Object.assign(promhttpFetch, api) as FetchMetrics<H>;
}

export type { AdapterOptions, HttpMetrics, HttpMetricsOptions } from '../core/adapter/index.js';
