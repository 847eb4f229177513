import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLES, missingPart, prepareExamples, sendTraffic, startExample, type ExampleApp } from './support/examples.js';
import type { Child } from './support/process.js';
import { startPrometheus, type Prometheus } from './support/prometheus.js';
import { scrapeSettled } from './support/scrape.js';

interface Running {
  readonly app: ExampleApp;
  readonly child?: Child & { url: string };
  /** Why the app is not running; its test fails with it. */
  readonly problem?: unknown;
}

let running: Running[] = [];
let prometheus: Prometheus | undefined;

beforeAll(prepareExamples, 180_000);

// One Prometheus scrapes every example (a job each): starting it once keeps the suite short.
beforeAll(async () => {
  running = await Promise.all(
    EXAMPLES.map(async (app): Promise<Running> => {
      const missing = missingPart(app);
      if (missing !== undefined) return { app, problem: new Error(missing) };
      try {
        return { app, child: await startExample(app) };
      } catch (problem) {
        return { app, problem };
      }
    }),
  );
  const jobs = running.flatMap((r) => (r.child ? [{ job: r.app.name, targets: [new URL(r.child.url).host] }] : []));
  if (jobs.length > 0) prometheus = await startPrometheus(jobs);
}, 90_000);

afterAll(async () => {
  await Promise.all([prometheus?.stop(), ...running.map((r) => r.child?.stop())]);
});

async function value(promql: string): Promise<number> {
  return (await prometheus!.query(promql))[0]?.value ?? NaN;
}

describe('end to end with a real Prometheus', () => {
  for (const example of EXAMPLES) {
    it(`${example.name}: Prometheus counts exactly the requests sent and gets a finite p99`, async () => {
      const { child, problem } = running.find((r) => r.app === example)!;
      if (child === undefined) throw problem;
      const job = `job="${example.name}"`;

      // Two rounds of traffic with a scrape between them, so that rate() sees an increase.
      const first = await sendTraffic(child.url, 6);
      await scrapeSettled(child.url);
      await prometheus!.waitForFreshScrape();
      const second = await sendTraffic(child.url, 6);
      await scrapeSettled(child.url);
      await prometheus!.waitForFreshScrape();

      const total = first.total + second.total;
      await prometheus!.waitFor(`sum(http_requests_total{${job}})`, (v) => v === total, 10_000);
      expect(await value(`sum(http_requests_total{${job},status_code="500"})`)).toBe(first.errors + second.errors);
      expect(await value(`sum(http_requests_total{${job},status_code="404"})`)).toBe(first.notFound + second.notFound);
      expect(await value(`sum(http_requests_total{${job},route="/users/:id"})`)).toBe(2 * (6 + 6));
      expect(await value(`sum(http_requests_in_flight{${job}})`)).toBe(0);
      expect(await value(`up{${job}}`)).toBe(1);

      const p99 = await prometheus!.waitFor(
        `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{${job}}[1m])))`,
        Number.isFinite,
        15_000,
      );
      expect(p99).toBeGreaterThan(0);

      // Scrapes are not requests: another scrape later, the count has not moved.
      await prometheus!.waitForFreshScrape();
      expect(await value(`sum(http_requests_total{${job}})`)).toBe(total);
    });
  }
});
