// npm run ops:pictures: draws each row of ops/dashboard.json as a PNG in docs/images/, from the
// panels' own queries against a real Prometheus fed by the instrumented app of the end-to-end test
// (about two minutes of traffic that changes on the way). Needs Debian's prometheus,
// prometheus-pushgateway and chromium. Not run in CI: the pictures are checked in.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { panelsOf, rateInterval, substitute, type GrafanaDashboard, type GrafanaPanel } from '../../test/support/grafana.js';
import { startOpsStack } from '../../test/support/ops-stack.js';
import { startTraffic, type Traffic } from '../../test/support/ops-traffic.js';
import { ROOT } from '../../test/support/process.js';
import { rowPage, type PanelData, type Series } from './render.js';

const PAGE_WIDTH = 1500;
const STEP = 1;
const RATE = rateInterval(9, 1);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Row title to file name: "promhttp's own health" → ops-promhttps-own-health.png. */
const fileOf = (row: string): string => `ops-${row.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/-$/, '')}.png`;

async function rangeQuery(url: string, expr: string, start: number, end: number): Promise<Array<{ metric: Record<string, string>; values: Array<[number, string]> }>> {
  const query = new URLSearchParams({ query: expr, start: String(start), end: String(end), step: String(STEP) });
  const body = (await (await fetch(`${url}/api/v1/query_range?${query}`)).json()) as { status: string; error?: string; data: { result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> } };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data.result;
}

const legend = (format: string | undefined, labels: Record<string, string>): string =>
  (format ?? '').replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => labels[name] ?? '').trim() || JSON.stringify(labels);

async function panelData(url: string, panel: GrafanaPanel, start: number, end: number): Promise<PanelData> {
  const times: number[] = [];
  for (let t = start; t <= end; t += STEP) times.push(t);
  const vars = { datasource: 'prometheus', job: '(app-single|app-workers)', instance: '.*', route: '.*', __rate_interval: RATE, __range: `${end - start}s` };
  const series: Series[] = [];
  for (const target of panel.targets ?? []) {
    for (const result of await rangeQuery(url, substitute(target.expr, vars), start, end)) {
      const byTime = new Map(result.values.map(([t, v]) => [t, Number(v)]));
      series.push({ name: legend(target.legendFormat, result.metric), values: times.map((t) => (byTime.has(t) && Number.isFinite(byTime.get(t)) ? byTime.get(t)! : null)) });
    }
  }
  // The heatmap's rows go by bucket bound, lowest first; other panels keep Prometheus' order.
  if (panel.type === 'heatmap') series.sort((a, b) => (a.name === '+Inf' ? 1 : b.name === '+Inf' ? -1 : Number(a.name) - Number(b.name)));
  const kind = panel.type === 'heatmap' ? 'heatmap' : panel.type === 'table' ? 'table' : 'timeseries';
  return { title: panel.title, unit: panel.fieldConfig?.defaults?.unit ?? 'short', kind, width: (panel as unknown as { gridPos: { w: number } }).gridPos.w, times, series };
}

function screenshot(html: string, out: string, panels: readonly PanelData[]): void {
  const work = mkdtempSync(join(tmpdir(), 'promhttp-pictures-'));
  try {
    writeFileSync(join(work, 'row.html'), html);
    const lines = Math.ceil(panels.reduce((sum, p) => sum + p.width, 0) / 24);
    const height = 40 + lines * 292;
    execFileSync('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--hide-scrollbars', `--user-data-dir=${join(work, 'profile')}`, `--window-size=${PAGE_WIDTH + 12},${height}`, '--virtual-time-budget=5000', `--screenshot=${out}`, `file://${join(work, 'row.html')}`], { stdio: 'ignore' });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const dashboard = JSON.parse(readFileSync(join(ROOT, 'ops/dashboard.json'), 'utf8')) as GrafanaDashboard;
  const panels = panelsOf(dashboard);
  const stack = await startOpsStack({ sloPeriod: '1d', failingJob: true });
  const traffic: Traffic[] = [];
  try {
    const start = Math.floor(Date.now() / 1000);
    console.log('sending traffic for about two minutes…');
    traffic.push(startTraffic(stack.apps['app-single'].url), startTraffic(stack.apps['app-workers'].url, { tickMs: 150 }));
    await sleep(40_000);
    // A second client on the workers for a while, then on the single process: the rates move.
    const burst = startTraffic(stack.apps['app-workers'].url, { tickMs: 60 });
    await sleep(30_000);
    await burst.stop();
    const late = startTraffic(stack.apps['app-single'].url, { tickMs: 80, abortEvery: 3 });
    await sleep(30_000);
    await late.stop();
    await sleep(10_000);
    const end = Math.floor(Date.now() / 1000);
    mkdirSync(join(ROOT, 'docs/images'), { recursive: true });
    const rows = [...new Set(panels.map((p) => p.row))];
    for (const row of rows) {
      const data = await Promise.all(panels.filter((p) => p.row === row).map((p) => panelData(stack.prometheus.url, p, start, end)));
      const out = join(ROOT, 'docs/images', fileOf(row));
      screenshot(rowPage(row, data, PAGE_WIDTH), out, data);
      console.log(`wrote ${out}`);
    }
  } finally {
    await Promise.allSettled(traffic.map((t) => t.stop()));
    await stack.stop();
  }
}

await main();
