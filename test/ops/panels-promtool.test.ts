// Panel queries of the shipped dashboard evaluated by promtool on series written out sample by
// sample: the cases a live stack cannot show in a test's time (a counter born at 1, a series that
// appears at 0, requests in an overflow series).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { panelsOf, substitute, type GrafanaDashboard } from '../support/grafana.js';
import { ROOT } from '../support/process.js';
import { PROMTOOL } from '../support/prometheus.js';

const run = promisify(execFile);
const PANELS = panelsOf(JSON.parse(readFileSync(join(ROOT, 'ops/dashboard.json'), 'utf8')) as GrafanaDashboard);
const dir = mkdtempSync(join(tmpdir(), 'promhttp-panels-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The query of a panel as Grafana sends it with All chosen everywhere, a 4-minute rate interval and a 1-hour range. */
export function panelQuery(title: string, index = 0): string {
  const panel = PANELS.find((p) => p.title === title);
  if (panel === undefined) throw new Error(`no panel ${title}`);
  return substitute(panel.targets![index]!.expr, { job: 'api', instance: '.*', route: '.*', __rate_interval: '4m', __interval: '1m', __range: '1h' });
}

interface Case {
  readonly series: Record<string, string>;
  readonly expr: string;
  readonly at: string;
  readonly expect: ReadonlyArray<{ labels: string; value: number }>;
}

/** Runs promtool's expression test on `series` (1-minute samples); resolves to promtool's output. */
async function promtool(name: string, c: Case): Promise<string> {
  const file = join(dir, `${name}.yml`);
  // JSON is YAML.
  writeFileSync(file, JSON.stringify({
    rule_files: [],
    evaluation_interval: '1m',
    tests: [{
      interval: '1m',
      input_series: Object.entries(c.series).map(([series, values]) => ({ series, values })),
      promql_expr_test: [{ expr: c.expr, eval_time: c.at, exp_samples: c.expect }],
    }],
  }));
  const result = await run(PROMTOOL, ['test', 'rules', file]).catch((error: { stdout: string; stderr: string }) => error);
  return `${result.stdout}${result.stderr}`;
}

const SUCCESS = /^Unit Testing: .*\n {2}SUCCESS\n+$/;

describe("promhttp's own health panels", () => {
  it('Label errors shows the first mistake, a counter promhttp creates at 1', async () => {
    const out = await promtool('first-label-error', {
      series: { 'promhttp_label_errors_total{job="api", instance="a", metric="orders_total"}': '_x5 1x20' },
      expr: panelQuery('Label errors'),
      at: '7m',
      expect: [{ labels: '{job="api", instance="a", metric="orders_total"}', value: 1 }],
    });
    expect(out).toMatch(SUCCESS);
  });

  it('Multi-process write errors shows 0 for a process that starts with its counter at 0, and its first error', async () => {
    const series = { 'promhttp_multiprocess_write_errors_total{job="api", instance="b"}': '_x5 0x10 1x10' };
    const expr = panelQuery('Multi-process write errors');
    expect(await promtool('write-errors-start', { series, expr, at: '8m', expect: [{ labels: '{job="api", instance="b"}', value: 0 }] })).toMatch(SUCCESS);
    expect(await promtool('write-errors-first', { series, expr, at: '17m', expect: [{ labels: '{job="api", instance="b"}', value: 1 }] })).toMatch(SUCCESS);
  });
});

describe('the 5xx panels with requests in the overflow series', () => {
  // 2 requests per second answered 200, 3 answered 5xx on the overflow route (the overflow series
  // keeps their status code), and 1 in a series that lost its status code too: its class is unknown.
  const series = {
    'http_requests_total{job="api", method="GET", route="/a", status_code="200"}': '0+120x20',
    'http_requests_total{job="api", method="GET", route="overflow", status_code="500"}': '0+120x20',
    'http_requests_total{job="api", method="POST", route="overflow", status_code="503"}': '0+60x20',
    'http_requests_total{job="api", method="overflow", route="overflow", status_code="overflow"}': '0+60x20',
  };

  it('5xx ratio: 3 of the 5 requests whose status is known', async () => {
    expect(await promtool('ratio', { series, expr: panelQuery('5xx ratio'), at: '10m', expect: [{ labels: '{}', value: 0.6 }] })).toMatch(SUCCESS);
  });

  it('5xx ratio by route: the overflow route has its own ratio', async () => {
    const expect_ = [{ labels: '{route="/a"}', value: 0 }, { labels: '{route="overflow"}', value: 1 }];
    expect(await promtool('ratio-by-route', { series, expr: panelQuery('5xx ratio by route'), at: '10m', expect: expect_ })).toMatch(SUCCESS);
  });

  it('Request rate by status class: the overflow series without a status code is a class of its own', async () => {
    const expect_ = [{ labels: '{class="2xx"}', value: 2 }, { labels: '{class="5xx"}', value: 3 }, { labels: '{class="overflow"}', value: 1 }];
    expect(await promtool('class', { series, expr: panelQuery('Request rate by status class'), at: '10m', expect: expect_ })).toMatch(SUCCESS);
  });
});
