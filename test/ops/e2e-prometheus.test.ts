// The shipped dashboard and rules against a real Prometheus fed by a real instrumented app, run
// once alone and once as a node:cluster of three workers in directory mode, plus a Pushgateway
// holding a runJob push. Every query of every panel runs with the variables filled in as Grafana
// would; its figures must agree with the traffic sent, and the 5xx alert must fire.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { panelsOf, rateInterval, substitute, type GrafanaDashboard, type GrafanaPanel } from '../support/grafana.js';
import { APP_JOBS as JOBS, startOpsStack, type OpsStack } from '../support/ops-stack.js';
import { startTraffic, type Traffic } from '../support/ops-traffic.js';
import { ROOT } from '../support/process.js';

// A panel 9 s wide per point (a 2.5-hour view) at the 1 s scrape interval: $__rate_interval is 10 s.
const RATE = rateInterval(9, 1);
const RATE_MS = Number.parseInt(RATE, 10) * 1000;
// The burn-rate windows scale with the objective's period: for one day the 1h/5m page pair becomes
// 2m/10s with `for: 4s`, so the alert can fire within the test. The shipped 30-day rules are the
// same expressions with longer windows (test/ops/rules.test.ts runs them through promtool).
const SLO_PERIOD = '1d';
const SLO_FOR = '4s';

const dashboard = JSON.parse(readFileSync(join(ROOT, 'ops/dashboard.json'), 'utf8')) as GrafanaDashboard;
const PANELS = panelsOf(dashboard);

let stack: OpsStack;
let traffic: Record<(typeof JOBS)[number], Traffic>;
let trafficStarted = 0;
const suiteStarted = Date.now();

function values(job: string): Record<string, string> {
  return { datasource: 'prometheus', job, instance: '.*', route: '.*', __rate_interval: RATE, __range: `${Math.ceil((Date.now() - trafficStarted) / 1000)}s` };
}

/** Runs every query of a panel for `job` (a regex, as Grafana writes a multi-value variable). */
async function run(panel: GrafanaPanel, job: string) {
  return Promise.all((panel.targets ?? []).map((t) => stack.prometheus.query(substitute(t.expr, values(job)))));
}

const panel = (title: string): GrafanaPanel => PANELS.find((p) => p.title === title)!;
const total = (result: Array<{ value: number }>): number => result.reduce((sum, r) => sum + r.value, 0);

beforeAll(async () => {
  stack = await startOpsStack({ sloPeriod: SLO_PERIOD });
  trafficStarted = Date.now();
  traffic = { 'app-single': startTraffic(stack.apps['app-single'].url), 'app-workers': startTraffic(stack.apps['app-workers'].url) };
  // Prometheus holds back new targets for a few seconds after it starts: from their first scrape
  // on, a whole rate window of samples of steady traffic before anything is read.
  await stack.prometheus.waitForFreshScrape();
  await new Promise((resolve) => setTimeout(resolve, RATE_MS + 1_500));
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(Object.values(traffic ?? {}).map((t) => t.stop()));
  await stack?.stop();
  console.log(`ops end-to-end: ${((Date.now() - suiteStarted) / 1000).toFixed(1)} s from start to teardown`);
});

describe('every dashboard panel against a real Prometheus', () => {
  for (const p of PANELS) {
    it(`${p.row} / ${p.title}: every query is valid and returns data`, async () => {
      const results = await run(p, `(${JOBS.join('|')})`);
      for (const [i, result] of results.entries()) {
        expect(result.length, `${p.targets![i]!.expr} returned nothing`).toBeGreaterThan(0);
        expect(result.some((r) => Number.isFinite(r.value)), `${p.targets![i]!.expr} returned no finite value`).toBe(true);
      }
    });
  }
});

describe('"All" chosen for the job and instance variables, as Grafana sends it', () => {
  type Variable = { name: string; query?: unknown; allValue?: string };
  const variable = (name: string): Variable => (dashboard.templating.list as readonly Variable[]).find((v) => v.name === name)!;
  /** What "All" sends: the variable's allValue, else every value its label_values() query lists, as a regex. */
  async function all(name: string): Promise<string> {
    const v = variable(name);
    if (v.allValue !== undefined && v.allValue !== '') return v.allValue;
    const listed = await stack.prometheus.query(`group by (${name}) (http_requests_total)`);
    return `(${listed.map((r) => r.metric[name]!).sort().join('|')})`;
  }

  it('the target panels show the apps only: not the Pushgateway, which has `up` and process metrics too', async () => {
    const chosen = { ...values(''), job: await all('job'), instance: await all('instance') };
    for (const title of ['Targets up', 'Scrape duration', 'Samples per scrape', 'CPU by process', 'Resident memory by process']) {
      const result = await stack.prometheus.query(substitute(panel(title).targets![0]!.expr, chosen));
      expect(result.length, title).toBeGreaterThan(0);
      expect([...new Set(result.map((r) => r.metric.job))].sort(), title).toEqual([...JOBS]);
    }
  });
});

