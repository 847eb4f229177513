import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import KoaRouter from '@koa/router';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpMetrics, histogram, type NativeHistogramOptions } from 'promhttp';
import { expressMetrics } from 'promhttp/express';
import { fastifyMetrics } from 'promhttp/fastify';
import { fetchMetrics } from 'promhttp/fetch';
import { honoMetrics } from 'promhttp/hono';
import { koaMetrics } from 'promhttp/koa';
import { instrument } from 'promhttp/node';
import { request } from './support/http.js';
import { nativeState } from './support/native.js';
import { decodeFamilies, PROMETHEUS_PROTOBUF_ACCEPT, PROTOBUF, type MetricFamily } from './support/protobuf.js';
import { parseExposition, sum } from './support/scrape.js';

const servers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function onServer(server: Server): Promise<string> {
  return new Promise((resolve) => {
    const ready = (): void => {
      servers.push({
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    };
    if (server.listening) ready();
    else server.once('listening', ready);
  });
}

async function protobufScrape(base: string): Promise<MetricFamily[]> {
  const response = await request(`${base}/metrics`, { headers: { accept: PROMETHEUS_PROTOBUF_ACCEPT } });
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toBe(PROTOBUF);
  return decodeFamilies(response.body);
}

/** Every series of a family, as native histograms. */
function natives(families: readonly MetricFamily[], name: string) {
  const family = families.find((f) => f.name === name);
  expect(family, name).toBeDefined();
  return family!.metric.map((m) => ({ labels: Object.fromEntries(m.label.map((l) => [l.name, l.value])), state: nativeState(m.histogram!) }));
}

const NATIVE: NativeHistogramOptions = { bucketFactor: 1.05 };
const OPTIONS = { defaultMetrics: false, nativeHistograms: NATIVE } as const;

/** Each adapter with `nativeHistograms`, serving `GET /users/:id` and its metrics. */
const ADAPTERS: Array<{ name: string; start(registry: Registry): Promise<string> }> = [
  {
    name: 'node:http (instrument)',
    start: (registry) => onServer(createServer(instrument((_req, res) => res.end('ok'), { registry, ...OPTIONS })).listen(0, '127.0.0.1')),
  },
  {
    name: 'Express',
    start(registry) {
      const app = express();
      app.use(expressMetrics({ registry, ...OPTIONS }));
      app.get('/users/:id', (_req, res) => void res.send('ok'));
      return onServer(app.listen(0, '127.0.0.1'));
    },
  },
  {
    name: 'Fastify',
    async start(registry) {
      const app = Fastify();
      await app.register(fastifyMetrics, { registry, ...OPTIONS });
      app.get('/users/:id', async () => 'ok');
      await app.listen({ port: 0, host: '127.0.0.1' });
      servers.push({ close: () => app.close() });
      return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    },
  },
  {
    name: 'Koa',
    start(registry) {
      const app = new Koa();
      app.use(koaMetrics({ registry, ...OPTIONS }));
      const router = new KoaRouter();
      router.get('/users/:id', (ctx) => void (ctx.body = 'ok'));
      app.use(router.routes());
      return onServer(app.listen(0, '127.0.0.1'));
    },
  },
  {
    name: 'Hono middleware',
    start(registry) {
      const app = new Hono();
      app.use(honoMetrics({ registry, ...OPTIONS }));
      app.get('/users/:id', (c) => c.text('ok'));
      return onServer(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server);
    },
  },
  {
    name: 'Hono wrap(app)',
    start(registry) {
      const app = new Hono();
      app.get('/users/:id', (c) => c.text('ok'));
      return onServer(serve({ fetch: honoMetrics({ registry, ...OPTIONS }).wrap(app), port: 0, hostname: '127.0.0.1' }) as Server);
    },
  },
  {
    name: 'fetch handler',
    start: (registry) => onServer(serve({ fetch: fetchMetrics(() => new Response('ok'), { registry, routes: ['/users/:id'], ...OPTIONS }), port: 0, hostname: '127.0.0.1' }) as Server),
  },
];

describe('native histograms on the request metrics', () => {
  for (const adapter of ADAPTERS) {
    it(`${adapter.name}: passes nativeHistograms to the duration histogram, whose native count is the request count`, async () => {
      const registry = new Registry();
      const base = await adapter.start(registry);
      for (let i = 0; i < 5; i++) expect((await request(`${base}/users/${i}`)).status).toBe(200);
      const families = await protobufScrape(base);
      const [series] = natives(families, 'http_request_duration_seconds');
      expect(series!.labels).toEqual({ method: 'GET', route: '/users/:id', status_code: '200' });
      // 1.05 rounds down to 2^(2^-4) = 1.0443: schema 4.
      expect(series!.state.schema).toBe(4);
      const inBuckets = Object.values(series!.state.positive).reduce((a, b) => a + b, series!.state.zeroCount);
      expect([series!.state.count, inBuckets]).toEqual([5, 5]);
      // The text formats keep the classic buckets.
      const text = parseExposition((await request(`${base}/metrics`)).body.toString());
      expect(sum(text, 'http_request_duration_seconds_bucket', { le: '+Inf', route: '/users/:id' })).toBe(5);
    });
  }

  it('records each request\'s duration in the native bucket holding it', async () => {
    const registry = new Registry();
    const metrics = createHttpMetrics({ registry, defaultMetrics: false, nativeHistograms: true });
    const base = await onServer(
      createServer((req, res) => {
        if (req.url === '/metrics') return void metrics.respond({ method: 'GET', accept: req.headers.accept }).then((a) => res.writeHead(a.status, a.headers).end(a.body));
        const end = metrics.start();
        setTimeout(() => {
          res.end('ok');
          end({ method: 'GET', route: '/slow', status: 200 });
        }, 50);
      }).listen(0, '127.0.0.1'),
    );
    await Promise.all(Array.from({ length: 4 }, () => request(`${base}/slow`)));
    const [series] = natives(await protobufScrape(base), 'http_request_duration_seconds');
    expect(series!.state.schema).toBe(3);
    // At least 50 ms each, and well under 2^-3 s on any machine that runs the tests: keys of (0.05, 0.125].
    const keys = Object.keys(series!.state.positive).map(Number);
    expect(keys.every((k) => k > Math.log2(0.05) * 8 && k <= -24)).toBe(true);
    expect(Object.values(series!.state.positive).reduce((a, b) => a + b, 0)).toBe(4);
  });

  it('per-route histograms take nativeHistograms too', async () => {
    const registry = new Registry();
    const app = new Koa();
    const metrics = koaMetrics({ registry, defaultMetrics: false });
    app.use(metrics);
    const router = new KoaRouter();
    router.get('/items/:id', metrics.histogram({ name: 'item_duration_seconds', help: 'Time per item.', labels: { kind: 'book' }, nativeHistograms: { bucketFactor: 2 } }), (ctx) => void (ctx.body = 'ok'));
    app.use(router.routes());
    const base = await onServer(app.listen(0, '127.0.0.1'));
    for (let i = 0; i < 3; i++) await request(`${base}/items/${i}`);
    const [series] = natives(await protobufScrape(base), 'item_duration_seconds');
    expect(series!.labels).toEqual({ kind: 'book' });
    expect([series!.state.schema, series!.state.count]).toEqual([0, 3]);
  });

  it('a second createHttpMetrics on the same registry with other native histograms fails, naming the difference', () => {
    const registry = new Registry();
    createHttpMetrics({ registry, defaultMetrics: false, nativeHistograms: true });
    expect(() => createHttpMetrics({ registry, defaultMetrics: false, nativeHistograms: true })).not.toThrow();
    expect(() => createHttpMetrics({ registry, defaultMetrics: false })).toThrow(/"nativeHistograms" are \{ schema 3 \(bucket factor 1\.0905\), zero threshold 2\.9e-39, 160 buckets \} there, off here/);
    expect(() => histogram({ name: 'x_seconds', help: 'x', registry, nativeHistograms: { maxBuckets: 10 } })).not.toThrow();
    expect(() => histogram({ name: 'x_seconds', help: 'x', registry })).toThrow(/"x_seconds" already exists in this registry as a histogram with no labels, buckets \[.*\], native histograms \(schema 3 .*, 10 buckets\); it cannot also be a histogram with no labels, buckets \[.*\]\. /);
  });

  const invalid: Array<[string, unknown, RegExp]> = [
    ['a string', 'yes', /^promhttp: createHttpMetrics: "nativeHistograms" must be true, false or \{ bucketFactor, zeroThreshold, maxBuckets, classicInProtobuf \}, got the string "yes"\.$/],
    ['a bucket factor of 1', { bucketFactor: 1 }, /"nativeHistograms\.bucketFactor" must be a finite number above 1 \(how far apart bucket bounds may be\), e\.g\. 1\.1; got number 1\./],
    ['a negative zero threshold', { zeroThreshold: -1 }, /"nativeHistograms\.zeroThreshold" must be a finite number of at least 0, e\.g\. 1e-9; got number -1\./],
    ['a fractional maxBuckets', { maxBuckets: 2.5 }, /"nativeHistograms\.maxBuckets" must be a whole number from 1 to 4096, e\.g\. 160; got number 2\.5\./],
    ['classicInProtobuf as a string', { classicInProtobuf: 'no' }, /"nativeHistograms\.classicInProtobuf" must be true or false, got the string "no"\./],
    ['a misspelt key', { bucketfactor: 1.1 }, /createHttpMetrics: "nativeHistograms": unknown option "bucketfactor"\. Did you mean "bucketFactor"\?/],
  ];
  for (const [what, value, message] of invalid) {
    it(`refuses ${what} at construction, saying what to write`, () => {
      expect(() => createHttpMetrics({ registry: new Registry(), defaultMetrics: false, nativeHistograms: value as never })).toThrow(message);
    });
  }
  it('refuses a wrong option of histogram() and of a per-route histogram at construction', () => {
    expect(() => histogram({ name: 'y_seconds', help: 'y', registry: new Registry(), nativeHistograms: { maxBuckets: 0 } })).toThrow(/^promhttp: histogram "y_seconds": "nativeHistograms\.maxBuckets" must be a whole number from 1 to 4096/);
    const metrics = koaMetrics({ registry: new Registry(), defaultMetrics: false });
    expect(() => metrics.histogram({ name: 'z_seconds', help: 'z', nativeHistograms: { bucketFactor: 0.5 } })).toThrow(/"nativeHistograms\.bucketFactor" must be a finite number above 1/);
  });
});
