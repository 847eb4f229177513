// The series limit (maxSeries): a label fed with client input or user values keeps at most that
// many label sets per metric; further samples go to one overflow series, nothing is lost, and
// promhttp_series_overflow_total and one warning say so.
import Router from '@koa/router';
import Koa from 'koa';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { counter, createHttpMetrics, gauge, histogram, renderRegistry, setStaticLabels, summary } from 'promhttp';
import { koaMetrics } from 'promhttp/koa';
import { instrument } from 'promhttp/node';
import { listen, serversClosedAfterEach } from './support/http.js';
import { promtoolCheckMetrics } from './support/prometheus.js';
import { find, parseExposition, sum, type Sample } from './support/scrape.js';

const OVERFLOW_TOTAL = 'promhttp_series_overflow_total';
const { serve } = serversClosedAfterEach();

async function samplesOf(registry: Registry): Promise<Sample[]> {
  return parseExposition(await renderRegistry(registry, 'text'));
}

/** A Koa app whose GET /orders counts tenant_requests_total by the X-Tenant header, held to `maxSeries`. */
async function tenantApp(maxSeries: number): Promise<{ registry: Registry; base: string }> {
  const registry = new Registry();
  const app = new Koa();
  app.silent = true;
  const metrics = koaMetrics({ registry, defaultMetrics: false });
  app.use(metrics);
  const router = new Router();
  const tenants = metrics.counter({ name: 'tenant_requests_total', help: 'Requests by tenant.', labels: { tenant: (ctx) => ctx.get('x-tenant') || 'none' }, maxSeries });
  router.get('/orders', tenants, (ctx) => void (ctx.body = 'ok'));
  app.use(router.routes());
  return { registry, base: await serve(app) };
}

/** The process warnings emitted during a test, collected from the real 'warning' event. */
let warnings: string[] = [];
const onWarning = (warning: Error): void => void warnings.push(warning.message);
beforeEach(() => {
  warnings = [];
  process.on('warning', onWarning);
});
afterEach(() => void process.off('warning', onWarning));
/** Warnings are emitted on the next tick; let them arrive. */
const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const aboutSeries = (metric: string): string[] => warnings.filter((w) => w.includes(`"${metric}" reached its maxSeries`));

/** GETs `count` URLs, `concurrency` at a time, and checks every answer is a 200. */
async function send(count: number, concurrency: number, requestOf: (i: number) => { url: string; headers?: Record<string, string> }): Promise<void> {
  let next = 0;
  const statuses = new Map<number, number>();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const { url, headers } = requestOf(next++);
        const response = await fetch(url, headers ? { headers } : {});
        await response.arrayBuffer();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      }
    }),
  );
  expect(Object.fromEntries(statuses)).toEqual({ 200: count });
}

describe('a label computed from client input', () => {
  it('keeps a Koa per-route counter fed by X-Tenant at maxSeries series plus one overflow series, every request counted', { timeout: 90_000 }, async () => {
    const { registry, base } = await tenantApp(100);

    const sent = 5000;
    await send(sent, 50, (i) => ({ url: `${base}/orders`, headers: { 'x-tenant': `tenant-${i}` } }));
    await settled();

    const text = await renderRegistry(registry, 'text');
    const samples = parseExposition(text);
    const series = find(samples, 'tenant_requests_total');
    const overflow = series.filter((s) => s.labels.tenant === 'overflow');
    expect(series).toHaveLength(101);
    expect(overflow).toHaveLength(1);
    expect(sum(samples, 'tenant_requests_total')).toBe(sent);
    // The first 100 tenants to arrive kept a series each, with one request; all others overflowed.
    expect(series.filter((s) => s.labels.tenant !== 'overflow').every((s) => /^tenant-\d+$/.test(s.labels.tenant!) && s.value === 1)).toBe(true);
    expect(overflow[0]!.value).toBe(sent - 100);
    expect(find(samples, OVERFLOW_TOTAL)).toEqual([{ name: OVERFLOW_TOTAL, labels: { metric: 'tenant_requests_total' }, value: sent - 100 }]);
    // The request metrics themselves were never near their own limit.
    expect(sum(samples, 'http_requests_total', { route: '/orders' })).toBe(sent);

    const warned = aboutSeries('tenant_requests_total');
    expect(warned).toHaveLength(1);
    expect(warned[0]).toContain('reached its maxSeries, 100 label sets');
    expect(warned[0]).toContain('The label "tenant" grows fastest: 10 distinct values among the last 10 label sets (100 in all)');
    expect(await promtoolCheckMetrics(text)).toBe('');
  });
});