describe('figures agree with the traffic sent', () => {
  for (const job of JOBS) {
    it(`${job}: the request rate is within 10 % of the rate sent, by route and by status class`, async () => {
      const now = Date.now();
      const [byRoute] = await run(panel('Request rate by route'), job);
      const [byClass] = await run(panel('Request rate by status class'), job);
      const sent = traffic[job].between(now - RATE_MS, now).total / (RATE_MS / 1000);
      console.log(`${job}: request rate ${total(byRoute!).toFixed(1)}/s by route, ${total(byClass!).toFixed(1)}/s by class; sent ${sent.toFixed(1)}/s`);
      expect(Math.abs(total(byRoute!) - sent) / sent).toBeLessThan(0.1);
      expect(Math.abs(total(byClass!) - sent) / sent).toBeLessThan(0.1);
    });

    it(`${job}: the 5xx ratio equals the share of 5xx sent`, async () => {
      const now = Date.now();
      const [[ratio]] = (await run(panel('5xx ratio'), job)) as unknown as [[{ value: number }]];
      const { total: sent, errors } = traffic[job].between(now - RATE_MS, now);
      console.log(`${job}: 5xx ratio ${(ratio.value * 100).toFixed(2)} %; sent ${errors}/${sent} = ${((errors / sent) * 100).toFixed(2)} %`);
      expect(ratio.value).toBeCloseTo(errors / sent, 2);
    });
  }

  it('the series overflow panel shows each app sending its new tenants to the overflow series', async () => {
    for (const job of JOBS) {
      const [result] = await run(panel('Series overflow'), job);
      const tenants = result!.filter((r) => r.metric.metric === 'tenant_requests_total');
      console.log(`${job}: series overflow of tenant_requests_total ${tenants.map((r) => r.value.toFixed(1)).join(', ')} per ${RATE}`);
      // About one new tenant per tick of traffic, all past the app's maxSeries of 20 by now.
      expect(total(tenants)).toBeGreaterThan(0);
    }
  });

  it('directory mode: the process panels show each of the three workers', async () => {
    for (const title of ['CPU by process', 'Resident memory by process', 'Event-loop lag by process']) {
      const [result] = await run(panel(title), 'app-workers');
      expect(result!.map((r) => r.metric.worker).sort(), title).toEqual(['0', '1', '2']);
    }
  });
});

