import express4 from 'express4';
import express5 from 'express';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { expressMetrics } from 'promhttp/express';
import { buildExpressApp } from './fixtures/route-metrics-express-app.js';
import { routeMetricsSuite } from './fixtures/route-metrics-suite.js';
import { serversClosedAfterEach } from './support/http.js';

const { serve } = serversClosedAfterEach();

describe('per-route metrics on Express 5', () => {
  routeMetricsSuite((scenario) => serve(buildExpressApp(scenario)));
});

describe('per-route metrics on Express 4', () => {
  routeMetricsSuite((scenario) => serve(buildExpressApp(scenario, express4)));
});

describe('expressMetrics per-route options', () => {
  it('rejects bad options at construction with promhttp TypeErrors', () => {
    const metrics = expressMetrics({ registry: new Registry(), defaultMetrics: false });
    expect(() => metrics.counter({ name: 'cnt_collection', help: 'Invocations.' })).toThrow(/^promhttp: counter: counter names end in "_total"/);
    expect(() => metrics.counter({ name: 'a_total', help: 'A.', labels: { collection: 7 as never } })).toThrow(/^promhttp: expressMetrics.counter "a_total": label "collection" must be a string or a function/);
    expect(() => metrics.registerDefault(express5.json() as never)).toThrow(/^promhttp: expressMetrics.registerDefault: pass what this object's counter\(\)/);
    const hits = metrics.counter({ name: 'g_total', help: 'G.' });
    metrics.registerDefault(hits);
    expect(() => metrics.registerDefault(hits)).toThrow(/^promhttp: expressMetrics.registerDefault: "g_total" is already a default metric/);
  });
});
