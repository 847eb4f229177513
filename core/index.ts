/**
 * promhttp: framework-agnostic request metrics and the `/metrics` exposition, your own metrics,
 * several processes, and the Pushgateway. Adapters (`promhttp/node`, `promhttp/koa`,
 * `promhttp/hono`) map their framework onto these hooks; what an adapter author needs besides
 * is in `promhttp/adapter`.
 */
export { createHttpMetrics, DEFAULT_BUCKETS } from './http-metrics.js';
export type { EndRequest, ExemplarLabels, ExemplarsOption, HttpMetrics, HttpMetricsOptions, MetricNames, Naming, RequestResult } from './http-metrics.js';
export { metricsHandler } from './scrape/handler.js';
export type { MetricsHandlerOptions } from './scrape/handler.js';
export { negotiate, renderRegistry } from './exposition/render.js';
export { expose } from './exposition/shared.js';
export type { Exposition, ExposeRequest } from './exposition/render.js';
export { respond } from './exposition/respond.js';
export type { ScrapeRequest, ScrapeResponse } from './exposition/respond.js';
export type { Format, TextFormat } from './exposition/format.js';
export { normalizePath } from './route.js';
export type { ExcludeRule } from './exclude.js';
export { CLIENT_CLOSED, OTHER_METHOD, OVERFLOW, UNMATCHED } from './labels.js';
export type { AdapterOptions } from './adapter/options.js';
export { counter } from './metrics/counter.js';
export type { Counter, CounterChild, CounterOptions } from './metrics/counter.js';
export { gauge } from './metrics/gauge.js';
export type { Gauge, GaugeChild, GaugeMode, GaugeOptions } from './metrics/gauge.js';
export { histogram } from './metrics/histogram.js';
export type { Histogram, HistogramChild, HistogramOptions } from './metrics/histogram.js';
export type { NativeHistogramOptions } from './metrics/native-options.js';
export { summary } from './metrics/summary.js';
export type { Summary, SummaryChild, SummaryOptions } from './metrics/summary.js';
export { INVALID_LABEL_VALUE } from './metrics/metric.js';
export type { LabelValues, MetricInfo } from './metrics/metric.js';
export type { MetricOptions } from './metrics/options.js';
export type { EndTimer } from './metrics/timer.js';
export { setStaticLabels, staticLabelsOf } from './metrics/static-labels.js';
export { appInfo, info } from './info.js';
export type { AppInfoLabel, AppInfoOptions, Info, InfoOptions } from './info.js';
export { countExceptions, OTHER_ERROR, timed, trackInProgress } from './instrument-fn.js';
export type { CountExceptionsOptions, Incrementer, Observer, UpDown } from './instrument-fn.js';
export { startMetricsServer } from './scrape/server.js';
export type { MetricsServer, MetricsServerOptions } from './scrape/server.js';
export type { MetricsServerTls } from './scrape/tls.js';
export type { ScrapeAnswerOptions, ScrapeProtection } from './scrape/answer.js';
export type { AuthFunction, AuthOption, AuthRequest } from './scrape/auth.js';
export { createPushgateway } from './push/pushgateway.js';
export type { Pushgateway, PushgatewayOptions } from './push/pushgateway.js';
export { PushgatewayError } from './push/send.js';
export type { GroupingKey } from './push/grouping-key.js';
export type { PushEveryOptions, PushSchedule } from './push/interval.js';
export type { ExitSignal, PushAtExitOptions } from './push/at-exit.js';
export { runJob } from './push/job.js';
export type { JobContext, RunJobOptions } from './push/job.js';
export { clearDirectory, enableMultiprocess, MULTIPROC_DIR_ENV, renderDirectory, WORKER_ENV } from './multiprocess/index.js';
export type {
  ClearDirectoryOptions,
  ClearResult,
  CompactResult,
  EnableMultiprocessOptions,
  MultiprocessOptions,
  MultiprocessStore,
  RenderDirectoryOptions,
  ResetPolicy,
} from './multiprocess/index.js';
export { clusterPrimary, clusterWorker } from './multiprocess/ipc/index.js';
export type { ClusterPrimary, ClusterPrimaryOptions, ClusterWorker, ClusterWorkerOptions } from './multiprocess/ipc/index.js';
export { startWorkerTarget } from './multiprocess/targets/index.js';
export type { WorkerIndexSource, WorkerTarget, WorkerTargetOptions } from './multiprocess/targets/index.js';
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
} from './route-metrics/index.js';