describe('rules on the same Prometheus', () => {
  it('every recording and alerting rule evaluates without error', async () => {
    const body = (await (await fetch(`${stack.prometheus.url}/api/v1/rules`)).json()) as { data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> } };
    const all = body.data.groups.flatMap((g) => g.rules);
    expect(all.length).toBeGreaterThan(40);
    expect(all.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`)).toEqual([]);
    const recorded = await stack.prometheus.query('job:http_requests:rate5m');
    expect(recorded.map((r) => r.metric.job).sort()).toEqual([...JOBS]);
  });

  it('the 5xx burn-rate alert reaches firing for both apps, with page severity', async () => {
    const deadline = Date.now() + 30_000;
    let firing: string[] = [];
    while (Date.now() < deadline) {
      const body = (await (await fetch(`${stack.prometheus.url}/api/v1/alerts`)).json()) as { data: { alerts: Array<{ labels: Record<string, string>; state: string; activeAt: string }> } };
      const burns = body.data.alerts.filter((a) => a.labels.alertname === 'PromhttpErrorBudgetBurn' && a.labels.severity === 'page' && a.state === 'firing');
      firing = [...new Set(burns.map((a) => a.labels.job!))].sort();
      if (firing.length === JOBS.length) {
        const since = burns.map((a) => ((Date.parse(a.activeAt) - trafficStarted) / 1000).toFixed(1));
        console.log(`PromhttpErrorBudgetBurn firing for ${firing.join(', ')}: pending from ${since.join(' s, ')} s after the traffic started, firing ${SLO_FOR} later; seen firing at ${((Date.now() - trafficStarted) / 1000).toFixed(1)} s`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(firing).toEqual([...JOBS]);
  });
});

/** Raw samples of a series over the last `seconds`, oldest first. */
async function samples(selector: string, seconds: number): Promise<number[]> {
  const response = await fetch(`${stack.prometheus.url}/api/v1/query?query=${encodeURIComponent(`${selector}[${seconds}s]`)}`);
  const body = (await response.json()) as { data: { result: Array<{ values: Array<[number, string]> }> } };
  return (body.data.result[0]?.values ?? []).map(([, v]) => Number(v));
}

/** `firing`, `pending` or `inactive`: the state of an alert for a job, as Prometheus' alerts page shows it. */
async function alertState(alertname: string, job: string): Promise<string> {
  const body = (await (await fetch(`${stack.prometheus.url}/api/v1/alerts`)).json()) as { data: { alerts: Array<{ labels: Record<string, string>; state: string }> } };
  const states = body.data.alerts.filter((a) => a.labels.alertname === alertname && a.labels.job === job).map((a) => a.state);
  return states.includes('firing') ? 'firing' : states.includes('pending') ? 'pending' : 'inactive';
}

const firing = async (alertname: string, job: string): Promise<boolean> => (await alertState(alertname, job)) === 'firing';

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what} not seen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

// Last, since they damage the workers' directory.
describe('faults of the multi-process directory, on the dashboard and in the alerts', () => {
  it('a healthy start alerts on nothing: the read and write error counters the workers publish at 0 from the start are no errors', async () => {
    expect((await stack.prometheus.query('promhttp_multiprocess_write_errors_total{job="app-workers"}'))[0]?.value).toBe(0);
    for (const alertname of ['PromhttpMultiprocessReadErrors', 'PromhttpMultiprocessWriteErrors']) expect(await alertState(alertname, 'app-workers'), alertname).toBe('inactive');
  });

  it('an archive cut short by a crash: every scrape of the workers counts it once, the panel shows it, PromhttpMultiprocessReadErrors fires', async () => {
    expect(await alertState('PromhttpMultiprocessReadErrors', 'app-workers')).toBe('inactive');
    const archive = join(stack.dir, 'archive.1-1-1-1.json');
    writeFileSync(archive, '{"promhttp":1,"owner":"1-1-1-1","absorbed":{},"plain":[],"lines":1}\n{"name":"http_requests_total","help":"Total HTTP requests.","type":"counter","labels":["method","route","status_code"],"since":0,"series":[{"l":["GET","/","200"],"v":[4');
    const counter = 'promhttp_multiprocess_read_errors_total{job="app-workers", file="archive"}';
    await until(async () => (await samples(counter, 60)).filter((v) => v > 0).length >= 5, 'five scrapes counting the archive');
    // Scrape after scrape, whichever worker answers, the merged counter grows by exactly one.
    const counted = (await samples(counter, 60)).filter((v) => v > 0);
    expect(counted).toEqual(counted.map((_, i) => counted[0]! + i));
    expect(counted[0]).toBe(1);
    const [result] = await run(panel('Multi-process read errors'), 'app-workers');
    expect(total(result!)).toBeGreaterThan(0);
    await until(() => firing('PromhttpMultiprocessReadErrors', 'app-workers'), 'PromhttpMultiprocessReadErrors firing');
    rmSync(archive);
  });

  it('the directory removed under the workers: each counts one failed write and writes its store again, the panel shows them, PromhttpMultiprocessWriteErrors fires', async () => {
    expect(await alertState('PromhttpMultiprocessWriteErrors', 'app-workers')).toBe('inactive');
    rmSync(stack.dir, { recursive: true, force: true });
    const counter = 'promhttp_multiprocess_write_errors_total{job="app-workers"}';
    // One failure each when its next snapshot (every second) finds the directory gone, then every
    // worker writes its store again 10 s later, the directory with it: the merged counter reads 3.
    await until(async () => (await stack.prometheus.query(counter))[0]?.value === 3, 'three failed writes, one per worker');
    const [result] = await run(panel('Multi-process write errors'), 'app-workers');
    expect(total(result!)).toBeGreaterThan(0);
    await until(() => firing('PromhttpMultiprocessWriteErrors', 'app-workers'), 'PromhttpMultiprocessWriteErrors firing');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await stack.prometheus.query(counter))[0]?.value).toBe(3);
  });
});
