// The adapters the raw-request properties run against, one entry each. Every app serves the
// same routes: `/`, `/users/:id`, `/files/*`, `/slow`, which answers after 20 ms (so that
// pipelined requests queue behind it), and `/boom`, which fails (a throw where the framework
// turns it into a 500, a 500 where a throw would take the process down).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import KoaRouter from '@koa/router';
import { Hono } from 'hono';
import Koa from 'koa';
import Koa2 from 'koa2';
import type { Registry } from 'prom-client';
import { fetchMetrics } from 'promhttp/fetch';
import { honoMetrics } from 'promhttp/hono';
import { koaMetrics } from 'promhttp/koa';
import { instrument } from 'promhttp/node';

export interface Running {
  readonly port: number;
  /** Requests the server handed to the instrumented app (its listener or fetch), whatever the app did with them. */
  readonly entered: () => number;
  close(): Promise<void>;
}

export interface Subject {
  readonly name: string;
  /**
   * Every `route` value the app may record besides `unmatched` and `overflow`: its templates, or
   * the normaliser's output for the paths it answers, and the metrics path (recorded here too, so
   * that every request that reaches the app is counted).
   */
  readonly routes: readonly string[];
  /** Serves the app, recording into `registry`, on a free loopback port. */
  start(registry: Registry): Promise<Running>;
}

const OPTIONS = { defaultMetrics: false, includeMetricsPath: true } as const;
const METRICS = '/metrics';
const USERS = /^\/users\/\d+$/;
const SLOW_MS = 20;
const later = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, SLOW_MS));

/** Counts the calls of an entry point: what reached the adapter, as opposed to what the server answered by itself. */
function counting<A extends unknown[], R>(entry: (...args: A) => R): { entry: (...args: A) => R; entered: () => number } {
  let n = 0;
  return {
    entry: (...args) => {
      n++;
      return entry(...args);
    },
    entered: () => n,
  };
}

function listening(server: Server, entered: () => number): Promise<Running> {
  return new Promise((resolve, reject) => {
    const running = (): void =>
      resolve({
        port: (server.address() as AddressInfo).port,
        entered,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    if (server.listening) return running();
    server.once('error', reject);
    server.once('listening', running);
  });
}

/** The node:http app: no router, so the normaliser labels what it answers (`/users/42` → `/users/:id`). */
function nodeApp(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '').split('?')[0]!;
  if (path === '/' || USERS.test(path)) return void res.end('ok');
  if (path === '/slow') return void setTimeout(() => res.end('ok'), SLOW_MS);
  res.statusCode = path === '/boom' ? 500 : 404;
  res.end();
}

/** The same app as a fetch handler; without templates to label them, it answers no `/files/*` (each path would be a value of its own). */
const fetchApp =
  (files: boolean) =>
  (request: Request): Response | Promise<Response> => {
    const path = new URL(request.url).pathname;
    if (path === '/boom') throw new Error('boom');
    if (path === '/slow') return later().then(() => new Response('ok'));
    if (path === '/' || USERS.test(path) || (files && path.startsWith('/files/'))) return new Response('ok');
    return new Response('not found', { status: 404 });
  };

function koaApp(App: typeof Koa, registry: Registry): Koa {
  const app = new App();
  // The /boom route's throw is the app's own: Koa answers 500 either way; this only keeps the log quiet.
  app.silent = true;
  app.use(koaMetrics({ registry, ...OPTIONS }));
  const router = new KoaRouter();
  router.get('/', (ctx) => void (ctx.body = 'ok'));
  router.get('/users/:id', (ctx) => void (ctx.body = 'ok'));
  router.get('/files/*rest', (ctx) => void (ctx.body = 'ok'));
  router.get('/slow', async (ctx) => {
    await later();
    ctx.body = 'ok';
  });
  router.get('/boom', () => {
    throw new Error('boom');
  });
  app.use(router.routes());
  return app;
}

function honoApp(): Hono {
  const app = new Hono();
  app.get('/', (c) => c.text('ok'));
  app.get('/users/:id', (c) => c.text('ok'));
  app.get('/files/*', (c) => c.text('ok'));
  app.get('/slow', async (c) => {
    await later();
    return c.text('ok');
  });
  app.get('/boom', () => {
    throw new Error('boom');
  });
  // Hono logs a thrown error by default; the 500 is the same without the noise.
  app.onError((_error, c) => c.text('boom', 500));
  return app;
}

function onHonoServer(fetch: (request: Request, env?: unknown) => Response | Promise<Response>): Promise<Running> {
  const { entry, entered } = counting(fetch);
  return listening(serve({ fetch: entry, port: 0, hostname: '127.0.0.1' }) as Server, entered);
}

function onNodeServer(listener: (req: IncomingMessage, res: ServerResponse) => void): Promise<Running> {
  const { entry, entered } = counting(listener);
  return listening(createServer(entry).listen(0, '127.0.0.1'), entered);
}

const HONO_ROUTES = ['/', '/users/:id', '/files/*', '/slow', '/boom', METRICS];
const NORMALISED = ['/', '/users/:id', '/slow', '/boom', METRICS];

export const SUBJECTS: readonly Subject[] = [
  {
    name: 'node:http instrument',
    routes: NORMALISED,
    start: (registry) => onNodeServer(instrument(nodeApp, { registry, ...OPTIONS })),
  },
  {
    name: 'Koa 3',
    routes: ['/', '/users/:id', '/files/*rest', '/slow', '/boom', METRICS],
    start: (registry) => onNodeServer(koaApp(Koa, registry).callback()),
  },
  {
    name: 'Koa 2',
    routes: ['/', '/users/:id', '/files/*rest', '/slow', '/boom', METRICS],
    start: (registry) => onNodeServer(koaApp(Koa2 as unknown as typeof Koa, registry).callback()),
  },
  {
    name: 'Hono middleware on @hono/node-server',
    routes: HONO_ROUTES,
    start: (registry) => {
      const app = new Hono();
      app.use(honoMetrics({ registry, ...OPTIONS }));
      app.route('/', honoApp());
      return onHonoServer(app.fetch);
    },
  },
  {
    name: 'Hono wrap on @hono/node-server',
    routes: HONO_ROUTES,
    start: (registry) => onHonoServer(honoMetrics({ registry, ...OPTIONS }).wrap(honoApp())),
  },
  {
    name: 'promhttp/fetch with routes on @hono/node-server',
    routes: HONO_ROUTES,
    start: (registry) => onHonoServer(fetchMetrics(fetchApp(true), { registry, ...OPTIONS, routes: ['/', '/users/:id', '/files/*', '/slow', '/boom'] })),
  },
  {
    name: 'promhttp/fetch normalised on @hono/node-server',
    routes: NORMALISED,
    start: (registry) => onHonoServer(fetchMetrics(fetchApp(false), { registry, ...OPTIONS })),
  },
];
