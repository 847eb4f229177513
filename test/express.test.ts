import { once } from 'node:events';
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import express5, { type NextFunction, type Request, type Response } from 'express';
import express4 from 'express4';
import { Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createHttpMetrics } from 'promhttp';
import { expressMetrics, type ExpressMetricsOptions } from 'promhttp/express';
import { rawRequest, request, serversClosedAfterEach } from './support/http.js';
import { find, parseExposition, scrape, scrapeSettled, sum, type Sample } from './support/scrape.js';

const EXPRESSES = [
  { name: 'Express 5', express: express5, major: 5 },
  { name: 'Express 4', express: express4, major: 4 },
] as const;

const { serve } = serversClosedAfterEach();

async function get(url: string, init?: RequestInit): Promise<number> {
  const response = await fetch(url, init);
  await response.arrayBuffer();
  return response.status;
}

/** [method, route, status, count] of every http_requests_total series, sorted. */
function counts(samples: Sample[]): Array<[string, string, string, number]> {
  return find(samples, 'http_requests_total')
    .map((s): [string, string, string, number] => [s.labels.method!, s.labels.route!, s.labels.status_code!, s.value])
    .sort((a, b) => (a.join() < b.join() ? -1 : 1));
}

const fail = (status?: number): Error => Object.assign(new Error('boom'), status === undefined ? {} : { status });