describe('the metric factories fed with user values', () => {
  it('counter: every inc past the limit lands in the overflow series and is counted, also through a cached child', async () => {
    const registry = new Registry();
    const jobs = counter({ name: 'jobs_done_total', help: 'Jobs done.', labelNames: ['customer', 'queue'], maxSeries: 3, registry });
    for (let i = 0; i < 10; i++) jobs.inc({ customer: `c${i}`, queue: 'mail' }, 2);
    const cached = jobs.labels('c42', 'mail');
    cached.inc();
    cached.inc(5);
    jobs.inc({ customer: 'c0', queue: 'mail' });
    await settled();

    const samples = await samplesOf(registry);
    expect(find(samples, 'jobs_done_total').map((s) => [s.labels.customer, s.labels.queue, s.value])).toEqual([
      ['c0', 'mail', 3],
      ['c1', 'mail', 2],
      ['c2', 'mail', 2],
      ['overflow', 'overflow', 7 * 2 + 6],
    ]);
    expect(sum(samples, 'jobs_done_total')).toBe(10 * 2 + 6 + 1);
    // Samples, not label sets: seven incs by label set, and two through the child.
    expect(sum(samples, OVERFLOW_TOTAL, { metric: 'jobs_done_total' })).toBe(9);
    expect(aboutSeries('jobs_done_total')).toHaveLength(1);
    expect(aboutSeries('jobs_done_total')[0]).toContain('The label "customer" grows fastest: 3 distinct values among the last 3 label sets (3 in all)');
  });

  it('gauge: inc and dec past the limit keep the sum over series exact', async () => {
    const registry = new Registry();
    const open = gauge({ name: 'open_sessions', help: 'Open sessions.', labelNames: ['user'], maxSeries: 2, registry });
    for (let i = 0; i < 6; i++) open.inc({ user: `u${i}` }, 10);
    open.dec({ user: 'u5' }, 3);
    open.labels('u9').set(1);
    const samples = await samplesOf(registry);
    expect(find(samples, 'open_sessions').map((s) => [s.labels.user, s.value])).toEqual([
      ['u0', 10],
      ['u1', 10],
      // inc 4 × 10, dec 3, then a set: a gauge's set replaces, in the overflow series as anywhere.
      ['overflow', 1],
    ]);
    expect(sum(samples, OVERFLOW_TOTAL, { metric: 'open_sessions' })).toBe(6);
  });

  it('histogram and summary: observations and timers past the limit keep count and sum exact', async () => {
    const registry = new Registry();
    const h = histogram({ name: 'upload_seconds', help: 'Uploads.', labelNames: ['file'], buckets: [1, 10], maxSeries: 2, registry });
    const s = summary({ name: 'upload_bytes', help: 'Upload sizes.', labelNames: ['file'], maxSeries: 2, registry });
    for (let i = 0; i < 5; i++) {
      h.observe({ file: `f${i}` }, i);
      s.observe({ file: `f${i}` }, 100 * i);
    }
    h.startTimer({ file: 'f99' })();
    const samples = await samplesOf(registry);
    expect(find(samples, 'upload_seconds_count').map((x) => [x.labels.file, x.value])).toEqual([
      ['f0', 1],
      ['f1', 1],
      ['overflow', 4],
    ]);
    expect(sum(samples, 'upload_seconds_bucket', { file: 'overflow', le: '10' })).toBe(4);
    expect(sum(samples, 'upload_bytes_sum', { file: 'overflow' })).toBe(200 + 300 + 400);
    expect(sum(samples, 'upload_bytes_count')).toBe(5);
    expect(sum(samples, OVERFLOW_TOTAL, { metric: 'upload_seconds' })).toBe(4);
    expect(sum(samples, OVERFLOW_TOTAL, { metric: 'upload_bytes' })).toBe(3);
  });

  it('gives 2000 label sets by default, and warns once per metric', async () => {
    const registry = new Registry();
    const seen = counter({ name: 'ids_seen_total', help: 'Ids seen.', labelNames: ['id'], registry });
    for (let i = 0; i < 2500; i++) seen.inc({ id: String(i) });
    await settled();
    const samples = await samplesOf(registry);
    expect(find(samples, 'ids_seen_total')).toHaveLength(2001);
    expect(sum(samples, 'ids_seen_total', { id: 'overflow' })).toBe(500);
    expect(aboutSeries('ids_seen_total')).toHaveLength(1);
  });

  it('names the label with the most distinct values in the warning', async () => {
    const registry = new Registry();
    const calls = counter({ name: 'calls_total', help: 'Calls.', labelNames: ['region', 'session', 'outcome'], maxSeries: 6, registry });
    for (let i = 0; i < 8; i++) calls.inc({ region: i % 2 ? 'eu' : 'us', session: `s${i}`, outcome: 'ok' });
    await settled();
    expect(aboutSeries('calls_total')).toHaveLength(1);
    expect(aboutSeries('calls_total')[0]).toContain('The label "session" grows fastest: 6 distinct values among the last 6 label sets (6 in all)');
  });

  it('names the label that used the limit up, not one with many values all seen early', async () => {
    const registry = new Registry();
    const hits = counter({ name: 'hits_total', help: 'Hits.', labelNames: ['route', 'user'], registry });
    // 1500 routes, all legitimate, first; then new users on one route exhaust the 2000 label sets.
    for (let i = 0; i < 1500; i++) hits.inc({ route: `/r${i}`, user: 'anonymous' });
    for (let i = 0; i < 600; i++) hits.inc({ route: '/r0', user: `u${i}` });
    await settled();
    expect(aboutSeries('hits_total')).toHaveLength(1);
    expect(aboutSeries('hits_total')[0]).toContain('The label "user" grows fastest: 200 distinct values among the last 200 label sets (501 in all)');
  });

  it('shares the limit between every object recording into the metric, and never applies it to a metric without labels', async () => {
    const registry = new Registry();
    const first = counter({ name: 'shared_total', help: 'Shared.', labelNames: ['k'], maxSeries: 2, registry });
    const second = counter({ name: 'shared_total', help: 'Shared.', labelNames: ['k'], maxSeries: 2, registry });
    first.inc({ k: 'a' });
    second.inc({ k: 'b' });
    first.inc({ k: 'c' });
    const plain = counter({ name: 'plain_total', help: 'Plain.', maxSeries: 1, registry });
    plain.inc();
    const samples = await samplesOf(registry);
    expect(find(samples, 'shared_total').map((s) => s.labels.k)).toEqual(['a', 'b', 'overflow']);
    expect(sum(samples, 'plain_total')).toBe(1);
    expect(find(samples, OVERFLOW_TOTAL).map((s) => s.labels.metric)).toEqual(['shared_total']);
  });
});

