import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createHttpMetrics, renderRegistry, type HttpMetrics } from 'promhttp';
import { find, parseExposition, sum, type Sample } from './support/scrape.js';

async function samplesOf(metrics: HttpMetrics): Promise<Sample[]> {
  const exposition = await metrics.render();
  expect(exposition.status).toBe(200);
  return parseExposition(exposition.body as string);
}

function fresh(options: Parameters<typeof createHttpMetrics>[0] = {}): HttpMetrics {
  return createHttpMetrics({ registry: new Registry(), defaultMetrics: false, ...options });
}

describe('start() and end()', () => {
  it('records a request exactly once however often end is called', async () => {
    const metrics = fresh();
    const end = metrics.start();
    end({ method: 'GET', route: '/users/:id', status: 200 });
    end({ method: 'GET', route: '/users/:id', status: 200 });
    end({ method: 'POST', route: '/other', status: 500 });
    const samples = await samplesOf(metrics);
    expect(find(samples, 'http_requests_total')).toEqual([
      { name: 'http_requests_total', labels: { method: 'GET', route: '/users/:id', status_code: '200' }, value: 1 },
    ]);
    expect(sum(samples, 'http_request_duration_seconds_count')).toBe(1);
    expect(sum(samples, 'http_request_duration_seconds_bucket', { le: '+Inf' })).toBe(1);
  });

  it('counts a request in flight from start until end, then back to 0', async () => {
    const metrics = fresh();
    const first = metrics.start();
    const second = metrics.start();
    expect(sum(await samplesOf(metrics), 'http_requests_in_flight')).toBe(2);
    first({ method: 'GET', route: '/', status: 200 });
    expect(sum(await samplesOf(metrics), 'http_requests_in_flight')).toBe(1);
    second({ method: 'GET', route: '/', status: 200 });
    second({ method: 'GET', route: '/', status: 200 });
    expect(sum(await samplesOf(metrics), 'http_requests_in_flight')).toBe(0);
  });

  it('records a duration that covers the time between start and end', async () => {
    const metrics = fresh();
    const end = metrics.start();
    await new Promise((resolve) => setTimeout(resolve, 30));
    end({ method: 'GET', route: '/', status: 200 });
    const samples = await samplesOf(metrics);
    // The sleep guarantees a lower bound only; an upper bound would be a timing assertion.
    expect(sum(samples, 'http_request_duration_seconds_sum')).toBeGreaterThanOrEqual(0.025);
    expect(sum(samples, 'http_request_duration_seconds_bucket', { le: '0.025' })).toBe(0);
    expect(sum(samples, 'http_request_duration_seconds_bucket', { le: '+Inf' })).toBe(1);
  });

  it('records a missing result as _OTHER, unmatched and unknown instead of throwing', async () => {
    const metrics = fresh();
    const end = metrics.start();
    expect(() => end(undefined as never)).not.toThrow();
    const samples = await samplesOf(metrics);
    expect(sum(samples, 'http_requests_total', { method: '_OTHER', route: 'unmatched', status_code: 'unknown' })).toBe(1);
    expect(sum(samples, 'http_requests_in_flight')).toBe(0);
  });
});

describe('begin() and finish()', () => {
  it('records one request per finish and returns in-flight to 0', async () => {
    const metrics = fresh();
    const a = metrics.begin();
    const b = metrics.begin();
    expect(sum(await samplesOf(metrics), 'http_requests_in_flight')).toBe(2);
    metrics.finish(a, 'GET', '/a', 200);
    metrics.finish(b, 'DELETE', '/b', 204);
    const samples = await samplesOf(metrics);
    expect(sum(samples, 'http_requests_in_flight')).toBe(0);
    expect(sum(samples, 'http_requests_total', { method: 'GET', route: '/a', status_code: '200' })).toBe(1);
    expect(sum(samples, 'http_requests_total', { method: 'DELETE', route: '/b', status_code: '204' })).toBe(1);
    expect(sum(samples, 'http_request_duration_seconds_count', { method: 'DELETE', route: '/b', status_code: '204' })).toBe(1);
  });
});

