import Koa2 from 'koa2';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { koaMetrics } from 'promhttp/koa';
import { buildKoaApp } from './fixtures/route-metrics-koa-app.js';
import { routeMetricsSuite } from './fixtures/route-metrics-suite.js';
import { serversClosedAfterEach } from './support/http.js';

const { serve } = serversClosedAfterEach();

describe('per-route metrics on Koa 3', () => {
  routeMetricsSuite((scenario) => serve(buildKoaApp(scenario)));
});

describe('per-route metrics on Koa 2', () => {
  routeMetricsSuite((scenario) => serve(buildKoaApp(scenario, Koa2)));
});

describe('koaMetrics options', () => {
  it('rejects bad options at construction with promhttp TypeErrors', () => {
    const registry = new Registry();
    expect(() => koaMetrics({ registry, route: 42 as never })).toThrow(/^promhttp: koaMetrics: "route" must be a function .* or "path"/);
    expect(() => koaMetrics({ registry, route: 'paths' as never })).toThrow(TypeError);
    const metrics = koaMetrics({ registry, defaultMetrics: false });
    expect(() => metrics.counter({ name: 'cnt_collection', help: 'Invocations.' })).toThrow(/^promhttp: counter: counter names end in "_total".*"cnt_collection_total"/);
    expect(() => metrics.counter({ name: 'a_total', help: 'A.', labels: { collection: 7 as never } })).toThrow(/^promhttp: koaMetrics.counter "a_total": label "collection" must be a string or a function/);
    expect(() => metrics.counter({ name: 'b_total', help: 'B.', lables: {} } as never)).toThrow(/^promhttp: koaMetrics.counter: unknown option "lables". Did you mean "labels"\?/);
    expect(() => metrics.gauge({ name: 'c', help: 'C.', value: 3 as never })).toThrow(/^promhttp: koaMetrics.gauge "c": "value" must be a function/);
    expect(() => metrics.histogram({ name: 'd_seconds', help: 'D.', buckets: [1, 0.5] })).toThrow(/^promhttp: histogram: "buckets" must be strictly increasing/);
    expect(() => metrics.summary({ name: 'e_seconds', help: 'E.', labels: { 'bad-name': 'x' } })).toThrow(/^promhttp: summary/);
    expect(() => metrics.registerDefault((async () => {}) as never)).toThrow(/^promhttp: koaMetrics.registerDefault: pass what this object's counter\(\)/);
    const other = koaMetrics({ registry: new Registry(), defaultMetrics: false });
    expect(() => metrics.registerDefault(other.counter({ name: 'f_total', help: 'F.' }))).toThrow(TypeError);
    const hits = metrics.counter({ name: 'g_total', help: 'G.' });
    metrics.registerDefault(hits);
    expect(() => metrics.registerDefault(hits)).toThrow(/^promhttp: koaMetrics.registerDefault: "g_total" is already a default metric/);
  });
});