describe('the request metrics', () => {
  it('caps route: "path" label sets at maxSeries after maxRoutes, the histogram and counter alike', async () => {
    const registry = new Registry();
    const app = instrument((_req, res) => void res.end('ok'), { registry, defaultMetrics: false, route: 'path', maxRoutes: 1000, maxSeries: 50 });
    const server = await listen(app);
    try {
      await send(200, 20, (i) => ({ url: `${server.url}/articles/${i}` }));
    } finally {
      await server.close();
    }
    await settled();
    const samples = await samplesOf(registry);
    const counted = find(samples, 'http_requests_total');
    expect(counted).toHaveLength(51);
    expect(find(samples, 'http_request_duration_seconds_count')).toHaveLength(51);
    expect(sum(samples, 'http_requests_total')).toBe(200);
    expect(sum(samples, 'http_request_duration_seconds_count')).toBe(200);
    expect(find(samples, 'http_requests_total', { method: 'GET', route: 'overflow', status_code: '200' })[0]!.value).toBe(150);
    expect(sum(samples, OVERFLOW_TOTAL, { metric: 'http_requests_total' })).toBe(150);
    expect(sum(samples, OVERFLOW_TOTAL, { metric: 'http_request_duration_seconds' })).toBe(150);
    expect(aboutSeries('http_requests_total')).toHaveLength(1);
    expect(aboutSeries('http_requests_total')[0]).toContain('The label "route" grows fastest: 10 distinct values among the last 10 label sets (50 in all)');
  });

  it('puts the routes past maxRoutes on route "overflow", outside maxSeries, and 404s on unmatched, within it', async () => {
    const registry = new Registry();
    const metrics = createHttpMetrics({ registry, defaultMetrics: false, maxRoutes: 5, maxSeries: 5 });
    // Ten routes: five of their own, the rest on route "overflow", no series overflow.
    for (let i = 0; i < 10; i++) metrics.start()({ method: 'GET', route: `/r${i}`, status: 200 });
    let samples = await samplesOf(registry);
    expect(find(samples, 'http_requests_total').map((s) => s.labels.route)).toEqual(['/r0', '/r1', '/r2', '/r3', '/r4', 'overflow']);
    expect(find(samples, OVERFLOW_TOTAL)).toEqual([]);
    // A sixth label set (unmatched, outside maxRoutes) is past maxSeries: it joins route "overflow", with its own status.
    metrics.start()({ method: 'GET', route: undefined, status: 404 });
    metrics.start()({ method: 'GET', route: '/r1', status: 200 });
    samples = await samplesOf(registry);
    expect(find(samples, 'http_requests_total', { route: 'overflow' })).toEqual([
      { name: 'http_requests_total', labels: { method: 'GET', route: 'overflow', status_code: '200' }, value: 5 },
      { name: 'http_requests_total', labels: { method: 'GET', route: 'overflow', status_code: '404' }, value: 1 },
    ]);
    expect(sum(samples, 'http_requests_total')).toBe(12);
    expect(sum(samples, OVERFLOW_TOTAL, { metric: 'http_requests_total' })).toBe(1);
  });

  it('keeps method and status code real on the overflow series, so 5xx among overflowed requests still count as errors', async () => {
    const registry = new Registry();
    // The test before warns too; its warning arrives a tick later.
    await settled();
    warnings = [];
    const app = instrument((req, res) => void res.writeHead(req.url!.endsWith('/0') || req.url!.endsWith('5') ? 500 : 200).end(), { registry, defaultMetrics: false, route: 'path', maxSeries: 10 });
    const server = await listen(app);
    try {
      for (let i = 0; i < 40; i++) await fetch(`${server.url}/orders/${i}`, { method: i % 2 ? 'POST' : 'GET' }).then((r) => r.arrayBuffer());
    } finally {
      await server.close();
    }
    await settled();
    const samples = await samplesOf(registry);
    // Orders 0 to 9 kept their route; of the five that failed (0, 5, 15, 25, 35), three came after.
    expect(find(samples, 'http_requests_total', { route: 'overflow' }).map((s) => [s.labels.method, s.labels.status_code, s.value])).toEqual([
      ['GET', '200', 15],
      ['POST', '200', 12],
      ['POST', '500', 3],
    ]);
    expect(samples.filter((s) => s.name === 'http_requests_total' && s.labels.status_code!.startsWith('5')).reduce((n, s) => n + s.value, 0)).toBe(5);
    expect(sum(samples, OVERFLOW_TOTAL, { metric: 'http_requests_total' })).toBe(30);
    expect(aboutSeries('http_requests_total')).toHaveLength(1);
  });

  it('shares maxSeries between instances recording into the same metrics', async () => {
    const registry = new Registry();
    const first = createHttpMetrics({ registry, defaultMetrics: false, maxSeries: 2 });
    const second = createHttpMetrics({ registry, defaultMetrics: false, maxSeries: 2 });
    first.start()({ method: 'GET', route: '/a', status: 200 });
    second.start()({ method: 'GET', route: '/b', status: 200 });
    first.start()({ method: 'GET', route: '/c', status: 200 });
    second.start()({ method: 'GET', route: '/c', status: 200 });
    const samples = await samplesOf(registry);
    expect(find(samples, 'http_requests_total').map((s) => [s.labels.route, s.value])).toEqual([
      ['/a', 1],
      ['/b', 1],
      ['overflow', 2],
    ]);
  });
});

