import type { AdapterOptions } from '../core/index.js';
import { CLIENT_CLOSED, resolveAdapterOptions } from '../core/index.js';

/** Options of `koaMetrics`: the ones every adapter takes, or `createHttpMetrics` options. */
export type KoaMetricsOptions = AdapterOptions;

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
  readonly res: {
    readonly statusCode: number;
    readonly writableFinished: boolean;
    once(event: 'close', listener: () => void): unknown;
  };
  /** The route template, set by `@koa/router` and `koa-router` (a RegExp for RegExp routes). */
  readonly _matchedRoute?: string | RegExp | undefined;
}

/** A Koa middleware: `app.use(koaMetrics())`. */
export type KoaMetricsMiddleware = (ctx: KoaMetricsContext, next: () => Promise<unknown>) => Promise<unknown>;

/** Koa parses the path lazily and throws on some absolute-form targets (`GET http://[::1 HTTP/1.1`). */
function pathOf(ctx: KoaMetricsContext): string | undefined {
  try {
    return ctx.path;
  } catch {
    return undefined;
  }
}

function routeOf(route: unknown): string | undefined {
  if (typeof route === 'string') return route;
  return route instanceof RegExp ? String(route) : undefined;
}

/**
 * Records every request that passes through it and serves the metrics at `path`. Put it first,
 * before the router, so that it sees every request and every error.
 * @example
 * const app = new Koa();
 * app.use(koaMetrics());
 * app.use(router.routes());
 */
export function koaMetrics(options?: KoaMetricsOptions): KoaMetricsMiddleware {
  const { metrics, path: metricsPath, includeMetricsPath } = resolveAdapterOptions('koaMetrics', options);

  // Recording at 'close' takes the status that was really sent: after Koa turned a thrown error
  // into its response (err.status, else 500; ENOENT as 404 in Koa 2), or after an app-level error handler
  // rewrote it. A response that did not finish was cut short by the client.
  function track(ctx: KoaMetricsContext, route?: string): void {
    const startedAt = metrics.begin();
    const res = ctx.res;
    res.once('close', function recordKoaRequest() {
      metrics.finish(startedAt, ctx.method, route ?? routeOf(ctx._matchedRoute), res.writableFinished ? res.statusCode : CLIENT_CLOSED);
    });
  }

  async function serveMetrics(ctx: KoaMetricsContext): Promise<void> {
    const answer = await metrics.respond({ method: ctx.method, accept: ctx.get('accept'), acceptEncoding: ctx.get('accept-encoding') });
    ctx.status = answer.status;
    const body = answer.body;
    // Koa sends a Buffer as bytes but would serialise a bare Uint8Array as JSON.
    ctx.body = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    // After the body: Koa derives Content-Length from it, which is 0 for HEAD; the core's is right.
    for (const name in answer.headers) ctx.set(name, answer.headers[name]!);
  }

  return function koaMetricsMiddleware(ctx, next) {
    const path = pathOf(ctx);
    if (path !== undefined && path === metricsPath) {
      if (includeMetricsPath) track(ctx, metricsPath);
      return serveMetrics(ctx);
    }
    if (path === undefined || !metrics.isExcluded(path)) track(ctx);
    // Errors pass through untouched, so Koa's error handling and app.on('error') see them as thrown.
    return next();
  };
}

export type { AdapterOptions, HttpMetrics, HttpMetricsOptions } from '../core/index.js';
