import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import type { AdapterOptions, ExemplarsOption, RequestToken, RouteMetricsApi, RouteOption } from '../core/adapter/index.js';
import { asRecorded, closedStatus, compileRouteOption, createRouteMetrics, labelStatus, resolveAdapterOptions, scrapeRequestOf, whenClosed } from '../core/adapter/index.js';

/** Options of the `fastifyMetrics` plugin: the ones every adapter takes, or `createHttpMetrics` options, and `route`. */
export interface FastifyMetricsOptions extends AdapterOptions {
  /**
   * Computes the request metrics' `route` label from the request and reply. `"path"` labels by
   * raw path: one series set per distinct path, capped by `maxRoutes` (see docs/route-metrics.md).
   * @default the route's template (`request.routeOptions.url`), else `unmatched`
   * @example (request) => `/${request.url.split('/')[1]}/*` (group by first path segment)
   */
  route?: RouteOption<[request: FastifyRequest, reply: FastifyReply]>;
  /**
   * Exemplars on the request metrics: `true` takes the trace id of the active OpenTelemetry span,
   * else of the `traceparent` header; a function gets `(request, reply)` as the request starts and
   * returns the labels, or `undefined` (docs/exemplars.md).
   * @default false
   * @example (request) => ({ trace_id: String(request.headers['x-trace-id']) })
   */
  exemplars?: ExemplarsOption<[request: FastifyRequest, reply: FastifyReply]>;
}

/** An `onRequest` hook, as a route's `onRequest` option takes it: `{ onRequest: app.promhttp.counter({...}) }`. */
export type FastifyRouteHook = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void;

/** Per-route metrics: `onRequest` hooks whose label functions get `(request, reply)`. The plugin puts them on `app.promhttp`. */
export type FastifyRouteMetrics = RouteMetricsApi<[request: FastifyRequest, reply: FastifyReply], FastifyRouteHook>;

declare module 'fastify' {
  interface FastifyInstance {
    /** promhttp's per-route metrics, from `app.register(fastifyMetrics)` (docs/fastify.md). */
    promhttp: FastifyRouteMetrics;
  }
}

/** The path part of a request target, without allocating when there is no query. */
function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** The `traceparent` header, which exemplars fall back on. */
const traceparentOf = (request: object): unknown => (request as FastifyRequest).headers.traceparent;

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

function register(app: FastifyInstance, options: FastifyMetricsOptions, done: (error?: Error) => void): void {
  try {
    setUp(app, options);
  } catch (error) {
    return done(error as Error);
  }
  done();
}

