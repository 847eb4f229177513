import { honoMetrics } from 'promhttp/hono';
import { honoUsersApp } from './hono-app.js';
import { serveHono } from './hono-serve.js';

const app = honoUsersApp();
await serveHono(app, honoMetrics().wrap(app));