describe('a label value "overflow" given by the application or a client', () => {
  it('is a series of its own, written "_overflow": neither counted as overflow nor in the way of the warning', async () => {
    const registry = new Registry();
    const tenants = counter({ name: 'tenant_hits_total', help: 'Hits by tenant.', labelNames: ['tenant'], maxSeries: 5, registry });
    tenants.inc({ tenant: 'overflow' });
    tenants.inc({ tenant: '_overflow' });
    tenants.inc({ tenant: 'overflow' });
    tenants.inc({ tenant: 'acme' });
    await settled();
    let samples = await samplesOf(registry);
    expect(find(samples, 'tenant_hits_total').map((s) => [s.labels.tenant, s.value])).toEqual([
      ['_overflow', 2],
      ['__overflow', 1],
      ['acme', 1],
    ]);
    expect(find(samples, OVERFLOW_TOTAL)).toEqual([]);
    expect(aboutSeries('tenant_hits_total')).toEqual([]);

    for (let i = 0; i < 100; i++) tenants.inc({ tenant: `t${i}` });
    await settled();
    samples = await samplesOf(registry);
    expect(find(samples, 'tenant_hits_total').map((s) => [s.labels.tenant, s.value])).toEqual([
      ['_overflow', 2],
      ['__overflow', 1],
      ['acme', 1],
      ['t0', 1],
      ['t1', 1],
      ['overflow', 98],
    ]);
    expect(sum(samples, OVERFLOW_TOTAL, { metric: 'tenant_hits_total' })).toBe(98);
    expect(aboutSeries('tenant_hits_total')).toHaveLength(1);
  });

  it('sent as X-Tenant to a Koa app, does not set off the overflow alert, and the limit still warns', { timeout: 60_000 }, async () => {
    const { registry, base } = await tenantApp(50);

    await send(2, 1, (i) => ({ url: `${base}/orders`, headers: { 'x-tenant': i ? 'overflow' : 'acme' } }));
    await settled();
    expect(find(await samplesOf(registry), OVERFLOW_TOTAL)).toEqual([]);
    await send(200, 20, (i) => ({ url: `${base}/orders`, headers: { 'x-tenant': `tenant-${i}` } }));
    await settled();
    const samples = await samplesOf(registry);
    expect(sum(samples, 'tenant_requests_total', { tenant: '_overflow' })).toBe(1);
    expect(sum(samples, 'tenant_requests_total', { tenant: 'overflow' })).toBe(152);
    expect(sum(samples, OVERFLOW_TOTAL, { metric: 'tenant_requests_total' })).toBe(152);
    expect(aboutSeries('tenant_requests_total')).toHaveLength(1);
  });
});

