import type { FastifyInstance } from 'fastify';
import Fastify4 from 'fastify4';
import Fastify5 from 'fastify';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { fastifyMetrics } from 'promhttp/fastify';
import { buildFastifyApp } from './fixtures/route-metrics-fastify-app.js';
import { routeMetricsSuite } from './fixtures/route-metrics-suite.js';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function run(app: FastifyInstance): Promise<string> {
  apps.push(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
}

describe('per-route metrics on Fastify 5', () => {
  routeMetricsSuite(async (scenario) => run(await buildFastifyApp(scenario)));
});

describe('per-route metrics on Fastify 4', () => {
  routeMetricsSuite(async (scenario) => run(await buildFastifyApp(scenario, Fastify4)));
});

describe('app.promhttp', () => {
  it('rejects bad per-route options with promhttp TypeErrors', async () => {
    const app = Fastify5();
    apps.push(app);
    await app.register(fastifyMetrics, { registry: new Registry(), defaultMetrics: false });
    const metrics = app.promhttp;
    expect(() => metrics.counter({ name: 'cnt_collection', help: 'Invocations.' })).toThrow(/^promhttp: counter: counter names end in "_total"/);
    expect(() => metrics.histogram({ name: 'd_seconds', help: 'D.', buckets: [1, 0.5] })).toThrow(/^promhttp: histogram: "buckets" must be strictly increasing/);
    expect(() => metrics.registerDefault((() => {}) as never)).toThrow(/^promhttp: fastifyMetrics.registerDefault: pass what this object's counter\(\)/);
  });
});
