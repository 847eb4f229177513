import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createHttpMetrics, metricsHandler, type HttpMetricsOptions } from 'promhttp';
import { instrument, type NodeMetricsOptions } from 'promhttp/node';

const ok = (): void => {};

/** Core options with a fresh registry, typed loosely on purpose: these are the mistakes users make. */
function core(options: Record<string, unknown>): () => unknown {
  return () => createHttpMetrics({ registry: new Registry(), defaultMetrics: false, ...options } as HttpMetricsOptions);
}

function node(options: Record<string, unknown>): () => unknown {
  return () => instrument(ok, { registry: new Registry(), defaultMetrics: false, ...options } as NodeMetricsOptions);
}

/** [what is wrong, construction that must fail, what the message must say (the fix)] */
const cases: Array<[string, () => unknown, RegExp]> = [
  // Names
  ['a metric name starting with a digit', core({ names: { requests: '1_requests_total' } }), /"1_requests_total" is not a valid metric name\. .*e\.g\. "http_requests_total"/],
  ['a metric name with a dash', core({ names: { duration: 'request-seconds' } }), /"request-seconds" is not a valid metric name\. Use letters, digits, "_" and ":"/],
  ['a request counter name without _total', core({ names: { requests: 'http_requests' } }), /^promhttp: createHttpMetrics: "names\.requests" must end in "_total", as counter names do; write "http_requests_total"\.$/],
  ['a prefixed request counter name without _total', core({ prefix: 'shop_', names: { requests: 'calls' } }), /"names\.requests" must end in "_total", as counter names do; write "calls_total"\./],
  ['three names that are not distinct', core({ names: { requests: 'x_total', duration: 'x_total' } }), /"names" must give three different names/],
  ['an unknown key in names', core({ names: { request: 'x_total' } }), /unknown option "request"\. Did you mean "requests"\?/],
  ['a prefix with a dash', core({ prefix: 'my-app_' }), /prefix "my-app_" is not valid\. .*ending in "_", e\.g\. "myapp_"/],
  ['a prefix without the trailing underscore', core({ prefix: 'myapp' }), /prefix "myapp" is not valid\. .*e\.g\. "myapp_"/],
  ['a prefix that is not a string', core({ prefix: 5 }), /prefix 5 is not valid/],
  // Buckets
  ['unsorted buckets', core({ buckets: [1, 0.5, 2] }), /"buckets" must be strictly increasing without duplicates; 0\.5 follows 1\. Sort them, e\.g\. \[0\.5, 1, 2\]/],
  ['duplicate buckets', core({ buckets: [0.1, 0.1, 1] }), /"buckets" must be strictly increasing without duplicates; 0\.1 follows 0\.1\. Sort them, e\.g\. \[0\.1, 1\]/],
  ['an infinite bucket', core({ buckets: [0.1, Infinity] }), /"buckets" must hold finite numbers \(\+Inf is added for you\), got number Infinity at index 1/],
  ['a NaN bucket', core({ buckets: [NaN] }), /"buckets" must hold finite numbers/],
  ['a bucket given as a string', core({ buckets: [0.1, '1'] }), /"buckets" must hold finite numbers .*the string "1" at index 1/],
  ['empty buckets', core({ buckets: [] }), /"buckets" must be a non-empty array of numbers in seconds, e\.g\. \[0\.01, 0\.1, 1, 10\], got an array/],
  ['a single number as buckets', core({ buckets: 0.5 }), /"buckets" must be a non-empty array .*got number 0\.5/],
  // Unknown keys
  ['"bucket" for "buckets"', core({ bucket: [1] }), /unknown option "bucket"\. Did you mean "buckets"\? Known options: /],
  ['"maxroute" for "maxRoutes"', core({ maxroute: 10 }), /unknown option "maxroute"\. Did you mean "maxRoutes"\?/],
  ['"maxseries" for "maxSeries"', core({ maxseries: 10 }), /unknown option "maxseries"\. Did you mean "maxSeries"\?/],
  ['"exlude" for "exclude"', core({ exlude: ['/health'] }), /unknown option "exlude"\. Did you mean "exclude"\?/],
  ['"pth" for "path" on an adapter', node({ pth: '/m' }), /instrument: unknown option "pth"\. Did you mean "path"\?/],
  ['"includeMetricPath" for "includeMetricsPath"', node({ includeMetricPath: true }), /Did you mean "includeMetricsPath"\?/],
  ['an unknown key with no close match', core({ zzz: 1 }), /unknown option "zzz"\. Known options: registry, prefix/],
  // Wrong types
  ['maxRoutes as a string', core({ maxRoutes: '100' }), /"maxRoutes" must be a whole number of at least 1, got the string "100"/],
  ['maxRoutes of 0', core({ maxRoutes: 0 }), /"maxRoutes" must be a whole number of at least 1, got 0/],
  ['a fractional maxRoutes', core({ maxRoutes: 2.5 }), /"maxRoutes" must be a whole number of at least 1, got 2\.5/],
  ['maxSeries as a string', core({ maxSeries: '100' }), /createHttpMetrics: "maxSeries" must be a whole number of at least 1 .*, e\.g\. 2000; got the string "100"/],
  ['maxSeries of 0', core({ maxSeries: 0 }), /"maxSeries" must be a whole number of at least 1 .*got 0\./],
  ['a fractional maxSeries', core({ maxSeries: 2.5 }), /"maxSeries" must be a whole number of at least 1 .*got 2\.5/],
  ['an infinite maxSeries', core({ maxSeries: Infinity }), /"maxSeries" must be a whole number of at least 1 .*got Infinity/],
  ['maxSeries of 0 on an adapter', node({ maxSeries: 0 }), /^promhttp: createHttpMetrics: "maxSeries" must be a whole number/],
  ['exclude as a number', core({ exclude: 42 }), /"exclude" takes paths, RegExps or functions \(path\) => boolean, got number 42/],
  ['an exclude path without a leading slash', core({ exclude: ['health'] }), /exclude path "health" must start with "\/", e\.g\. "\/health"/],
  ['defaultMetrics as a string', core({ defaultMetrics: 'no' }), /"defaultMetrics" must be true or false, got the string "no"/],
  ['a registry that is not a Registry', core({ registry: {} }), /"registry" must be a prom-client Registry \(new Registry\(\)\)/],
  ['options that are not an object', () => createHttpMetrics('fast' as never), /createHttpMetrics takes an options object, got the string "fast"/],
  ['path as an object', node({ path: { url: '/metrics' } }), /instrument: "path" must be a path starting with "\/" \(e\.g\. "\/metrics"\) or false/],
  ['path without a leading slash', node({ path: 'metrics' }), /"path" must be a path starting with "\/" \(e\.g\. "\/metrics"\) or false, got "metrics"/],
  ['includeMetricsPath as a string', node({ includeMetricsPath: 'yes' }), /"includeMetricsPath" must be true or false/],
  ['route as a string other than "path"', node({ route: '/users/:id' }), /instrument: "route" must be a function of the request returning the route label, or "path"/],
  ['a listener that is not a function', () => instrument('app' as never), /instrument: the first argument must be your request listener/],
  // metrics together with core options
  [
    'metrics together with buckets',
    () => instrument(ok, { metrics: createHttpMetrics({ registry: new Registry(), defaultMetrics: false }), buckets: [1] }),
    /instrument: "buckets" configures new metrics, but "metrics" passes existing ones\. Give it to createHttpMetrics\(\) instead/,
  ],
  [
    'metrics together with registry',
    () => instrument(ok, { metrics: createHttpMetrics({ registry: new Registry(), defaultMetrics: false }), registry: new Registry() }),
    /"registry" configures new metrics, .*Give it to createHttpMetrics\(\) instead/,
  ],
  ['metrics that do not come from createHttpMetrics', node({ metrics: {} }), /"metrics" must come from createHttpMetrics\(\)/],
  [
    'metricsHandler with both metrics and registry',
    () => metricsHandler({ metrics: createHttpMetrics({ registry: new Registry(), defaultMetrics: false }), registry: new Registry() }),
    /metricsHandler: give "metrics" or "registry", not both/,
  ],
  ['metricsHandler with an unknown option', () => metricsHandler({ regsitry: new Registry() } as never), /metricsHandler: unknown option "regsitry"\. Did you mean "registry"\?/],
  // Static labels
  ['a static label name starting with a digit', core({ labels: { '1zone': 'a' } }), /"1zone" is not a valid label name\. .*e\.g\. "service"/],
  ['a static label name with a dash', core({ labels: { 'service-name': 'a' } }), /"service-name" is not a valid label name/],
  ['a static label name starting with __', core({ labels: { __name__: 'a' } }), /"__name__" is not a valid label name\. .*do not start with a digit or "__"/],
  ['the reserved label route', core({ labels: { route: '/x' } }), /"labels" cannot set "route", which promhttp sets on every request\. Pick another name/],
  ['the reserved label le', core({ labels: { le: '1' } }), /"labels" cannot set "le"/],
  ['the reserved label method', core({ labels: { method: 'GET' } }), /"labels" cannot set "method"/],
  ['the reserved label status_code', core({ labels: { status_code: '200' } }), /"labels" cannot set "status_code"/],
  ['a static label value that is not a string', core({ labels: { version: 2 } }), /"labels\.version" must be a string, got number 2/],
  ['labels as an array', core({ labels: ['service'] }), /"labels" takes an options object, got an array/],
];

describe('invalid options fail at construction with a promhttp TypeError that names the fix', () => {
  for (const [what, construct, fix] of cases) {
    it(what, () => {
      let thrown: unknown;
      try {
        construct();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(TypeError);
      const message = (thrown as TypeError).message;
      expect(message).toMatch(/^promhttp: /);
      expect(message).toMatch(fix);
    });
  }
});

describe('valid options', () => {
  it('accepts every option at once', () => {
    expect(() =>
      instrument(ok, {
        registry: new Registry(),
        prefix: 'shop_',
        names: { requests: 'calls_total', duration: 'call_seconds', inFlight: 'calls_in_flight' },
        buckets: [0.01, 0.1, 1],
        defaultMetrics: false,
        labels: { service: 'checkout' },
        maxRoutes: 50,
        exclude: ['/health', /^\/static\//, (path) => path === '/ready'],
        path: '/-/metrics',
        includeMetricsPath: true,
        route: () => '/x',
      }),
    ).not.toThrow();
  });
});
