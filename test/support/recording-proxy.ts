import { request as httpRequest } from 'node:http';
import { listen, type Listening } from './http.js';

/** What a proxied exchange carried: the scraper's Accept and the answer's status and Content-Type. */
export interface Exchange {
  readonly path: string;
  readonly accept: string | undefined;
  readonly status: number;
  readonly contentType: string | undefined;
}

export interface RecordingProxy extends Listening {
  /** `host:port`, for a Prometheus target. */
  readonly address: string;
  readonly exchanges: Exchange[];
}

/**
 * Forwards every request to `target` (`http://host:port`) as it is and records what passed, so a
 * test sees the format a real scraper negotiated. `accept`, when given, replaces the scraper's
 * Accept header: the same scraper then asks for another format.
 */
export async function recordingProxy(target: string, accept?: string): Promise<RecordingProxy> {
  const exchanges: Exchange[] = [];
  const listening = await listen((req, res) => {
    const headers = { ...req.headers, host: new URL(target).host };
    if (accept !== undefined) headers.accept = accept;
    const upstream = httpRequest(new URL(req.url ?? '/', target), { method: req.method, headers, agent: false }, (answer) => {
      exchanges.push({ path: req.url ?? '/', accept: headers.accept, status: answer.statusCode!, contentType: answer.headers['content-type'] });
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  return Object.assign(listening, { address: `127.0.0.1:${listening.port}`, exchanges });
}
