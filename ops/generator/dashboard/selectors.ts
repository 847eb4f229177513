import type { ResolvedOps } from '../options.js';
import { selector, staticMatchers } from '../promql.js';

/** Grafana fills this in from the panel's width and the time range, never below 4 scrape intervals. */
export const RATE_INTERVAL = '$__rate_interval';
/** The dashboard's whole time range, for totals. */
export const RANGE = '$__range';

/** The label matchers panels put on each kind of metric, with the dashboard's variables. */
export interface Selectors {
  /** Request metrics of the chosen jobs and instances (no `route` label: the in-flight gauge). */
  readonly app: string;
  /** Request metrics of the chosen routes, with an extra matcher such as a status class. */
  route(...extra: string[]): string;
  /** Metrics of the chosen targets that do not carry the request metrics' constant labels. */
  readonly target: string;
}

export function selectors(ops: ResolvedOps): Selectors {
  const targets = ['job=~"$job"', 'instance=~"$instance"'];
  return {
    app: selector(staticMatchers(ops), targets),
    route: (...extra) => selector(staticMatchers(ops), targets, `${ops.label.route}=~"$route"`, extra),
    target: selector(targets),
  };
}
