import { gunzipSync } from 'node:zlib';
import type { RequestListener } from 'node:http';
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpMetrics, histogram, metricsHandler, summary, type HttpMetrics } from 'promhttp';
import { instrument } from 'promhttp/node';
import { listen, request, type Listening } from './support/http.js';
import { OPENMETRICS, PROMETHEUS_ACCEPT, TEXT } from './support/content-types.js';
import { find, parseExposition, scrapeSettled, sum } from './support/scrape.js';


const open: Listening[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((l) => l.close()));
});

async function serve(listener: RequestListener): Promise<Listening> {
  const listening = await listen(listener);
  open.push(listening);
  return listening;
}

/** Metrics with a few recorded requests and nothing that changes between scrapes. */
function recorded(): HttpMetrics {
  const metrics = createHttpMetrics({ registry: new Registry(), defaultMetrics: false });
  metrics.finish(metrics.begin(), 'GET', '/users/:id', 200);
  metrics.finish(metrics.begin(), 'GET', '/users/:id', 200);
  metrics.finish(metrics.begin(), 'POST', '/orders', 500);
  return metrics;
}

async function metricsServer(metrics: HttpMetrics = recorded()): Promise<string> {
  return `${(await serve(metricsHandler({ metrics }))).url}/metrics`;
}

describe('content negotiation', () => {
  const cases: Array<[string, string | undefined, 'text' | 'openmetrics']> = [
    ["Prometheus's own Accept header", PROMETHEUS_ACCEPT, 'openmetrics'],
    ['no Accept header', undefined, 'text'],
    ['text/plain only', 'text/plain', 'text'],
    ['*/* only', '*/*', 'text'],
    ['OpenMetrics with a lower q than text', 'application/openmetrics-text;version=1.0.0;q=0.3,text/plain;version=0.0.4;q=0.9', 'text'],
    ['OpenMetrics only', 'application/openmetrics-text', 'openmetrics'],
  ];
  for (const [name, accept, format] of cases) {
    it(`answers ${format} for ${name}`, async () => {
      const url = await metricsServer();
      const response = await request(url, { headers: accept === undefined ? {} : { accept } });
      const body = response.body.toString();
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe(format === 'text' ? TEXT : OPENMETRICS);
      expect(response.headers.vary).toBe('Accept, Accept-Encoding');
      if (format === 'openmetrics') {
        expect(body.endsWith('\n# EOF\n')).toBe(true);
        expect(body).toContain('# TYPE http_requests counter\n');
      } else {
        expect(body).not.toContain('# EOF');
        expect(body).toContain('# TYPE http_requests_total counter\n');
      }
      expect(sum(parseExposition(body), 'http_requests_total')).toBe(3);
    });
  }
});

describe('compression', () => {
  const cases: Array<[string, boolean]> = [
    ['gzip', true],
    ['gzip, deflate, br', true],
    ['deflate, gzip;q=0.8', true],
    ['*', true],
    ['gzip;q=0', false],
    ['identity', false],
    ['br', false],
  ];
  for (const [acceptEncoding, gzipped] of cases) {
    it(`${gzipped ? 'gzips' : 'does not gzip'} for Accept-Encoding: ${acceptEncoding}`, async () => {
      const url = await metricsServer();
      const plain = await request(url);
      const response = await request(url, { headers: { 'accept-encoding': acceptEncoding } });
      expect(response.status).toBe(200);
      expect(response.headers['content-encoding']).toBe(gzipped ? 'gzip' : undefined);
      expect(Number(response.headers['content-length'])).toBe(response.body.byteLength);
      const body = gzipped ? gunzipSync(response.body) : response.body;
      expect(body.toString()).toBe(plain.body.toString());
      expect(sum(parseExposition(body.toString()), 'http_requests_total')).toBe(3);
    });
  }
});

describe('methods', () => {
  it('answers HEAD with the headers of a GET, its Content-Length, and no body', async () => {
    const url = await metricsServer();
    const getResponse = await request(url);
    const head = await request(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.byteLength).toBe(0);
    expect(head.headers['content-type']).toBe(TEXT);
    expect(Number(head.headers['content-length'])).toBe(getResponse.body.byteLength);
    expect(getResponse.body.byteLength).toBeGreaterThan(0);
  });

  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
    it(`answers ${method} with 405 and Allow: GET, HEAD`, async () => {
      const response = await request(await metricsServer(), { method });
      expect(response.status).toBe(405);
      expect(response.headers.allow).toBe('GET, HEAD');
      expect(response.body.toString()).toMatch(/^promhttp: /);
    });
  }
});

