// Exemplars on the request metrics, through every adapter on a real server: the trace id of a
// request's traceparent header (or what an exemplars function returns from the framework's
// context) on the bucket its duration fell in and on the request counter, in OpenMetrics and
// protobuf scrapes and never in the text format; at most one per bucket, the latest; labels
// over 128 characters dropped and counted.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import KoaRouter from '@koa/router';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import { Registry } from 'prom-client';
import { counter, createHttpMetrics, histogram, renderRegistry } from 'promhttp';
import { expressMetrics } from 'promhttp/express';
import { fastifyMetrics } from 'promhttp/fastify';
import { fetchMetrics } from 'promhttp/fetch';
import { honoMetrics } from 'promhttp/hono';
import { koaMetrics } from 'promhttp/koa';
import { instrument } from 'promhttp/node';
import { afterEach, describe, expect, it } from 'vitest';
import { exemplarLines, traceparent } from './support/exemplars.js';
import { request } from './support/http.js';
import { decodeFamilies, PROTOBUF } from './support/protobuf.js';

const OPENMETRICS = 'application/openmetrics-text; version=1.0.0';
/** The header the exemplars functions below read their trace id from. */
const OWN = 'x-trace';

interface Running {
  readonly url: string;
  close(): Promise<void>;
}

type Mode = 'trace' | 'function';

function listening(server: Server): Promise<Running> {
  return new Promise((resolve) => {
    const done = (): void =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => new Promise<void>((closed) => (server.closeAllConnections(), server.close(() => closed()))),
      });
    if (server.listening) done();
    else server.once('listening', done);
  });
}

const ownHeader = (value: unknown): Record<string, string> | undefined => (typeof value === 'string' && value !== '' ? { trace_id: value } : undefined);

/** Each adapter serving `/users/:id`, with exemplars `true` or a function of its own context that reads the x-trace header. */
const ADAPTERS: Array<{ name: string; start(registry: Registry, mode: Mode): Promise<Running> }> = [
  {
    name: 'node:http',
    start: (registry, mode) =>
      listening(
        createServer(
          instrument((_req, res) => void res.end('ok'), {
            registry,
            defaultMetrics: false,
            route: () => '/users/:id',
            exemplars: mode === 'trace' || ((req: IncomingMessage, res: ServerResponse) => (expect(res.req).toBe(req), ownHeader(req.headers[OWN]))),
          }),
        ).listen(0, '127.0.0.1'),
      ),
  },
  {
    name: 'Express',
    async start(registry, mode) {
      const app = express();
      app.use(expressMetrics({ registry, defaultMetrics: false, exemplars: mode === 'trace' || ((req) => ownHeader(req.headers[OWN])) }));
      app.get('/users/:id', (_req, res) => void res.send('ok'));
      return listening(app.listen(0, '127.0.0.1'));
    },
  },
  {
    name: 'Koa',
    async start(registry, mode) {
      const app = new Koa();
      app.use(koaMetrics({ registry, defaultMetrics: false, exemplars: mode === 'trace' || ((ctx) => ownHeader(ctx.get(OWN))) }));
      const router = new KoaRouter();
      router.get('/users/:id', (ctx) => void (ctx.body = 'ok'));
      app.use(router.routes());
      return listening(app.listen(0, '127.0.0.1'));
    },
  },
  {
    name: 'Fastify',
    async start(registry, mode) {
      const app = Fastify();
      await app.register(fastifyMetrics, { registry, defaultMetrics: false, exemplars: mode === 'trace' || ((request) => ownHeader(request.headers[OWN])) });
      app.get('/users/:id', async () => 'ok');
      await app.listen({ port: 0, host: '127.0.0.1' });
      return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, close: () => app.close() };
    },
  },
  {
    name: 'Hono (middleware)',
    async start(registry, mode) {
      const app = new Hono();
      app.use(honoMetrics({ registry, defaultMetrics: false, exemplars: mode === 'trace' || ((c) => ownHeader(c.req.header(OWN))) }));
      app.get('/users/:id', (c) => c.text('ok'));
      return listening(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server);
    },
  },
  {
    name: 'fetch handler',
    async start(registry, mode) {
      const handler = fetchMetrics(() => new Response('ok'), {
        registry,
        defaultMetrics: false,
        routes: ['/users/:id'],
        exemplars: mode === 'trace' || ((request) => ownHeader(request.headers.get(OWN))),
      });
      return listening(serve({ fetch: handler, port: 0, hostname: '127.0.0.1' }) as Server);
    },
  },
];

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

