import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { counter, createHttpMetrics, startMetricsServer } from 'promhttp';
import { instrument } from 'promhttp/node';
import { listen, request } from './support/http.js';
import { startChild, TSX } from './support/process.js';
import { find, parseExposition, scrape, sum } from './support/scrape.js';

function occupy(): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((_req, res) => res.end());
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A registry with a collector that waits for `release()`, to hold a scrape in flight. */
function slowRegistry(): { registry: Registry; entered: Promise<void>; release: () => void } {
  const registry = new Registry();
  let release!: () => void;
  let entered!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const enteredPromise = new Promise<void>((resolve) => (entered = resolve));
  new Gauge({
    name: 'slow_value',
    help: 'Takes its time.',
    registers: [registry],
    async collect() {
      entered();
      await gate;
      this.set(1);
    },
  });
  return { registry, entered: enteredPromise, release };
}

describe('startMetricsServer()', () => {
  it('serves the registry on its own port, bound to 127.0.0.1, and 404 on other paths', async () => {
    const registry = new Registry();
    counter({ name: 'messages_total', help: 'Messages.', registry }).inc(3);
    const server = await startMetricsServer({ port: 0, registry });
    try {
      expect(server.host).toBe('127.0.0.1');
      expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);
      expect(find(await scrape(server.url), 'messages_total')).toEqual([{ name: 'messages_total', labels: {}, value: 3 }]);
      const withQuery = await request(`${server.url}?debug=1`);
      expect(withQuery.status).toBe(200);
      const other = await request(`http://127.0.0.1:${server.port}/`);
      expect(other.status).toBe(404);
      expect(other.body.toString()).toContain('metrics are served at /metrics');
      expect((await request(`http://127.0.0.1:${server.port}/metrics/x`)).status).toBe(404);
      expect((await request(server.url, { method: 'POST' })).status).toBe(405);
    } finally {
      await server.close();
    }
  });

  it('serves on a custom path and negotiates OpenMetrics', async () => {
    const registry = new Registry();
    counter({ name: 'messages_total', help: 'Messages.', registry });
    const server = await startMetricsServer({ port: 0, path: '/internal/metrics', registry });
    try {
      const response = await request(`http://127.0.0.1:${server.port}/internal/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toContain('application/openmetrics-text');
      expect(response.body.toString()).toContain('# TYPE messages counter\nmessages_total 0\n');
      expect((await request(`http://127.0.0.1:${server.port}/metrics`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('rejects with an error naming host and port when the port is taken', async () => {
    const taken = await occupy();
    const { port } = taken.address() as AddressInfo;
    try {
      const attempt = startMetricsServer({ port, registry: new Registry() });
      await expect(attempt).rejects.toThrow(`promhttp: startMetricsServer: 127.0.0.1:${port} is already in use`);
      await expect(attempt).rejects.toThrow(/Choose another "port" \(0 picks a free one\) or stop the other process/);
      await expect(attempt).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await closeServer(taken);
    }
  });

  it('lets a scrape in flight finish on close, then frees the port', async () => {
    const { registry, entered, release } = slowRegistry();
    const server = await startMetricsServer({ port: 0, registry });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    let closed = false;
    try {
      const response = new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
        httpRequest(server.url, { agent }, (res: IncomingMessage) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body }));
        })
          .on('error', reject)
          .end();
      });
      await entered;
      const closing = server.close().then(() => (closed = true));
      await new Promise((resolve) => setImmediate(resolve));
      expect(closed).toBe(false);
      release();
      const answer = await response;
      expect(answer.status).toBe(200);
      expect(parseExposition(answer.body).find((s) => s.name === 'slow_value')?.value).toBe(1);
      // The keep-alive client is told not to reuse a connection to a server that is going away.
      expect(answer.connection).toBe('close');
      await closing;
      const again = await startMetricsServer({ port: server.port, registry });
      await again.close();
    } finally {
      release();
      agent.destroy();
      await server.close();
    }
  });

  it('closes idle keep-alive connections, so close() resolves and the port is free', async () => {
    const registry = new Registry();
    const server = await startMetricsServer({ port: 0, registry });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      let socketClosed!: Promise<void>;
      await new Promise<void>((resolve, reject) => {
        httpRequest(server.url, { agent }, (res) => {
          expect(res.headers.connection).toBe('keep-alive');
          socketClosed = new Promise<void>((done) => res.socket.once('close', () => done()));
          res.resume();
          res.once('end', () => resolve());
        })
          .on('error', reject)
          .end();
      });
      await server.close();
      await socketClosed;
      const again = await startMetricsServer({ port: server.port, registry });
      await again.close();
    } finally {
      agent.destroy();
    }
  });

  it('can be closed more than once', async () => {
    const server = await startMetricsServer({ port: 0, registry: new Registry() });
    await Promise.all([server.close(), server.close()]);
    await server.close();
  });

  it('serves the request metrics of an app whose own server no longer serves /metrics', async () => {
    const registry = new Registry();
    const metrics = createHttpMetrics({ registry, defaultMetrics: false });
    const app = await listen(
      instrument((req, res) => void res.writeHead(req.url === '/' ? 200 : 404).end(req.url === '/' ? 'ok' : 'not found'), { path: false, metrics }),
    );
    const side = await startMetricsServer({ port: 0, metrics });
    try {
      expect((await request(`${app.url}/`)).status).toBe(200);
      const appMetrics = await request(`${app.url}/metrics`);
      expect(appMetrics.status).toBe(404);
      expect(appMetrics.body.toString()).toBe('not found');
      const samples = await scrape(side.url);
      expect(find(samples, 'http_requests_total', { route: '/' })).toEqual([
        { name: 'http_requests_total', labels: { method: 'GET', route: '/', status_code: '200' }, value: 1 },
      ]);
      // The app recorded its own 404 for /metrics like any request, since it no longer owns that path.
      expect(find(samples, 'http_requests_total', { status_code: '404' })).toHaveLength(1);
    } finally {
      await side.close();
      await app.close();
    }
  });

  it('rejects bad options at once, with a promhttp TypeError', () => {
    const registry = new Registry();
    const metrics = createHttpMetrics({ registry, defaultMetrics: false });
    expect(() => startMetricsServer({ port: 70000 })).toThrow(/^promhttp: startMetricsServer: "port" must be a whole number from 0 to 65535/);
    expect(() => startMetricsServer({ port: '9464' as never })).toThrow(/"port" must be a whole number/);
    expect(() => startMetricsServer({ path: 'metrics' })).toThrow(/"path" must start with "\/"/);
    expect(() => startMetricsServer({ registry, metrics })).toThrow(/give "metrics" or "registry", not both/);
    expect(() => startMetricsServer({ pathh: '/x' } as never)).toThrow(/unknown option "pathh"\. Did you mean "path"\?/);
    expect(() => startMetricsServer({ registry: {} as Registry })).toThrow(/"registry" must be a prom-client Registry/);
  });
});

describe('examples/queue-worker.ts', () => {
  it('times, counts and tracks its messages and serves them on the side port, then stops cleanly on SIGTERM', async () => {
    const child = startChild(TSX, ['examples/queue-worker.ts'], { env: { METRICS_PORT: '0' } });
    try {
      const url = await child.waitFor(/metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/);
      let samples = await scrape(url);
      for (let i = 0; i < 100 && sum(samples, 'queue_message_duration_seconds_count', { queue: 'emails' }) < 100; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        samples = await scrape(url);
      }
      expect(sum(samples, 'queue_message_duration_seconds_count', { queue: 'emails' })).toBe(100);
      // Messages 7, 14, … 98 fail.
      expect(sum(samples, 'queue_message_failures_total', { queue: 'emails' })).toBe(14);
      expect(sum(samples, 'queue_messages_in_progress', { queue: 'emails' })).toBe(0);
      expect(find(samples, 'app_info')[0]?.labels).toMatchObject({ name: 'promhttp', runtime: 'node' });
      const exited = new Promise<number | null>((resolve) => child.process.once('exit', (code) => resolve(code)));
      child.process.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      await child.stop();
    }
  });
});