describe('bounded labels', () => {
  it('labels an undefined or empty route as unmatched', async () => {
    const metrics = fresh();
    metrics.finish(metrics.begin(), 'GET', undefined, 404);
    metrics.finish(metrics.begin(), 'GET', '', 404);
    const samples = await samplesOf(metrics);
    expect(find(samples, 'http_requests_total').map((s) => s.labels.route)).toEqual(['unmatched']);
    expect(sum(samples, 'http_requests_total', { route: 'unmatched' })).toBe(2);
  });

  it('labels non-standard methods _OTHER and keeps the standard ones', async () => {
    const metrics = fresh();
    for (const method of ['PROPFIND', 'BREW', 'get', '', 'PATCH', 'OPTIONS']) metrics.finish(metrics.begin(), method, '/', 200);
    const samples = await samplesOf(metrics);
    expect(sum(samples, 'http_requests_total', { method: '_OTHER' })).toBe(4);
    expect(sum(samples, 'http_requests_total', { method: 'PATCH' })).toBe(1);
    expect(sum(samples, 'http_requests_total', { method: 'OPTIONS' })).toBe(1);
    expect(new Set(find(samples, 'http_requests_total').map((s) => s.labels.method))).toEqual(new Set(['_OTHER', 'PATCH', 'OPTIONS']));
  });

  it('labels a status that is not an HTTP status code unknown', async () => {
    const metrics = fresh();
    for (const status of [NaN, 0, 99, 600, 200.5, -1, Infinity, '200' as never, undefined as never]) metrics.finish(metrics.begin(), 'GET', '/', status);
    metrics.finish(metrics.begin(), 'GET', '/', 599);
    const samples = await samplesOf(metrics);
    expect(sum(samples, 'http_requests_total', { status_code: 'unknown' })).toBe(9);
    expect(sum(samples, 'http_requests_total', { status_code: '599' })).toBe(1);
  });

  it('labels routes beyond maxRoutes overflow and keeps counting them', async () => {
    const metrics = fresh({ maxRoutes: 3 });
    for (const route of ['/a', '/b', '/c', '/d', '/e', '/a', '/d']) metrics.finish(metrics.begin(), 'GET', route, 200);
    const samples = await samplesOf(metrics);
    const routes = find(samples, 'http_requests_total').map((s) => s.labels.route);
    expect(new Set(routes)).toEqual(new Set(['/a', '/b', '/c', 'overflow']));
    expect(sum(samples, 'http_requests_total', { route: '/a' })).toBe(2);
    expect(sum(samples, 'http_requests_total', { route: 'overflow' })).toBe(3);
    expect(sum(samples, 'http_requests_total')).toBe(7);
    expect(sum(samples, 'http_requests_in_flight')).toBe(0);
  });

  it('keeps 404s unmatched past the maxRoutes cap', async () => {
    const metrics = fresh({ maxRoutes: 2 });
    for (const route of ['/a', '/b', '/c']) metrics.finish(metrics.begin(), 'GET', route, 200);
    metrics.finish(metrics.begin(), 'GET', undefined, 404);
    const samples = await samplesOf(metrics);
    expect(find(samples, 'http_requests_total').map((s) => [s.labels.route, s.value])).toEqual([
      ['/a', 1],
      ['/b', 1],
      ['overflow', 1],
      ['unmatched', 1],
    ]);
  });
});

