import { prometheus } from '@hono/prometheus';
import { honoUsersApp } from './hono-app.js';
import { serveHono } from './hono-serve.js';

// As its README sets it up (its defaults: no process metrics, no in-flight gauge).
const { printMetrics, registerMetrics } = prometheus();
await serveHono(
  honoUsersApp((app) => {
    app.use('*', registerMetrics);
    app.get('/metrics', printMetrics);
  }),
);
