import type { Hono } from 'hono';
import { HOST, PORT, announce } from './listen.js';

interface BunRuntime {
  serve(options: { port: number; hostname: string; fetch: Hono['fetch'] }): { port: number };
}

/** Serves a Hono app (or a fetch made from it) with the runtime's own server: Bun.serve on Bun, @hono/node-server on Node. */
export async function serveHono(app: Hono, fetch: Hono['fetch'] = app.fetch): Promise<void> {
  const bun = (globalThis as { Bun?: BunRuntime }).Bun;
  if (bun !== undefined) {
    announce(bun.serve({ port: PORT, hostname: HOST, fetch }).port);
    return;
  }
  const { serve } = await import('@hono/node-server');
  serve({ fetch, port: PORT, hostname: HOST }, (info) => announce(info.port));
}
