import type { ResolvedOps } from '../options.js';
import { CLIENT_CLOSED, OVERFLOW } from '../../../core/labels.js';
import { durationCount, durationQuantile, durationSum, fiveXX, knownStatus, quote, requestRate } from '../promql.js';
import type { RowSpec } from './panel.js';
import { RATE_INTERVAL, selectors } from './selectors.js';

/** Traffic, errors and latency: what the users of the service see. */
export function httpRows(ops: ResolvedOps): RowSpec[] {
  const { duration } = ops.names;
  const { route, status } = ops.label;
  const s = selectors(ops);
  const rate = (sel: string): string => requestRate(ops, sel, RATE_INTERVAL);
  const byRoute = (sel: string): string => `sum by (${route}) (${rate(sel)})`;
  const routeLegend = `{{${route}}}`;
  const quantile = (q: number) => ({
    title: `p${q * 100} latency by route`,
    description: `${q * 100} % of the requests on each route finished faster than this (histogram_quantile over the ${ops.native ? 'native histogram' : 'duration buckets'}).`,
    unit: 's',
    width: 8,
    queries: [{ expr: durationQuantile(ops, q, route, s.route(), RATE_INTERVAL, true), legend: routeLegend }],
  });
  return [
    {
      title: 'Traffic',
      panels: [
        { title: 'Request rate by route', description: 'Requests per second that ended, by route template.', unit: 'reqps', queries: [{ expr: byRoute(s.route()), legend: routeLegend }] },
        {
          title: 'Request rate by status class',
          description: `Requests per second by the class of their status code (499, a client that went away, counts as 4xx; "${OVERFLOW}", requests in an overflow series that lost its status code).`,
          unit: 'reqps',
          queries: [{ expr: `sum by (class) (label_replace(label_replace(${rate(s.route())}, "class", "\${1}xx", "${status}", "([1-5])[0-9][0-9]"), "class", ${quote(OVERFLOW)}, "${status}", ${quote(OVERFLOW)}))`, legend: '{{class}}' }],
        },
      ],
    },
    {
      title: 'Errors',
      panels: [
        {
          title: '5xx ratio',
          description: 'Share of the requests answered with a 5xx status, all chosen routes together.',
          unit: 'percentunit',
          queries: [{ expr: `(sum(${rate(s.route(fiveXX(ops)))}) or vector(0)) / sum(${rate(s.route(knownStatus(ops)))})`, legend: '5xx' }],
        },
        {
          title: '5xx ratio by route',
          description: 'Share of the requests on each route answered with a 5xx status.',
          unit: 'percentunit',
          queries: [{ expr: `(${byRoute(s.route(fiveXX(ops)))} or ${byRoute(s.route(knownStatus(ops)))} * 0) / ${byRoute(s.route(knownStatus(ops)))}`, legend: routeLegend }],
        },
        {
          title: '4xx by route',
          description: 'Requests per second answered with a 4xx status, by route and status. Unknown paths are the route "unmatched".',
          unit: 'reqps',
          queries: [{ expr: `sum by (${route}, ${status}) (${rate(s.route(`${status}=~"4.."`))})`, legend: `${routeLegend} {{${status}}}` }],
        },
        {
          title: `Client aborts (${CLIENT_CLOSED})`,
          description: 'Requests per second whose client closed the connection before the response was sent.',
          unit: 'reqps',
          queries: [{ expr: byRoute(s.route(`${status}="${CLIENT_CLOSED}"`)), legend: routeLegend }],
        },
      ],
    },
    {
      title: 'Latency',
      panels: [
        quantile(0.5),
        quantile(0.9),
        quantile(0.99),
        {
          title: 'Request duration heatmap',
          description: 'Requests per second that ended in each duration bucket.',
          // A rate, not increase(): Grafana steps by $__interval, shorter than $__rate_interval, so
          // increases over overlapping windows would count each request several times.
          unit: 'reqps',
          yUnit: 's',
          kind: 'heatmap',
          // Grafana draws a native histogram's buckets itself, from a query left in the time series format.
          ...(ops.native ? { native: true } : {}),
          queries: [ops.native ? { expr: `sum(rate(${duration}${s.route()}[${RATE_INTERVAL}]))` } : { expr: `sum by (le) (rate(${duration}_bucket${s.route()}[${RATE_INTERVAL}]))`, legend: '{{le}}' }],
        },
        {
          title: 'Mean latency by route',
          description: 'Time spent per request on each route, on average.',
          unit: 's',
          queries: [{ expr: `sum by (${route}) (${durationSum(ops, s.route(), RATE_INTERVAL)}) / sum by (${route}) (${durationCount(ops, s.route(), RATE_INTERVAL)})`, legend: routeLegend }],
        },
      ],
    },
  ];
}
