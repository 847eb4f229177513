// promhttp-ops --native-histograms against a real Prometheus 2.42 started with
// --enable-feature=native-histograms, which keeps the request histogram as one native series and
// no _bucket, _count or _sum. Two apps record native histograms, one with the default names and
// one with naming "otel" (no request counter: every count comes from the histogram), under a
// steady mix: per tick 6 fast requests, 1 to an unknown path (404), 2 slow ones (600 ms, over the
// 0.5 s threshold) and 1 answered 500. The generated rules must evaluate with values, read that 10 % of 5xx and 20 % of
// slow requests, and fire both burn-rate alerts; every dashboard panel must return data. promtool
// 2.42's unit tests take no native histogram input series, so only a real Prometheus can judge.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateOps, type OpsFiles } from '../../ops/generator/generate.js';
import { panelsOf, rateInterval, substitute, type GrafanaDashboard } from '../support/grafana.js';
import { startTsApp, type Child } from '../support/process.js';
import { startPrometheus, type Prometheus } from '../support/prometheus.js';

const NAMINGS = ['default', 'otel'] as const;
type NamingCase = (typeof NAMINGS)[number];
const JOB: Record<NamingCase, string> = { default: 'native-default', otel: 'native-otel' };
/** What the rules are named after, and the route label, under each naming. */
const BASE: Record<NamingCase, string> = { default: 'http_requests', otel: 'http_server_requests' };
const ROUTE: Record<NamingCase, string> = { default: 'route', otel: 'http_route' };
const DURATION: Record<NamingCase, string> = { default: 'http_request_duration_seconds', otel: 'http_server_request_duration_seconds' };
const MIX = ['/fast', '/fast', '/fast', '/slow', '/fast', '/missing', '/error', '/fast', '/slow', '/fast'];
const TICK_MS = 200;
/** The lower bound of the native bucket (schema 3) holding 600 ms: 2^(-6/8) s. */
const SLOW_BUCKET_LOW = 2 ** (-6 / 8);
// Panels 9 s wide per point at the 1 s scrape interval: $__rate_interval is 10 s.
const RATE = rateInterval(9, 1);

// The objectives over one day: the 1h/5m page pair becomes 2m/10s with `for: 4s`, so both alerts
// can fire within the test (10 % of 5xx against 14.4 × 0.1 %, 20 % slow against 14.4 × 1 %).
const files: Record<NamingCase, OpsFiles> = {
  default: generateOps({ nativeHistograms: true, sloPeriod: '1d', scrapeInterval: '1s' }),
  otel: generateOps({ naming: 'otel', nativeHistograms: true, sloPeriod: '1d', scrapeInterval: '1s' }),
};
const rules = mkdtempSync(join(tmpdir(), 'promhttp-ops-native-'));
const apps = {} as Record<NamingCase, Child & { url: string }>;
let prometheus: Prometheus;
let timer: NodeJS.Timeout | undefined;
const inFlight = new Set<Promise<unknown>>();

function tick(): void {
  for (const naming of NAMINGS) {
    for (const path of MIX) {
      const request = fetch(`${apps[naming].url}${path}`).then((r) => r.arrayBuffer()).catch(() => undefined);
      inFlight.add(request);
      void request.finally(() => inFlight.delete(request));
    }
  }
}

beforeAll(async () => {
  const started = await Promise.all(NAMINGS.map((naming) => startTsApp('test/fixtures/ops-native-app.ts', { NAMING: naming })));
  NAMINGS.forEach((naming, i) => (apps[naming] = started[i]!));
  // Every route has requests before the first scrape, so every series is there from it on.
  tick();
  await Promise.all([...inFlight]);
  timer = setInterval(tick, TICK_MS);
  const ruleFiles = NAMINGS.flatMap((naming) =>
    (['recording-rules.yml', 'alerts.yml'] as const).map((name) => {
      const path = join(rules, `${naming}-${name}`);
      writeFileSync(path, files[naming][name]);
      return path;
    }),
  );
  prometheus = await startPrometheus(
    NAMINGS.map((naming) => ({ job: JOB[naming], targets: [new URL(apps[naming].url).host] })),
    { features: ['native-histograms'], ruleFiles },
  );
  await prometheus.waitForFreshScrape();
  // A whole rate window of scrapes under the steady mix.
  await new Promise((resolve) => setTimeout(resolve, 12_000));
}, 90_000);