async function start(adapter: (typeof ADAPTERS)[number], mode: Mode): Promise<{ url: string; registry: Registry }> {
  const registry = new Registry();
  const app = await adapter.start(registry, mode);
  running.push(app);
  return { url: app.url, registry };
}

async function scrape(url: string, accept: string): Promise<string> {
  return (await request(`${url}/metrics`, { headers: { accept } })).body.toString();
}

/** The exemplars of the request metrics' series of /users/:id: on its histogram buckets, and on its counter. */
function requestExemplars(text: string): { buckets: ReturnType<typeof exemplarLines>; counter: ReturnType<typeof exemplarLines> } {
  const lines = exemplarLines(text).filter((l) => l.labels.route === '/users/:id');
  return { buckets: lines.filter((l) => l.name === 'http_request_duration_seconds_bucket'), counter: lines.filter((l) => l.name === 'http_requests_total') };
}

describe.each(ADAPTERS)('exemplars on $name', (adapter) => {
  it('exemplars: true puts the traceparent trace and span id on the bucket of the request and on its counter, in OpenMetrics only', async () => {
    const { url } = await start(adapter, 'trace');
    const trace = traceparent(1);
    const before = Date.now() / 1000;
    expect((await request(`${url}/users/7`, { headers: { traceparent: trace.header } })).status).toBe(200);
    const { buckets, counter } = requestExemplars(await scrape(url, OPENMETRICS));
    expect(buckets).toHaveLength(1);
    expect(buckets[0]!.exemplar).toEqual({ trace_id: trace.traceId, span_id: trace.spanId });
    // The bucket is the one the duration falls in: the first whose bound holds the exemplar's value.
    expect(buckets[0]!.value).toBeLessThanOrEqual(buckets[0]!.labels.le === '+Inf' ? Infinity : Number(buckets[0]!.labels.le));
    expect(buckets[0]!.timestamp).toBeGreaterThanOrEqual(Math.floor(before));
    expect(counter.map((c) => [c.exemplar, c.value])).toEqual([[{ trace_id: trace.traceId, span_id: trace.spanId }, 1]]);
    // The text format 0.0.4 has no place for them.
    const text = await scrape(url, 'text/plain; version=0.0.4');
    expect(text).toContain('http_requests_total{method="GET",route="/users/:id",status_code="200"} 1');
    expect(text).not.toContain(trace.traceId);
  });

  it('an exemplars function gets the framework context as the request starts and returns the labels', async () => {
    const { url } = await start(adapter, 'function');
    await request(`${url}/users/7`, { headers: { [OWN]: 'from-the-context' } });
    // undefined: no exemplar for this request, and the one kept stays.
    await request(`${url}/users/8`);
    const { buckets, counter } = requestExemplars(await scrape(url, OPENMETRICS));
    expect(counter.map((c) => c.exemplar)).toEqual([{ trace_id: 'from-the-context' }]);
    expect(buckets.map((b) => b.exemplar)).toEqual([{ trace_id: 'from-the-context' }]);
  });
});

describe('fetchMetrics', () => {
  it('calls an exemplars function with (request) only, as its route function', async () => {
    const registry = new Registry();
    const seen: unknown[][] = [];
    const handler = fetchMetrics((_request: Request) => new Response('ok'), {
      registry,
      defaultMetrics: false,
      routes: ['/users/:id'],
      exemplars: (...args: unknown[]) => (seen.push(args), { trace_id: 'x' }),
    });
    const request = new Request('http://127.0.0.1/users/1');
    expect((await handler(request)).status).toBe(200);
    expect(seen).toEqual([[request]]);
  });
});

