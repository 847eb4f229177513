import { Gauge, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instrument } from 'promhttp/node';
import { EXAMPLES, missingPart, prepareExamples, sendTraffic, startExample } from './support/examples.js';

beforeAll(prepareExamples, 180_000);
import { listen, request, type Listening } from './support/http.js';
import type { Child } from './support/process.js';
import { promtoolCheckMetrics } from './support/prometheus.js';
import { find, parseExposition, scrapeSettled, sum } from './support/scrape.js';

/**
 * What promtool says about prom-client's default metrics, which promhttp registers but does not
 * name: these three are gauges whose names end in `_total`. Anything else promtool says fails.
 */
const DEFAULT_METRICS_COMPLAINTS: readonly string[] = [
  'nodejs_active_handles_total non-counter metrics should not have "_total" suffix',
  'nodejs_active_requests_total non-counter metrics should not have "_total" suffix',
  'nodejs_active_resources_total non-counter metrics should not have "_total" suffix',
];

/** promtool's complaints about a text exposition, minus the known default-metrics ones. */
async function complaints(exposition: string): Promise<string[]> {
  const output = (await promtoolCheckMetrics(exposition)).replace(/^exit \d+: /, '');
  return output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !DEFAULT_METRICS_COMPLAINTS.includes(line));
}

/** The text-format exposition (what promtool parses), scraped without an Accept header. */
async function textExposition(url: string): Promise<string> {
  const response = await request(`${url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.body.toString();
}

/** promhttp's three families must be there, or a clean check would prove nothing. */
function expectRequestMetrics(exposition: string, requests: number): void {
  const samples = parseExposition(exposition);
  expect(sum(samples, 'http_requests_total')).toBe(requests);
  expect(sum(samples, 'http_request_duration_seconds_count')).toBe(requests);
  expect(find(samples, 'http_requests_in_flight')).toHaveLength(1);
}

const open: Listening[] = [];
const children: Child[] = [];
afterAll(async () => {
  await Promise.all([...open.map((l) => l.close()), ...children.map((c) => c.stop())]);
});

describe('promtool check metrics', () => {
  it('reports a problem the filter does not cover (the check can fail)', async () => {
    const registry = new Registry();
    new Gauge({ name: 'queue_jobs_total', help: 'A gauge misnamed as a counter.', registers: [registry] }).set(1);
    expect(await complaints(await registry.metrics())).toEqual(['queue_jobs_total non-counter metrics should not have "_total" suffix']);
  });

  it('finds nothing wrong with promhttp/node output after 200s, 404s, 500s, odd methods and escaped labels', async () => {
    const app = await listen(
      instrument(
        (req, res) => {
          if (req.url === '/error') res.statusCode = 500;
          else if (req.url?.startsWith('/nope')) res.statusCode = 404;
          res.end();
        },
        { registry: new Registry(), labels: { service: 'shop' }, route: (req) => (req.url === '/odd' ? 'quote " backslash \\ newline \n' : req.url?.split('?')[0]) },
      ),
    );
    open.push(app);
    const paths = ['/', '/users/1', '/error', '/nope', '/nope/2', '/odd', '/?q=1'];
    for (const path of paths) await request(`${app.url}${path}`);
    await request(`${app.url}/dav`, { method: 'PROPFIND' });
    await scrapeSettled(app.url);
    const exposition = await textExposition(app.url);
    expectRequestMetrics(exposition, paths.length + 1);
    expect(await complaints(exposition)).toEqual([]);
  });

  for (const example of EXAMPLES) {
    it(`finds nothing wrong with the ${example.name} example's output after traffic with errors and 404s`, async () => {
      const missing = missingPart(example);
      if (missing !== undefined) throw new Error(missing);
      const app = await startExample(example);
      children.push(app);
      const traffic = await sendTraffic(app.url, 4);
      expect(traffic.errors).toBeGreaterThan(0);
      expect(traffic.notFound).toBeGreaterThan(0);
      await scrapeSettled(app.url);
      const exposition = await textExposition(app.url);
      expectRequestMetrics(exposition, traffic.total);
      expect(await complaints(exposition)).toEqual([]);
      await app.stop();
    });
  }
});
