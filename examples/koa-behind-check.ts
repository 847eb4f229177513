import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import { createHttpMetrics } from 'promhttp';
import { koaMetrics } from 'promhttp/koa';

// Checked at startup: unset, the header expected below would be "Bearer undefined".
const token = process.env.METRICS_TOKEN;
if (!token) throw new Error('METRICS_TOKEN is not set');
const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
const expected = digest(`Bearer ${token}`);

const metrics = createHttpMetrics();
const app = new Koa();
app.use(koaMetrics({ metrics, path: false })); // first: records every request, answers no scrape

// Your own check: a token here, a session or an address list alike. Digests of equal length,
// compared in constant time, so the timing tells nothing about the token.
async function requireToken(ctx: Koa.Context, next: Koa.Next): Promise<void> {
  if (!timingSafeEqual(digest(ctx.get('authorization')), expected)) return void (ctx.status = 401);
  await next();
}
const router = new Router();
router.get('/', (ctx) => {
  ctx.body = 'ok';
});
router.get('/metrics', requireToken, koaMetrics({ metrics })); // answers scrapes, behind the check
app.use(router.routes());

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