describe('the traceparent header', () => {
  const node = ADAPTERS[0]!;
  it('is taken only when well formed and sampled: garbage, upper case, zero ids, unsampled flags and extra fields of version 00 give no exemplar', async () => {
    const { url } = await start(node, 'trace');
    const good = traceparent(2);
    const bad = [
      'garbage',
      good.header.toUpperCase(),
      `00-${'0'.repeat(32)}-${good.spanId}-01`,
      `00-${good.traceId}-${'0'.repeat(16)}-01`,
      traceparent(3, '00').header,
      `${good.header}-extra`,
      `ff-${good.traceId}-${good.spanId}-01`,
      `00-${good.traceId}-${good.spanId}-0z`,
      `00_${good.traceId}_${good.spanId}_01`,
      `00-${good.traceId}-${good.spanId}-01${'x'.repeat(10_000)}`,
    ];
    for (const header of bad) expect((await request(`${url}/users/1`, { headers: { traceparent: header } })).status).toBe(200);
    expect(exemplarLines(await scrape(url, OPENMETRICS))).toEqual([]);
    // A later version may append fields; its trace is taken.
    const future = `01-${good.traceId}-${good.spanId}-01-more`;
    await request(`${url}/users/1`, { headers: { traceparent: future } });
    expect(requestExemplars(await scrape(url, OPENMETRICS)).counter.map((c) => c.exemplar.trace_id)).toEqual([good.traceId]);
  });

  it('is ignored while exemplars are off, and nothing is written', async () => {
    const registry = new Registry();
    const app = await listening(createServer(instrument((_req, res) => void res.end('ok'), { registry, defaultMetrics: false })).listen(0, '127.0.0.1'));
    running.push(app);
    await request(`${app.url}/users/1`, { headers: { traceparent: traceparent(4).header } });
    expect(await scrape(app.url, OPENMETRICS)).not.toContain(' # {');
  });
});

