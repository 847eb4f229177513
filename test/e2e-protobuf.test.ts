import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricsHandler } from 'promhttp';
import { everyType } from './fixtures/every-type.js';
import { EXAMPLES, missingPart, sendTraffic, startExample } from './support/examples.js';
import { listen, type Listening } from './support/http.js';
import type { Child } from './support/process.js';
import { startPrometheus, type Prometheus } from './support/prometheus.js';
import { PROTOBUF } from './support/protobuf.js';
import { recordingProxy, type RecordingProxy } from './support/recording-proxy.js';
import { scrapeSettled } from './support/scrape.js';

const TEXT = 'text/plain; version=0.0.4; charset=utf-8';
/**
 * One example per runtime, and with them the node, Hono and fetch adapters; Koa's and the rest
 * answer protobuf through the same scrape answer (test/protobuf.test.ts asks each of them).
 */
const APPS = EXAMPLES.filter((app) => ['node-http', 'hono-bun', 'deno-serve'].includes(app.name));

interface Running {
  readonly name: string;
  readonly child?: Child & { url: string };
  readonly proxy?: RecordingProxy;
  /** Why the app is not running; its test fails with it. */
  readonly problem?: unknown;
}

let running: Running[] = [];
let types: Listening | undefined;
let asProtobuf: RecordingProxy | undefined;
let asText: RecordingProxy | undefined;
let prometheus: Prometheus | undefined;

// One Prometheus with native histograms on, which asks for protobuf first, scrapes every example
// through a proxy that records what was negotiated, and the registry of every metric type twice:
// once as it asks, once told to ask for the text format.
beforeAll(async () => {
  running = await Promise.all(
    APPS.map(async (app): Promise<Running> => {
      const missing = missingPart(app);
      if (missing !== undefined) return { name: app.name, problem: new Error(missing) };
      try {
        const child = await startExample(app);
        return { name: app.name, child, proxy: await recordingProxy(child.url) };
      } catch (problem) {
        return { name: app.name, problem };
      }
    }),
  );
  types = await listen(metricsHandler({ registry: everyType() }));
  asProtobuf = await recordingProxy(types.url);
  asText = await recordingProxy(types.url, 'text/plain;version=0.0.4');
  prometheus = await startPrometheus(
    [
      ...running.flatMap((r) => (r.proxy ? [{ job: r.name, targets: [r.proxy.address] }] : [])),
      { job: 'types-protobuf', targets: [asProtobuf.address] },
      { job: 'types-text', targets: [asText.address] },
    ],
    { features: ['native-histograms'] },
  );
}, 90_000);

afterAll(async () => {
  await Promise.all([prometheus?.stop(), types?.close(), asProtobuf?.close(), asText?.close(), ...running.flatMap((r) => [r.child?.stop(), r.proxy?.close()])]);
});

async function value(promql: string): Promise<number> {
  return (await prometheus!.query(promql))[0]?.value ?? NaN;
}

/** Every metric scrapes put in a job, job and instance aside, `le` and `quantile` read as numbers. */
async function seriesOf(job: string): Promise<string[]> {
  const result = await prometheus!.query(`{job="${job}",__name__!~"up|scrape_.+"}`);
  return result
    .map(({ metric, value: v }) => {
      const { job: _job, instance: _instance, ...labels } = metric;
      // Prometheus 2.42 stores the bounds it reads from protobuf as OpenMetrics writes them (1 as
      // "1.0") and those of the text format as written: the same number either way.
      for (const name of ['le', 'quantile']) if (labels[name] !== undefined) labels[name] = String(Number(labels[name]));
      return `${JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))} ${v}`;
    })
    .sort();
}

/** `metric type help` of every family Prometheus keeps for a job's target. */
async function metadataOf(job: string): Promise<string[]> {
  const response = await fetch(`${prometheus!.url}/api/v1/targets/metadata?match_target=${encodeURIComponent(`{job="${job}"}`)}`);
  const body = (await response.json()) as { data: Array<{ metric: string; type: string; help: string }> };
  return body.data.map((m) => `${m.metric} ${m.type} ${JSON.stringify(m.help)}`).sort();
}

describe('a real Prometheus with native histograms on, over protobuf', () => {
  for (const example of APPS) {
    it(`${example.name}: negotiates protobuf and counts exactly the requests sent`, async () => {
      const { child, proxy, problem } = running.find((r) => r.name === example.name)!;
      if (child === undefined || proxy === undefined) throw problem;
      const job = `job="${example.name}"`;
      const first = await sendTraffic(child.url, 5);
      await scrapeSettled(child.url);
      await prometheus!.waitForFreshScrape();
      const second = await sendTraffic(child.url, 5);
      await scrapeSettled(child.url);
      await prometheus!.waitForFreshScrape();

      const total = first.total + second.total;
      await prometheus!.waitFor(`sum(http_requests_total{${job}})`, (v) => v === total, 10_000);
      expect(await value(`sum(http_requests_total{${job},status_code="500"})`)).toBe(first.errors + second.errors);
      expect(await value(`sum(http_request_duration_seconds_count{${job}})`)).toBe(total);
      expect(await value(`sum(http_request_duration_seconds_bucket{${job},le="+Inf"})`)).toBe(total);
      expect(await value(`up{${job}}`)).toBe(1);

      // Prometheus asked for protobuf first and every answer it got was protobuf.
      const scrapes = proxy.exchanges.filter((e) => e.path === '/metrics');
      expect(scrapes.length).toBeGreaterThan(1);
      expect(scrapes.every((e) => e.accept?.startsWith('application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,') && e.status === 200 && e.contentType === PROTOBUF)).toBe(true);
    });
  }

  it('stores every metric type read over protobuf as it stores the text format: the same series, values, types and help', async () => {
    await prometheus!.waitForFreshScrape();
    expect(asProtobuf!.exchanges.length).toBeGreaterThan(0);
    expect(asProtobuf!.exchanges.every((e) => e.contentType === PROTOBUF)).toBe(true);
    expect(asText!.exchanges.every((e) => e.contentType === TEXT)).toBe(true);
    const protobuf = await seriesOf('types-protobuf');
    expect(protobuf.length).toBeGreaterThan(40);
    expect(protobuf).toEqual(await seriesOf('types-text'));
    // The text format has the sample "uploads_created" in the family "uploads"; protobuf, an untyped family of that name.
    const metadata = (await metadataOf('types-protobuf')).filter((m) => !m.startsWith('uploads_created '));
    expect(metadata.length).toBeGreaterThan(10);
    // A family without series: its text header gives Prometheus metadata; protobuf leaves such a family out (as client_golang does).
    expect(metadata).toEqual((await metadataOf('types-text')).filter((m) => !m.startsWith('pc_unset ')));
  });
});
