import { createServer } from 'node:http';
import { koaMetrics } from 'promhttp/koa';
import { koaUsersApp } from './koa-app.js';
import { listen } from './listen.js';

listen(createServer(koaUsersApp((app) => app.use(koaMetrics())).callback()));