describe('static and constant labels', () => {
  it('stay as they are on the overflow series, which promtool accepts in both formats', async () => {
    const registry = new Registry();
    setStaticLabels(registry, { service: 'checkout', version: '1.2.3' });
    const metrics = createHttpMetrics({ registry, defaultMetrics: false, labels: { region: 'eu' }, maxSeries: 1 });
    metrics.start()({ method: 'GET', route: '/a', status: 200 });
    metrics.start()({ method: 'POST', route: '/b', status: 201 });
    const carts = counter({ name: 'carts_total', help: 'Carts.', labelNames: ['cart'], maxSeries: 1, registry });
    carts.inc({ cart: 'x' });
    carts.inc({ cart: 'y' });

    const text = await renderRegistry(registry, 'text');
    const samples = parseExposition(text);
    expect(find(samples, 'http_requests_total', { route: 'overflow' })).toEqual([
      { name: 'http_requests_total', labels: { service: 'checkout', version: '1.2.3', region: 'eu', method: 'POST', route: 'overflow', status_code: '201' }, value: 1 },
    ]);
    expect(find(samples, 'carts_total', { cart: 'overflow' })).toEqual([{ name: 'carts_total', labels: { service: 'checkout', version: '1.2.3', cart: 'overflow' }, value: 1 }]);
    expect(find(samples, OVERFLOW_TOTAL, { metric: 'carts_total' })).toEqual([{ name: OVERFLOW_TOTAL, labels: { service: 'checkout', version: '1.2.3', metric: 'carts_total' }, value: 1 }]);
    expect(await promtoolCheckMetrics(text)).toBe('');
    const openMetrics = await renderRegistry(registry, 'openmetrics');
    expect(openMetrics).toContain('# TYPE promhttp_series_overflow counter');
    expect(openMetrics).toContain('carts_total{service="checkout",version="1.2.3",cart="overflow"} 1');
  });
});

