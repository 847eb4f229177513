import { gunzipSync } from 'node:zlib';
import type { RequestListener } from 'node:http';
import Koa from 'koa';
import { Hono } from 'hono';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpMetrics, expose, histogram, metricsHandler, negotiate, renderRegistry, type HttpMetrics } from 'promhttp';
import { fetchMetrics } from 'promhttp/fetch';
import { honoMetrics } from 'promhttp/hono';
import { koaMetrics } from 'promhttp/koa';
import { instrument } from 'promhttp/node';
import { AWKWARD, everyType } from './fixtures/every-type.js';
import { listen, request, type Listening } from './support/http.js';
import { canonical, decodeFamilies, familySamples, PROMETHEUS_PROTOBUF_ACCEPT, PROTOBUF, textFamilies, typeName, MetricType } from './support/protobuf.js';
import { OPENMETRICS, PROMETHEUS_ACCEPT, TEXT } from './support/content-types.js';
import { parseExposition, sum } from './support/scrape.js';

const DELIMITED = 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited';

const open: Listening[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((l) => l.close()));
});

async function serve(listener: RequestListener): Promise<string> {
  const listening = await listen(listener);
  open.push(listening);
  return `${listening.url}/metrics`;
}

describe('protobuf exposition', () => {
  it('carries every metric type, prom-client\'s included, with the samples, types and help of the text format', async () => {
    const registry = everyType();
    const answer = await expose(registry, { accept: DELIMITED });
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe(PROTOBUF);
    expect(answer.body).toBeInstanceOf(Uint8Array);
    const families = decodeFamilies(answer.body as Uint8Array);
    const text = await renderRegistry(registry, 'text');

    expect(canonical(familySamples(families))).toEqual(canonical(parseExposition(text)));
    // Spot checks of what the comparison covers.
    const samples = familySamples(families);
    expect(sum(samples, 'jobs_total', { kind: AWKWARD.replace('\ud800', '\ufffd'), service: 'checkout' })).toBe(2.5);
    expect(sum(samples, 'temperature_celsius_bucket', { le: '-10' })).toBe(1);
    expect(sum(samples, 'temperature_celsius_count')).toBe(5);
    expect(sum(samples, 'pc_payload_bytes', { quantile: '0.99' })).toBe(300);

    const headers = textFamilies(text);
    for (const family of families) {
      if (family.name === 'uploads_created') {
        // Not a family of its own in the text format: a sample of "uploads" there, untyped here.
        expect(family.type).toBe(MetricType.UNTYPED);
        continue;
      }
      expect(headers.get(family.name), family.name).toEqual({ type: typeName(family.type), help: family.help });
    }
    // Families without series are left out, as client_golang does; everything else is there.
    expect(families.map((f) => f.name).sort()).toEqual([...headers.keys(), 'uploads_created'].filter((n) => !['never_total', 'pc_unset'].includes(n)).sort());
    expect(families.find((f) => f.name === 'build_info')!.type).toBe(MetricType.GAUGE);
  });

  it('sends a classic histogram as client_golang does: cumulative buckets, no +Inf bucket, the count and the sum', async () => {
    const registry = new Registry();
    const h = histogram({ name: 'wait_seconds', help: 'Waits.', buckets: [1, 2], registry });
    for (const v of [0.5, 1.5, 1.7, 9]) h.observe(v);
    const [family] = decodeFamilies((await expose(registry, { accept: DELIMITED })).body as Uint8Array);
    const data = family!.metric[0]!.histogram!;
    expect(data.bucket.map((b) => [b.upperBound, Number(b.cumulativeCount)])).toEqual([
      [1, 1],
      [2, 3],
    ]);
    expect(Number(data.sampleCount)).toBe(4);
    expect(data.sampleSum).toBe(12.7);
    // A classic histogram: nothing a native one would carry.
    expect(data.positiveSpan).toEqual([]);
    expect(data.zeroThreshold).toBe(0);
  });

  it('writes a family of 20,000 series in slices, letting the event loop run, as one delimited message', async () => {
    const metrics = createHttpMetrics({ registry: new Registry(), defaultMetrics: false, maxRoutes: 20_000, maxSeries: 20_000 });
    for (let i = 0; i < 20_000; i++) metrics.finish(metrics.begin(), 'GET', `/r/${i}`, 200);
    const order: string[] = [];
    setImmediate(() => order.push('event loop ran'));
    const rendering = metrics.render({ accept: DELIMITED }).then((exposition) => {
      order.push('render resolved');
      return exposition;
    });
    const exposition = await rendering;
    expect(order).toEqual(['event loop ran', 'render resolved']);
    const families = decodeFamilies(exposition.body as Uint8Array);
    const requests = families.find((f) => f.name === 'http_requests_total')!;
    expect(families.filter((f) => f.name === 'http_requests_total')).toHaveLength(1);
    expect(requests.metric).toHaveLength(20_000);
    expect(new Set(requests.metric.map((m) => m.label.find((l) => l.name === 'route')!.value)).size).toBe(20_000);
    expect(requests.metric.every((m) => m.counter!.value === 1)).toBe(true);
  });

  it('is refused by renderRegistry(), which returns text: protobuf is bytes', async () => {
    await expect(renderRegistry(new Registry(), 'protobuf' as never)).rejects.toThrow(
      'promhttp: renderRegistry: "format" must be "text" or "openmetrics", got the string "protobuf"; protobuf is bytes, which respond() and expose() answer scrapes with.',
    );
  });
});

