import { optionError } from '../errors.js';
import { UNMATCHED } from '../labels.js';
import type { RouteOption } from './types.js';

/** A raw path longer than this is not worth a series of its own. */
const MAX_PATH = 256;

/** Computes the `route` label of a finished request; never throws. */
export type RouteLabeller<Args extends readonly unknown[]> = (status: number, args: Args) => string | undefined;

/**
 * Checks an adapter's `route` option. `undefined` keeps the adapter's route template. `"path"`
 * labels by raw path (query dropped), 404s as `unmatched` so that scanners cannot fill the
 * `maxRoutes` budget; the core caps the rest into `overflow`.
 */
export function compileRouteOption<Args extends readonly unknown[]>(
  where: string,
  option: unknown,
  pathOf: (...args: Args) => string | undefined,
): RouteLabeller<Args> | undefined {
  if (option === undefined) return undefined;
  if (option === 'path') {
    return function rawPathRoute(status, args) {
      if (status === 404) return UNMATCHED;
      const path = pathOf(...args);
      return path !== undefined && path.length <= MAX_PATH ? path : UNMATCHED;
    };
  }
  if (typeof option !== 'function') {
    throw optionError(`${where}: "route" must be a function of the request returning the route label, or "path" to label by raw path (one series set per path; see docs/route-metrics.md), got ${JSON.stringify(option)}.`);
  }
  const routeOf = option as Extract<RouteOption<Args>, (...a: Args) => unknown>;
  return function customRoute(_status, args) {
    try {
      const route: unknown = routeOf(...args);
      return typeof route === 'string' ? route : UNMATCHED;
    } catch {
      return UNMATCHED;
    }
  };
}
