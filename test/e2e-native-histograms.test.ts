// A real Prometheus 2.42 with native histograms on scrapes two apps whose request histogram has
// native histograms, over protobuf: one process, and node:cluster with 4 workers in directory mode.
// Their handlers sleep chosen durations (9 in 10 requests 5 ms, 1 in 10 925 ms), so the p99 is
// known to lie among the slow requests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Child } from './support/process.js';
import { startPrometheus, type Prometheus } from './support/prometheus.js';
import { load, processes, runTs, tempDir } from './fixtures/mp-support.js';
import { parseExposition, sum } from './support/scrape.js';

const procs = processes();
const dir = tempDir();
let single: Child & { url: string };
let cluster: Child & { url: string };
let prometheus: Prometheus;

const WORKERS = 4;
const SLOW_MS = 925;
const SLOW_EVERY = 10;
/**
 * The native bucket of schema 3 (bucket factor 1.1 → 2^(1/8)) holding every slow request: (2^(-1/8), 1] s,
 * from 917.0 ms to 1 s. A slow request takes 925 ms and the time its handler and the event loop
 * add, which stays under the 75 ms to the bucket's upper bound even on a loaded machine.
 */
const SLOW_BUCKET = [2 ** (-1 / 8), 1] as const;
/** 2^(1/8) − 1: no quantile estimated within one bucket is further from the true one, relatively. */
const RELATIVE_ERROR = 2 ** (1 / 8) - 1;
const WARM_UP = 100;
const TRAFFIC = 200;

const path = (i: number): string => (i % SLOW_EVERY === 0 ? '/slow' : '/fast');

beforeAll(async () => {
  const apps = [procs.track(runTs('native-app.ts', { PORT: '0' })), procs.track(runTs('mp-cluster.ts', { MP_APP: 'native-app.ts', WORKERS: String(WORKERS), PORT: '0', PROMETHEUS_MULTIPROC_DIR: dir.path }))];
  const urls = await Promise.all(apps.map((child) => child.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 30_000)));
  single = Object.assign(apps[0]!, { url: urls[0]! });
  cluster = Object.assign(apps[1]!, { url: urls[1]! });
  // Traffic before Prometheus starts, so its first scrape of every series already counts WARM_UP
  // requests. Prometheus 2.42's rate() stops a counter's extrapolation where it would reach zero,
  // not a native histogram's: from a first sample this large, neither reaches zero within the
  // extrapolated half interval, and both rates are extrapolated alike.
  for (const url of urls) expect((await load(url, WARM_UP, 20, path)).failed).toBe(0);
  prometheus = await startPrometheus(
    [
      { job: 'native-single', targets: [new URL(single.url).host] },
      { job: 'native-directory', targets: [new URL(cluster.url).host] },
    ],
    { features: ['native-histograms'] },
  );
}, 90_000);

afterAll(async () => {
  await prometheus?.stop();
  await procs.stopAll();
  dir.remove();
});

async function value(promql: string): Promise<number> {
  return (await prometheus.query(promql))[0]?.value ?? NaN;
}

/** A query evaluated at `time` (unix seconds): two rates compared must end at the same instant, or their extrapolation differs. */
async function valueAt(promql: string, time: number): Promise<number> {
  const response = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(promql)}&time=${time}`);
  const body = (await response.json()) as { status: string; error?: string; data: { result: Array<{ value: [number, string] }> } };
  if (body.status !== 'success') throw new Error(`query ${promql} failed: ${body.error}`);
  return Number(body.data.result[0]?.value[1] ?? NaN);
}

/** The raw instant vector of a query: native histogram samples come as `histogram`, not `value`. */
async function raw(promql: string): Promise<Array<{ metric: Record<string, string>; value?: unknown; histogram?: [number, { count: string; buckets?: unknown[] }] }>> {
  const response = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await response.json()) as { status: string; data: { result: Array<{ metric: Record<string, string>; histogram?: [number, { count: string }] }> } };
  expect(body.status).toBe('success');
  return body.data.result;
}


describe('native histograms in a real Prometheus 2.42 (--enable-feature=native-histograms)', () => {
  for (const job of ['native-single', 'native-directory'] as const) {
    it(`${job}: histogram_count agrees with the request counter, histogram_sum with the app's sum, and the p99 lands within the bucket factor's error`, { timeout: 60_000 }, async () => {
      const base = job === 'native-single' ? single.url : cluster.url;
      const selector = `{job="${job}"}`;
      await prometheus.waitForFreshScrape();
      const { ok, failed, byPid } = await load(base, TRAFFIC, 20, path);
      expect([ok, failed]).toEqual([TRAFFIC, 0]);
      if (job === 'native-directory') expect(byPid.size).toBe(WORKERS);
      const total = WARM_UP + TRAFFIC;
      await prometheus.waitFor(`sum(http_requests_total${selector})`, (v) => v === total, 15_000);
      await prometheus.waitFor(`histogram_count(sum(http_request_duration_seconds${selector}))`, (v) => v === total, 15_000);

      // histogram_sum reads the sum of the durations, in seconds: what the app's own text scrape shows now that the traffic has stopped.
      const text = parseExposition(await (await fetch(`${base}/metrics`)).text());
      const appSum = sum(text, 'http_request_duration_seconds_sum');
      expect(appSum).toBeGreaterThan(0);
      expect(Math.abs((await value(`histogram_sum(sum(http_request_duration_seconds${selector}))`)) - appSum)).toBeLessThanOrEqual(1e-9 * appSum);

      // Prometheus kept the native histogram only: no classic series, a histogram sample per series.
      expect(await raw(`http_request_duration_seconds_bucket${selector}`)).toEqual([]);
      const stored = await raw(`http_request_duration_seconds${selector}`);
      expect(stored.map((s) => s.metric.route).sort()).toEqual(['/fast', '/slow']);
      expect(stored.every((s) => s.histogram !== undefined && s.value === undefined)).toBe(true);

      // Enough samples in the window that the first one is more than 1.1 intervals' worth of increase above zero.
      await prometheus.waitFor(`count_over_time(up${selector}[1m])`, (v) => v >= 6, 15_000);
      const now = Date.now() / 1000;
      const requestRate = await valueAt(`sum(rate(http_requests_total${selector}[1m]))`, now);
      const histogramRate = await valueAt(`histogram_count(sum(rate(http_request_duration_seconds${selector}[1m])))`, now);
      expect(requestRate).toBeGreaterThan(0);
      expect(Math.abs(histogramRate - requestRate)).toBeLessThanOrEqual(1e-9 * requestRate);

      // One request in ten is slow, so the 99th percentile is a slow request's duration. It lies in
      // the bucket (917 ms, 1 s], and so does any estimate from that bucket: the estimate is within
      // a relative error of 2^(1/8) − 1 = 9.05 % of it.
      const p99 = await value(`histogram_quantile(0.99, sum(rate(http_request_duration_seconds${selector}[1m])))`);
      expect(p99).toBeGreaterThanOrEqual(SLOW_BUCKET[0]);
      expect(p99).toBeLessThanOrEqual(SLOW_BUCKET[1]);
      expect(Math.abs(p99 - SLOW_MS / 1000) / (SLOW_MS / 1000)).toBeLessThan(RELATIVE_ERROR);
      // The median is a fast request's, far below.
      expect(await value(`histogram_quantile(0.5, sum(rate(http_request_duration_seconds${selector}[1m])))`)).toBeLessThan(0.1);
    });
  }
});