describe('what is kept', () => {
  it('one exemplar per bucket, the latest, and one per counter series', async () => {
    const registry = new Registry();
    const metrics = createHttpMetrics({ registry, defaultMetrics: false, buckets: [0.05, 1] });
    // Three fast requests in the first bucket, one slow one in the second.
    for (const id of ['a', 'b', 'c']) metrics.finish(metrics.begin(), 'GET', '/r', 200, { trace_id: id });
    metrics.finish(performance.now() - 200, 'GET', '/r', 200, { trace_id: 'slow' });
    const lines = exemplarLines(await renderRegistry(registry, 'openmetrics'));
    expect(lines.map((l) => [l.name, l.labels.le, l.exemplar.trace_id])).toEqual([
      ['http_request_duration_seconds_bucket', '0.05', 'c'],
      ['http_request_duration_seconds_bucket', '1.0', 'slow'],
      ['http_requests_total', undefined, 'slow'],
    ]);
    expect(lines[1]!.value).toBeGreaterThanOrEqual(0.2);
  });

  it('drops labels over 128 characters (names and values, counted in characters, not bytes) or not labels at all, and counts them in promhttp_value_errors_total', async () => {
    const registry = new Registry();
    const metrics = createHttpMetrics({ registry, defaultMetrics: false });
    // trace_id (8) + 120 = 128: kept, even as 120 three-byte characters.
    metrics.finish(metrics.begin(), 'GET', '/fits', 200, { trace_id: '€'.repeat(120) });
    metrics.finish(metrics.begin(), 'GET', '/astral', 200, { trace_id: '😀'.repeat(120) });
    const bad: unknown[] = [{ trace_id: 'x'.repeat(121) }, { 'not a name': 'x' }, { __reserved: 'x' }, { trace_id: 42 }, 'trace', ['a']];
    for (const labels of bad) metrics.finish(metrics.begin(), 'GET', '/bad', 200, labels as never);
    // Nothing, not a mistake.
    metrics.finish(metrics.begin(), 'GET', '/none', 200, {});
    const text = await renderRegistry(registry, 'openmetrics');
    expect(exemplarLines(text).map((l) => [l.labels.route, l.name])).toEqual([
      ['/fits', 'http_request_duration_seconds_bucket'],
      ['/astral', 'http_request_duration_seconds_bucket'],
      ['/fits', 'http_requests_total'],
      ['/astral', 'http_requests_total'],
    ]);
    expect(text).toContain(`promhttp_value_errors_total{metric="http_request_duration_seconds"} ${bad.length}`);
    expect(text).toContain(`promhttp_value_errors_total{metric="http_requests_total"} ${bad.length}`);
    expect(text).toContain('http_requests_total{method="GET",route="/bad",status_code="200"} 6');
  });

  it('an exemplars function that throws records the request without an exemplar and counts the mistake', async () => {
    const registry = new Registry();
    const metrics = createHttpMetrics({
      registry,
      defaultMetrics: false,
      exemplars: () => {
        throw new Error('no trace here');
      },
    });
    metrics.start()({ method: 'GET', route: '/r', status: 200 });
    const text = await renderRegistry(registry, 'openmetrics');
    expect(text).toContain('http_requests_total{method="GET",route="/r",status_code="200"} 1\n');
    expect(text).toContain('promhttp_value_errors_total{metric="http_requests_total"} 1');
  });

  it('an explicit exemplar that throws as it is read (a getter, a Proxy) is counted, never thrown; only own properties become labels', async () => {
    const registry = new Registry();
    const metrics = createHttpMetrics({ registry, defaultMetrics: false });
    const jobs = counter({ name: 'jobs_total', help: 'Jobs.', registry });
    const size = histogram({ name: 'job_size_bytes', help: 'Sizes.', buckets: [100], registry });
    const throwing = (): unknown[] => [
      Object.defineProperty({}, 'trace_id', {
        enumerable: true,
        get() {
          throw new Error('getter');
        },
      }),
      new Proxy(
        {},
        {
          ownKeys() {
            throw new Error('ownKeys');
          },
        },
      ),
    ];
    for (const labels of throwing()) {
      expect(() => metrics.finish(metrics.begin(), 'GET', '/bad', 200, labels as never)).not.toThrow();
      expect(() => metrics.start()({ method: 'GET', route: '/bad', status: 200, exemplar: labels as never })).not.toThrow();
      expect(() => jobs.inc(1, labels as never)).not.toThrow();
      expect(() => size.observe(1, labels as never)).not.toThrow();
    }
    const inherited = Object.assign(Object.create({ injected: 'x' }) as Record<string, string>, { trace_id: 'own' });
    metrics.finish(metrics.begin(), 'GET', '/own', 200, inherited);
    const text = await renderRegistry(registry, 'openmetrics');
    expect(text).toContain('http_requests_total{method="GET",route="/bad",status_code="200"} 4\n');
    expect(text).toContain('jobs_total 2\n');
    expect(text).toContain('job_size_bytes_count 2\n');
    expect(text).toContain('promhttp_value_errors_total{metric="http_requests_total"} 4');
    expect(text).toContain('promhttp_value_errors_total{metric="jobs_total"} 2');
    expect(text).toContain('promhttp_value_errors_total{metric="job_size_bytes"} 2');
    expect(exemplarLines(text).filter((l) => l.name === 'http_requests_total').map((l) => l.exemplar)).toEqual([{ trace_id: 'own' }]);
  });

  it('an async exemplars function gives no exemplar, and the promise is counted as a mistake', async () => {
    const registry = new Registry();
    const metrics = createHttpMetrics({ registry, defaultMetrics: false, exemplars: (async () => ({ trace_id: 'late' })) as never });
    metrics.start()({ method: 'GET', route: '/r', status: 200 });
    const text = await renderRegistry(registry, 'openmetrics');
    expect(exemplarLines(text)).toEqual([]);
    expect(text).toContain('promhttp_value_errors_total{metric="http_requests_total"} 1');
  });

  it('start()/end(): the exemplars function runs at start, and end({ exemplar }) overrides it', async () => {
    const registry = new Registry();
    let n = 0;
    const metrics = createHttpMetrics({ registry, defaultMetrics: false, exemplars: () => ({ trace_id: `started-${++n}` }) });
    const first = metrics.start();
    const second = metrics.start();
    expect(n).toBe(2);
    first({ method: 'GET', route: '/a', status: 200 });
    second({ method: 'GET', route: '/b', status: 200, exemplar: { trace_id: 'given' } });
    const counters = exemplarLines(await renderRegistry(registry, 'openmetrics')).filter((l) => l.name === 'http_requests_total');
    expect(counters.map((c) => [c.labels.route, c.exemplar.trace_id])).toEqual([
      ['/a', 'started-1'],
      ['/b', 'given'],
    ]);
  });
});

