/** @echo-health/koa-prometheus-exporter ships no types; this is the part the benchmark uses. */
declare module '@echo-health/koa-prometheus-exporter' {
  import type { Middleware } from 'koa';

  export function middleware(options?: { path?: string; headerBlacklist?: string[] }): Middleware;
  export function httpMetricMiddleware(options?: { httpTimingDisable?: boolean; httpTimingBuckets?: number[] }): Middleware;
}
