import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { honoMetrics } from 'promhttp/hono';

const app = new Hono();
app.get('/', (c) => c.text('ok'));
app.get('/users/:id', (c) => c.json({ id: c.req.param('id') }));
app.get('/error', () => {
  throw new Error('boom');
});

// wrap(app) records every request before Hono routes it, and serves GET /metrics.
serve({ fetch: honoMetrics().wrap(app), port: Number(process.env.PORT ?? 3000), hostname: '127.0.0.1' }, (info) => {
  console.log(`listening on http://127.0.0.1:${info.port}`);
});