describe('failing collectors', () => {
  it('answers 500 with the reason when a gauge collect() throws, and keeps serving', async () => {
    const registry = new Registry();
    new Gauge({
      name: 'queue_depth',
      help: 'Jobs waiting.',
      registers: [registry],
      collect() {
        throw new Error('database down');
      },
    });
    const app = await serve(instrument((_req, res) => res.end('ok'), { registry, defaultMetrics: false }));
    for (let attempt = 0; attempt < 2; attempt++) {
      const failed = await request(`${app.url}/metrics`);
      expect(failed.status).toBe(500);
      expect(failed.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(failed.body.toString()).toMatch(/^promhttp: .*"queue_depth".*database down/);
      expect((await request(`${app.url}/`)).status).toBe(200);
    }
    registry.removeSingleMetric('queue_depth');
    expect(sum(await scrapeSettled(app.url), 'http_requests_total', { route: '/' })).toBe(2);
  });

  it('answers 500 with the reason when a custom metric get() rejects', async () => {
    const metrics = recorded();
    metrics.registry.registerMetric({
      name: 'upstream_latency',
      help: 'From a remote system.',
      type: 'gauge',
      get: () => Promise.reject(new Error('upstream timeout')),
      reset() {},
    } as never);
    const url = await metricsServer(metrics);
    const failed = await request(url, { headers: { accept: PROMETHEUS_ACCEPT, 'accept-encoding': 'gzip' } });
    expect(failed.status).toBe(500);
    expect(failed.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(failed.headers['content-encoding']).toBeUndefined();
    expect(failed.body.toString()).toMatch(/^promhttp: .*"upstream_latency".*upstream timeout/);
  });
});

describe('OpenMetrics output', () => {
  it('names counter families without _total and their samples with it', async () => {
    const metrics = recorded();
    new Counter({ name: 'jobs_total', help: 'Jobs done.', registers: [metrics.registry] }).inc(3);
    const body = (await request(await metricsServer(metrics), { headers: { accept: PROMETHEUS_ACCEPT } })).body.toString();
    expect(body).toContain('# TYPE http_requests counter\n');
    expect(body).not.toContain('# TYPE http_requests_total');
    expect(body).toContain('http_requests_total{method="GET",route="/users/:id",status_code="200"} 2\n');
    expect(body).toContain('# TYPE jobs counter\n');
    expect(body).toContain('\njobs_total 3\n');
  });

  it('writes histogram bounds as canonical floats, for promhttp and prom-client histograms', async () => {
    const metrics = recorded();
    new Histogram({ name: 'job_seconds', help: 'Job time.', buckets: [0.5, 1, 2], registers: [metrics.registry] }).observe(1.5);
    const url = await metricsServer(metrics);
    const om = (await request(url, { headers: { accept: PROMETHEUS_ACCEPT } })).body.toString();
    for (const le of ['0.005', '1.0', '10.0', '+Inf']) expect(om).toContain(`http_request_duration_seconds_bucket{method="GET",route="/users/:id",status_code="200",le="${le}"} 2\n`);
    expect(om).toContain('job_seconds_bucket{le="1.0"} 0\n');
    expect(om).toContain('job_seconds_bucket{le="2.0"} 1\n');
    expect(om).toContain('job_seconds_bucket{le="+Inf"} 1\n');
    const text = (await request(url)).body.toString();
    expect(text).toContain('le="1"} 2\n');
    expect(text).not.toContain('le="1.0"');
  });

  it('leaves out the _sum of a histogram series that received a negative value, and of a histogram with negative bounds, in OpenMetrics only', async () => {
    const metrics = recorded();
    const registry = metrics.registry;
    const drift = histogram({ name: 'clock_drift_seconds', help: 'Clock drift.', labelNames: ['peer'], buckets: [0.1, 1], registry });
    drift.observe({ peer: 'a' }, 0.5);
    drift.observe({ peer: 'b' }, 0.5);
    drift.observe({ peer: 'b' }, -0.2);
    histogram({ name: 'offset_seconds', help: 'Offsets.', buckets: [-1, 0, 1], registry }).observe(0.5);
    new Histogram({ name: 'skew_seconds', help: 'Skew.', buckets: [-1, 0, 1], registers: [registry] }).observe(0.5);
    const url = await metricsServer(metrics);
    const om = parseExposition((await request(url, { headers: { accept: PROMETHEUS_ACCEPT } })).body.toString());
    const text = parseExposition((await request(url)).body.toString());
    // Every observation is still counted, in both formats.
    for (const samples of [om, text]) {
      expect(find(samples, 'clock_drift_seconds_count').map((s) => [s.labels.peer, s.value])).toEqual([
        ['a', 1],
        ['b', 2],
      ]);
      expect(sum(samples, 'clock_drift_seconds_bucket', { peer: 'b', le: '0.1' })).toBe(1);
      expect(sum(samples, 'offset_seconds_count')).toBe(1);
      expect(sum(samples, 'skew_seconds_count')).toBe(1);
    }
    expect(find(om, 'clock_drift_seconds_sum').map((s) => [s.labels.peer, s.value])).toEqual([['a', 0.5]]);
    expect(find(om, 'offset_seconds_sum')).toEqual([]);
    expect(find(om, 'skew_seconds_sum')).toEqual([]);
    // The request duration histogram keeps its sum.
    expect(find(om, 'http_request_duration_seconds_sum')).toHaveLength(2);
    expect(find(text, 'clock_drift_seconds_sum').map((s) => [s.labels.peer, s.value])).toEqual([
      ['a', 0.5],
      ['b', 0.3],
    ]);
    expect(sum(text, 'offset_seconds_sum')).toBe(0.5);
    expect(sum(text, 'skew_seconds_sum')).toBe(0.5);
  });

  it('leaves out the _sum of a summary series whose sum is negative, promhttp and prom-client ones, in OpenMetrics only', async () => {
    const metrics = recorded();
    const registry = metrics.registry;
    const lag = summary({ name: 'lag_seconds', help: 'Lag.', labelNames: ['peer'], registry });
    lag.observe({ peer: 'a' }, 0.5);
    lag.observe({ peer: 'b' }, -3);
    new Summary({ name: 'skew_seconds', help: 'Skew.', percentiles: [0.5], registers: [registry] }).observe(-2);
    const url = await metricsServer(metrics);
    const om = parseExposition((await request(url, { headers: { accept: PROMETHEUS_ACCEPT } })).body.toString());
    const text = parseExposition((await request(url)).body.toString());
    for (const samples of [om, text]) {
      expect(find(samples, 'lag_seconds_count').map((s) => [s.labels.peer, s.value])).toEqual([['a', 1], ['b', 1]]);
      expect(sum(samples, 'skew_seconds_count')).toBe(1);
    }
    expect(find(om, 'lag_seconds_sum').map((s) => [s.labels.peer, s.value])).toEqual([['a', 0.5]]);
    expect(find(om, 'skew_seconds_sum')).toEqual([]);
    expect(find(text, 'lag_seconds_sum').map((s) => [s.labels.peer, s.value])).toEqual([['a', 0.5], ['b', -3]]);
    expect(sum(text, 'skew_seconds_sum')).toBe(-2);
  });

  it('escapes quotes, backslashes and newlines in label values in both formats', async () => {
    const route = 'a"b\\c\nd';
    const registry = new Registry();
    const app = await serve(instrument((_req, res) => res.end('ok'), { registry, defaultMetrics: false, route: () => route }));
    await request(`${app.url}/x`);
    await scrapeSettled(app.url);
    for (const accept of [undefined, PROMETHEUS_ACCEPT]) {
      const body = (await request(`${app.url}/metrics`, { headers: accept ? { accept } : {} })).body.toString();
      expect(body).toContain('route="a\\"b\\\\c\\nd"');
      expect(find(parseExposition(body), 'http_requests_total').map((s) => s.labels.route)).toEqual([route]);
    }
  });
});

describe('metricsHandler', () => {
  it('serves the metrics of an app on a separate server, whatever the path', async () => {
    const metrics = createHttpMetrics({ registry: new Registry(), defaultMetrics: false });
    const app = await serve(instrument((_req, res) => res.end('ok'), { metrics, path: false }));
    const scraper = await serve(metricsHandler({ metrics }));
    await request(`${app.url}/orders/12`);
    await request(`${app.url}/orders/13`);
    expect((await request(`${app.url}/metrics`)).body.toString()).toBe('ok');
    const samples = await scrapeSettled(`${scraper.url}/anything`);
    expect(sum(samples, 'http_requests_total', { route: '/orders/:id' })).toBe(2);
    expect(sum(samples, 'http_requests_total', { route: '/metrics' })).toBe(1);
  });

  it('serves a plain prom-client registry', async () => {
    const registry = new Registry();
    new Counter({ name: 'plain_total', help: 'Plain.', registers: [registry] }).inc(5);
    const scraper = await serve(metricsHandler({ registry }));
    expect(sum(parseExposition((await request(scraper.url)).body.toString()), 'plain_total')).toBe(5);
  });
});

describe('large registries', () => {
  it('renders 20,000 series while letting the event loop run', async () => {
    // 10,000 routes give 10,000 histogram and 10,000 counter series.
    const metrics = createHttpMetrics({ registry: new Registry(), defaultMetrics: false, maxRoutes: 10_000, maxSeries: 10_000 });
    for (let i = 0; i < 10_000; i++) metrics.finish(metrics.begin(), 'GET', `/r/${i}`, 200);
    const order: string[] = [];
    setImmediate(() => order.push('event loop ran'));
    const rendering = metrics.render().then((exposition) => {
      order.push('render resolved');
      return exposition;
    });
    const exposition = await rendering;
    expect(order).toEqual(['event loop ran', 'render resolved']);
    // Checked line by line: parsing 200,000 samples would only slow the test down.
    const lines = (exposition.body as string).split('\n');
    const counters = lines.filter((line) => line.startsWith('http_requests_total{'));
    expect(counters).toHaveLength(10_000);
    expect(counters.every((line) => line.endsWith('} 1'))).toBe(true);
    expect(new Set(counters.map((line) => /route="([^"]*)"/.exec(line)?.[1])).size).toBe(10_000);
    expect(lines.filter((line) => line.startsWith('http_request_duration_seconds_count{') && line.endsWith('} 1'))).toHaveLength(10_000);
  });
});
