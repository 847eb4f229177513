import { getRequestListener } from '@hono/node-server';
import Router from '@koa/router';
import { Hono } from 'hono';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import type { RequestListener } from 'node:http';
import { connect } from 'node:net';
import { Registry } from 'prom-client';
import { describe, expect, test } from 'vitest';
import { expressMetrics } from 'promhttp/express';
import { fastifyMetrics } from 'promhttp/fastify';
import { honoMetrics } from 'promhttp/hono';
import { koaMetrics } from 'promhttp/koa';
import { instrument } from 'promhttp/node';
import { listen } from './support/http.js';
import { find, scrapeSettled } from './support/scrape.js';

const SLOW_MS = 300;
const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Each adapter serving `/slow` (answers after SLOW_MS) and `/fast`, on a fresh registry. */
const ADAPTERS: ReadonlyArray<readonly [string, () => RequestListener | Promise<RequestListener>]> = [
  [
    'promhttp/express',
    () => {
      const app = express();
      app.use(expressMetrics({ registry: new Registry(), defaultMetrics: false }));
      app.get('/slow', (_req, res) => void setTimeout(() => res.send('slow'), SLOW_MS));
      app.get('/fast', (_req, res) => void res.send('fast'));
      return app as unknown as RequestListener;
    },
  ],
  [
    'promhttp/fastify',
    async () => {
      const app = Fastify();
      await app.register(fastifyMetrics, { registry: new Registry(), defaultMetrics: false });
      app.get('/slow', async () => (await wait(SLOW_MS), 'slow'));
      app.get('/fast', async () => 'fast');
      await app.ready();
      return app.routing as unknown as RequestListener;
    },
  ],
  [
    'promhttp/node',
    () =>
      instrument(
        (req, res) => {
          if (req.url === '/slow') setTimeout(() => res.end('slow'), SLOW_MS);
          else res.end('fast');
        },
        { registry: new Registry(), defaultMetrics: false, route: (req) => req.url },
      ),
  ],
  [
    'promhttp/koa',
    () => {
      const app = new Koa();
      app.use(koaMetrics({ registry: new Registry(), defaultMetrics: false }));
      const router = new Router();
      router.get('/slow', async (ctx) => {
        await wait(SLOW_MS);
        ctx.body = 'slow';
      });
      router.get('/fast', (ctx) => void (ctx.body = 'fast'));
      app.use(router.routes());
      return app.callback();
    },
  ],
  ...(['middleware', 'wrap'] as const).map(
    (mode) =>
      [
        `promhttp/hono (${mode})`,
        () => {
          const app = new Hono();
          const metrics = honoMetrics({ registry: new Registry(), defaultMetrics: false });
          if (mode === 'middleware') app.use(metrics);
          app.get('/slow', async (c) => (await wait(SLOW_MS), c.text('slow')));
          app.get('/fast', (c) => c.text('fast'));
          return getRequestListener(mode === 'wrap' ? metrics.wrap(app) : app.fetch);
        },
      ] as const,
  ),
];

describe('a request queued behind another on a pipelined connection', () => {
  for (const [name, build] of ADAPTERS) {
    test(`${name}: ends, as 499, when the client drops the connection before its turn, and in-flight returns to 0`, async () => {
      const server = await listen(await build());
      try {
        await new Promise<void>((resolve, reject) => {
          const socket = connect(server.port, '127.0.0.1', () => {
            socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\n');
            // Both requests are parsed and in flight; /fast waits for /slow's response.
            setTimeout(() => socket.destroy(), 100);
          });
          socket.on('close', () => resolve());
          socket.on('error', reject);
        });
        await wait(SLOW_MS + 100);
        const samples = await scrapeSettled(server.url);
        const requests = find(samples, 'http_requests_total').map((s) => `${s.labels.route} ${s.labels.status_code} ${s.value}`);
        expect(requests.sort()).toEqual(['/fast 499 1', '/slow 499 1']);
      } finally {
        await server.close();
      }
    });

    test(`${name}: ends, as 500, when the server drops the connection (server.timeout) before its turn`, async () => {
      const server = await listen(await build());
      // The connection idles while /slow works: Node destroys it, the server's doing, not the client's.
      server.server.timeout = 100;
      try {
        await new Promise<void>((resolve, reject) => {
          const socket = connect(server.port, '127.0.0.1', () => {
            socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\n');
          });
          socket.on('close', () => resolve());
          socket.on('error', reject);
        });
        server.server.timeout = 0;
        await wait(SLOW_MS + 100);
        const samples = await scrapeSettled(server.url);
        const requests = find(samples, 'http_requests_total').map((s) => `${s.labels.route} ${s.labels.status_code} ${s.value}`);
        expect(requests.sort()).toEqual(['/fast 500 1', '/slow 500 1']);
      } finally {
        await server.close();
      }
    });

    test(`${name}: many requests queued on one connection add one listener to it, not one each (Node warns of a leak from 11)`, async () => {
      const server = await listen(await build());
      const warnings: string[] = [];
      const onWarning = (warning: Error): void => void warnings.push(warning.name);
      process.on('warning', onWarning);
      try {
        const queued = 20;
        const text = await new Promise<string>((resolve, reject) => {
          let received = '';
          const socket = connect(server.port, '127.0.0.1', () => {
            socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n' + 'GET /fast HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(queued - 1) + 'GET /fast HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
          });
          socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
          socket.on('close', () => resolve(received));
          socket.on('error', reject);
        });
        expect(text.match(/HTTP\/1\.1 200/g)).toHaveLength(queued + 1);
        const samples = await scrapeSettled(server.url);
        const requests = find(samples, 'http_requests_total').map((s) => `${s.labels.route} ${s.labels.status_code} ${s.value}`);
        expect(requests.sort()).toEqual([`/fast 200 ${queued}`, '/slow 200 1']);
        // Warnings are emitted on a later turn.
        await wait(10);
        expect(warnings).not.toContain('MaxListenersExceededWarning');
      } finally {
        process.off('warning', onWarning);
        await server.close();
      }
    });

    test(`${name}: a queued request answered in its turn is recorded once, with its status`, async () => {
      const server = await listen(await build());
      try {
        const text = await new Promise<string>((resolve, reject) => {
          let received = '';
          const socket = connect(server.port, '127.0.0.1', () => {
            socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
          });
          socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
          socket.on('close', () => resolve(received));
          socket.on('error', reject);
        });
        expect(text.match(/HTTP\/1\.1 200/g)).toHaveLength(2);
        const samples = await scrapeSettled(server.url);
        const requests = find(samples, 'http_requests_total').map((s) => `${s.labels.route} ${s.labels.status_code} ${s.value}`);
        expect(requests.sort()).toEqual(['/fast 200 1', '/slow 200 1']);
      } finally {
        await server.close();
      }
    });
  }
});
