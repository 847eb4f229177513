import type { Registry } from 'prom-client';
import type { ExposeRequest } from './render.js';
import { exposeBytes } from './render.js';

/** A scrape request, as any framework can describe it. */
export interface ScrapeRequest extends ExposeRequest {
  /** The request method: GET and HEAD are served, anything else gets 405. */
  method: string;
}

/** A complete HTTP answer to a scrape, for an adapter to hand to its framework as it is. */
export interface ScrapeResponse {
  status: number;
  headers: Record<string, string>;
  /** Empty for HEAD (headers still describe the body a GET would get). */
  body: string | Uint8Array;
}

function byteLength(body: string | Uint8Array): number {
  return typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
}

/** Answers a scrape: 405 for methods other than GET and HEAD, 500 with a reason when collection fails. */
export async function respond(registry: Registry, request: ScrapeRequest): Promise<ScrapeResponse> {
  const head = request.method === 'HEAD';
  if (request.method !== 'GET' && !head) {
    return {
      status: 405,
      headers: { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' },
      body: 'promhttp: the metrics endpoint answers GET and HEAD only.\n',
    };
  }
  const exposition = await exposeBytes(registry, request);
  const headers: Record<string, string> = {
    'content-type': exposition.contentType,
    'content-length': String(byteLength(exposition.body)),
    'cache-control': 'no-store',
    vary: 'Accept, Accept-Encoding',
  };
  if (exposition.contentEncoding) headers['content-encoding'] = exposition.contentEncoding;
  return { status: exposition.status, headers, body: head ? '' : exposition.body };
}