describe('registration', () => {
  it('creating the metrics twice in one registry does not throw and shares the counts', async () => {
    const registry = new Registry();
    const first = createHttpMetrics({ registry });
    const second = createHttpMetrics({ registry });
    first.finish(first.begin(), 'GET', '/', 200);
    second.finish(second.begin(), 'GET', '/', 200);
    const samples = await samplesOf(second);
    expect(sum(samples, 'http_requests_total', { route: '/' })).toBe(2);
    expect(sum(samples, 'http_request_duration_seconds_count', { route: '/' })).toBe(2);
    // Each family, and the default metrics, appear once.
    const text = (await first.render()).body as string;
    expect(text.match(/^# TYPE http_requests_total /gm)).toHaveLength(1);
    expect(text.match(/^# TYPE process_cpu_user_seconds_total /gm)).toHaveLength(1);
  });

  it('fails with a promhttp TypeError when a plain prom-client metric already has the name', () => {
    const registry = new Registry();
    new Counter({ name: 'http_requests_total', help: 'mine', registers: [registry] });
    expect(() => createHttpMetrics({ registry, defaultMetrics: false })).toThrow(TypeError);
    expect(() => createHttpMetrics({ registry, defaultMetrics: false })).toThrow(/^promhttp: .*"http_requests_total".*Choose another name \(the "names" or "prefix" option\)/);
  });

  it('refuses a second createHttpMetrics on the same metrics with other labels, buckets, maxRoutes or names, naming the difference', () => {
    const registry = new Registry();
    createHttpMetrics({ registry, defaultMetrics: false, labels: { service: 'a' }, buckets: [0.1, 1], maxRoutes: 2 });
    const again = (options: Parameters<typeof createHttpMetrics>[0]) => () =>
      createHttpMetrics({ registry, defaultMetrics: false, labels: { service: 'a' }, buckets: [0.1, 1], maxRoutes: 2, ...options });
    expect(again({ labels: { service: 'b' } })).toThrow(TypeError);
    expect(again({ labels: { service: 'b' } })).toThrow(
      /^promhttp: createHttpMetrics: "http_request_duration_seconds" is already recorded in this registry by an earlier createHttpMetrics with other options: "labels" are \{service="a"\} there, \{service="b"\} here\. Give every createHttpMetrics on one registry the same options/,
    );
    expect(again({ labels: {} })).toThrow(/^promhttp: createHttpMetrics: .*"labels" are \{service="a"\} there, \{\} here/);
    expect(again({ buckets: [0.1, 2] })).toThrow(/^promhttp: createHttpMetrics: .*"buckets" are \[0\.1, 1\] there, \[0\.1, 2\] here/);
    expect(again({ maxRoutes: 3 })).toThrow(/^promhttp: createHttpMetrics: .*"maxRoutes" is 2 there, 3 here/);
    // Sharing one of the three metrics under another set of names is a conflict too.
    expect(again({ names: { requests: 'web_requests_total' } })).toThrow(/^promhttp: createHttpMetrics: .*"names\.requests" is "http_requests_total" there, "web_requests_total" here/);
    // The same options again (a hot reload) still work.
    expect(again({})).not.toThrow();
  });

  it('takes the same constant labels in another key order for the same definition, and records into the same series', async () => {
    const registry = new Registry();
    const first = createHttpMetrics({ registry, defaultMetrics: false, labels: { service: 'shop', region: 'eu' } });
    const second = createHttpMetrics({ registry, defaultMetrics: false, labels: { region: 'eu', service: 'shop' } });
    first.start()({ method: 'GET', route: '/a', status: 200 });
    second.start()({ method: 'GET', route: '/a', status: 200 });
    const samples = find(parseExposition(await renderRegistry(registry, 'text')), 'http_requests_total');
    expect(samples.map((s) => [s.labels, s.value])).toEqual([[{ service: 'shop', region: 'eu', method: 'GET', route: '/a', status_code: '200' }, 2]]);
    expect(() => createHttpMetrics({ registry, defaultMetrics: false, labels: { region: 'us', service: 'shop' } })).toThrow(/"labels" are \{service="shop", region="eu"\} there, \{region="us", service="shop"\} here/);
  });

  it('keeps maxRoutes for the metrics, not per instance: two instances, or a reload, share one budget', async () => {
    const registry = new Registry();
    const first = createHttpMetrics({ registry, defaultMetrics: false, maxRoutes: 2 });
    const second = createHttpMetrics({ registry, defaultMetrics: false, maxRoutes: 2 });
    first.finish(first.begin(), 'GET', '/a', 200);
    second.finish(second.begin(), 'GET', '/b', 200);
    second.finish(second.begin(), 'GET', '/c', 200);
    first.finish(first.begin(), 'GET', '/d', 200);
    const reloaded = createHttpMetrics({ registry, defaultMetrics: false, maxRoutes: 2 });
    reloaded.finish(reloaded.begin(), 'GET', '/e', 200);
    reloaded.finish(reloaded.begin(), 'GET', '/a', 200);
    const routes = find(await samplesOf(reloaded), 'http_requests_total').map((s) => [s.labels.route, s.value]);
    expect(routes).toEqual([
      ['/a', 2],
      ['/b', 1],
      ['overflow', 3],
    ]);
  });

  it('registers the default process metrics unless defaultMetrics is false', async () => {
    const withDefaults = await samplesOf(createHttpMetrics({ registry: new Registry() }));
    expect(find(withDefaults, 'process_cpu_user_seconds_total')).toHaveLength(1);
    expect(find(withDefaults, 'nodejs_eventloop_lag_seconds')).toHaveLength(1);
    const without = await samplesOf(createHttpMetrics({ registry: new Registry(), defaultMetrics: false }));
    expect(without.filter((s) => !s.name.startsWith('http_'))).toEqual([]);
  });

  it('applies prefix to every name and names overrides on top of it', async () => {
    const metrics = fresh({ prefix: 'shop_', names: { requests: 'api_calls_total' } });
    metrics.finish(metrics.begin(), 'GET', '/', 200);
    const names = new Set((await samplesOf(metrics)).map((s) => s.name));
    expect(names).toEqual(
      new Set([
        'shop_api_calls_total',
        'shop_http_request_duration_seconds_bucket',
        'shop_http_request_duration_seconds_sum',
        'shop_http_request_duration_seconds_count',
        'shop_http_requests_in_flight',
      ]),
    );
  });

  it('puts static labels on every request metric, in-flight included', async () => {
    const metrics = fresh({ labels: { service: 'checkout', region: 'eu-west-1' } });
    metrics.finish(metrics.begin(), 'GET', '/', 200);
    const samples = await samplesOf(metrics);
    expect(samples.length).toBeGreaterThan(3);
    for (const s of samples) expect(s.labels).toMatchObject({ service: 'checkout', region: 'eu-west-1' });
    expect(sum(samples, 'http_requests_total', { service: 'checkout', route: '/' })).toBe(1);
  });

  it('shows the same values through prom-client\'s own registry.metrics()', async () => {
    const metrics = fresh({ labels: { service: 'api' } });
    for (let i = 0; i < 5; i++) metrics.finish(metrics.begin(), 'GET', '/users/:id', 200);
    metrics.finish(metrics.begin(), 'POST', '/users', 500);
    metrics.begin();
    const ours = await samplesOf(metrics);
    const theirs = parseExposition(await metrics.registry.metrics());
    const key = (s: Sample): string => `${s.name}${JSON.stringify(Object.entries(s.labels).sort())} ${s.value}`;
    expect(theirs.map(key).sort()).toEqual(ours.map(key).sort());
    expect(sum(theirs, 'http_requests_total', { route: '/users/:id', service: 'api' })).toBe(5);
    expect(sum(theirs, 'http_request_duration_seconds_count', { route: '/users', status_code: '500' })).toBe(1);
    expect(sum(theirs, 'http_requests_in_flight')).toBe(1);
  });
});
