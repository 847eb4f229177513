import { Hono } from 'hono';

/** Hono serving `/users/:id`; `instrument` adds the metrics middleware first. */
export function honoUsersApp(instrument?: (app: Hono) => void): Hono {
  const app = new Hono();
  instrument?.(app);
  app.get('/users/:id', (c) => c.json({ id: c.req.param('id') }));
  return app;
}
