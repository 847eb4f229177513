import { createServer, type RequestListener, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { BlockList, isIP } from 'node:net';
import type { Registry } from 'prom-client';
import { register as globalRegistry } from 'prom-client';
import { checkKeys, checkObject, describeValue, optionError } from '../errors.js';
import type { HttpMetrics } from '../http-metrics.js';
import type { ScrapeAnswerOptions } from './answer.js';
import { createScrapeAnswer, SCRAPE_ANSWER_KEYS } from './answer.js';
import { sendScrape } from './handler.js';
import type { MetricsServerTls } from './tls.js';
import { checkTls } from './tls.js';

/** Options of `startMetricsServer()`. */
export interface MetricsServerOptions extends ScrapeAnswerOptions {
  /**
   * The port to listen on; 0 picks a free one (read it from `port` on the result).
   * @default 9464 (the port OpenTelemetry's Prometheus exporter uses)
   */
  port?: number;
  /**
   * The address to bind. The default keeps metrics off the network; use "0.0.0.0" (or "::")
   * for a Prometheus on another host, behind your firewall rules.
   * @default "127.0.0.1"
   */
  host?: string;
  /**
   * The path that serves the metrics; every other path answers 404.
   * @default "/metrics"
   */
  path?: string;
  /**
   * Serve this registry.
   * @default prom-client's global `register`
   */
  registry?: Registry;
  /**
   * Serve the registry of these request metrics (instead of `registry`).
   * @default none
   */
  metrics?: HttpMetrics;
  /**
   * Serve HTTPS with this certificate and key; with `ca` and `requestClientCert`, only clients
   * presenting a certificate signed by `ca` get in (mutual TLS).
   * @default none: plain HTTP
   * @example { cert: readFileSync('metrics.crt'), key: readFileSync('metrics.key') }
   */
  tls?: MetricsServerTls;
}

/** A running metrics server. */
export interface MetricsServer {
  /** The scrape URL, e.g. `http://127.0.0.1:9464/metrics` (`https://…` with `tls`). */
  readonly url: string;
  /** The port listened on (the real one when 0 was asked for). */
  readonly port: number;
  readonly host: string;
  /**
   * Stops accepting connections, lets scrapes in progress finish, closes idle keep-alive
   * connections, and resolves once the port is free. Safe to call more than once.
   */
  close(): Promise<void>;
}

const WHERE = 'startMetricsServer';

function checkOptions(options: unknown): { port: number; host: string; path: string; registry: Registry; o: Record<string, unknown> } {
  const o = checkObject(WHERE, options);
  checkKeys(WHERE, o, ['port', 'host', 'path', 'registry', 'metrics', 'tls', ...SCRAPE_ANSWER_KEYS]);
  const port = o.port ?? 9464;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw optionError(`${WHERE}: "port" must be a whole number from 0 to 65535 (0 picks a free port), got ${describeValue(o.port)}.`);
  }
  const host = o.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '') throw optionError(`${WHERE}: "host" must be an address such as "127.0.0.1" or "0.0.0.0", got ${describeValue(o.host)}.`);
  const path = o.path ?? '/metrics';
  if (typeof path !== 'string' || !path.startsWith('/')) throw optionError(`${WHERE}: "path" must start with "/", e.g. "/metrics", got ${describeValue(o.path)}.`);
  if (o.metrics !== undefined && o.registry !== undefined) {
    throw optionError(`${WHERE}: give "metrics" or "registry", not both (metrics.registry is what gets served).`);
  }
  const registry = (o.metrics as HttpMetrics | undefined)?.registry ?? (o.registry as Registry | undefined) ?? globalRegistry;
  if (typeof (registry as Partial<Registry>).getMetricsAsArray !== 'function') {
    throw optionError(`${WHERE}: "${o.metrics !== undefined ? 'metrics' : 'registry'}" must be ${o.metrics !== undefined ? 'the result of createHttpMetrics()' : 'a prom-client Registry'}, got ${describeValue(o.metrics ?? o.registry)}.`);
  }
  return { port, host, path, registry, o };
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** True for addresses only this machine can reach, however they are written (`0:0:0:0:0:0:0:1`, `::ffff:127.0.0.1`). */
function isLoopback(host: string): boolean {
  const family = isIP(host);
  if (family !== 0) return LOOPBACK.check(host, family === 4 ? 'ipv4' : 'ipv6');
  // A name: localhost, or the short forms of 127.x that the resolver accepts (127.1).
  return host === 'localhost' || /^127\./.test(host);
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `${host}:${port}`;
  const hint =
    error.code === 'EADDRINUSE'
      ? `${where} is already in use, probably by another instance of this app or another exporter. Choose another "port" (0 picks a free one) or stop the other process.`
      : error.code === 'EACCES'
        ? `listening on ${where} is not permitted; ports below 1024 need privileges. Choose a port above 1024.`
        : error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND'
          ? `${host} is not an address of this machine. Use "127.0.0.1", "0.0.0.0" or one of its interface addresses.`
          : `could not listen on ${where}: ${error.message}`;
  return Object.assign(new Error(`promhttp: ${WHERE}: ${hint}`, { cause: error }), { code: error.code });
}

/**
 * Serves the metrics on a port of their own, for processes without an HTTP server (workers,
 * queue consumers) or to keep `/metrics` off the public port.
 * @example
 * const server = await startMetricsServer({ port: 9464 });
 * console.log(`metrics on ${server.url}`);
 */
export function startMetricsServer(options?: MetricsServerOptions): Promise<MetricsServer> {
  const { port, host, path, registry, o } = checkOptions(options);
  const tls = checkTls(WHERE, o.tls);
  const scrape = createScrapeAnswer(WHERE, registry, o as ScrapeAnswerOptions);
  if (o.auth !== undefined && tls === undefined && !isLoopback(host)) {
    // Often right (TLS ends at a proxy in front), so a warning rather than an error.
    process.emitWarning(`promhttp: ${WHERE}: credentials for ${host}:${port} travel over plain HTTP; give "tls" (or make sure TLS ends at a proxy in front of it).`);
  }
  let closing = false;
  const answering = new Set<ServerResponse>();
  const listener: RequestListener = function servePromhttpMetrics(req, res) {
    answering.add(res);
    res.once('close', () => {
      answering.delete(res);
      // Once answered, a keep-alive connection is idle: close it now rather than at its timeout.
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
    if (closing) res.setHeader('connection', 'close');
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    if ((q === -1 ? url : url.slice(0, q)) !== path) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`promhttp: not found; metrics are served at ${path}\n`);
      return;
    }
    void sendScrape(scrape, req, res);
  };
  const server = tls === undefined ? createServer(listener) : createHttpsServer(tls, listener);
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException): void => reject(listenError(error, host, port));
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      // A later server error (out of file descriptors, say) must not take the app down with it.
      server.on('error', (error) => process.emitWarning(`promhttp: metrics server on ${host}:${port}: ${error.message}`));
      const actual = (server.address() as AddressInfo).port;
      const shownHost = host.includes(':') ? `[${host}]` : host;
      let closed: Promise<void> | undefined;
      resolve({
        url: `${tls === undefined ? 'http' : 'https'}://${shownHost}:${actual}${path}`,
        port: actual,
        host,
        close() {
          closed ??= new Promise<void>((done) => {
            closing = true;
            // Scrapes still being rendered tell their client not to reuse the connection.
            for (const res of answering) if (!res.headersSent) res.setHeader('connection', 'close');
            server.close(() => done());
            server.closeIdleConnections();
          });
          return closed;
        },
      });
    });
  });
}
