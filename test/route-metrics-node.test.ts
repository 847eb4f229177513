import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { instrument } from 'promhttp/node';
import { buildNodeApp } from './fixtures/route-metrics-node-app.js';
import { routeMetricsSuite } from './fixtures/route-metrics-suite.js';
import { serversClosedAfterEach } from './support/http.js';

const { track } = serversClosedAfterEach();

function start(listener: ReturnType<typeof buildNodeApp>): Promise<string> {
  return new Promise((resolve) => {
    const server = track(createServer(listener)).listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

describe('per-route metrics on node:http', () => {
  routeMetricsSuite((scenario) => start(buildNodeApp(scenario)));

  it('rejects bad options at construction with promhttp TypeErrors', () => {
    const registry = new Registry();
    const listener = (): void => {};
    expect(() => instrument(listener, { registry, route: 42 as never })).toThrow(/^promhttp: instrument: "route" must be a function .* or "path"/);
    const metrics = instrument(listener, { registry, defaultMetrics: false });
    expect(() => metrics.counter({ name: 'cnt_collection', help: 'Invocations.' })).toThrow(/^promhttp: counter: counter names end in "_total"/);
    expect(() => metrics.counter({ name: 'a_total', help: 'A.', labels: { collection: 7 as never } })).toThrow(/^promhttp: instrument.counter "a_total": label "collection" must be a string or a function/);
    expect(() => metrics.summary({ name: 'b_seconds', help: 'B.', labels: [] as never })).toThrow(/^promhttp: instrument.summary "b_seconds": "labels" takes an options object/);
    expect(() => metrics.gauge({ name: 'c', help: 'C.', mode: 'average' as never })).toThrow(/^promhttp: gauge: "mode" must be one of/);
    expect(() => metrics.registerDefault(((handler: unknown) => handler) as never)).toThrow(/^promhttp: instrument.registerDefault: pass what/);
  });
});
