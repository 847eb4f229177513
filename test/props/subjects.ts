// The adapters the raw-request properties run against, one entry each. Every app serves the
// same routes: `/`, `/users/:id`, `/files/*`, `/slow`, which answers after 20 ms (so that
// pipelined requests queue behind it), and `/boom`, which fails (a throw where the framework
// turns it into a 500, a 500 where a throw would take the process down). A new adapter is one
// more entry in SUBJECTS, with the same app on its framework.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import KoaRouter from '@koa/router';
import express from 'express';
import express4 from 'express4';
import Fastify from 'fastify';
import { Hono, type Context } from 'hono';
import Koa from 'koa';
import Koa2 from 'koa2';
import type { Registry } from 'prom-client';
import { pathOfUrl } from 'promhttp/adapter';
import { expressMetrics } from 'promhttp/express';
import { fastifyMetrics } from 'promhttp/fastify';
import { fetchMetrics } from 'promhttp/fetch';
import { honoMetrics } from 'promhttp/hono';
import { koaMetrics } from 'promhttp/koa';
import { instrument } from 'promhttp/node';

export interface Running {
  readonly port: number;
  /** The paths the app's own handlers answered: what `route: 'path'` may record besides `routes`. */
  readonly answered: ReadonlySet<string>;
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
  /** Serves the app, recording into `registry`, on a free loopback port; its handlers add the paths they answer to `answered`. */
  start(registry: Registry, answered: Set<string>): Promise<Running>;
}

/** The scrape's credentials: generated requests send it now and then, and garbage more often. */
const SCRAPE_TOKEN = 'promhttp-props';
const OPTIONS = { defaultMetrics: false, includeMetricsPath: true, auth: { bearer: SCRAPE_TOKEN } } as const;
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

