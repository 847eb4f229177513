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