describe('construction', () => {
  it('rejects a maxSeries that is not a whole number of at least 1, naming where', () => {
    const registry = new Registry();
    const base = { name: 'x_total', help: 'X.', labelNames: ['k'], registry };
    expect(() => counter({ ...base, maxSeries: 0 })).toThrow(/^promhttp: counter "x_total": "maxSeries" must be a whole number of at least 1 .*, e\.g\. 2000; got 0\.$/);
    expect(() => gauge({ ...base, name: 'x', maxSeries: 1.5 })).toThrow(/^promhttp: gauge "x": "maxSeries" must be a whole number/);
    expect(() => histogram({ ...base, name: 'x_seconds', maxSeries: '10' as never })).toThrow(/^promhttp: histogram "x_seconds": "maxSeries" .*got the string "10"\.$/);
    expect(() => summary({ ...base, name: 'x_bytes', maxSeries: -1 })).toThrow(/^promhttp: summary "x_bytes": "maxSeries"/);
    expect(() => createHttpMetrics({ registry, defaultMetrics: false, maxSeries: 0 })).toThrow(/^promhttp: createHttpMetrics: "maxSeries" must be a whole number/);
    const metrics = koaMetrics({ registry: new Registry(), defaultMetrics: false });
    expect(() => metrics.counter({ name: 'tenant_total', help: 'T.', labels: { tenant: () => 'a' }, maxSeries: 0 })).toThrow(/^promhttp: koaMetrics\.counter "tenant_total": "maxSeries" must be a whole number/);
    expect(() => metrics.histogram({ name: 'tenant_seconds', help: 'T.', maxSeries: 0.5 })).toThrow(/^promhttp: koaMetrics\.histogram "tenant_seconds": "maxSeries"/);
  });

  it('refuses a second definition of a metric with another maxSeries, naming both', () => {
    const registry = new Registry();
    counter({ name: 'orders_total', help: 'Orders.', labelNames: ['shop'], maxSeries: 100, registry });
    expect(() => counter({ name: 'orders_total', help: 'Orders.', labelNames: ['shop'], maxSeries: 200, registry })).toThrow(
      'promhttp: counter: "orders_total" already exists in this registry as a counter with labels [shop], maxSeries 100; it cannot also be a counter with labels [shop], maxSeries 200.',
    );
    // The default is a value like any other.
    expect(() => counter({ name: 'orders_total', help: 'Orders.', labelNames: ['shop'], registry })).toThrow(/maxSeries 100; it cannot also be a counter with labels \[shop\], maxSeries 2000\./);
    createHttpMetrics({ registry, defaultMetrics: false, maxSeries: 300 });
    expect(() => createHttpMetrics({ registry, defaultMetrics: false })).toThrow(/^promhttp: createHttpMetrics: .*"maxSeries" is 300 there, 2000 here/);
    expect(() => createHttpMetrics({ registry, defaultMetrics: false, maxSeries: 300 })).not.toThrow();
  });
});
