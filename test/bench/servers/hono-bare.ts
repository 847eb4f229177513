import { honoUsersApp } from './hono-app.js';
import { serveHono } from './hono-serve.js';

await serveHono(honoUsersApp());