afterAll(async () => {
  clearInterval(timer);
  // Bounded: the last tick's slow requests end within a second.
  await Promise.allSettled([...inFlight]);
  await prometheus?.stop();
  await Promise.allSettled(Object.values(apps).map((app) => app.stop()));
  rmSync(rules, { recursive: true, force: true });
});

/** An instant query's raw result: native histogram samples come as `histogram`, floats as `value`. */
async function raw(promql: string): Promise<Array<{ metric: Record<string, string>; value?: [number, string]; histogram?: unknown }>> {
  const response = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await response.json()) as { status: string; error?: string; data: { result: Array<{ metric: Record<string, string>; value?: [number, string]; histogram?: unknown }> } };
  if (body.status !== 'success') throw new Error(`query ${promql} failed: ${body.error}`);
  return body.data.result;
}

async function alertFiring(alertname: string, job: string, timeoutMs = 40_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const body = (await (await fetch(`${prometheus.url}/api/v1/alerts`)).json()) as { data: { alerts: Array<{ labels: Record<string, string>; state: string }> } };
    if (body.data.alerts.some((a) => a.labels.alertname === alertname && a.labels.job === job && a.labels.severity === 'page' && a.state === 'firing')) return true;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

describe('promhttp-ops --native-histograms on a real Prometheus 2.42 with native histograms', () => {
  for (const naming of NAMINGS) {
    const job = JOB[naming];
    const base = BASE[naming];
    const route = ROUTE[naming];

    it(`${naming} naming: Prometheus kept the native histogram only, which the classic queries find empty`, async () => {
      expect(await raw(`${DURATION[naming]}_bucket{job="${job}"}`)).toEqual([]);
      expect(await raw(`${DURATION[naming]}_count{job="${job}"}`)).toEqual([]);
      const stored = await raw(`${DURATION[naming]}{job="${job}"}`);
      expect(stored.length).toBeGreaterThan(0);
      expect(stored.every((s) => s.histogram !== undefined)).toBe(true);
    });

    it(`${naming} naming: every recording and alerting rule evaluates; the request rate, 5xx and p99 rules have values`, async () => {
      const body = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as { data: { groups: Array<{ name: string; rules: Array<{ name: string; health: string; lastError?: string }> }> } };
      const own = body.data.groups.filter((g) => g.name.startsWith(`promhttp.${base}.`)).flatMap((g) => g.rules);
      expect(own.length).toBe(43);
      expect(own.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`)).toEqual([]);

      // Over 5 minutes of which a few seconds hold samples, the rate is a fraction of what is sent:
      // present and above 0 is what the rule can show yet (the panels' 10 s rate is compared below).
      expect(await prometheus.waitFor(`job:${base}:rate5m{job="${job}"}`, (v) => v > 0, 10_000)).toBeGreaterThan(0);
      const ratio = async (r: string): Promise<number> => (await prometheus.query(`job_${route}:${base}_5xx:ratio_rate5m{job="${job}", ${route}="${r}"}`))[0]?.value ?? NaN;
      expect([await ratio('/error'), await ratio('/fast')]).toEqual([1, 0]);
      const quantile = async (r: string, q: string): Promise<number> =>
        (await prometheus.query(`job_${route}:${DURATION[naming]}:quantile_rate5m{job="${job}", ${route}="${r}", quantile="${q}"}`))[0]?.value ?? NaN;
      const p99 = await quantile('/slow', '0.99');
      console.log(`${naming}: p99 of /slow ${p99.toFixed(3)} s, p50 of /fast ${(await quantile('/fast', '0.5')).toFixed(4)} s`);
      expect(p99).toBeGreaterThanOrEqual(SLOW_BUCKET_LOW);
      expect(p99).toBeLessThan(1);
      expect(await quantile('/fast', '0.5')).toBeLessThan(0.05);
    });

    it(`${naming} naming: the availability and latency ratios read the 10 % of 5xx and 20 % of slow requests sent, and both burn-rate alerts fire`, { timeout: 60_000 }, async () => {
      const errors = (await prometheus.query(`job:${base}_5xx:ratio_rate2m{job="${job}"}`))[0]?.value ?? NaN;
      const slow = (await prometheus.query(`job:${base}_slow:ratio_rate2m{job="${job}"}`))[0]?.value ?? NaN;
      console.log(`${naming}: 5xx ratio ${(errors * 100).toFixed(2)} % (sent 10 %), slow ratio ${(slow * 100).toFixed(2)} % (sent 20 %)`);
      expect(Math.abs(errors - 0.1)).toBeLessThan(0.02);
      expect(Math.abs(slow - 0.2)).toBeLessThan(0.03);
      expect(await alertFiring('PromhttpErrorBudgetBurn', job)).toBe(true);
      expect(await alertFiring('PromhttpLatencyBudgetBurn', job)).toBe(true);
    });

    it(`${naming} naming: every dashboard panel returns data, the heatmap a native histogram`, async () => {
      const dashboard = JSON.parse(files[naming]['dashboard.json']) as GrafanaDashboard;
      const values = { datasource: 'prometheus', job, instance: '.*', route: '.*', __rate_interval: RATE, __range: '60s' };
      // The panels over the request metrics, which --native-histograms changes. Client aborts (499)
      // is left out: this traffic has none, and its query is the status-class one over another
      // status. The process, health, scrape and batch-job panels read no request metric; the option
      // leaves them as they are, and test/ops/e2e-prometheus.test.ts runs them.
      const requestPanels = panelsOf(dashboard).filter((p) => ['Traffic', 'Errors', 'Latency', 'Top routes'].includes(p.row) || p.title === 'Requests in flight');
      expect(requestPanels.length).toBe(14);
      for (const panel of requestPanels.filter((p) => !p.title.startsWith('Client aborts'))) {
        for (const target of panel.targets ?? []) {
          const result = await raw(substitute(target.expr, values));
          expect(result.length, `${panel.title}: ${target.expr}`).toBeGreaterThan(0);
          if (panel.type === 'heatmap') expect(result.every((r) => r.histogram !== undefined), panel.title).toBe(true);
          else expect(result.some((r) => Number.isFinite(Number(r.value?.[1]))), `${panel.title}: ${target.expr}`).toBe(true);
        }
      }
      // The job, instance and route lists, asked the way Grafana asks for label_values(series, label).
      for (const variable of dashboard.templating.list.filter((v) => v.type === 'query')) {
        const [, series, label] = /^label_values\((.+), (\w+)\)$/.exec(String(variable.query))!;
        const response = await fetch(`${prometheus.url}/api/v1/label/${label}/values?match[]=${encodeURIComponent(substitute(series!, values))}`);
        const listed = ((await response.json()) as { data: string[] }).data;
        expect(listed, variable.name).toEqual(variable.name === 'route' ? ['/error', '/fast', '/slow', 'unmatched'] : variable.name === 'job' ? [job] : [new URL(apps[naming].url).host]);
      }
      const first = async (title: string): Promise<number[]> => (await raw(substitute(panelsOf(dashboard).find((p) => p.title === title)!.targets![0]!.expr, values))).map((r) => Number(r.value![1]));
      const [share] = await first('5xx ratio');
      const rate = (await first('Request rate by route')).reduce((a, b) => a + b, 0);
      const sent = (MIX.length * 1000) / TICK_MS;
      console.log(`${naming}: panels: request rate ${rate.toFixed(1)}/s (sent ${sent}/s), 5xx ratio ${(share! * 100).toFixed(2)} %`);
      expect(Math.abs(rate - sent) / sent).toBeLessThan(0.2);
      expect(Math.abs(share! - 0.1)).toBeLessThan(0.03);
    });
  }
});