function setUp(app: FastifyInstance, options: FastifyMetricsOptions): void {
  // Fastify hands a plugin its options, or {} when none are given.
  const { metrics, path: metricsPath, includeMetricsPath, scrape, own } = resolveAdapterOptions('fastifyMetrics', options, ['route']);
  const grouping = compileRouteOption<[FastifyRequest, FastifyReply]>('fastifyMetrics', own.route, (request) => pathOf(request.url));
  const { api, beginRequest, endRequest, plain } = createRouteMetrics<[request: FastifyRequest, reply: FastifyReply], FastifyRouteHook>('fastifyMetrics', metrics, {
    // At the response's close, like the request metrics: the status is the one sent, and
    // reply.statusCode reads the one recorded (499 for a client that left).
    metric: (metric) =>
      function promhttpFastifyRoute(request, reply, next) {
        const end = metric.begin([request, reply]);
        whenClosed(reply.raw, function recordFastifyRoute() {
          asRecorded(this, closedStatus(this), end);
        });
        next();
      },
    untracked: (untrack) =>
      function promhttpFastifyUntracked(request, _reply, next) {
        untrack(request);
        next();
      },
  }, traceparentOf);

  // The request's reply and token ride on its response, so that one listener serves every request.
  const REPLY = Symbol('promhttp.reply');
  const TOKEN = Symbol('promhttp.request');
  type Tracked = ServerResponse & { [REPLY]: FastifyReply; [TOKEN]: RequestToken };

  // At the response's close the status is the one Fastify sent, also from an error handler; a
  // response that did not finish was cut short by the client (499).
  function recordFastifyRequest(this: Tracked): void {
    const reply = this[REPLY];
    const request = reply.request;
    const status = closedStatus(this);
    const token = this[TOKEN];
    // A 404 has no route: its url is undefined, which is recorded as unmatched.
    if (grouping === undefined && typeof token === 'number') return endRequest(token, request.method, request.routeOptions.url, status);
    // registerDefault metrics and a route function read reply.statusCode: the status recorded.
    // Read before asRecorded shows the status recorded on the response.
    const labelled = labelStatus(this, status);
    asRecorded(this, status, () => endRequest(token, request.method, grouping !== undefined ? grouping(labelled, [request, reply]) : request.routeOptions.url, status));
  }

  function recordFastifyScrape(this: Tracked): void {
    endRequest(this[TOKEN], this[REPLY].request.method, metricsPath, closedStatus(this));
  }

  async function answerScrape(request: FastifyRequest, reply: FastifyReply): Promise<string | Buffer> {
    const answer = await scrape({ ...scrapeRequestOf(request.raw), method: request.method });
    const body = answer.body;
    reply.code(answer.status).headers(answer.headers);
    return typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  }

  app.addHook('onRequest', function promhttpFastify(request, reply, next) {
    const path = pathOf(request.url);
    const scrapes = path === metricsPath;
    if (scrapes ? includeMetricsPath : !metrics.isExcluded(path)) {
      const res = reply.raw as Tracked;
      res[REPLY] = reply;
      // Begun already, and listened to, by the server's listener: it records the route now known.
      if (res[TOKEN] === undefined) {
        res[TOKEN] = plain() ? metrics.begin() : beginRequest(request, [request, reply]);
        whenClosed(res, scrapes ? recordFastifyScrape : recordFastifyRequest);
      }
    }
    // A method the metrics route does not take (PROPFIND, ACL, …) reaches Fastify's 404 handler:
    // the scrape answers it instead, 405 with Allow, as every adapter does.
    if (scrapes && request.routeOptions.url === undefined) return void answerScrape(request, reply).then((body) => reply.send(body));
    next();
  });

  if (metricsPath !== undefined) {
    // A route of its own: Fastify's 404, HEAD and content handling stay as they are for everything else.
    app.route({ method: METHODS, url: metricsPath, exposeHeadRoute: false, handler: answerScrape });
  }
  // Fastify answers some requests itself, before any hook runs: a URL it cannot decode (400), a
  // parameter past maxParamLength (414), a request queued behind one it answered that way. Its
  // request listener has run by the time this one does: a response it did not hand to the hook is
  // begun here and recorded unmatched at its close.
  app.server.on('request', function promhttpFastifyUnrouted(req: IncomingMessage, res: Tracked) {
    if (res[TOKEN] !== undefined) return;
    const path = pathOf(req.url ?? '/');
    if (path === metricsPath || metrics.isExcluded(path)) return;
    res[TOKEN] = metrics.begin();
    whenClosed(res, function recordFastifyUnrouted(this: Tracked) {
      // The hook may still have run for it since (an asynchronous constraint): then it has a route.
      if (this[REPLY] !== undefined) return recordFastifyRequest.call(this);
      endRequest(this[TOKEN], req.method ?? '', undefined, closedStatus(this));
    });
  });
  app.decorate('promhttp', api);
}

/**
 * The plugin: records every request of the whole app (it is not encapsulated, as a metrics plugin
 * must not be) and serves the metrics at `path`. Register it before your routes, and await it to
 * use `app.promhttp` for per-route metrics.
 * @example
 * const app = Fastify();
 * await app.register(fastifyMetrics);
 * app.get('/users/:id', { onRequest: app.promhttp.counter({ name: 'user_reads_total', help: 'User reads.' }) }, async (request) => request.params);
 */
export const fastifyMetrics: FastifyPluginCallback<FastifyMetricsOptions> = Object.assign(register, {
  // What fastify-plugin would set: run in the parent's context, so the hooks see every route.
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'promhttp',
  [Symbol.for('plugin-meta')]: { name: 'promhttp', fastify: '>=4.23.0' },
});

export type { AdapterOptions, HttpMetrics, HttpMetricsOptions } from '../core/adapter/index.js';
