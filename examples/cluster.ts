// node:cluster workers sharing their metrics through a directory (multi-process mode): /metrics on
// any worker shows the whole app, and a worker that dies keeps its counts in the totals.
import cluster from 'node:cluster';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import Router from '@koa/router';
import Koa from 'koa';
import { koaMetrics } from 'promhttp/koa';

if (cluster.isPrimary) {
  // Workers inherit the variable, which turns directory mode on. Give each app a directory of its own.
  process.env.PROMETHEUS_MULTIPROC_DIR ??= mkdtempSync(join(tmpdir(), 'promhttp-cluster-'));
  const fork = (slot: number): void => {
    // The slot labels the worker stably; node:cluster's worker ids grow on every re-fork.
    const worker = cluster.fork({ PROMHTTP_WORKER: String(slot) });
    worker.on('listening', ({ port }: AddressInfo) => {
      if (slot === 0 && worker.id === 1) console.log(`listening on http://127.0.0.1:${port}`);
    });
    worker.on('exit', () => fork(slot));
  };
  for (let slot = 0; slot < Number(process.env.WORKERS ?? Math.min(4, availableParallelism())); slot++) fork(slot);
} else {
  const app = new Koa();
  // Health checks are not traffic: counted, they would dilute the 5xx ratio.
  app.use(koaMetrics({ exclude: ['/healthz'] }));
  const router = new Router();
  router.get('/', (ctx) => {
    ctx.body = 'ok';
  });
  router.get('/healthz', (ctx) => {
    ctx.body = 'ok';
  });
  router.get('/users/:id', (ctx) => {
    ctx.body = { id: ctx.params.id };
  });
  router.get('/error', () => {
    throw new Error('boom');
  });
  app.use(router.routes()).use(router.allowedMethods());
  // HOST=0.0.0.0 in a container, so that Prometheus can scrape it from its own.
  app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');
}
