import type { Registry } from 'prom-client';
import type { ExposeRequest, ExpositionBytes } from './render.js';
import { exposeBytes } from './shared.js';

/** A scrape request, as any framework can describe it. */
export interface ScrapeRequest extends ExposeRequest {
  /** The request method: GET and HEAD are served, anything else gets 405. */
  method: string;
  /**
   * Every request header, names in lower case (node:http's `req.headers` fits as it is): `auth`
   * reads credentials here, and the scrape timeout Prometheus sends.
   */
  headers?: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The client's address, for an `auth` function. */
  remoteAddress?: string | undefined;
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

/** A plain-text answer that is not an exposition (an error, a refusal), with `headers` added. */
export function plainAnswer(status: number, text: string, headers: Record<string, string> = {}): ScrapeResponse {
  const body = `promhttp: ${text}\n`;
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), 'cache-control': 'no-store', ...headers }, body };
}

/** 405 for methods other than GET and HEAD, else `undefined`. */
export function refuseMethod(method: string): ScrapeResponse | undefined {
  if (method === 'GET' || method === 'HEAD') return undefined;
  return plainAnswer(405, 'the metrics endpoint answers GET and HEAD only.', { allow: 'GET, HEAD' });
}

/** The HTTP answer carrying an exposition; a HEAD gets the headers a GET would get. */
export function expositionAnswer(exposition: ExpositionBytes, head: boolean): ScrapeResponse {
  const headers: Record<string, string> = {
    'content-type': exposition.contentType,
    'content-length': String(byteLength(exposition.body)),
    'cache-control': 'no-store',
    vary: 'Accept, Accept-Encoding',
  };
  if (exposition.contentEncoding) headers['content-encoding'] = exposition.contentEncoding;
  return { status: exposition.status, headers, body: head ? '' : exposition.body };
}

/** Answers a scrape: 405 for methods other than GET and HEAD, 500 with a reason when collection fails. */
export async function respond(registry: Registry, request: ScrapeRequest): Promise<ScrapeResponse> {
  return refuseMethod(request.method) ?? expositionAnswer(await exposeBytes(registry, request), request.method === 'HEAD');
}
