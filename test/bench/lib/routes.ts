import client, { type Registry } from 'prom-client';
import type { HttpMetrics } from 'promhttp';

/** prom-client's default buckets, which promhttp uses too. */
export const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
/** A route's samples: its histogram's buckets, +Inf, _sum and _count, and its counter. */
export const SAMPLES_PER_ROUTE = BUCKETS.length + 3 + 1;
export const LABEL_NAMES = ['method', 'route', 'status_code'];

/**
 * Records the same `routes` routes, three requests each with durations spread over the buckets,
 * into promhttp's `metrics` and into the same three metrics made with prom-client in `registry`.
 * Routes are numbered from `first`, so that several processes can serve routes of their own.
 */
export function recordRoutes(metrics: HttpMetrics, registry: Registry, routes: number, first = 0): void {
  const registers = [registry];
  const labelNames = LABEL_NAMES;
  const counter = new client.Counter({ name: 'http_requests_total', help: 'Total HTTP requests.', labelNames, registers });
  const histogram = new client.Histogram({ name: 'http_request_duration_seconds', help: 'Duration of HTTP requests in seconds.', labelNames, buckets: BUCKETS, registers });
  new client.Gauge({ name: 'http_requests_in_flight', help: 'HTTP requests being served right now.', registers });
  for (let i = first; i < first + routes; i++) {
    const route = `/api/v1/resource${i}/:id`;
    for (let k = 0; k < 3; k++) {
      // finish() times from startedAt; moving it back gives durations spread over the buckets.
      const seconds = Math.random() * 0.3;
      metrics.finish(metrics.begin() - seconds * 1000, 'GET', route, 200);
      histogram.observe({ method: 'GET', route, status_code: 200 }, seconds);
      counter.inc({ method: 'GET', route, status_code: 200 });
    }
  }
}
