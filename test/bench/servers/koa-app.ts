import Router from '@koa/router';
import Koa from 'koa';

/** Koa 3 with @koa/router serving `/users/:id`; `instrument` adds the metrics middleware first. */
export function koaUsersApp(instrument?: (app: Koa) => void): Koa {
  const app = new Koa();
  instrument?.(app);
  const router = new Router();
  router.get('/users/:id', (ctx) => {
    ctx.body = { id: ctx.params.id };
  });
  app.use(router.routes());
  return app;
}