function listening(server: Server, entered: () => number, answered: ReadonlySet<string>): Promise<Running> {
  return new Promise((resolve, reject) => {
    const running = (): void =>
      resolve({
        port: (server.address() as AddressInfo).port,
        answered,
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
const nodeApp =
  (answered: Set<string>) =>
  (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '').split('?')[0]!;
    if (path !== '/' && path !== '/slow' && path !== '/boom' && !USERS.test(path)) {
      res.statusCode = 404;
      return void res.end();
    }
    answered.add(path);
    if (path === '/slow') return void setTimeout(() => res.end('ok'), SLOW_MS);
    if (path === '/boom') res.statusCode = 500;
    res.end('ok');
  };

/** The same app as a fetch handler; without templates to label them, it answers no `/files/*` (each path would be a value of its own). */
const fetchApp =
  (answered: Set<string>, files: boolean) =>
  (request: Request): Response | Promise<Response> => {
    const path = new URL(request.url).pathname;
    if (path !== '/' && path !== '/slow' && path !== '/boom' && !USERS.test(path) && !(files && path.startsWith('/files/'))) {
      return new Response('not found', { status: 404 });
    }
    answered.add(pathOfUrl(request.url));
    if (path === '/boom') throw new Error('boom');
    if (path === '/slow') return later().then(() => new Response('ok'));
    return new Response('ok');
  };

function koaApp(App: typeof Koa, registry: Registry, answered: Set<string>, route?: 'path'): Koa {
  const app = new App();
  // The /boom route's throw is the app's own: Koa answers 500 either way; this only keeps the log quiet.
  app.silent = true;
  app.use(koaMetrics({ registry, ...OPTIONS, ...(route ? { route } : {}) }));
  const router = new KoaRouter();
  const answer = (ctx: Koa.Context): void => {
    answered.add(ctx.path);
    ctx.body = 'ok';
  };
  router.get('/', answer);
  router.get('/users/:id', answer);
  router.get('/files/*rest', answer);
  router.get('/slow', async (ctx) => {
    answered.add(ctx.path);
    await later();
    ctx.body = 'ok';
  });
  router.get('/boom', (ctx) => {
    answered.add(ctx.path);
    throw new Error('boom');
  });
  app.use(router.routes());
  return app;
}

function honoApp(answered: Set<string>): Hono {
  const app = new Hono();
  const answer = (c: Context): Response => (answered.add(c.req.path), c.text('ok'));
  app.get('/', answer);
  app.get('/users/:id', answer);
  app.get('/files/*', answer);
  app.get('/slow', async (c) => {
    // Counted as answered from the start: the route exists whether or not the client waits for it.
    answered.add(c.req.path);
    await later();
    return c.text('ok');
  });
  app.get('/boom', (c) => {
    answered.add(c.req.path);
    throw new Error('boom');
  });
  // Hono logs a thrown error by default; the 500 is the same without the noise.
  app.onError((_error, c) => c.text('boom', 500));
  return app;
}

function onHonoServer(fetch: (request: Request, env?: unknown) => Response | Promise<Response>, answered: ReadonlySet<string>): Promise<Running> {
  const { entry, entered } = counting(fetch);
  return listening(serve({ fetch: entry, port: 0, hostname: '127.0.0.1' }) as Server, entered, answered);
}

function onNodeServer(listener: (req: IncomingMessage, res: ServerResponse) => void, answered: ReadonlySet<string>): Promise<Running> {
  const { entry, entered } = counting(listener);
  return listening(createServer(entry).listen(0, '127.0.0.1'), entered, answered);
}

function honoMiddlewareApp(registry: Registry, answered: Set<string>, route?: 'path'): Hono {
  const app = new Hono();
  app.use(honoMetrics({ registry, ...OPTIONS, ...(route ? { route } : {}) }));
  app.route('/', honoApp(answered));
  return app;
}

/**
 * The same app on Express; `express` is Express 5 or 4 (their wildcard syntax differs). What
 * reaches the adapter is counted at the middleware: Express answers a target it cannot parse
 * (`http://[::1`) with a 404 of its own, before any middleware runs.
 */
function expressApp(make: typeof express, wildcard: string, registry: Registry, answered: Set<string>): { entry: (req: IncomingMessage, res: ServerResponse) => void; entered: () => number } {
  const app = make();
  const { entry: middleware, entered } = counting(expressMetrics({ registry, ...OPTIONS }));
  app.use(middleware);
  const answer = (req: express.Request, res: express.Response): void => {
    answered.add(req.path);
    res.send('ok');
  };
  app.get('/', answer);
  app.get('/users/:id', answer);
  app.get(wildcard, answer);
  app.get('/slow', (req, res) => {
    answered.add(req.path);
    setTimeout(() => res.send('ok'), SLOW_MS);
  });
  app.get('/boom', (req) => {
    answered.add(req.path);
    throw new Error('boom');
  });
  // Express logs a thrown error by default; the 500 is the same without the noise.
  app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => void res.status(500).send('boom'));
  return { entry: app as unknown as (req: IncomingMessage, res: ServerResponse) => void, entered };
}

function onExpress(app: ReturnType<typeof expressApp>): Promise<Running> {
  return listening(createServer(app.entry).listen(0, '127.0.0.1'), app.entered, new Set());
}

/** The same app on Fastify, whose own server is served as it is. */
async function onFastify(registry: Registry, answered: Set<string>): Promise<Running> {
  const app = Fastify();
  await app.register(fastifyMetrics, { registry, ...OPTIONS });
  const answer = async (request: { url: string }): Promise<string> => (answered.add(request.url.split('?')[0]!), 'ok');
  app.get('/', answer);
  app.get('/users/:id', answer);
  app.get('/files/*', answer);
  app.get('/slow', async (request) => (answered.add(request.url.split('?')[0]!), await later(), 'ok'));
  app.get('/boom', async (request) => {
    answered.add(request.url.split('?')[0]!);
    throw new Error('boom');
  });
  // Fastify's own server: the adapter also listens to it, for the answers Fastify gives before any hook.
  let entered = 0;
  app.server.prependListener('request', () => void entered++);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return listening(app.server, () => entered, new Set());
}

const HONO_ROUTES = ['/', '/users/:id', '/files/*', '/slow', '/boom', METRICS];
const NORMALISED = ['/', '/users/:id', '/slow', '/boom', METRICS];

const KOA_ROUTES = ['/', '/users/:id', '/files/*rest', '/slow', '/boom', METRICS];
const FETCH_TEMPLATES = ['/', '/users/:id', '/files/*', '/slow', '/boom'];
/** With `route: 'path'` only the metrics path is fixed; the rest is what the app answered (`Running.answered`). */
const PATHS = [METRICS];

export const SUBJECTS: readonly Subject[] = [
  {
    name: 'Express 5',
    routes: ['/', '/users/:id', '/files/*rest', '/slow', '/boom', METRICS],
    start: (registry, answered) => onExpress(expressApp(express, '/files/*rest', registry, answered)),
  },
  {
    name: 'Express 4',
    routes: ['/', '/users/:id', '/files/*', '/slow', '/boom', METRICS],
    start: (registry, answered) => onExpress(expressApp(express4 as unknown as typeof express, '/files/*', registry, answered)),
  },
  {
    name: 'Fastify 5',
    routes: HONO_ROUTES,
    start: (registry, answered) => onFastify(registry, answered),
  },
  {
    name: 'node:http instrument',
    routes: NORMALISED,
    start: (registry, answered) => onNodeServer(instrument(nodeApp(answered), { registry, ...OPTIONS }), new Set()),
  },
  {
    name: "node:http instrument, route: 'path'",
    routes: PATHS,
    start: (registry, answered) => onNodeServer(instrument(nodeApp(answered), { registry, ...OPTIONS, route: 'path' }), answered),
  },
  {
    name: 'Koa 3',
    routes: KOA_ROUTES,
    start: (registry, answered) => onNodeServer(koaApp(Koa, registry, answered).callback(), new Set()),
  },
  {
    name: 'Koa 2',
    routes: KOA_ROUTES,
    start: (registry, answered) => onNodeServer(koaApp(Koa2 as unknown as typeof Koa, registry, answered).callback(), new Set()),
  },
  {
    name: "Koa 3, route: 'path'",
    routes: PATHS,
    start: (registry, answered) => onNodeServer(koaApp(Koa, registry, answered, 'path').callback(), answered),
  },
  {
    name: 'Hono middleware on @hono/node-server',
    routes: HONO_ROUTES,
    start: (registry, answered) => onHonoServer(honoMiddlewareApp(registry, answered).fetch, new Set()),
  },
  {
    name: "Hono middleware on @hono/node-server, route: 'path'",
    routes: PATHS,
    start: (registry, answered) => onHonoServer(honoMiddlewareApp(registry, answered, 'path').fetch, answered),
  },
  {
    name: 'Hono wrap on @hono/node-server',
    routes: HONO_ROUTES,
    start: (registry, answered) => onHonoServer(honoMetrics({ registry, ...OPTIONS }).wrap(honoApp(answered)), new Set()),
  },
  {
    name: "Hono wrap on @hono/node-server, route: 'path'",
    routes: PATHS,
    start: (registry, answered) => onHonoServer(honoMetrics({ registry, ...OPTIONS, route: 'path' }).wrap(honoApp(answered)), answered),
  },
  {
    name: 'promhttp/fetch with routes on @hono/node-server',
    routes: HONO_ROUTES,
    start: (registry, answered) => onHonoServer(fetchMetrics(fetchApp(answered, true), { registry, ...OPTIONS, routes: FETCH_TEMPLATES }), new Set()),
  },
  {
    name: 'promhttp/fetch normalised on @hono/node-server',
    routes: NORMALISED,
    start: (registry, answered) => onHonoServer(fetchMetrics(fetchApp(answered, false), { registry, ...OPTIONS }), new Set()),
  },
  {
    name: "promhttp/fetch on @hono/node-server, route: 'path'",
    routes: PATHS,
    start: (registry, answered) => onHonoServer(fetchMetrics(fetchApp(answered, true), { registry, ...OPTIONS, route: 'path' }), answered),
  },
];
