// Run with: bun examples/bun-serve.ts
import { fetchMetrics } from 'promhttp/fetch';

// The part of Bun's global this file uses (bun-types has the full one).
declare const Bun: { serve(options: { fetch: (request: Request) => Response | Promise<Response>; port: number; hostname: string }): { port: number } };

function handle(request: Request): Response {
  const path = new URL(request.url).pathname;
  if (path === '/') return new Response('ok');
  const user = /^\/users\/([^/]+)$/.exec(path);
  if (user) return Response.json({ id: user[1] });
  if (path === '/error') throw new Error('boom');
  return new Response('not found\n', { status: 404 });
}

// Records every request, labelled by the template it matches, and serves GET /metrics.
const fetch = fetchMetrics(handle, { routes: ['/', '/users/:id', '/error'] });
const server = Bun.serve({ fetch, port: Number(process.env.PORT ?? 3000), hostname: '127.0.0.1' });
console.log(`listening on http://127.0.0.1:${server.port}`);
