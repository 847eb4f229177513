import type { ScrapeRequest, ScrapeResponse } from '../exposition/respond.js';

/** The scrape request a fetch `Request` describes; `remoteAddress` where the runtime tells it (`remoteAddressOf`). */
export function scrapeRequestOfFetch(request: Request, remoteAddress?: string): ScrapeRequest {
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => (headers[name] = value));
  return { method: request.method, accept: headers.accept, acceptEncoding: headers['accept-encoding'], headers, remoteAddress };
}

/**
 * The client's address, from what a fetch runtime hands the handler besides the request: Bun's
 * server (`requestIP`), Deno's connection info (`remoteAddr`), @hono/node-server's node:http
 * request (`incoming`). `undefined` where none of them tells.
 */
export function remoteAddressOf(request: Request, context: unknown): string | undefined {
  const c = context as
    | {
        requestIP?: (request: Request) => { address?: string } | null;
        remoteAddr?: { hostname?: string };
        incoming?: { socket?: { remoteAddress?: string } };
      }
    | null
    | undefined;
  try {
    if (typeof c?.requestIP === 'function') return c.requestIP(request)?.address ?? undefined;
    return c?.remoteAddr?.hostname ?? c?.incoming?.socket?.remoteAddress ?? undefined;
  } catch {
    return undefined;
  }
}

/** Answers a scrape as a fetch `Response`, with `scrape` (an adapter's resolved `scrape`); never rejects. */
export async function scrapeResponse(scrape: (request: ScrapeRequest) => Promise<ScrapeResponse>, request: Request, remoteAddress?: string): Promise<Response> {
  const answer = await scrape(scrapeRequestOfFetch(request, remoteAddress));
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}
