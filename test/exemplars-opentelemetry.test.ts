// exemplars: true reads the active span through the context manager the app registered with its
// own copy of @opentelemetry/api, here 1.7.0, while the copy a require from this directory finds
// is 1.9.1: a newer copy refuses a global registered by an older one, so reading the span through
// it gave no exemplar. A real node:http server, the app's span set around promhttp's handler.
import { createRequire } from 'node:module';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { Registry } from 'prom-client';
import { createHttpMetrics, renderRegistry } from 'promhttp';
import { instrument } from 'promhttp/node';
import { afterAll, describe, expect, it } from 'vitest';
import { exemplarLines, traceparent } from './support/exemplars.js';
import { listen, request } from './support/http.js';

interface SpanContext {
  traceId: string;
  spanId: string;
  traceFlags: number;
}
/** The part of @opentelemetry/api the app uses here. */
interface Api {
  context: { setGlobalContextManager(manager: unknown): boolean; active(): unknown; with<T>(context: unknown, fn: () => T): T; disable(): void };
  trace: { setSpan(context: unknown, span: unknown): unknown; wrapSpanContext(context: SpanContext): unknown; getActiveSpan(): unknown };
}

const require = createRequire(import.meta.url);
/** The app's own copy, older than the one installed at the top of this project. */
const appApi = require('opentelemetry-api-1.7') as Api;
const newerApi = require('@opentelemetry/api') as Api & { VERSION?: string };
const OPENMETRICS = 'application/openmetrics-text; version=1.0.0';

expect(appApi.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())).toBe(true);
afterAll(() => appApi.context.disable());

/** Runs `fn` with a span of `context` active, as the app's instrumentation does. */
function withSpan<T>(context: SpanContext, fn: () => T): T {
  return appApi.context.with(appApi.trace.setSpan(appApi.context.active(), appApi.trace.wrapSpanContext(context)), fn);
}

const span = (n: number, traceFlags: number): SpanContext => ({ traceId: `0af7651916cd43dd8448eb211c80${n.toString(16).padStart(4, '0')}`, spanId: `b7ad6b71692${n.toString(16).padStart(5, '0')}`, traceFlags });

describe("exemplars: true with the app's own, older @opentelemetry/api", () => {
  it('the copy found from here cannot see the span the app set: the two copies differ', () => {
    withSpan(span(1, 1), () => {
      expect(appApi.trace.getActiveSpan()).toBeDefined();
      expect(newerApi.trace.getActiveSpan()).toBeUndefined();
    });
  });

  it('start()/end() take the active span the app set', async () => {
    const registry = new Registry();
    const metrics = createHttpMetrics({ registry, defaultMetrics: false, exemplars: true });
    const sampled = span(2, 1);
    withSpan(sampled, () => metrics.start())({ method: 'GET', route: '/r', status: 200 });
    const counter = exemplarLines(await renderRegistry(registry, 'openmetrics')).filter((l) => l.name === 'http_requests_total');
    expect(counter.map((l) => l.exemplar)).toEqual([{ trace_id: sampled.traceId, span_id: sampled.spanId }]);
  });

  it('an active span decides over the traceparent header: its ids when sampled, no exemplar when not; the header only without a span', async () => {
    const registry = new Registry();
    const app = instrument((_req, res) => void res.end('ok'), { registry, defaultMetrics: false, exemplars: true, route: (req) => new URL(req.url!, 'http://x').pathname });
    const spans = new Map([
      ['/sampled', span(3, 1)],
      ['/unsampled', span(4, 0)],
    ]);
    const server = await listen((req, res) => {
      const active = spans.get(req.url!);
      if (active === undefined) app(req, res);
      else withSpan(active, () => app(req, res));
    });
    try {
      const header = traceparent(0x12);
      for (const path of ['/sampled', '/unsampled', '/none']) expect((await request(`${server.url}${path}`, { headers: { traceparent: header.header } })).status).toBe(200);
      const body = (await request(`${server.url}/metrics`, { headers: { accept: OPENMETRICS } })).body.toString();
      const counter = exemplarLines(body).filter((l) => l.name === 'http_requests_total');
      expect(counter.map((l) => [l.labels.route, l.exemplar])).toEqual([
        ['/sampled', { trace_id: spans.get('/sampled')!.traceId, span_id: spans.get('/sampled')!.spanId }],
        ['/none', { trace_id: header.traceId, span_id: header.spanId }],
      ]);
      expect(body).toContain('http_requests_total{method="GET",route="/unsampled",status_code="200"} 1');
    } finally {
      await server.close();
    }
  });
});