describe('protobuf', () => {
  it('carries the exemplars on the counter and the classic buckets, with their timestamps; the +Inf bucket is written out to carry its own', async () => {
    const registry = new Registry();
    const metrics = createHttpMetrics({ registry, defaultMetrics: false, buckets: [0.05] });
    metrics.finish(metrics.begin(), 'GET', '/r', 200, { trace_id: 'fast' });
    metrics.finish(performance.now() - 100, 'GET', '/r', 200, { trace_id: 'slow', span_id: 's' });
    const response = await metrics.respond({ method: 'GET', accept: PROTOBUF });
    const families = decodeFamilies(response.body as Uint8Array);
    const duration = families.find((f) => f.name === 'http_request_duration_seconds')!.metric[0]!.histogram!;
    expect(duration.bucket.map((b) => [b.upperBound, Number(b.cumulativeCount), b.exemplar?.label.map((l) => `${l.name}=${l.value}`).join(',')])).toEqual([
      [0.05, 1, 'trace_id=fast'],
      [Infinity, 2, 'trace_id=slow,span_id=s'],
    ]);
    expect(Number(duration.bucket[0]!.exemplar!.timestamp!.seconds)).toBeGreaterThan(1_700_000_000);
    const requests = families.find((f) => f.name === 'http_requests_total')!.metric[0]!.counter!;
    expect(requests.exemplar!.label.map((l) => l.value)).toEqual(['slow', 's']);
    expect(requests.exemplar!.value).toBe(1);
  });
  it('on a native histogram, the classic buckets carry them and Histogram.exemplars has them too, in order of value; without classic buckets in protobuf, only Histogram.exemplars', async () => {
    const bucketsAndNative = async (classicInProtobuf: boolean) => {
      const registry = new Registry();
      const metrics = createHttpMetrics({ registry, defaultMetrics: false, buckets: [0.05], nativeHistograms: { classicInProtobuf } });
      metrics.finish(performance.now() - 100, 'GET', '/r', 200, { trace_id: 'slow' });
      metrics.finish(metrics.begin(), 'GET', '/r', 200, { trace_id: 'fast' });
      const families = decodeFamilies((await metrics.respond({ method: 'GET', accept: PROTOBUF })).body as Uint8Array);
      const h = families.find((f) => f.name === 'http_request_duration_seconds')!.metric[0]!.histogram!;
      const traces = (list: ReadonlyArray<{ label: ReadonlyArray<{ value: string }> } | undefined>) => list.map((e) => e?.label[0]!.value);
      return { schema: h.schema, buckets: traces(h.bucket.map((b) => b.exemplar)), native: traces(h.exemplars), stamped: h.exemplars.every((e) => Number(e.timestamp?.seconds) > 1_700_000_000) };
    };
    expect(await bucketsAndNative(true)).toEqual({ schema: 3, buckets: ['fast', 'slow'], native: ['fast', 'slow'], stamped: true });
    expect(await bucketsAndNative(false)).toEqual({ schema: 3, buckets: [], native: ['fast', 'slow'], stamped: true });
  });
});

