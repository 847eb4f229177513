/**
 * promhttp core: framework-agnostic request metrics and the `/metrics` exposition.
 * Adapters (`promhttp/node`, `promhttp/koa`, `promhttp/hono`) map their framework onto these hooks.
 */
export { createHttpMetrics, DEFAULT_BUCKETS, HTTP_METRICS_OPTION_KEYS } from './http-metrics.js';
export type { EndRequest, HttpMetrics, HttpMetricsOptions, MetricNames, RequestResult } from './http-metrics.js';
export { metricsHandler, sendScrape } from './handler.js';
export type { MetricsHandlerOptions } from './handler.js';
export { expose, negotiate, renderRegistry } from './exposition/render.js';
export type { Exposition, ExposeRequest } from './exposition/render.js';
export { respond } from './exposition/respond.js';
export type { ScrapeRequest, ScrapeResponse } from './exposition/respond.js';
export type { Format } from './exposition/format.js';
export { normalizePath } from './route.js';
export type { ExcludeRule } from './exclude.js';
export { CLIENT_CLOSED, OTHER_METHOD, OVERFLOW, UNMATCHED } from './labels.js';
export { checkKeys, checkObject, optionError } from './errors.js';
export { resolveAdapterOptions } from './adapter-options.js';
export type { AdapterOptions, ResolvedAdapterOptions } from './adapter-options.js';
