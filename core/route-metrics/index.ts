export { compileRouteOption } from './grouping.js';
export type { RouteLabeller } from './grouping.js';
export { createRouteMetrics } from './hub.js';
export { asRecorded } from './recorded-status.js';
export type { StatusHolder } from './recorded-status.js';
export type { RequestToken, RouteAttach, RouteMetricsHub } from './hub.js';
export type { EndRouteMetric, RouteMetric } from './define.js';
export type {
  LabelFunction,
  LabelSource,
  RouteCounterOptions,
  RouteGaugeOptions,
  RouteHistogramOptions,
  RouteLabels,
  RouteMetricOptions,
  RouteMetricsApi,
  RouteOption,
  RouteSummaryOptions,
} from './types.js';
