// promhttp-ops --naming otel: the same dashboard, recording rules and alerts as for the default
// names, over OpenTelemetry's names and labels (naming: 'otel' records no request counter, so the
// requests are counted by the duration histogram's _count), judged by promtool.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../../ops/generator/cli.js';
import { generateOps } from '../../ops/generator/generate.js';
import { panelsOf, type GrafanaDashboard } from '../support/grafana.js';
import { ROOT } from '../support/process.js';
import { PROMTOOL } from '../support/prometheus.js';

const run = promisify(execFile);
const out = mkdtempSync(join(tmpdir(), 'promhttp-ops-otel-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const otel = generateOps({ naming: 'otel' });
const standard = generateOps();
beforeAll(() => {
  for (const [name, text] of Object.entries(otel)) writeFileSync(join(out, name), text);
});
const dashboardOf = (files: typeof otel): GrafanaDashboard => JSON.parse(files['dashboard.json']) as GrafanaDashboard;
const exprs = (files: typeof otel): string[] => panelsOf(dashboardOf(files)).flatMap((p) => (p.targets ?? []).map((t) => t.expr));
const rulesOf = (text: string): Array<{ record?: string; alert?: string; expr: string; labels?: Record<string, string> }> =>
  (parse(text) as { groups: Array<{ rules: Array<{ record?: string; alert?: string; expr: string }> }> }).groups.flatMap((g) => g.rules);

describe('promhttp-ops --naming otel', () => {
  it('writes the three files from the command line', async () => {
    const io = { out: () => {}, err: (t: string) => void expect.fail(t) };
    const cli = join(out, 'cli');
    mkdirSync(cli);
    expect(await runCli(['--naming', 'otel', '--out', cli], io)).toBe(0);
    for (const name of ['dashboard.json', 'recording-rules.yml', 'alerts.yml'] as const) expect(readFileSync(join(cli, name), 'utf8')).toBe(otel[name]);
  });

  it("reads OpenTelemetry's names and labels only: the duration histogram's _count for requests, http_route, http_response_status_code", () => {
    for (const [name, text] of Object.entries(otel)) {
      expect(text, name).not.toMatch(/http_requests_total|http_requests_in_flight|\bhttp_request_duration_seconds|[{(,] ?status_code\b|[{(,] ?route\b|\{\{route\}\}/);
      if (name !== 'alerts.yml') expect(text, name).toContain('http_route');
    }
    const queries = exprs(otel);
    expect(queries.some((e) => e.includes('rate(http_server_request_duration_seconds_count{'))).toBe(true);
    expect(queries.some((e) => e.includes('http_server_active_requests{'))).toBe(true);
    expect(queries.some((e) => e.includes('http_response_status_code=~"5.."'))).toBe(true);
    expect(otel['dashboard.json']).toContain('label_values(http_server_request_duration_seconds_count{job=~\\"$job\\", instance=~\\"$instance\\"}, http_route)');
  });

  it('has the same rows, panels, variables, recording rules and alerts as for the default names', () => {
    const shape = (files: typeof otel) => ({
      panels: panelsOf(dashboardOf(files)).map((p) => [p.title, p.targets?.length ?? 0]),
      rows: dashboardOf(files).panels.filter((p) => p.type === 'row').map((p) => p.title),
      variables: dashboardOf(files).templating.list.map((v) => v.name),
      alerts: rulesOf(files['alerts.yml']).map((r) => r.alert ?? 'record'),
      recorded: rulesOf(files['recording-rules.yml']).length,
    });
    expect(shape(otel)).toEqual(shape(standard));
    expect(rulesOf(otel['recording-rules.yml']).map((r) => r.record)).toContain('job_http_route:http_server_requests:rate5m');
  });

  it('names the dashboard, its uid, the rule groups and the request rules after http_server_requests, not after the histogram\'s _count', () => {
    const dashboard = dashboardOf(otel) as GrafanaDashboard & { title: string; uid: string };
    expect([dashboard.title, dashboard.uid]).toEqual(['HTTP services, OpenTelemetry names (promhttp)', 'promhttp-http_server_requests']);
    const groups = (text: string): string[] => (parse(text) as { groups: Array<{ name: string }> }).groups.map((g) => g.name);
    expect([...groups(otel['recording-rules.yml']), ...groups(otel['alerts.yml'])]).toEqual(['recording', 'slo', 'health', 'batch'].map((part) => `promhttp.http_server_requests.${part}`));
    const recorded = [...rulesOf(otel['recording-rules.yml']), ...rulesOf(otel['alerts.yml'])].flatMap((r) => r.record ?? []);
    expect(recorded.filter((r) => r.endsWith(':rate5m') || r.endsWith(':ratio_rate5m'))).toEqual([
      'job:http_server_requests:rate5m',
      'job_http_route:http_server_requests:rate5m',
      'job_http_route:http_server_requests_5xx:ratio_rate5m',
      'job:http_server_requests_5xx:ratio_rate5m',
      'job:http_server_requests_slow:ratio_rate5m',
    ]);
    expect(recorded.filter((r) => r.includes('_count'))).toEqual([]);
    // Other names are spelled out, as for the default naming.
    const prefixed = JSON.parse(generateOps({ naming: 'otel', prefix: 'shop_' })['dashboard.json']) as { title: string; uid: string };
    expect([prefixed.title, prefixed.uid]).toEqual(['HTTP services: shop_http_server_requests (promhttp)', 'promhttp-shop_http_server_requests']);
  });

  it('promtool check rules passes on its recording rules and alerts', async () => {
    const { stdout } = await run(PROMTOOL, ['check', 'rules', join(out, 'recording-rules.yml'), join(out, 'alerts.yml')]);
    expect(stdout).toMatch(/recording-rules\.yml\n {2}SUCCESS: 12 rules found/);
    expect(stdout).toMatch(/alerts\.yml\n {2}SUCCESS: 31 rules found/);
  });

  it('promtool test rules: the burn-rate alerts fire on 5xx and slow requests counted by the histogram, and not before', { timeout: 120_000 }, async () => {
    copyFileSync(join(ROOT, 'test/ops/promtool-otel/slo-alerts.yml'), join(out, 'slo-alerts.yml'));
    const result = await run(PROMTOOL, ['test', 'rules', 'slo-alerts.yml'], { cwd: out }).catch((error: { stdout: string; stderr: string }) => error);
    expect(`${result.stdout}${result.stderr}`).toMatch(/^Unit Testing: .*\n {2}SUCCESS\n+$/);
  });
});