describe.each(EXPRESSES)('expressMetrics on $name', ({ express, major }) => {
  function instrumented(options: ExpressMetricsOptions = {}): express5.Express {
    const app = express();
    // Express logs the errors its default handler answers unless in 'test'.
    app.set('env', 'test');
    app.use(expressMetrics({ registry: new Registry(), defaultMetrics: false, ...options }));
    return app;
  }

  it('labels each request with its route template, counts it once, and leaves nothing in flight', async () => {
    const app = instrumented();
    app.get('/', (_req, res) => void res.send('ok'));
    app.get('/users/:id', (req, res) => void res.json({ id: req.params.id }));
    app.post('/users', (_req, res) => void res.status(201).send('created'));
    const base = await serve(app);

    for (let i = 0; i < 5; i++) expect(await get(`${base}/users/${i}?tab=${i}`)).toBe(200);
    expect(await get(`${base}/`)).toBe(200);
    expect(await get(`${base}/users`, { method: 'POST' })).toBe(201);

    const samples = await scrapeSettled(base);
    expect(counts(samples)).toEqual([
      ['GET', '/', '200', 1],
      ['GET', '/users/:id', '200', 5],
      ['POST', '/users', '201', 1],
    ]);
    expect(sum(samples, 'http_request_duration_seconds_count', { route: '/users/:id' })).toBe(5);
  });

  it('labels routes of routers mounted at any depth with the whole template, mount parameters and mergeParams included', async () => {
    const app = instrumented();
    const members = express.Router({ mergeParams: true });
    // mergeParams: the mount paths' parameters are in req.params too.
    members.get('/members/:id', (req: Request<Record<string, string>>, res) => void res.send(`${req.params.org}/${req.params.team}/${req.params.id}`));
    const teams = express.Router({ mergeParams: true });
    teams.use('/teams/:team', members);
    teams.get('/', (req: Request<Record<string, string>>, res) => void res.send(`org ${req.params.org}`));
    app.use('/orgs/:org', teams);
    const v1 = express.Router();
    v1.get('/items/:id', (_req, res) => void res.send('item'));
    const api = express.Router();
    api.use('/v1', v1);
    app.use('/api', api);
    const base = await serve(app);

    const answer = await fetch(`${base}/orgs/acme/teams/core/members/7`);
    expect(await answer.text()).toBe('acme/core/7');
    expect(await get(`${base}/orgs/globex/teams/ops/members/8`)).toBe(200);
    expect(await get(`${base}/orgs/acme`)).toBe(200);
    expect(await get(`${base}/orgs/acme/`)).toBe(200);
    expect(await get(`${base}/api/v1/items/1`)).toBe(200);
    // Express matches mount paths without regard to case by default; the label is the template as written.
    expect(await get(`${base}/API/V1/items/2`)).toBe(200);

    expect(counts(await scrapeSettled(base))).toEqual([
      ['GET', '/api/v1/items/:id', '200', 2],
      ['GET', '/orgs/:org', '200', 2],
      ['GET', '/orgs/:org/teams/:team/members/:id', '200', 2],
    ]);
  });

  it('labels a router mounted at several paths, and a sub-application, with the mount path each request took', async () => {
    const app = instrumented();
    const shared = express.Router();
    shared.get('/status/:code', (_req, res) => void res.send('status'));
    app.use('/v1', shared);
    app.use('/v2/:tenant', shared);
    const admin = express();
    admin.get('/users/:id', (_req, res) => void res.send('admin user'));
    app.use('/admin', admin);
    const base = await serve(app);

    expect(await get(`${base}/v1/status/1`)).toBe(200);
    expect(await get(`${base}/v2/acme/status/2`)).toBe(200);
    expect(await get(`${base}/v2/globex/status/3`)).toBe(200);
    expect(await get(`${base}/admin/users/4`)).toBe(200);

    expect(counts(await scrapeSettled(base))).toEqual([
      ['GET', '/admin/users/:id', '200', 1],
      ['GET', '/v1/status/:code', '200', 1],
      ['GET', '/v2/:tenant/status/:code', '200', 2],
    ]);
  });

  it('writes array and RegExp paths out as strings, for routes and for mount paths; an array mount as the path the request took', async () => {
    const app = instrumented();
    app.get(['/about', '/info'], (_req, res) => void res.send('about'));
    app.get(/^\/reports\/\d+$/, (_req, res) => void res.send('report'));
    const versioned = express.Router();
    versioned.get('/items/:id', (_req, res) => void res.send('item'));
    app.use(/^\/v\d+/, versioned);
    app.use(['/shop', '/store'], versioned);
    const base = await serve(app);

    for (const path of ['/about', '/info', '/reports/1', '/reports/22', '/v1/items/1', '/v22/items/2', '/store/items/3', '/shop/items/4', '/shop/items/5']) expect(await get(base + path)).toBe(200);

    expect(counts(await scrapeSettled(base))).toEqual([
      ['GET', '/^\\/reports\\/\\d+$/', '200', 2],
      // The RegExp's literal, then the route's path: no second slash between them.
      ['GET', '/^\\/v\\d+/items/:id', '200', 2],
      ['GET', '/about,/info', '200', 2],
      ['GET', '/shop/items/:id', '200', 2],
      ['GET', '/store/items/:id', '200', 1],
    ]);
  });

  it('labels a router mounted at a path and at / with the way the router took, trying the route too', async () => {
    const app = instrumented();
    const shared = express.Router();
    shared.get('/a/x', (_req, res) => void res.send('a/x'));
    app.use('/a', shared);
    app.use('/', shared);
    const base = await serve(app);

    // Through /a the router has no /x: Express goes on to the / mount, where /a/x matches.
    expect(await get(`${base}/a/x`)).toBe(200);
    expect(await get(`${base}/a/a/x`)).toBe(200);

    expect(counts(await scrapeSettled(base))).toEqual([
      ['GET', '/a/a/x', '200', 1],
      ['GET', '/a/x', '200', 1],
    ]);
  });

  it('labels a router mounted again after requests were served with the new mount path', async () => {
    const app = instrumented();
    const shared = express.Router();
    shared.get('/status/:code', (_req, res) => void res.send('status'));
    app.use('/v1', shared);
    const base = await serve(app);
    expect(await get(`${base}/v1/status/1`)).toBe(200);
    app.use('/v2', shared);
    expect(await get(`${base}/v2/status/2`)).toBe(200);
    expect(await get(`${base}/v1/status/3`)).toBe(200);

    expect(counts(await scrapeSettled(base))).toEqual([
      ['GET', '/v1/status/:code', '200', 2],
      ['GET', '/v2/status/:code', '200', 1],
    ]);
  });

  it("labels a sub-application's routes with its whole template: failed, mounted twice, under a router, passed on", async () => {
    const app = instrumented();
    const admin = express();
    admin.get('/users/:id', (_req, res) => void res.send('user'));
    admin.get('/users/:id/fail', () => {
      throw fail();
    });
    admin.get('/users/:id/teapot', () => {
      throw fail(418);
    });
    admin.get('/next/:id', (_req, _res, next) => next());
    app.use('/admin', admin);
    const shared = express();
    shared.get('/s/:id', (_req, res) => void res.send('shared'));
    app.use('/one', shared);
    app.use('/two', shared);
    const api = express.Router();
    const legacy = express();
    legacy.get('/old/:id', (_req, res) => void res.send('old'));
    api.use('/legacy', legacy);
    app.use('/api', api);
    // Errors from the sub-application come back to the parent: by then req.app is the parent again.
    app.use((error: Error & { status?: number }, _req: Request, res: Response, _next: NextFunction) => void res.status(error.status ?? 500).send('handled by the parent'));
    const base = await serve(app);

    // The first request the sub-application sees fails: it is found by the mount its path leads through.
    expect(await get(`${base}/admin/users/1/fail`)).toBe(500);
    expect(await get(`${base}/admin/users/1`)).toBe(200);
    expect(await get(`${base}/admin/users/2/fail`)).toBe(500);
    expect(await get(`${base}/admin/users/2/teapot`)).toBe(418);
    // A route that passes the request on keeps its template when nothing else answers it (Express' 404).
    expect(await get(`${base}/admin/next/1`)).toBe(404);
    expect(await get(`${base}/one/s/1`)).toBe(200);
    expect(await get(`${base}/two/s/2`)).toBe(200);
    expect(await get(`${base}/two/s/3`)).toBe(200);
    expect(await get(`${base}/api/legacy/old/1`)).toBe(200);

    expect(counts(await scrapeSettled(base))).toEqual([
      ['GET', '/admin/next/:id', '404', 1],
      ['GET', '/admin/users/:id', '200', 1],
      ['GET', '/admin/users/:id/fail', '500', 2],
      ['GET', '/admin/users/:id/teapot', '418', 1],
      ['GET', '/api/legacy/old/:id', '200', 1],
      ['GET', '/one/s/:id', '200', 1],
      ['GET', '/two/s/:id', '200', 2],
    ]);
  });

  it('labels requests no route matched unmatched, never by their path: 404s, other methods, plain middleware', async () => {
    const app = instrumented();
    app.get('/users/:id', (_req, res) => void res.send('user'));
    app.use('/static', (_req, res) => void res.send('a file'));
    const base = await serve(app);

    expect(await get(`${base}/no/such/page`)).toBe(404);
    expect(await get(`${base}/users/1/extra`)).toBe(404);
    expect(await get(`${base}/users/1`, { method: 'DELETE' })).toBe(404);
    expect(await get(`${base}/static/app.js`)).toBe(200);

    expect(counts(await scrapeSettled(base))).toEqual([
      ['DELETE', 'unmatched', '404', 1],
      ['GET', 'unmatched', '200', 1],
      ['GET', 'unmatched', '404', 2],
    ]);
  });

  it('labels a 404 from a catch-all route unmatched, and keeps its template for anything else it answers', async () => {
    const app = instrumented();
    app.get('/users/:id', (req, res) => void (req.params.id === '0' ? res.status(404).send('no such user') : res.send('user')));
    const spa = express.Router();
    // Express 4 writes a catch-all `*`, Express 5 `*name`.
    spa.get(major === 4 ? '*' : '*rest', (_req, res) => void res.send('index.html'));
    app.use('/app', spa);
    const api = express.Router();
    api.all(major === 4 ? '*' : '*rest', (_req, res) => void res.status(404).send('not found'));
    app.use('/api', api);
    if (major === 5) app.all('/{*rest}', (_req, res) => void res.status(404).send('not found'));
    else app.all('/(.*)', (_req, res) => void res.status(404).send('not found'));
    const base = await serve(app);

    expect(await get(`${base}/users/0`)).toBe(404);
    expect(await get(`${base}/app/settings`)).toBe(200);
    expect(await get(`${base}/api/nothing`)).toBe(404);
    expect(await get(`${base}/api/nothing/here`)).toBe(404);
    expect(await get(`${base}/elsewhere`)).toBe(404);

    expect(counts(await scrapeSettled(base))).toEqual([
      ['GET', major === 4 ? '/app*' : '/app*rest', '200', 1],
      // A route that answers 404 itself keeps its template.
      ['GET', '/users/:id', '404', 1],
      ['GET', 'unmatched', '404', 3],
    ]);
  });

  it("records errors with the status Express' default error handler sends, on the matched route", async () => {
    const app = instrumented();
    app.get('/crash/:id', () => {
      throw fail();
    });
    app.get('/teapot', (_req, _res, next) => next(fail(418)));
    app.get('/later/:id', (_req, _res, next) => void setTimeout(() => next(Object.assign(new Error('busy'), { statusCode: 503 })), 5));
    const router = express.Router();
    router.get('/deep/:id', () => {
      throw fail(403);
    });
    app.use('/r/:org', router);
    if (major === 5) app.get('/rejects/:id', async () => Promise.reject(fail()));
    const base = await serve(app);

    expect(await get(`${base}/crash/1`)).toBe(500);
    expect(await get(`${base}/crash/2`)).toBe(500);
    expect(await get(`${base}/teapot`)).toBe(418);
    expect(await get(`${base}/later/1`)).toBe(503);
    expect(await get(`${base}/r/acme/deep/1`)).toBe(403);
    if (major === 5) expect(await get(`${base}/rejects/1`)).toBe(500);

    expect(counts(await scrapeSettled(base))).toEqual([
      ['GET', '/crash/:id', '500', 2],
      ['GET', '/later/:id', '503', 1],
      ['GET', '/r/:org/deep/:id', '403', 1],
      ...(major === 5 ? [['GET', '/rejects/:id', '500', 1] as [string, string, string, number]] : []),
      ['GET', '/teapot', '418', 1],
    ]);
  });

  it('records the status custom error middleware sends, also for an error thrown in a mounted router', async () => {
    const app = instrumented();
    const router = express.Router();
    router.get('/checkout/:id', () => {
      throw fail(403);
    });
    app.use('/shop/:shop', router);
    app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => void res.status(422).send(`handled ${error.message}`));
    const base = await serve(app);

    expect(await get(`${base}/shop/1/checkout/2`)).toBe(422);
    expect(await get(`${base}/shop/1/checkout/3`)).toBe(422);

    expect(counts(await scrapeSettled(base))).toEqual([['GET', '/shop/:shop/checkout/:id', '422', 2]]);
  });

  it('records a request whose client went away mid-handler once, as 499, and leaves nothing in flight', async () => {
    const app = instrumented();
    let started!: () => void;
    let finished!: () => void;
    const handlerStarted = new Promise<void>((resolve) => (started = resolve));
    const handlerFinished = new Promise<void>((resolve) => (finished = resolve));
    app.get('/slow/:id', (req, res) => {
      started();
      void once(res, 'close').then(() => {
        res.send('too late');
        finished();
      });
      void req;
    });
    const base = await serve(app);

    const client = http.get({ host: '127.0.0.1', port: new URL(base).port, path: '/slow/1', agent: false });
    client.on('error', () => {});
    await handlerStarted;
    expect(sum(await scrape(base), 'http_requests_in_flight')).toBe(1);
    client.destroy();
    await handlerFinished;

    const samples = await scrapeSettled(base);
    expect(counts(samples)).toEqual([['GET', '/slow/:id', '499', 1]]);
    expect(sum(samples, 'http_request_duration_seconds_count')).toBe(1);
  });

  it('gives a route function the request as the middleware saw it, whether the route answered or failed', async () => {
    const app = instrumented({ route: (req, res) => `/${req.path.split('/')[1]}/* ${res.statusCode}` });
    const api = express.Router();
    api.get('/users/:id', (req, res) => void (req.params.id === '0' ? res.status(404).send('no one') : res.send('user')));
    api.get('/fail', () => {
      throw fail(503);
    });
    app.use('/api', api);
    const base = await serve(app);

    expect(await get(`${base}/api/users/1`)).toBe(200);
    expect(await get(`${base}/api/users/0`)).toBe(404);
    expect(await get(`${base}/api/fail`)).toBe(503);

    expect(counts(await scrapeSettled(base))).toEqual([
      ['GET', '/api/* 200', '200', 1],
      ['GET', '/api/* 404', '404', 1],
      ['GET', '/api/* 503', '503', 1],
    ]);
  });

  it('skips excluded paths and the metrics path, unless includeMetricsPath', async () => {
    const app = instrumented({ exclude: ['/health', /^\/assets\//] });
    app.get('/health', (_req, res) => void res.send('up'));
    app.get('/assets/:file', (_req, res) => void res.send('asset'));
    app.get('/', (_req, res) => void res.send('ok'));
    const base = await serve(app);
    for (let i = 0; i < 2; i++) await scrape(base);
    for (const path of ['/health', '/assets/app.js', '/']) expect(await get(base + path)).toBe(200);
    expect(counts(await scrapeSettled(base))).toEqual([['GET', '/', '200', 1]]);

    const counted = await serve(instrumented({ includeMetricsPath: true }));
    await scrape(counted);
    await scrape(counted);
    // The scrape being answered is itself in flight.
    expect(counts(await scrapeSettled(counted, { inFlight: 1 }))).toEqual([['GET', '/metrics', '200', 2]]);
  });

  it('adds up two apps sharing one HttpMetrics, serves at a custom path, and serves nothing with path: false', async () => {
    const metrics = createHttpMetrics({ registry: new Registry(), defaultMetrics: false });
    const bases: string[] = [];
    for (const path of ['/_/metrics', false] as const) {
      const app = express();
      app.use(expressMetrics({ metrics, path }));
      app.get('/users/:id', (_req, res) => void res.send('user'));
      bases.push(await serve(app));
    }
    for (let i = 0; i < 2; i++) expect(await get(`${bases[0]}/users/${i}`)).toBe(200);
    for (let i = 0; i < 3; i++) expect(await get(`${bases[1]}/users/${i}`)).toBe(200);
    expect(await get(`${bases[0]}/metrics`)).toBe(404);
    expect(await get(`${bases[1]}/metrics`)).toBe(404);

    expect(counts(await scrapeSettled(`${bases[0]}/_/metrics`))).toEqual([
      ['GET', '/users/:id', '200', 5],
      ['GET', 'unmatched', '404', 2],
    ]);
  });

  it('answers HEAD with the headers of GET, other methods with 405, and negotiates OpenMetrics and gzip', async () => {
    const app = instrumented();
    app.get('/', (_req, res) => void res.send('ok'));
    const base = await serve(app);
    expect(await get(`${base}/`)).toBe(200);

    const full = await request(`${base}/metrics`);
    const head = await request(`${base}/metrics`, { method: 'HEAD' });
    const post = await request(`${base}/metrics`, { method: 'POST' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers['content-length']).toBe(String(full.body.length));
    expect(head.headers['content-type']).toBe(full.headers['content-type']);
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');

    const answer = await request(`${base}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0', 'accept-encoding': 'gzip' } });
    expect(answer.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(answer.headers['content-encoding']).toBe('gzip');
    const text = gunzipSync(answer.body).toString();
    expect(text.endsWith('# EOF\n')).toBe(true);
    expect(counts(parseExposition(text))).toEqual([['GET', '/', '200', 1]]);
  });

  it('answers 500 with the reason when a collector fails', async () => {
    const registry = new Registry();
    new Gauge({
      name: 'broken_gauge',
      help: 'Fails on collect.',
      registers: [registry],
      collect() {
        throw new Error('sensor offline');
      },
    });
    const app = express();
    app.use(expressMetrics({ registry, defaultMetrics: false }));
    const answer = await request(`${await serve(app)}/metrics`);
    expect(answer.status).toBe(500);
    expect(answer.body.toString()).toContain('sensor offline');
  });

  it('does not see a request whose target Express cannot parse: Express answers 404 before any middleware', async () => {
    const app = instrumented();
    app.get('/users/:id', (_req, res) => void res.send('user'));
    const base = await serve(app);
    const port = Number(new URL(base).port);
    const answer = await rawRequest(port, 'ACL http://[::1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    expect(answer.split('\r\n', 1)[0]).toBe('HTTP/1.1 404 Not Found');
    expect(await get(`${base}/users/1`)).toBe(200);
    // Only the request that reached the middleware is counted (docs/express.md says so).
    expect(counts(await scrapeSettled(base))).toEqual([['GET', '/users/:id', '200', 1]]);
  });

  it('records an odd method, a 10 kB URL with bad percent-encoding and a very long header without throwing', async () => {
    const app = instrumented();
    app.get('/users/:id', (_req, res) => void res.send('user'));
    const base = await serve(app);
    const port = Number(new URL(base).port);
    const head = (text: string): string => text.split('\r\n', 1)[0]!;
    const send = (line: string, headers = ''): Promise<string> => rawRequest(port, `${line} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}Connection: close\r\n\r\n`);

    expect(head(await send('PROPFIND /users/1'))).toBe('HTTP/1.1 404 Not Found');
    // Express answers a parameter it cannot decode with 400, before any route has matched.
    expect(head(await send(`GET /users/%E0%A4%A${'%zz'.repeat(3400)}`))).toBe('HTTP/1.1 400 Bad Request');
    expect(head(await send('GET /users/2', `x-long: ${'a'.repeat(12_000)}\r\n`))).toBe('HTTP/1.1 200 OK');

    expect(counts(await scrapeSettled(base))).toEqual([
      ['GET', '/users/:id', '200', 1],
      ['GET', 'unmatched', '400', 1],
      ['_OTHER', 'unmatched', '404', 1],
    ]);
  });
});

describe('expressMetrics options', () => {
  it.each([
    ['a typo', { pth: '/metrics' }, /^promhttp: expressMetrics: unknown option "pth"\. Did you mean "path"\?/],
    ['a relative path', { path: 'metrics' }, /^promhttp: expressMetrics: "path" must be a path starting with "\/"/],
    ['a non-boolean includeMetricsPath', { includeMetricsPath: 'yes' }, /^promhttp: expressMetrics: "includeMetricsPath" must be true or false/],
    ['foreign metrics', { metrics: {} }, /^promhttp: expressMetrics: "metrics" must come from createHttpMetrics\(\)/],
    ['a bad route option', { route: 42 }, /^promhttp: expressMetrics: "route" must be a function .* or "path"/],
    ['a string instead of options', '/metrics', /^promhttp: expressMetrics takes an options object/],
  ])('rejects %s at construction with a TypeError', (_case, options, message) => {
    expect(() => expressMetrics(options as never)).toThrow(TypeError);
    expect(() => expressMetrics(options as never)).toThrow(message);
  });
});
