import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import type * as ApiMetrics from 'prometheus-api-metrics';
import { koaUsersApp } from './koa-app.js';
import { listen } from './listen.js';

// It reads `module.parent` when loaded, which only a CommonJS require provides.
const { koaMiddleware } = createRequire(import.meta.url)('prometheus-api-metrics') as typeof ApiMetrics;

listen(createServer(koaUsersApp((app) => app.use(koaMiddleware())).callback()));
