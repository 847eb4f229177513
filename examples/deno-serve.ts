// Run with: deno run --allow-net --allow-env --allow-sys examples/deno-serve.ts
import { fetchMetrics } from 'promhttp/fetch';

// The part of Deno's global this file uses (Deno's own types have the full one).
declare const Deno: {
  env: { get(name: string): string | undefined };
  serve(options: { port: number; hostname: string; onListen(address: { port: number }): void }, handler: (request: Request) => Response | Promise<Response>): unknown;
};

function handle(request: Request): Response {
  const path = new URL(request.url).pathname;
  if (path === '/') return new Response('ok');
  const user = /^\/users\/([^/]+)$/.exec(path);
  if (user) return Response.json({ id: user[1] });
  if (path === '/error') throw new Error('boom');
  return new Response('not found\n', { status: 404 });
}

// Records every request, labelled by the template it matches, and serves GET /metrics.
const handler = fetchMetrics(handle, { routes: ['/', '/users/:id', '/error'] });
const port = Number(Deno.env.get('PORT') ?? 3000);
Deno.serve({ port, hostname: '127.0.0.1', onListen: (address) => console.log(`listening on http://127.0.0.1:${address.port}`) }, handler);
