import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { honoMetrics } from 'promhttp/hono';
import { buildHonoApp } from './fixtures/route-metrics-hono-app.js';
import { routeMetricsSuite } from './fixtures/route-metrics-suite.js';
import { serversClosedAfterEach } from './support/http.js';

const { track } = serversClosedAfterEach();

function start(app: ReturnType<typeof buildHonoApp>): Promise<string> {
  return new Promise((resolve) => {
    track(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve(`http://127.0.0.1:${info.port}`)));
  });
}

describe('per-route metrics on Hono with @hono/node-server', () => {
  routeMetricsSuite((scenario) => start(buildHonoApp(scenario)));

  it('rejects bad options at construction with promhttp TypeErrors', () => {
    const registry = new Registry();
    expect(() => honoMetrics({ registry, route: 42 as never })).toThrow(/^promhttp: honoMetrics: "route" must be a function .* or "path"/);
    expect(() => honoMetrics({ registry, rout: 'path' } as never)).toThrow(/^promhttp: honoMetrics: unknown option "rout". Did you mean "route"\?/);
    const metrics = honoMetrics({ registry, defaultMetrics: false });
    expect(() => metrics.counter({ name: 'cnt_collection', help: 'Invocations.' })).toThrow(/^promhttp: counter: counter names end in "_total"/);
    expect(() => metrics.counter({ name: 'a_total', help: 'A.', labels: { collection: null as never } })).toThrow(/^promhttp: honoMetrics.counter "a_total": label "collection" must be a string or a function/);
    expect(() => metrics.gauge({ name: 'c', help: 'C.', value: 'x' as never })).toThrow(/^promhttp: honoMetrics.gauge "c": "value" must be a function/);
    expect(() => metrics.histogram({ name: 'd_seconds', help: '' })).toThrow(/^promhttp: histogram: "help" must be a non-empty sentence/);
    expect(() => metrics.registerDefault((async () => {}) as never)).toThrow(/^promhttp: honoMetrics.registerDefault: pass what this object's counter\(\)/);
  });
});
