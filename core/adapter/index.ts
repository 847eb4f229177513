/**
 * promhttp/adapter: the kit an adapter is written against. Everything a framework adapter needs
 * and a user of promhttp does not: option resolution shared by every adapter, per-route metrics
 * and request tokens, route grouping and route templates, the scrape answer (for node:http and
 * for fetch runtimes), the label sentinels and the option errors. This entry is semver-stable;
 * docs/writing-an-adapter.md walks through using it.
 */
export { resolveAdapterOptions } from './options.js';
export type { AdapterOptions, ResolvedAdapterOptions } from './options.js';
export { HTTP_METRICS_OPTION_KEYS } from '../http-metrics.js';
export type { EndRequest, ExemplarCapture, ExemplarLabels, ExemplarsOption, HttpMetrics, HttpMetricsOptions, MetricNames, Naming, RequestResult, TraceparentOf } from '../http-metrics.js';
export { asRecorded, compileRouteOption, createRouteMetrics } from '../route-metrics/index.js';
export type {
  EndRouteMetric,
  LabelFunction,
  LabelSource,
  RequestToken,
  RouteAttach,
  RouteCounterOptions,
  RouteGaugeOptions,
  RouteHistogramOptions,
  RouteLabeller,
  RouteLabels,
  RouteMetric,
  RouteMetricOptions,
  RouteMetricsApi,
  RouteMetricsHub,
  RouteOption,
  RouteSummaryOptions,
  StatusHolder,
} from '../route-metrics/index.js';
export { scrapeRequestOf, sendScrape } from '../scrape/handler.js';
export { closedStatus, labelStatus } from '../response-status.js';
export type { ClosedResponse, ClosedSocket, ClosedStream } from '../response-status.js';
export { whenClosed } from '../response-close.js';
export type { CloseEmitter, ClosingResponse } from '../response-close.js';
export type { ScrapeRequest, ScrapeResponse } from '../exposition/respond.js';
export { createScrapeAnswer, SCRAPE_ANSWER_KEYS } from '../scrape/answer.js';
export type { ScrapeAnswerOptions, ScrapeProtection } from '../scrape/answer.js';
export { normalizePath, pathOfTarget } from '../route.js';
export { compileRouteTemplates } from '../route-templates.js';
export type { TemplateMatcher } from '../route-templates.js';
export { pathOfUrl } from '../fetch/path.js';
export { remoteAddressOf, scrapeRequestOfFetch, scrapeResponse } from '../fetch/scrape.js';
export { untilSettled } from '../fetch/settled.js';
export { nodeResponseOf } from '../fetch/node-response.js';
export type { NodeResponse } from '../fetch/node-response.js';
export { upgradedStatus, watchUpgrades } from '../fetch/upgrade.js';
export { CLIENT_CLOSED, OTHER_METHOD, OVERFLOW, UNMATCHED } from '../labels.js';
export { checkKeys, checkObject, checkType, describeValue, optionError } from '../errors.js';
