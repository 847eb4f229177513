import type { ScrapeRequest, ScrapeResponse } from '../exposition/respond.js';

/** Answers a scrape as a fetch `Response`, with `scrape` (an adapter's resolved `scrape`); never rejects. */
export async function scrapeResponse(scrape: (request: ScrapeRequest) => Promise<ScrapeResponse>, request: Request): Promise<Response> {
  const headers = request.headers;
  const answer = await scrape({ method: request.method, accept: headers.get('accept') ?? undefined, acceptEncoding: headers.get('accept-encoding') ?? undefined });
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}