function recorded(): HttpMetrics {
  const metrics = createHttpMetrics({ registry: new Registry(), defaultMetrics: false });
  metrics.finish(metrics.begin(), 'GET', '/users/:id', 200);
  metrics.finish(metrics.begin(), 'GET', '/users/:id', 200);
  metrics.finish(metrics.begin(), 'POST', '/orders', 500);
  return metrics;
}

describe('protobuf over HTTP', () => {
  const cases: Array<[string, string | undefined, 'text' | 'openmetrics' | 'protobuf']> = [
    ['Prometheus with native histograms on', PROMETHEUS_PROTOBUF_ACCEPT, 'protobuf'],
    ['Prometheus by default', PROMETHEUS_ACCEPT, 'openmetrics'],
    ['delimited protobuf only', DELIMITED, 'protobuf'],
    ['protobuf and OpenMetrics asked for as much', `${DELIMITED},application/openmetrics-text;version=1.0.0`, 'protobuf'],
    ['protobuf with a lower q than OpenMetrics', `${DELIMITED};q=0.5,application/openmetrics-text;version=1.0.0`, 'openmetrics'],
    ['protobuf with a lower q than text', `${DELIMITED};q=0.4,text/plain;version=0.0.4;q=0.5`, 'text'],
    ['protobuf with q=0', `${DELIMITED};q=0`, 'text'],
    ['protobuf in the text encoding', 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text', 'text'],
    ['protobuf without an encoding', 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily', 'text'],
    ['protobuf of another message', 'application/vnd.google.protobuf;proto=io.prometheus.client.Metric;encoding=delimited', 'text'],
    ['quoted parameters, spaces and upper-case names', 'application/vnd.google.protobuf; Proto="io.prometheus.client.MetricFamily"; ENCODING=delimited', 'protobuf'],
    ['*/* only', '*/*', 'text'],
    ['no Accept header', undefined, 'text'],
  ];
  for (const [name, accept, format] of cases) {
    it(`answers ${format} for ${name}`, async () => {
      expect(negotiate(accept)).toBe(format);
      const url = await serve(metricsHandler({ metrics: recorded() }));
      const response = await request(url, { headers: accept === undefined ? {} : { accept } });
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe({ text: TEXT, openmetrics: OPENMETRICS, protobuf: PROTOBUF }[format]);
      expect(response.headers.vary).toBe('Accept, Accept-Encoding');
      const samples = format === 'protobuf' ? familySamples(decodeFamilies(response.body)) : parseExposition(response.body.toString());
      expect(sum(samples, 'http_requests_total')).toBe(3);
    });
  }

  it('gzips protobuf when Accept-Encoding allows it, with the Content-Length of the compressed bytes', async () => {
    const url = await serve(metricsHandler({ metrics: recorded() }));
    const plain = await request(url, { headers: { accept: PROMETHEUS_PROTOBUF_ACCEPT } });
    const gzipped = await request(url, { headers: { accept: PROMETHEUS_PROTOBUF_ACCEPT, 'accept-encoding': 'gzip' } });
    expect(gzipped.status).toBe(200);
    expect(gzipped.headers['content-type']).toBe(PROTOBUF);
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(Number(gzipped.headers['content-length'])).toBe(gzipped.body.byteLength);
    expect(gunzipSync(gzipped.body).equals(plain.body)).toBe(true);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(Number(plain.headers['content-length'])).toBe(plain.body.byteLength);
  });

  it('answers HEAD with the headers a protobuf GET gets and no body', async () => {
    const url = await serve(metricsHandler({ metrics: recorded() }));
    const get = await request(url, { headers: { accept: DELIMITED } });
    const head = await request(url, { method: 'HEAD', headers: { accept: DELIMITED } });
    expect(head.status).toBe(200);
    expect(head.body.byteLength).toBe(0);
    expect(head.headers['content-type']).toBe(PROTOBUF);
    expect(head.headers['content-length']).toBe(String(get.body.byteLength));
  });

  it('keeps auth, scrape.maxInFlight and the scrape timeout as they are', async () => {
    const registry = recorded().registry;
    let release = (): void => {};
    const slow = new Promise<void>((resolve) => (release = resolve));
    let entered = (): void => {};
    const rendering = new Promise<void>((resolve) => (entered = resolve));
    const get = async (): Promise<{ name: string; help: string; type: string; values: Array<{ value: number }> }> => {
      entered();
      await slow;
      return { name: 'slow_value', help: 'Slow.', type: 'gauge', values: [{ value: 1 }] };
    };
    registry.registerMetric({ name: 'slow_value', help: 'Slow.', type: 'gauge', aggregator: 'sum', get, reset() {} } as never);
    const url = await serve(metricsHandler({ registry, auth: { bearer: 'token' }, scrape: { maxInFlight: 1 } }));
    const refused = await request(url, { headers: { accept: DELIMITED } });
    expect(refused.status).toBe(401);
    expect(refused.headers['content-type']).toBe('text/plain; charset=utf-8');
    const headers = { accept: DELIMITED, authorization: 'Bearer token' };
    const first = request(url, { headers });
    await rendering;
    // A text scrape needs a render of its own, beyond maxInFlight (an identical protobuf scrape would share the one under way).
    const second = await request(url, { headers: { authorization: 'Bearer token' } });
    expect(second.status).toBe(503);
    release();
    const answered = await first;
    expect(answered.status).toBe(200);
    expect(answered.headers['content-type']).toBe(PROTOBUF);
    expect(sum(familySamples(decodeFamilies(answered.body)), 'slow_value')).toBe(1);

    const never = new Registry();
    never.registerMetric({ name: 'stuck', help: 'Never answers.', type: 'gauge', aggregator: 'sum', get: () => new Promise(() => {}), reset() {} } as never);
    const timing = await serve(metricsHandler({ registry: never, scrape: { timeoutMs: 100 } }));
    const late = await request(timing, { headers: { accept: DELIMITED } });
    expect(late.status).toBe(503);
  });
});

describe('protobuf through every adapter', () => {
  /** Three requests, then a protobuf scrape of the app's metrics path; returns what it counted. */
  async function scrapeAfterTraffic(fetchPath: (path: string, init?: RequestInit) => Promise<Response>): Promise<number> {
    for (let i = 0; i < 3; i++) await (await fetchPath('/users/7')).arrayBuffer();
    const response = await fetchPath('/metrics', { headers: { accept: PROMETHEUS_PROTOBUF_ACCEPT } });
    expect(response.headers.get('content-type')).toBe(PROTOBUF);
    return sum(familySamples(decodeFamilies(new Uint8Array(await response.arrayBuffer()))), 'http_requests_total', { route: '/users/:id' });
  }

  it('node:http', async () => {
    const url = await serve(instrument((_req, res) => void res.end('ok'), { registry: new Registry(), defaultMetrics: false, route: () => '/users/:id' }));
    expect(await scrapeAfterTraffic((path, init) => fetch(new URL(path, url), init))).toBe(3);
  });

  it('Koa', async () => {
    const app = new Koa();
    app.use(koaMetrics({ registry: new Registry(), defaultMetrics: false, route: () => '/users/:id' }));
    app.use((ctx) => void (ctx.body = 'ok'));
    const url = await serve(app.callback());
    expect(await scrapeAfterTraffic((path, init) => fetch(new URL(path, url), init))).toBe(3);
  });

  it('Hono', async () => {
    const app = new Hono();
    app.use(honoMetrics({ registry: new Registry(), defaultMetrics: false }));
    app.get('/users/:id', (c) => c.text('ok'));
    expect(await scrapeAfterTraffic(async (path, init) => app.request(path, init))).toBe(3);
  });

  it('any fetch handler', async () => {
    const handler = fetchMetrics((_request: Request) => new Response('ok'), { registry: new Registry(), defaultMetrics: false, routes: ['/users/:id'] });
    expect(await scrapeAfterTraffic(async (path, init) => handler(new Request(new URL(path, 'http://127.0.0.1'), init)))).toBe(3);
  });
});
