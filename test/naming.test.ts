// naming: 'otel': OpenTelemetry's stable HTTP server metrics as Prometheus writes them, through
// createHttpMetrics and the adapters, judged by promtool and a strict parse of both text formats.
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { Registry } from 'prom-client';
import { createHttpMetrics, DEFAULT_BUCKETS, renderRegistry, setStaticLabels } from 'promhttp';
import { fastifyMetrics } from 'promhttp/fastify';
import { honoMetrics } from 'promhttp/hono';
import { instrument } from 'promhttp/node';
import { describe, expect, it } from 'vitest';
import { labelOf, parseStrict } from './support/exposition-strict.js';
import { listen, request } from './support/http.js';
import { promtoolCheckMetrics } from './support/prometheus.js';
import { decodeFamilies, PROTOBUF } from './support/protobuf.js';
import { parseExposition } from './support/scrape.js';

/** http.server.request.duration's ExplicitBucketBoundaries in the semantic conventions (docs/http/http-metrics.md). */
const OTEL_ADVISORY = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

function otel(options: Parameters<typeof createHttpMetrics>[0] = {}) {
  return createHttpMetrics({ registry: new Registry(), defaultMetrics: false, naming: 'otel', ...options });
}

describe("naming: 'otel'", () => {
  it('records http_server_request_duration_seconds with the semantic conventions labels and advisory buckets, and http_server_active_requests; no request counter', async () => {
    const metrics = otel();
    const end = metrics.start();
    const inFlight = await renderRegistry(metrics.registry, 'text');
    expect(inFlight).toContain('# HELP http_server_active_requests Number of active HTTP server requests.\n# TYPE http_server_active_requests gauge\nhttp_server_active_requests 1\n');
    end({ method: 'GET', route: '/users/:id', status: 200 });
    const text = await renderRegistry(metrics.registry, 'text');
    expect(text).toContain('# HELP http_server_request_duration_seconds Duration of HTTP server requests.\n# TYPE http_server_request_duration_seconds histogram\n');
    expect(text).toContain('http_server_request_duration_seconds_count{http_request_method="GET",http_route="/users/:id",http_response_status_code="200"} 1\n');
    expect(text).toContain('http_server_active_requests 0\n');
    expect(text).not.toMatch(/_total|http_requests|[{,]route="|[{,]method="/);
    const bounds = parseExposition(text)
      .filter((s) => s.name === 'http_server_request_duration_seconds_bucket' && s.labels.le !== '+Inf')
      .map((s) => Number(s.labels.le));
    expect(bounds).toEqual(OTEL_ADVISORY);
    expect(DEFAULT_BUCKETS).toEqual(OTEL_ADVISORY);
  });

  it('error_type is the status code on the series of 5xx responses and absent on the others: two label sets in one family, which promtool and both formats accept', async () => {
    const metrics = otel();
    for (const [method, status] of [['GET', 200], ['POST', 404], ['GET', 500], ['BREW', 503], ['GET', 499]] as const) metrics.finish(metrics.begin(), method, '/r', status);
    for (const format of ['text', 'openmetrics'] as const) {
      const text = await renderRegistry(metrics.registry, format);
      const { samples } = parseStrict(text, format);
      const counts = samples.filter((s) => s.name === 'http_server_request_duration_seconds_count');
      expect(counts.map((s) => [labelOf(s, 'http_request_method'), labelOf(s, 'http_response_status_code'), labelOf(s, 'error_type')]), format).toEqual([
        ['GET', '200', undefined],
        ['POST', '404', undefined],
        ['GET', '500', '500'],
        ['_OTHER', '503', '503'],
        ['GET', '499', undefined],
      ]);
      expect(text).not.toContain('error_type=""');
    }
    expect(await promtoolCheckMetrics(await renderRegistry(metrics.registry, 'text'))).toBe('');
  });

  it('keeps the label rules: unmatched routes, _OTHER methods, unknown statuses and the series limit, whose overflow series keep method, status code and error_type on route overflow', async () => {
    const metrics = otel({ maxSeries: 2 });
    metrics.finish(metrics.begin(), 'GET', undefined, 404);
    metrics.finish(metrics.begin(), 'get', '/a', 0);
    metrics.finish(metrics.begin(), 'GET', '/b', 200);
    metrics.finish(metrics.begin(), 'GET', '/c', 500);
    const text = await renderRegistry(metrics.registry, 'text');
    expect(text).toContain('http_server_request_duration_seconds_count{http_request_method="GET",http_route="unmatched",http_response_status_code="404"} 1\n');
    expect(text).toContain('http_server_request_duration_seconds_count{http_request_method="_OTHER",http_route="/a",http_response_status_code="unknown"} 1\n');
    expect(text).toContain('http_server_request_duration_seconds_count{http_request_method="GET",http_route="overflow",http_response_status_code="200"} 1\n');
    expect(text).toContain('http_server_request_duration_seconds_count{http_request_method="GET",http_route="overflow",http_response_status_code="500",error_type="500"} 1\n');
    expect(text).toContain('promhttp_series_overflow_total{metric="http_server_request_duration_seconds"} 2\n');
  });

  it('exemplars go on the histogram buckets only', async () => {
    const metrics = otel();
    metrics.finish(metrics.begin(), 'GET', '/r', 500, { trace_id: 'abc' });
    const text = await renderRegistry(metrics.registry, 'openmetrics');
    expect(text.match(/ # \{trace_id="abc"\}/g)).toHaveLength(1);
    expect(text).toMatch(/http_server_request_duration_seconds_bucket\{http_request_method="GET",http_route="\/r",http_response_status_code="500",error_type="500",le="0.005"\} 1 # \{trace_id="abc"\}/);
  });

  it('nativeHistograms makes the duration histogram native too, its exemplars on its buckets and in Histogram.exemplars', async () => {
    const metrics = otel({ nativeHistograms: true });
    metrics.finish(metrics.begin(), 'GET', '/r', 503, { trace_id: 'abc' });
    const families = decodeFamilies((await metrics.respond({ method: 'GET', accept: PROTOBUF })).body as Uint8Array);
    expect(families.map((f) => f.name).sort()).toEqual(['http_server_active_requests', 'http_server_request_duration_seconds']);
    const series = families.find((f) => f.name === 'http_server_request_duration_seconds')!.metric[0]!;
    expect(Object.fromEntries(series.label.map((l) => [l.name, l.value]))).toEqual({ http_request_method: 'GET', http_route: '/r', http_response_status_code: '503', error_type: '503' });
    expect(series.histogram!.schema).toBe(3);
    expect(series.histogram!.positiveSpan.length).toBe(1);
    expect(series.histogram!.exemplars.map((e) => e.label[0]!.value)).toEqual(['abc']);
  });

  it('takes prefix, names.duration, names.inFlight and constant labels; refuses names.requests and labels it sets itself', () => {
    const metrics = otel({ prefix: 'shop_', names: { duration: 'web_seconds' }, labels: { service: 'checkout' } });
    metrics.finish(metrics.begin(), 'GET', '/r', 200);
    return renderRegistry(metrics.registry, 'text').then((text) => {
      expect(text).toContain('shop_web_seconds_count{service="checkout",http_request_method="GET",http_route="/r",http_response_status_code="200"} 1');
      expect(text).toContain('shop_http_server_active_requests{service="checkout"} 0');
      expect(() => otel({ names: { requests: 'hits_total' } })).toThrow(
        /^promhttp: createHttpMetrics: "names.requests" names the request counter, which naming "otel" does not record: OpenTelemetry counts requests in the duration histogram's _count \(http_server_request_duration_seconds_count\)/,
      );
      expect(() => otel({ labels: { http_route: 'x' } })).toThrow(/^promhttp: createHttpMetrics: "labels" cannot set "http_route"/);
      expect(() => otel({ labels: { error_type: 'x' } })).toThrow(/"labels" cannot set "error_type"/);
      expect(() => createHttpMetrics({ registry: new Registry(), naming: 'opentelemetry' as never })).toThrow(/^promhttp: createHttpMetrics: "naming" must be "default" .* or "otel"/);
    });
  });

  it('setStaticLabels refuses the otel request labels, which would be rendered twice on the request metrics', () => {
    for (const label of ['http_request_method', 'http_route', 'http_response_status_code', 'error_type']) {
      expect(() => setStaticLabels(new Registry(), { [label]: 'x' })).toThrow(new TypeError(`promhttp: setStaticLabels: "${label}" is set by promhttp on its own metrics; pick another label name.`));
    }
    const registry = new Registry();
    setStaticLabels(registry, { service: 'checkout' });
    expect(() => createHttpMetrics({ registry, defaultMetrics: false, naming: 'otel' })).not.toThrow();
  });

  it('a second createHttpMetrics over the same metrics must use the same naming', () => {
    const registry = new Registry();
    createHttpMetrics({ registry, defaultMetrics: false, naming: 'otel' });
    expect(() => createHttpMetrics({ registry, defaultMetrics: false, naming: 'otel', names: { duration: 'http_server_request_duration_seconds', inFlight: 'http_requests_in_flight' } })).toThrow(
      /"http_server_request_duration_seconds" is already recorded in this registry by an earlier createHttpMetrics with other options: "names.inFlight"/,
    );
    // The default names are other metrics: both presets can live in one registry.
    createHttpMetrics({ registry, defaultMetrics: false });
  });

  it('passes through the adapters: node:http, Fastify and Hono record the otel names', async () => {
    const registry = new Registry();
    const node = await listen(instrument((_req, res) => void res.writeHead(500).end(), { registry, defaultMetrics: false, naming: 'otel', route: () => '/n' }));
    await request(`${node.url}/n`);
    const scraped = (await request(`${node.url}/metrics`)).body.toString();
    await node.close();
    expect(scraped).toContain('http_server_request_duration_seconds_count{http_request_method="GET",http_route="/n",http_response_status_code="500",error_type="500"} 1');

    const fastify = Fastify();
    await fastify.register(fastifyMetrics, { registry: new Registry(), defaultMetrics: false, naming: 'otel' });
    fastify.get('/f/:id', async () => 'ok');
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}`;
    await request(`${url}/f/1`);
    expect((await request(`${url}/metrics`)).body.toString()).toContain('http_server_request_duration_seconds_count{http_request_method="GET",http_route="/f/:id",http_response_status_code="200"} 1');
    await fastify.close();

    const app = new Hono();
    app.get('/h/:id', (c) => c.text('ok'));
    const fetch = honoMetrics({ registry: new Registry(), defaultMetrics: false, naming: 'otel' }).wrap(app);
    await fetch(new Request('http://x/h/1'));
    const body = await (await fetch(new Request('http://x/metrics'))).text();
    expect(body).toContain('http_server_request_duration_seconds_count{http_request_method="GET",http_route="/h/:id",http_response_status_code="200"} 1');
    expect(body).toContain('http_server_active_requests 0');
  });
});
