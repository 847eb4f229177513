// A real Prometheus 2.42 with exemplar storage scrapes an app instrumented with `exemplars: true`,
// which serves requests carrying known W3C traceparent headers: /api/v1/query_exemplars must
// return those trace ids. Once over OpenMetrics text (classic histogram, the exemplars on
// http_request_duration_seconds_bucket), once over protobuf with native histograms on as well.
// Each traced request is scraped before the next is sent: a bucket keeps only its latest exemplar.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { instrument } from 'promhttp/node';
import { afterEach, describe, expect, it } from 'vitest';
import { traceparent } from './support/exemplars.js';
import { request } from './support/http.js';
import { startPrometheus, type Prometheus } from './support/prometheus.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop();
});

/**
 * How long /users/:n takes: each traced request of IDS faster than the one before, so that its
 * exemplar sits in a lower bucket than every older one. Prometheus 2.42 takes one exemplar per
 * native histogram per scrape, the first in bucket order; the newest must come first to be kept.
 */
const DELAY_MS: Readonly<Record<string, number>> = { '/users/225': 600, '/users/226': 120 };

/** A node:http app with exemplars on, serving /users/:id (and its own /metrics). */
async function startApp(nativeHistograms: boolean): Promise<string> {
  const server: Server = createServer(
    instrument((req, res) => void setTimeout(() => res.end('ok'), DELAY_MS[req.url ?? ''] ?? 0), {
      registry: new Registry(),
      defaultMetrics: false,
      route: () => '/users/:id',
      exemplars: true,
      nativeHistograms,
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

interface ExemplarSeries {
  seriesLabels: Record<string, string>;
  exemplars: Array<{ labels: Record<string, string>; value: string; timestamp: number }>;
}

async function queryExemplars(prometheus: Prometheus, query: string, since: number): Promise<ExemplarSeries[]> {
  const url = `${prometheus.url}/api/v1/query_exemplars?query=${encodeURIComponent(query)}&start=${since / 1000 - 60}&end=${Date.now() / 1000 + 60}`;
  const body = (await (await fetch(url)).json()) as { status: string; error?: string; data: ExemplarSeries[] };
  if (body.status !== 'success') throw new Error(`query_exemplars ${query} failed: ${body.error}`);
  return body.data;
}

/** Sends one traced request per id, each followed by a scrape; returns the trace ids sent. */
async function tracedRequests(prometheus: Prometheus, target: string, ids: readonly number[]): Promise<string[]> {
  const sent: string[] = [];
  for (const n of ids) {
    const trace = traceparent(n);
    const response = await request(`http://${target}/users/${n}`, { headers: { traceparent: trace.header } });
    expect(response.status).toBe(200);
    sent.push(trace.traceId);
    await prometheus.waitForFreshScrape();
  }
  // One more request without a trace: nothing new to keep, and the ones before stay in Prometheus.
  await request(`http://${target}/users/0`);
  await prometheus.waitForFreshScrape();
  return sent;
}

const IDS = [0xe1, 0xe2, 0xe3];

describe('exemplars in a real Prometheus 2.42 (--enable-feature=exemplar-storage)', () => {
  it('OpenMetrics text: query_exemplars returns the trace ids of the requests for http_request_duration_seconds_bucket and http_requests_total', { timeout: 60_000 }, async () => {
    const target = await startApp(false);
    const since = Date.now();
    const prometheus = await startPrometheus([{ job: 'exemplars', targets: [target] }], { features: ['exemplar-storage'] });
    cleanup.push(() => prometheus.stop());
    await prometheus.waitForFreshScrape();
    const sent = await tracedRequests(prometheus, target, IDS);

    const buckets = await queryExemplars(prometheus, 'http_request_duration_seconds_bucket{job="exemplars"}', since);
    const seen = buckets.flatMap((s) => s.exemplars.map((e) => ({ le: s.seriesLabels.le, route: s.seriesLabels.route, trace: e.labels.trace_id, span: e.labels.span_id, value: Number(e.value) })));
    expect(new Set(seen.map((e) => e.trace))).toEqual(new Set(sent));
    // Each on the bucket its duration fell in, with its span id; the value is the duration in seconds.
    for (const e of seen) {
      expect(e.route).toBe('/users/:id');
      expect(e.span).toBe(traceparent(IDS[sent.indexOf(e.trace!)]!).spanId);
      expect(e.value).toBeLessThanOrEqual(Number(e.le));
      expect(e.value).toBeGreaterThan(0);
    }
    const counter = await queryExemplars(prometheus, 'http_requests_total{job="exemplars"}', since);
    expect(new Set(counter.flatMap((s) => s.exemplars.map((e) => e.labels.trace_id)))).toEqual(new Set(sent));
  });

  it('protobuf with native histograms: query_exemplars returns the trace ids of the requests for http_request_duration_seconds', { timeout: 60_000 }, async () => {
    const target = await startApp(true);
    const since = Date.now();
    const prometheus = await startPrometheus([{ job: 'exemplars-native', targets: [target] }], { features: ['exemplar-storage', 'native-histograms'] });
    cleanup.push(() => prometheus.stop());
    await prometheus.waitForFreshScrape();
    const sent = await tracedRequests(prometheus, target, IDS);

    // Prometheus 2.42 keeps the native histogram only, and puts the exemplars of its buckets on it,
    // one per scrape: the first in bucket order (DELAY_MS makes it the newest each time).
    const native = await queryExemplars(prometheus, 'http_request_duration_seconds{job="exemplars-native"}', since);
    expect(new Set(native.flatMap((s) => s.exemplars.map((e) => e.labels.trace_id)))).toEqual(new Set(sent));
    const counter = await queryExemplars(prometheus, 'http_requests_total{job="exemplars-native"}', since);
    expect(new Set(counter.flatMap((s) => s.exemplars.map((e) => e.labels.trace_id)))).toEqual(new Set(sent));
  });
});
