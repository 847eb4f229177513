import { createServer, type RequestListener } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import Router from '@koa/router';
import { Hono } from 'hono';
import Koa from 'koa';
import { Registry } from 'prom-client';
import { createHttpMetrics } from 'promhttp';
import { honoMetrics } from 'promhttp/hono';
import { koaMetrics } from 'promhttp/koa';
import { InMemoryConnection } from './lib/in-memory.js';
import { emit, partSettings, progress } from './lib/part.js';
import type { SoakResult } from './lib/results.js';
import { round } from './lib/stats.js';

/**
 * A long run through the real frameworks: `requests` requests over `routes` route templates, each
 * with ever new ids (so nothing but promhttp's bounds keeps the series finite), a tenth of them
 * 404s on ever new paths and a few 500s, with a scrape every `sampleEvery` requests. After each
 * stretch the heap is collected and measured: a leak shows as a heap that keeps growing.
 */
const settings = partSettings().soak;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('the soak part needs --expose-gc');

const ROUTES = settings.routes;

function koaApp(registry: Registry): RequestListener {
  const app = new Koa();
  app.use(koaMetrics({ metrics: createHttpMetrics({ registry }) }));
  const router = new Router();
  for (let r = 0; r < ROUTES; r++) {
    router.get(`/r${r}/:id`, (ctx) => {
      if (ctx.params.id!.endsWith('99')) ctx.throw(500, 'boom');
      ctx.body = { route: r, id: ctx.params.id };
    });
  }
  app.use(router.routes());
  app.silent = true;
  return app.callback();
}

function honoApp(registry: Registry): RequestListener {
  const app = new Hono();
  for (let r = 0; r < ROUTES; r++) {
    app.get(`/r${r}/:id`, (c) => {
      if (c.req.param('id').endsWith('99')) throw new Error('boom');
      return c.json({ route: r, id: c.req.param('id') });
    });
  }
  app.onError((_error, c) => c.text('error', 500));
  return getRequestListener(honoMetrics({ metrics: createHttpMetrics({ registry }) }).wrap(app));
}

function pathOf(n: number): string {
  // Every tenth request is a 404 on a path never seen before.
  if (n % 10 === 9) return `/missing/${n}`;
  return `/r${n % ROUTES}/${n}`;
}

async function soak(id: string, title: string, build: (registry: Registry) => RequestListener): Promise<SoakResult['frameworks'][number]> {
  const registry = new Registry();
  const connection = new InMemoryConnection(createServer(build(registry)));
  const batch = 16;
  const samples: SoakResult['frameworks'][number]['samples'] = [];
  const started = performance.now();
  let sent = 0;
  while (sent < settings.requests) {
    const paths: string[] = [];
    for (let i = 0; i < batch; i++) paths.push(pathOf(sent + i));
    await connection.send(paths);
    sent += batch;
    if (sent % settings.sampleEvery === 0) {
      await registry.metrics();
      gc!();
      const memory = process.memoryUsage();
      samples.push({ requests: sent, heapMb: round(memory.heapUsed / 2 ** 20, 2), rssMb: round(memory.rss / 2 ** 20, 1) });
      progress(`${title}: ${sent} requests, heap ${samples.at(-1)!.heapMb} MB, RSS ${samples.at(-1)!.rssMb} MB`);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const recorded = (await registry.getSingleMetric('http_requests_total')!.get()).values.reduce((sum, v) => sum + v.value, 0);
  const first = samples[0]!;
  const last = samples.at(-1)!;
  return { id, title, requests: sent, recorded, seconds: round(seconds, 1), samples, heapGrowth: round(last.heapMb / first.heapMb, 3), rssGrowth: round(last.rssMb / first.rssMb, 3) };
}

const frameworks = [await soak('koa', 'Koa 3 + @koa/router', koaApp), await soak('hono-node', 'Hono on Node (wrap)', honoApp)];
const problems = frameworks.filter((f) => f.recorded !== settings.requests).map((f) => `${f.title}: ${f.recorded} requests recorded of ${settings.requests} sent`);
emit({ settings, frameworks, problems } satisfies SoakResult);
