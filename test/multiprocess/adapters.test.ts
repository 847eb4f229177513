import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { enableMultiprocess, renderDirectory } from 'promhttp';
import { expressMetrics } from 'promhttp/express';
import { fastifyMetrics } from 'promhttp/fastify';
import { fetchMetrics } from 'promhttp/fetch';
import { honoMetrics } from 'promhttp/hono';
import { koaMetrics } from 'promhttp/koa';
import { instrument } from 'promhttp/node';
import { tempDir } from '../fixtures/mp-support.js';
import { listen } from '../support/http.js';
import { find, parseExposition } from '../support/scrape.js';

// docs/multiprocess.md: every adapter takes the `multiprocess` option of createHttpMetrics, and a
// registry of its own then records into the directory.
type Options = { registry: Registry; defaultMetrics: false; multiprocess: { dir: string } };
type Served = { url: string; close(): Promise<unknown> };

const hello = 'hello';
const viaNodeServer = (fetch: (request: Request) => Response | Promise<Response>): Promise<Served> =>
  new Promise((resolve) => {
    const server: ServerType = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
      resolve({ url: `http://127.0.0.1:${info.port}`, close: () => new Promise((done) => server.close(done)) }),
    );
  });

const ADAPTERS: Array<[name: string, start: (options: Options) => Promise<Served>]> = [
  ['promhttp/node', async (options) => listen(instrument((_req, res) => res.end(hello), options))],
  [
    'promhttp/express',
    async (options) => {
      const app = express();
      app.use(expressMetrics(options));
      app.get('/', (_req, res) => void res.send(hello));
      return listen(app);
    },
  ],
  [
    'promhttp/fastify',
    async (options) => {
      const app = Fastify();
      await app.register(fastifyMetrics, options);
      app.get('/', async () => hello);
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      return { url, close: () => app.close() };
    },
  ],
  [
    'promhttp/koa',
    async (options) => {
      const app = new Koa();
      app.use(koaMetrics(options));
      app.use((ctx) => void (ctx.body = hello));
      return listen(app.callback());
    },
  ],
  [
    'promhttp/hono',
    async (options) => {
      const app = new Hono();
      app.get('/', (c) => c.text(hello));
      return viaNodeServer(honoMetrics(options).wrap(app));
    },
  ],
  ['promhttp/fetch', async (options) => viaNodeServer(fetchMetrics(() => new Response(hello), { ...options, routes: ['/'] }))],
];

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('the multiprocess option on every adapter', () => {
  it.each(ADAPTERS)('%s records into the directory it is given', async (_name, start) => {
    const dir = tempDir();
    cleanups.push(() => dir.remove());
    const registry = new Registry();
    const served = await start({ registry, defaultMetrics: false, multiprocess: { dir: dir.path } });
    cleanups.push(() => enableMultiprocess({ registry, dir: dir.path }).close());
    cleanups.push(() => served.close());
    for (let i = 0; i < 3; i++) expect(await (await fetch(`${served.url}/`)).text()).toBe(hello);
    // Writes land once per event-loop turn; the directory has them soon after the responses.
    let requests: string[] = [];
    for (let attempt = 0; attempt < 100 && requests.length === 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      requests = find(parseExposition(await renderDirectory(dir.path)), 'http_requests_total').map((s) => `${s.labels.method} ${s.labels.status_code} ${s.value}`);
    }
    expect(requests).toEqual(['GET 200 3']);
  });
});
