import { createServer } from 'node:http';
import { httpMetricMiddleware, middleware } from '@echo-health/koa-prometheus-exporter';
import { koaUsersApp } from './koa-app.js';
import { listen } from './listen.js';

// As its README sets it up: request timing first, then the exporter that serves /metrics. It
// labels requests by their raw path, so every user id becomes a series of its own.
listen(createServer(koaUsersApp((app) => app.use(httpMetricMiddleware()).use(middleware())).callback()));