describe('counter() and histogram()', () => {
  it('inc(value, exemplar) and observe(value, exemplar) keep the labels given, with or without the exemplars option', async () => {
    const registry = new Registry();
    const jobs = counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['queue'], registry });
    const size = histogram({ name: 'job_size_bytes', help: 'Sizes.', buckets: [100, 1000], registry });
    jobs.inc({ queue: 'a' }, 2, { trace_id: 'j1' });
    jobs.labels('b').inc(1, { trace_id: 'j2' });
    jobs.inc({ queue: 'c' });
    size.observe(500, { trace_id: 's1' });
    size.labels().observe(5000, { trace_id: 's2' });
    const lines = exemplarLines(await renderRegistry(registry, 'openmetrics'));
    expect(lines.map((l) => [l.name, l.labels.queue ?? l.labels.le, l.exemplar.trace_id, l.value])).toEqual([
      ['jobs_total', 'a', 'j1', 2],
      ['jobs_total', 'b', 'j2', 1],
      ['job_size_bytes_bucket', '1000.0', 's1', 500],
      ['job_size_bytes_bucket', '+Inf', 's2', 5000],
    ]);
  });

  it('exemplars: a function takes them by itself, also for a timer; the labels given to a call win', async () => {
    const registry = new Registry();
    let current: string | undefined = 'ambient';
    const steps = histogram({ name: 'step_seconds', help: 'Steps.', buckets: [1], registry, exemplars: () => (current === undefined ? undefined : { trace_id: current }) });
    steps.startTimer()();
    current = undefined;
    steps.observe(5);
    steps.observe(7, { trace_id: 'given' });
    const lines = exemplarLines(await renderRegistry(registry, 'openmetrics'));
    expect(lines.map((l) => [l.labels.le, l.exemplar.trace_id])).toEqual([
      ['1.0', 'ambient'],
      ['+Inf', 'given'],
    ]);
  });

  it('a second definition of the same metric must ask for the same exemplars', () => {
    const registry = new Registry();
    counter({ name: 'a_total', help: 'A.', registry, exemplars: true });
    expect(counter({ name: 'a_total', help: 'A.', registry, exemplars: true }).name).toBe('a_total');
    expect(() => counter({ name: 'a_total', help: 'A.', registry })).toThrow(/promhttp: counter: "a_total" already exists in this registry with "exemplars" true; it cannot also have them off/);
    expect(() => histogram({ name: 'h', help: 'H.', registry, exemplars: 'yes' as never })).toThrow(
      new TypeError('promhttp: histogram "h": "exemplars" must be true (the trace id of the active OpenTelemetry span) or a function returning the exemplar labels, e.g. () => ({ trace_id: myTraceId() }); got the string "yes".'),
    );
    // They have no request, so no traceparent header to read: the message does not offer one.
    expect(() => counter({ name: 'b_total', help: 'B.', registry, exemplars: 1 as never })).toThrow(/^promhttp: counter "b_total": "exemplars" must be true \(the trace id of the active OpenTelemetry span\) or a function/);
  });
});

describe('options', () => {
  it('refuses an exemplars option that is neither a boolean nor a function, and one beside "metrics"', () => {
    expect(() => createHttpMetrics({ registry: new Registry(), exemplars: 'otel' as never })).toThrow(/^promhttp: createHttpMetrics: "exemplars" must be true/);
    const metrics = createHttpMetrics({ registry: new Registry(), defaultMetrics: false });
    expect(() => instrument(() => {}, { metrics, exemplars: true })).toThrow(/^promhttp: instrument: "exemplars" configures new metrics, but "metrics" passes existing ones/);
  });

  it("honoMetrics().wrap refuses an exemplars function, which needs Hono's context", () => {
    const app = new Hono();
    expect(() => honoMetrics({ registry: new Registry(), defaultMetrics: false, exemplars: () => undefined }).wrap(app)).toThrow(/^promhttp: honoMetrics.wrap: an exemplars function needs Hono's context/);
    expect(typeof honoMetrics({ registry: new Registry(), defaultMetrics: false, exemplars: true }).wrap(app)).toBe('function');
  });
});
