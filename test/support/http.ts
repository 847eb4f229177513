import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders, type RequestListener, type Server, createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

export interface Listening {
  readonly server: Server;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `listener` with node:http on a free loopback port. */
export function listen(listener: RequestListener): Promise<Listening> {
  const server = createServer(listener);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        server,
        port,
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

interface Closable {
  close(callback: () => void): unknown;
  closeAllConnections?(): void;
}

/**
 * For a test file whose servers outlive a single call: `track` hands a server over to be closed
 * after each test, and `serve` starts an app with `listen(port, host)` (Koa) on a free loopback
 * port, tracked, and returns its URL. No test leaves a listening socket to the next.
 */
export function serversClosedAfterEach(): { track<S extends Closable>(server: S): S; serve(app: { listen(port: number, host: string): Server }): Promise<string> } {
  const servers: Closable[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
  function track<S extends Closable>(server: S): S {
    servers.push(server);
    return server;
  }
  async function serve(app: { listen(port: number, host: string): Server }): Promise<string> {
    const server = track(app.listen(0, '127.0.0.1'));
    if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  return { track, serve };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The bytes as sent, not decompressed. */
  body: Buffer;
}

/**
 * A request with node:http, which, unlike fetch, adds no Accept or Accept-Encoding header of its own
 * and does not decompress: what the test sends and receives is exactly what is on the wire.
 */
export function request(url: string, options: { method?: string; headers?: OutgoingHttpHeaders } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Writes `text` as is to 127.0.0.1:`port` and resolves with everything the server sent until it
 * closed the connection; for request lines no HTTP client would send. End the head with
 * `Connection: close`.
 */
export function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
    socket.write(text);
  });
}
