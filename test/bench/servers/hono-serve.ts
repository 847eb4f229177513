import type { Hono } from 'hono';
import { HOST, PORT, announce } from './listen.js';

interface BunRuntime {
  serve(options: { port: number; hostname: string; fetch: Hono['fetch'] }): { port: number };
}

/** Serves a Hono app with the runtime's own server: Bun.serve on Bun, @hono/node-server on Node. */
export async function serveHono(app: Hono): Promise<void> {
  const bun = (globalThis as { Bun?: BunRuntime }).Bun;
  if (bun !== undefined) {
    announce(bun.serve({ port: PORT, hostname: HOST, fetch: app.fetch }).port);
    return;
  }
  const { serve } = await import('@hono/node-server');
  serve({ fetch: app.fetch, port: PORT, hostname: HOST }, (info) => announce(info.port));
}
