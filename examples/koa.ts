import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import { koaMetrics } from 'promhttp/koa';

const app = new Koa();
// First in line, so it sees every request, including those that fail further down.
app.use(koaMetrics());

const router = new Router();
router.get('/', (ctx) => {
  ctx.body = 'ok';
});
router.get('/users/:id', (ctx) => {
  ctx.body = { id: ctx.params.id };
});
router.get('/error', () => {
  throw new Error('boom');
});
app.use(router.routes()).use(router.allowedMethods());

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
