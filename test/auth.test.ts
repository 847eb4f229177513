import { serve, type ServerType } from '@hono/node-server';
import Router from '@koa/router';
import { Hono } from 'hono';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { counter, createHttpMetrics, metricsHandler, startMetricsServer, type AuthRequest } from 'promhttp';
import { expressMetrics } from 'promhttp/express';
import { fastifyMetrics } from 'promhttp/fastify';
import { fetchMetrics } from 'promhttp/fetch';
import { honoMetrics } from 'promhttp/hono';
import { koaMetrics } from 'promhttp/koa';
import { instrument } from 'promhttp/node';
import { listen, request, serversClosedAfterEach } from './support/http.js';
import { startChild, startTsApp, TSX } from './support/process.js';
import { startPrometheus } from './support/prometheus.js';
import { find, parseExposition } from './support/scrape.js';
import { makeCertificates, type Certificates } from './support/tls.js';

const bearer = (token: string): { authorization: string } => ({ authorization: `Bearer ${token}` });
const basic = (user: string, password: string): { authorization: string } => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

function registryWithWork(): Registry {
  const registry = new Registry();
  counter({ name: 'work_total', help: 'Work done.', registry }).inc(3);
  return registry;
}

describe('auth: who may read the metrics', () => {
  test('a bearer token: 401 with a Bearer challenge and no metrics without it or with another, 200 with it', async () => {
    const server = await listen(metricsHandler({ registry: registryWithWork(), auth: { bearer: 's3cret-token' } }));
    try {
      for (const headers of [{}, bearer('wrong'), bearer('s3cret-toke'), bearer('s3cret-token-and-more'), basic('s3cret-token', 'x'), { authorization: 'Bearer' }]) {
        const refused = await request(server.url, { headers });
        expect(refused.status, JSON.stringify(headers)).toBe(401);
        expect(refused.headers['www-authenticate']).toBe('Bearer realm="metrics"');
        expect(refused.body.toString()).toBe('promhttp: credentials are required to read the metrics.\n');
      }
      const allowed = await request(server.url, { headers: bearer('s3cret-token') });
      expect(allowed.status).toBe(200);
      expect(allowed.body.toString()).toContain('work_total 3');
      // The scheme is case-insensitive (RFC 9110); the token is not.
      expect((await request(server.url, { headers: { authorization: 'bearer s3cret-token' } })).status).toBe(200);
      expect((await request(server.url, { headers: bearer('S3CRET-TOKEN') })).status).toBe(401);
      const samples = parseExposition((await request(server.url, { headers: bearer('s3cret-token') })).body.toString());
      expect(find(samples, 'promhttp_scrape_rejected_total', { reason: 'unauthorized' })[0]?.value).toBe(7);
    } finally {
      await server.close();
    }
  });

  test('several bearer tokens, for a rotation: each one is accepted', async () => {
    const server = await listen(metricsHandler({ registry: registryWithWork(), auth: { bearer: ['old-token', 'new-token'] } }));
    try {
      expect((await request(server.url, { headers: bearer('old-token') })).status).toBe(200);
      expect((await request(server.url, { headers: bearer('new-token') })).status).toBe(200);
      expect((await request(server.url, { headers: bearer('other-token') })).status).toBe(401);
    } finally {
      await server.close();
    }
  });

  test('basic authentication: 401 with a Basic challenge, 200 with the right user and password (which may hold ":")', async () => {
    const server = await listen(metricsHandler({ registry: registryWithWork(), auth: { basic: { username: 'prometheus', password: 'pa:ss wörd' } } }));
    try {
      for (const headers of [{}, basic('prometheus', 'wrong'), basic('other', 'pa:ss wörd'), bearer('pa:ss wörd'), { authorization: 'Basic !!!' }]) {
        const refused = await request(server.url, { headers });
        expect(refused.status).toBe(401);
        expect(refused.headers['www-authenticate']).toBe('Basic realm="metrics", charset="UTF-8"');
      }
      expect((await request(server.url, { headers: basic('prometheus', 'pa:ss wörd') })).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  test('a function of the method, headers and remote address: false or a throw answers 403, true lets the scrape in', async () => {
    const seen: AuthRequest[] = [];
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.message);
    process.on('warning', onWarning);
    const server = await listen(
      metricsHandler({
        registry: registryWithWork(),
        async auth(request) {
          seen.push(request);
          if (request.headers['x-explode'] !== undefined) throw new Error('directory unreachable');
          return request.headers['x-team'] === 'sre' && request.remoteAddress === '127.0.0.1';
        },
      }),
    );
    try {
      expect((await request(server.url, { headers: { 'x-team': 'sre', 'X-Other': ['a', 'b'] } })).status).toBe(200);
      expect(seen[0]).toMatchObject({ method: 'GET', remoteAddress: '127.0.0.1', headers: { 'x-team': 'sre', 'x-other': 'a, b' } });
      const refused = await request(server.url, { headers: { 'x-team': 'dev' } });
      expect(refused.status).toBe(403);
      expect(refused.headers['www-authenticate']).toBeUndefined();
      expect((await request(server.url, { headers: { 'x-team': 'sre', 'x-explode': '1' } })).status).toBe(403);
      expect((await request(server.url, { headers: { 'x-team': 'sre', 'x-explode': '1' } })).status).toBe(403);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.includes('the "auth" function threw (directory unreachable)'))).toHaveLength(1);
      // Credentials come before the method check: a refused client learns nothing, not even what is allowed.
      expect((await request(server.url, { method: 'POST' })).status).toBe(403);
      expect((await request(server.url, { method: 'POST', headers: { 'x-team': 'sre' } })).status).toBe(405);
    } finally {
      process.off('warning', onWarning);
      await server.close();
    }
  });

  test('an empty, missing or malformed secret fails at construction, in every entry point', () => {
    const registry = new Registry();
    expect(() => metricsHandler({ registry, auth: { bearer: '' } })).toThrow('promhttp: metricsHandler: "auth.bearer" must be a non-empty string, got the string "". An empty secret would let anyone in');
    expect(() => metricsHandler({ registry, auth: { bearer: ['ok-token', ''] } })).toThrow('"auth.bearer[1]" must be a non-empty string');
    expect(() => metricsHandler({ registry, auth: { bearer: [] } })).toThrow('"auth.bearer" must name at least one token');
    expect(() => metricsHandler({ registry, auth: { basic: { username: 'prometheus', password: '' } } })).toThrow('"auth.basic.password" must be a non-empty string');
    expect(() => metricsHandler({ registry, auth: { basic: { username: 'a:b', password: 'x' } } })).toThrow('cannot contain ":"');
    expect(() => metricsHandler({ registry, auth: { bearer: 'x', basic: { username: 'a', password: 'b' } } as never })).toThrow('takes either "bearer" or "basic", not both');
    expect(() => metricsHandler({ registry, auth: { token: 'x' } as never })).toThrow('unknown option "token"');
    expect(() => metricsHandler({ registry, auth: 'secret' as never })).toThrow('"auth" must be { bearer: "token" }');
    expect(() => instrument((_req, res) => res.end(), { registry, auth: { bearer: '' } })).toThrow('promhttp: instrument: "auth.bearer"');
    expect(() => koaMetrics({ registry, auth: { bearer: '' } })).toThrow('promhttp: koaMetrics: "auth.bearer"');
    expect(() => honoMetrics({ registry, auth: { basic: { username: '', password: 'x' } } })).toThrow('promhttp: honoMetrics: "auth.basic.username"');
    expect(() => startMetricsServer({ port: 0, registry, auth: { bearer: '' } })).toThrow('promhttp: startMetricsServer: "auth.bearer"');
  });

  test('a secret no client can send fails at construction: blank, or with whitespace around it, as a token file read whole is', () => {
    const registry = new Registry();
    const dir = mkdtempSync(join(tmpdir(), 'promhttp-token-'));
    try {
      // As a Kubernetes secret mount or `echo token > file` leaves it: with its final newline.
      writeFileSync(join(dir, 'token'), 's3cret-token\n');
      const fromFile = readFileSync(join(dir, 'token'), 'utf8');
      expect(() => metricsHandler({ registry, auth: { bearer: fromFile } })).toThrow(
        "promhttp: metricsHandler: \"auth.bearer\" begins or ends with whitespace, which no client sends (Prometheus trims its credentials files too); a file read with readFileSync keeps its final newline. Trim it: readFileSync(file, 'utf8').trim().",
      );
      expect(() => metricsHandler({ registry, auth: { bearer: fromFile.trim() } })).not.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() => metricsHandler({ registry, auth: { bearer: ' ' } })).toThrow('"auth.bearer" must be a non-empty string, got the string " "');
    expect(() => metricsHandler({ registry, auth: { bearer: ['ok-token', '\tnew-token'] } })).toThrow('"auth.bearer[1]" begins or ends with whitespace');
    expect(() => metricsHandler({ registry, auth: { basic: { username: 'prometheus', password: 'secret\r\n' } } })).toThrow('"auth.basic.password" begins or ends with whitespace');
    expect(() => metricsHandler({ registry, auth: { basic: { username: ' prometheus', password: 'secret' } } })).toThrow('"auth.basic.username" begins or ends with whitespace');
    // Whitespace inside a password is sent as it is: only around it is refused.
    expect(() => metricsHandler({ registry, auth: { basic: { username: 'prometheus', password: 'pa ss' } } })).not.toThrow();
  });

  test('a secret given as undefined (an unset environment variable) is named as such', () => {
    const registry = new Registry();
    const unset = process.env.PROMHTTP_TEST_UNSET_TOKEN;
    expect(() => metricsHandler({ registry, auth: { bearer: unset! } })).toThrow(
      'promhttp: metricsHandler: "auth.bearer" is undefined, as an environment variable that is not set reads (process.env.METRICS_TOKEN). Set it, or leave "auth" out to let anyone read the metrics.',
    );
    expect(() => metricsHandler({ registry, auth: { bearer: ['old-token', unset!] } })).toThrow('"auth.bearer[1]" is undefined');
    expect(() => metricsHandler({ registry, auth: { basic: { username: 'prometheus', password: unset! } } })).toThrow('"auth.basic.password" is undefined');
    expect(() => metricsHandler({ registry, auth: { basic: undefined! } })).toThrow('"auth.basic" is undefined');
    expect(() => metricsHandler({ registry, auth: {} as never })).toThrow('"auth" takes either "bearer" or "basic", not neither');
  });
});

describe("the README's check of its own in front of /metrics (examples/koa-behind-check.ts)", () => {
  const FILE = 'examples/koa-behind-check.ts';

  test('does not start without its token, rather than accept "Bearer undefined"', async () => {
    const child = startChild(TSX, [FILE], { env: { PORT: '0', METRICS_TOKEN: '' } });
    try {
      await child.waitFor(/METRICS_TOKEN is not set/);
      await once(child.process, 'exit');
      expect(child.process.exitCode).not.toBe(0);
      expect(child.output()).not.toContain('listening on');
    } finally {
      await child.stop();
    }
  });

  test('lets in the right token only', async () => {
    const app = await startTsApp(FILE, { METRICS_TOKEN: 'example-token' });
    try {
      for (const headers of [{}, bearer('undefined'), bearer('example-toke'), bearer('example-token-and-more'), { authorization: 'example-token' }]) {
        expect((await request(`${app.url}/metrics`, { headers })).status, JSON.stringify(headers)).toBe(401);
      }
      const allowed = await request(`${app.url}/metrics`, { headers: bearer('example-token') });
      expect(allowed.status).toBe(200);
      expect(allowed.body.toString()).toContain('http_requests_total{method="GET",route="/metrics",status_code="401"} 5');
    } finally {
      await app.stop();
    }
  });
});

describe('auth on every adapter: the metrics stay closed, and the metrics path unrecorded either way', () => {
  const { serve: serveKoa, track } = serversClosedAfterEach();
  const auth = { bearer: 'adapter-token' } as const;

  async function checkAdapter(url: string, metrics: { render(): Promise<{ body: string | Uint8Array }> }): Promise<void> {
    expect((await request(`${url}/hello`)).status).toBe(200);
    const refused = await request(`${url}/metrics`);
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="metrics"');
    expect(refused.body.toString()).not.toContain('http_requests_total');
    const allowed = await request(`${url}/metrics`, { headers: bearer('adapter-token') });
    expect(allowed.status).toBe(200);
    // A repeated Authorization header: the first counts everywhere (node:http keeps only it, fetch's Headers joins them).
    expect((await request(`${url}/metrics`, { headers: { Authorization: ['Bearer adapter-token', 'Bearer wrong'] } })).status).toBe(200);
    expect((await request(`${url}/metrics`, { headers: { Authorization: ['Bearer wrong', 'Bearer adapter-token'] } })).status).toBe(401);
    const samples = parseExposition(String((await metrics.render()).body));
    expect(find(samples, 'http_requests_total').map((s) => s.labels.route)).toEqual(['/hello']);
    expect(find(samples, 'promhttp_scrape_rejected_total', { reason: 'unauthorized' })[0]?.value).toBe(2);
  }

  test('promhttp/node', async () => {
    const metrics = createHttpMetrics({ registry: new Registry(), defaultMetrics: false });
    const server = track((await listen(instrument((_req, res) => res.end('hi'), { metrics, auth, route: () => '/hello' }))).server);
    const { port } = server.address() as { port: number };
    await checkAdapter(`http://127.0.0.1:${port}`, metrics);
  });

  test('promhttp/express', async () => {
    const metrics = createHttpMetrics({ registry: new Registry(), defaultMetrics: false });
    const app = express();
    app.use(expressMetrics({ metrics, auth }));
    app.get('/hello', (_req, res) => void res.send('hi'));
    await checkAdapter(await serveKoa(app as unknown as { listen(port: number, host: string): import('node:http').Server }), metrics);
  });

  test('promhttp/fastify', async () => {
    const metrics = createHttpMetrics({ registry: new Registry(), defaultMetrics: false });
    const app = Fastify();
    await app.register(fastifyMetrics, { metrics, auth });
    app.get('/hello', async () => 'hi');
    await app.listen({ port: 0, host: '127.0.0.1' });
    track({ close: (done: () => void) => void app.close().then(done) });
    await checkAdapter(`http://127.0.0.1:${(app.server.address() as { port: number }).port}`, metrics);
  });

  test('promhttp/koa', async () => {
    const metrics = createHttpMetrics({ registry: new Registry(), defaultMetrics: false });
    const app = new Koa();
    app.use(koaMetrics({ metrics, auth }));
    const router = new Router();
    router.get('/hello', (ctx) => void (ctx.body = 'hi'));
    app.use(router.routes());
    await checkAdapter(await serveKoa(app), metrics);
  });

  for (const mode of ['middleware', 'wrap'] as const) {
    test(`promhttp/hono (${mode})`, async () => {
      const metrics = createHttpMetrics({ registry: new Registry(), defaultMetrics: false });
      const app = new Hono();
      const hono = honoMetrics({ metrics, auth });
      if (mode === 'middleware') app.use(hono);
      app.get('/hello', (c) => c.text('hi'));
      const server = await new Promise<ServerType>((resolve) => {
        const s = serve({ fetch: mode === 'wrap' ? hono.wrap(app) : app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
      });
      track(server as unknown as { close(cb: () => void): unknown });
      await checkAdapter(`http://127.0.0.1:${(server.address() as { port: number }).port}`, metrics);
    });
  }

  test('promhttp/fetch (on @hono/node-server), with the client address from the runtime', async () => {
    const metrics = createHttpMetrics({ registry: new Registry(), defaultMetrics: false });
    const handler = fetchMetrics(() => new Response('hi'), { metrics, auth, routes: ['/hello'] });
    const server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: handler, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    track(server as unknown as { close(cb: () => void): unknown });
    await checkAdapter(`http://127.0.0.1:${(server.address() as { port: number }).port}`, metrics);
    const seen: Array<string | undefined> = [];
    const byAddress = fetchMetrics((_request: Request, _context: unknown) => new Response('hi'), { registry: new Registry(), defaultMetrics: false, auth: (request) => (seen.push(request.remoteAddress), true) });
    await byAddress(new Request('http://127.0.0.1/metrics'), { requestIP: () => ({ address: '10.1.2.3' }) } as never);
    await byAddress(new Request('http://127.0.0.1/metrics'), { remoteAddr: { hostname: '10.4.5.6' } } as never);
    expect(seen).toEqual(['10.1.2.3', '10.4.5.6']);
  });
});

describe('startMetricsServer: auth and TLS', () => {
  let certs: Certificates;
  beforeAll(async () => {
    certs = await makeCertificates();
  });
  afterAll(() => certs.remove());

  function get(url: string, options: { ca?: string; cert?: string; key?: string; headers?: Record<string, string> }): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(url, { ...options, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  test('serves HTTPS with a certificate and key', async () => {
    const server = await startMetricsServer({ port: 0, registry: registryWithWork(), tls: { cert: certs.pem.serverCert, key: certs.pem.serverKey } });
    try {
      expect(server.url).toBe(`https://127.0.0.1:${server.port}/metrics`);
      const answer = await get(server.url, { ca: certs.pem.ca });
      expect(answer.status).toBe(200);
      expect(answer.body).toContain('work_total 3');
      // A client that does not trust the authority refuses the server.
      await expect(get(server.url, {})).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
    } finally {
      await server.close();
    }
  });

  test('with a client CA and requestClientCert, only clients with a certificate signed by it get in (mutual TLS)', async () => {
    const server = await startMetricsServer({
      port: 0,
      registry: registryWithWork(),
      tls: { cert: certs.pem.serverCert, key: certs.pem.serverKey, ca: certs.pem.ca, requestClientCert: true },
    });
    try {
      expect((await get(server.url, { ca: certs.pem.ca, cert: certs.pem.clientCert, key: certs.pem.clientKey })).status).toBe(200);
      await expect(get(server.url, { ca: certs.pem.ca })).rejects.toThrow();
      await expect(get(server.url, { ca: certs.pem.ca, cert: certs.pem.strangerCert, key: certs.pem.strangerKey })).rejects.toThrow();
    } finally {
      await server.close();
    }
  });

  test('refuses incomplete TLS options at construction', () => {
    const registry = new Registry();
    expect(() => startMetricsServer({ port: 0, registry, tls: { cert: certs.pem.serverCert } as never })).toThrow('promhttp: startMetricsServer: "tls.key" must be the PEM private key');
    expect(() => startMetricsServer({ port: 0, registry, tls: { cert: certs.pem.serverCert, key: certs.pem.serverKey, requestClientCert: true } })).toThrow('"tls.requestClientCert" needs "tls.ca"');
  });

  test("refuses what OpenSSL refuses at construction, with a promhttp TypeError: no PEM, a key that is not the certificate's", () => {
    const registry = new Registry();
    const refusal = (tls: { cert: string; key: string; ca?: string }): unknown => {
      try {
        void startMetricsServer({ port: 0, registry, tls });
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const garbage = refusal({ cert: 'garbage', key: certs.pem.serverKey });
    expect(garbage).toBeInstanceOf(TypeError);
    expect((garbage as Error).message).toMatch(/^promhttp: startMetricsServer: "tls" was refused by OpenSSL \(PEM routines::no start line\): give the PEM certificate in "cert", its own private key in "key"/);
    const mismatch = refusal({ cert: certs.pem.serverCert, key: certs.pem.clientKey });
    expect(mismatch).toBeInstanceOf(TypeError);
    expect((mismatch as Error).message).toContain('"tls" was refused by OpenSSL (x509 certificate routines::key values mismatch)');
    expect((mismatch as Error).cause).toBeInstanceOf(Error);
  });

  test('credentials over plain HTTP on an address other machines reach get one warning, not an error', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      // A documentation address (RFC 5737): the warning comes before binding, which then fails.
      await expect(startMetricsServer({ port: 0, host: '192.0.2.1', registry: new Registry(), auth: { bearer: 'token' } })).rejects.toThrow('192.0.2.1 is not an address of this machine');
      const loopback = await startMetricsServer({ port: 0, registry: new Registry(), auth: { bearer: 'token' } });
      await loopback.close();
      // Loopback however it is written: IPv6 in full, IPv4-mapped, the resolver's short form.
      for (const host of ['0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '127.1', 'localhost']) {
        const server = await startMetricsServer({ port: 0, host, registry: new Registry(), auth: { bearer: 'token' } }).catch(() => undefined);
        await server?.close();
      }
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.includes('credentials for'))).toEqual([
        'promhttp: startMetricsServer: credentials for 192.0.2.1:0 travel over plain HTTP; give "tls" (or make sure TLS ends at a proxy in front of it).',
      ]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  test('a real Prometheus scrapes with a bearer token, basic auth, HTTPS and mutual TLS; a wrong credential is up == 0 with the 401', async () => {
    const registry = registryWithWork();
    // One token file for both sides, with the final newline a secret mount has: Prometheus trims it, so must the app.
    const tokenDir = mkdtempSync(join(tmpdir(), 'promhttp-token-'));
    const tokenFile = join(tokenDir, 'metrics-token');
    writeFileSync(tokenFile, 'file-token\n');
    const servers = await Promise.all([
      startMetricsServer({ port: 0, registry, auth: { bearer: ['old', 'prometheus-token'] } }),
      startMetricsServer({ port: 0, registry, auth: { basic: { username: 'prometheus', password: 'basic-secret' } } }),
      startMetricsServer({ port: 0, registry, tls: { cert: certs.pem.serverCert, key: certs.pem.serverKey } }),
      startMetricsServer({ port: 0, registry, auth: { bearer: 'mtls-token' }, tls: { cert: certs.pem.serverCert, key: certs.pem.serverKey, ca: certs.pem.ca, requestClientCert: true } }),
      startMetricsServer({ port: 0, registry, auth: { bearer: 'the-real-one' } }),
      startMetricsServer({ port: 0, registry, auth: { bearer: readFileSync(tokenFile, 'utf8').trim() } }),
    ]);
    const target = (i: number): string[] => [`127.0.0.1:${servers[i]!.port}`];
    const prometheus = await startPrometheus([
      { job: 'bearer', targets: target(0), config: ['authorization:', '  credentials: prometheus-token'] },
      { job: 'basic', targets: target(1), config: ['basic_auth:', '  username: prometheus', '  password: basic-secret'] },
      { job: 'https', targets: target(2), scheme: 'https', config: ['tls_config:', `  ca_file: ${certs.files.ca}`] },
      {
        job: 'mtls',
        targets: target(3),
        scheme: 'https',
        config: ['authorization:', '  credentials: mtls-token', 'tls_config:', `  ca_file: ${certs.files.ca}`, `  cert_file: ${certs.files.clientCert}`, `  key_file: ${certs.files.clientKey}`],
      },
      { job: 'wrong', targets: target(4), config: ['authorization:', '  credentials: a-wrong-one'] },
      { job: 'file', targets: target(5), config: ['authorization:', `  credentials_file: ${tokenFile}`] },
    ]);
    try {
      for (const job of ['bearer', 'basic', 'https', 'mtls', 'file']) await prometheus.waitFor(`work_total{job="${job}"}`, (v) => v === 3);
      await prometheus.waitFor('up{job="wrong"}', (v) => v === 0);
      const wrong = (await prometheus.targets()).find((t) => t.job === 'wrong')!;
      expect(wrong.lastError).toMatch(/401/);
      expect((await prometheus.query('up == 1')).map((r) => r.metric.job).sort()).toEqual(['basic', 'bearer', 'file', 'https', 'mtls']);
    } finally {
      await prometheus.stop();
      await Promise.all(servers.map((s) => s.close()));
      rmSync(tokenDir, { recursive: true, force: true });
    }
  }, 60_000);
});
