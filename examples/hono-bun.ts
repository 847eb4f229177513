// Run with: bun examples/hono-bun.ts
import { Hono } from 'hono';
import { honoMetrics } from 'promhttp/hono';

// The part of Bun's global this file uses (bun-types has the full one).
declare const Bun: { serve(options: { fetch: Hono['fetch']; port: number; hostname: string }): { port: number } };

const app = new Hono();
app.get('/', (c) => c.text('ok'));
app.get('/users/:id', (c) => c.json({ id: c.req.param('id') }));
app.get('/error', () => {
  throw new Error('boom');
});

// wrap(app) records every request before Hono routes it, and serves GET /metrics.
const server = Bun.serve({ fetch: honoMetrics().wrap(app), port: Number(process.env.PORT ?? 3000), hostname: '127.0.0.1' });
console.log(`listening on http://127.0.0.1:${server.port}`);
