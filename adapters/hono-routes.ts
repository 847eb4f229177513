// Which route a Hono request is labelled with, from the routes Hono matched: shared by the
// middleware (which knows the function that answered) and wrap (which sees only the match).
import type { Context } from 'hono';
import { matchedRoutes } from 'hono/route';
import { TrieRouter } from 'hono/router/trie-router';
import type { RouterRoute } from 'hono/types';
import { CLIENT_CLOSED } from '../core/adapter/index.js';

/** A sub-app with its own onError wraps each handler and keeps the original under this key. */
const COMPOSED_HANDLER = '__COMPOSED_HANDLER';
export type Handler = { readonly length: number; readonly [COMPOSED_HANDLER]?: Handler };

/** Hono's own test (the one `showRoutes` uses), limited to `use()`/`all()`: a route-scoped function is part of its route. */
function isMiddleware(route: Pick<RouterRoute, 'method' | 'handler'>): boolean {
  return route.method === 'ALL' && unwrapped(route.handler).length > 1;
}

/** The function registered, under the wrappers of sub-apps with their own onError. */
export function unwrapped(handler: Handler): Handler {
  while (handler[COMPOSED_HANDLER] !== undefined) handler = handler[COMPOSED_HANDLER];
  return handler;
}

/**
 * True when `handler` is a wildcard pattern (`/*`, `/app/*`) that takes in the narrower pattern
 * `middleware` (`/static/*`): an SPA fallback behind serveStatic, a catch-all behind a scoped
 * middleware. The request is then labelled with the narrower pattern, whichever of the two
 * answered, so that static assets do not count as pages of the fallback.
 */
function covers(handler: string, middleware: string): boolean {
  if (!handler.endsWith('*')) return false;
  const wide = handler === '*' ? '/' : handler.slice(0, -1);
  const narrow = middleware === '*' ? '/*' : middleware;
  return narrow.startsWith(wide) && narrow !== `${wide}*`;
}

/** The narrowest middleware pattern among the first `before` of `list` that the wildcard `handler` takes in, else `handler`. */
function narrowed<T>(handler: string, list: readonly T[], routeOfItem: (item: T) => RouterRoute, before: number): string {
  if (!handler.endsWith('*')) return handler;
  let label = handler;
  for (let i = 0; i < before; i++) {
    const route = routeOfItem(list[i]!);
    if (isMiddleware(route) && covers(handler, route.path) && route.path.length >= label.length) label = route.path;
  }
  return label;
}
const itself = (route: RouterRoute): RouterRoute => route;
const routeOfMatch = (match: Matched[number]): RouterRoute => match[0][1];

/**
 * The template of the route that answered. `routeIndex` is the last function Hono dispatched: a
 * handler, or a middleware that answered early (auth), which is labelled with the route it guarded.
 * Past the last handler only middleware ran: it either served the request itself (serveStatic, a
 * proxy) or let it fall through to notFound, which is `unmatched` and never a raw path. A wildcard
 * handler yields to a narrower middleware pattern (`covers`).
 */
export function routeOf(c: Context, status: number, own?: Handler): string | undefined {
  // On Node this runs in a 'close' listener, where a throw would take the process down.
  try {
    const routes = matchedRoutes(c);
    const last = c.req.routeIndex;
    for (let i = last; i < routes.length; i++) if (!isMiddleware(routes[i]!)) return narrowed(routes[i]!.path, routes, itself, i);
    const answered = routes[last];
    // promhttp's own middleware answers nothing: whatever answered after it (notFound, an SPA fallback there) matched no route.
    if (answered === undefined || (own !== undefined && unwrapped(answered.handler) === own)) return undefined;
    return status === 404 || status === CLIENT_CLOSED ? undefined : answered.path;
  } catch {
    return undefined;
  }
}

/**
 * True when a registration's pattern takes in the metrics path and names part of it (`/metrics`,
 * `/metrics/*`, `/internal/*` for `/internal/metrics`, `/:p{metrics}`). Patterns made only of
 * wildcards and plain parameters (`*`, `/:page`) belong to every path, not to this one: a logger
 * on `*` is no guard of the metrics.
 */
export function registeredOn(pattern: string, metricsPath: string): boolean {
  // A parameter with a pattern of its own (`/:p{metrics}`) names the paths it takes, as a literal does.
  const names = (segment: string): boolean => segment !== '' && segment !== '*' && (!segment.startsWith(':') || segment.includes('{'));
  if (!pattern.split('/').some(names)) return false;
  const router = new TrieRouter<true>();
  router.add('GET', pattern, true);
  return router.match('GET', metricsPath)[0].length > 0;
}

/** What a Hono router's `match` returns: each matched function, with the route it was registered under, and its parameters. */
export type Matched = ReadonlyArray<readonly [readonly [unknown, RouterRoute], unknown]>;

/**
 * The template of the route that answered, for `wrap`, which sees the router's match but not which
 * function answered: the first handler (narrowed as in `routeOf`), else (only middleware ran) the
 * last middleware, as `routeOf` does with the context.
 */
export function templateOf(matched: Matched, status: number): string | undefined {
  for (let i = 0; i < matched.length; i++) if (!isMiddleware(matched[i]![0][1])) return narrowed(matched[i]![0][1].path, matched, routeOfMatch, i);
  return status === 404 || status === CLIENT_CLOSED ? undefined : matched[matched.length - 1]?.[0][1].path;
}

/** The router's match, when Hono's own was not seen. On Node this runs in a 'close' listener, where a throw would take the process down. */
export function matchOf(router: { match(method: string, path: string): readonly unknown[] }, method: string, path: string): Matched {
  try {
    return router.match(method === 'HEAD' ? 'GET' : method, path)[0] as Matched;
  } catch {
    return [];
  }
}
