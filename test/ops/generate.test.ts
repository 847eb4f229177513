import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
// eslint-disable-next-line no-restricted-imports -- the names the generator reads; the public entry does not export them.
import { DEFAULT_METRIC_NAMES, HEALTH_METRICS, JOB_METRICS } from '../../core/metric-names.js';
import { alertingRules } from '../../ops/generator/alerts.js';
import { runCli } from '../../ops/generator/cli.js';
import { generateOps } from '../../ops/generator/generate.js';
import { resolveOps } from '../../ops/generator/options.js';
import { recordingRules } from '../../ops/generator/recording-rules.js';
import { panelsOf, variablesIn, type GrafanaDashboard } from '../support/grafana.js';
import { ROOT, TSX } from '../support/process.js';

const run = promisify(execFile);
const temps: string[] = [];
const temp = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'promhttp-ops-gen-'));
  temps.push(dir);
  return dir;
};
afterAll(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const SHIPPED = ['dashboard.json', 'recording-rules.yml', 'alerts.yml'] as const;
const shipped = (name: string): string => readFileSync(join(ROOT, 'ops', name), 'utf8');
/** Variables Grafana defines for every dashboard. */
const BUILT_IN = ['__rate_interval', '__range', '__interval'];

function quiet() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) }, out, err };
}

describe('the shipped files', () => {
  it('ops/ holds exactly what the generator writes for the defaults (run `npm run ops:generate` after changing it)', () => {
    const files = generateOps();
    for (const name of SHIPPED) expect(shipped(name), name).toBe(files[name]);
    // Beside the generator's sources, nothing but what it writes.
    expect(readdirSync(join(ROOT, 'ops')).filter((name) => name !== 'generator').sort()).toEqual([...SHIPPED].sort());
  });

  it('the YAML written is the rule files it was made from', () => {
    const ops = resolveOps();
    expect(parse(shipped('recording-rules.yml'))).toEqual(recordingRules(ops));
    expect(parse(shipped('alerts.yml'))).toEqual(alertingRules(ops));
  });

  it('every alert has a severity, a summary, a description and a runbook link to its section of docs/operations.md', () => {
    const doc = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
    const headings = new Set([...doc.matchAll(/^#+ (.+)$/gm)].map((m) => m[1]!.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-')));
    const alerts = alertingRules(resolveOps()).groups.flatMap((g) => g.rules).filter((r) => r.alert);
    expect(new Set(alerts.map((a) => a.alert)).size).toBe(11);
    for (const a of alerts) {
      expect(['page', 'ticket'], a.alert).toContain(a.labels?.severity);
      expect(a.annotations?.summary, a.alert).toBeTruthy();
      expect(a.annotations?.description, a.alert).toMatch(/\{\{ \$labels\.\w+ \}\}|\$labels/);
      const anchor = a.annotations!.runbook_url!.split('#')[1]!;
      expect(headings.has(anchor), `${a.alert}: no heading for #${anchor} in docs/operations.md`).toBe(true);
    }
  });
});

describe('the dashboard', () => {
  const dashboard = JSON.parse(shipped('dashboard.json')) as GrafanaDashboard & { templating: { list: Array<{ name: string; type: string; query?: string }> } };
  const panels = panelsOf(dashboard);
  const defined = new Set([...dashboard.templating.list.map((v) => v.name), ...BUILT_IN]);

  it('has the variables datasource, job, instance and route, each query reading only those before it', () => {
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'job', 'instance', 'route']);
    const seen = new Set<string>();
    for (const v of dashboard.templating.list) {
      for (const used of variablesIn(String(v.query ?? ''))) expect(seen.has(used), `${v.name} reads $${used}`).toBe(true);
      seen.add(v.name);
    }
  });

  it('every panel has the datasource variable, a unit and at least one query, and uses only defined variables', () => {
    expect(panels.length).toBeGreaterThan(30);
    for (const p of panels) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(p.fieldConfig?.defaults?.unit, p.title).toMatch(/^(reqps|percentunit|s|bytes|short)$/);
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets!) {
        expect(t.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
        for (const used of variablesIn(t.expr)) expect(defined.has(used), `${p.title}: $${used} is not defined`).toBe(true);
      }
    }
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
  });

  it('the heatmap: bucket bounds in seconds on the y axis (where Grafana reads that unit), requests per second in the cells, no overlapping increases', () => {
    const heatmaps = dashboard.panels.filter((p) => p.type === 'heatmap') as unknown as Array<{ title: string; options: { yAxis?: { unit?: string } }; fieldConfig: { defaults: { unit?: string } }; targets: Array<{ expr: string }> }>;
    expect(heatmaps.map((p) => p.title)).toEqual(['Request duration heatmap']);
    const [heatmap] = heatmaps;
    expect(heatmap!.options.yAxis?.unit).toBe('s');
    expect(heatmap!.fieldConfig.defaults.unit).toBe('reqps');
    // A rate per bucket: increase() over $__rate_interval, longer than Grafana's step, counts a request in several cells.
    expect(heatmap!.targets[0]!.expr).toMatch(/^sum by \(le\) \(rate\(http_request_duration_seconds_bucket\{.*\}\[\$__rate_interval\]\)\)$/);
  });

  it('has the rows the operations guide describes, in order', () => {
    expect(dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title)).toEqual([
      'Traffic',
      'Errors',
      'Latency',
      'Saturation',
      'Top routes',
      "promhttp's own health",
      'Scrape health',
      'Batch jobs',
    ]);
  });

  it('reads every metric promhttp records for HTTP, for itself and for batch jobs', () => {
    const text = JSON.stringify(dashboard);
    for (const name of [...Object.values(DEFAULT_METRIC_NAMES), ...Object.values(HEALTH_METRICS), JOB_METRICS.duration, JOB_METRICS.lastSuccess, JOB_METRICS.failures]) expect(text).toContain(name);
  });
});

describe('generated for other names', () => {
  const options = { prefix: 'shop_', names: { requests: 'reqs_total' }, labels: { service: 'checkout' }, job: 'checkout', availability: 99.5, latency: 1 };
  const files = generateOps(options);

  it('every request query and rule uses the prefixed names and selects the constant labels', () => {
    for (const name of SHIPPED) {
      expect(files[name], name).not.toMatch(/\bhttp_requests_total\b|\bhttp_request_duration_seconds\b|\bhttp_requests_in_flight\b/);
      expect(files[name], name).toContain('shop_http_request_duration_seconds');
    }
    const exprs = [...files['dashboard.json'].matchAll(/"expr": "([^"\\]*(?:\\.[^"\\]*)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string);
    const request = exprs.filter((e) => /shop_(reqs_total|http_request_duration_seconds|http_requests_in_flight)/.test(e));
    expect(request.length).toBeGreaterThan(10);
    for (const e of request) for (const selector of e.match(/shop_\w+\{[^}]*\}/g)!) expect(selector, e).toContain('service="checkout"');
    const rules = [...recordingRules(resolveOps(options)).groups, ...alertingRules(resolveOps(options)).groups].flatMap((g) => g.rules);
    for (const r of rules.filter((r) => /shop_\w+\{/.test(r.expr))) {
      expect(r.expr, r.record ?? r.alert).toContain('job="checkout"');
      expect(r.expr, r.record ?? r.alert).toMatch(/by \(job, service/);
    }
  });

  it('alerts on the objectives given: 99.5 % availability, 1 s latency read from both spellings of the bucket', () => {
    expect(files['alerts.yml']).toContain('(14.4 * 0.005)');
    expect(files['alerts.yml']).toContain('le=~"1|1\\\\.0"');
    expect(files['recording-rules.yml']).toContain('job_service_route:shop_reqs:rate5m');
  });
});

describe('promhttp-ops', () => {
  it('writes the three files for --prefix shop_ --job checkout --availability 99.9 --latency 0.5, and a PrometheusRule with --kubernetes', async () => {
    const out = temp();
    const { io, out: printed } = quiet();
    const args = ['--prefix', 'shop_', '--job', 'checkout', '--availability', '99.9', '--latency', '0.5', '--label', 'service=checkout'];
    expect(await runCli([...args, '--out', out], io)).toBe(0);
    const expected = generateOps({ prefix: 'shop_', job: 'checkout', availability: 99.9, latency: 0.5, labels: { service: 'checkout' } });
    for (const name of SHIPPED) expect(readFileSync(join(out, name), 'utf8')).toBe(expected[name]);
    expect(await runCli([...args, '--out', out, '--kubernetes', '--namespace', 'shop'], io)).toBe(0);
    expect(printed.join('')).toContain('prometheus-rule.yml');
    const resource = parse(readFileSync(join(out, 'prometheus-rule.yml'), 'utf8')) as { kind: string; metadata: { namespace: string }; spec: { groups: Array<{ name: string }> } };
    expect(resource.kind).toBe('PrometheusRule');
    expect(resource.metadata.namespace).toBe('shop');
    expect(resource.spec.groups.map((g) => g.name)).toEqual(['promhttp.shop_http_requests.recording', 'promhttp.shop_http_requests.slo', 'promhttp.shop_http_requests.health', 'promhttp.shop_http_requests.batch']);
  });

  it('refuses what it cannot honour, saying what to write instead, with exit code 2', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--latency', '0.3'], /"latency" must be one of the histogram's bucket bounds \(0\.005, .*\), got 0\.3/],
      [['--prefix', 'shop'], /prefix "shop" is not valid/],
      [['--availability', '100'], /"availability" must be a percentage above 0 and below 100/],
      [['--label', 'route=x'], /"labels" cannot set "route"/],
      [['--slo-period', '30 days'], /"sloPeriod" must be a Prometheus duration/],
      // 7 days scale the 5m page window to 1m10s: one 1-minute scrape, nothing for rate().
      [['--slo-period', '7d'], /"sloPeriod" 7d makes the shortest burn-rate window 1m10s, under 4 scrapes of 1m \("scrapeInterval"\): .* at least 24d, or give the real "scrapeInterval"/],
      [['--slo-period', '7d', '--scrape-interval', '30s'], /at least 12d/],
      [['--scrape-interval', '1 minute'], /"scrapeInterval" must be a Prometheus duration/],
      [['--latency', 'fast'], /--latency takes a number/],
      [['--jbo', 'x'], /Unknown option '--jbo'/],
      [['--labels', 'service=x'], /Unknown option '--labels'; did you mean --label NAME=VALUE, once per label\?/],
      [['--names', 'x'], /Unknown option '--names'; did you mean --requests-name, --duration-name and --in-flight-name\?/],
      [['--scrape-intervl', '1m'], /Unknown option '--scrape-intervl'; did you mean --scrape-interval\?/],
      [['--kubernetes', '--rule-label', 'bad label=x'], /--rule-label "bad label" is not a Kubernetes label key/],
      [['--kubernetes', '--rule-label', 'release=not ok'], /--rule-label release="not ok": the value is not a Kubernetes label value/],
    ];
    for (const [args, message] of cases) {
      const { io, err } = quiet();
      expect(await runCli(args, io), args.join(' ')).toBe(2);
      expect(err.join(''), args.join(' ')).toMatch(message);
      expect(err.join('')).toMatch(/^promhttp-ops: /);
    }
  });

  it('takes a period as short as the scrape interval allows: 7d at 15 s scrapes, every window 4 scrapes or more', async () => {
    const out = temp();
    const { io } = quiet();
    expect(await runCli(['--slo-period', '7d', '--scrape-interval', '15s', '--out', out], io)).toBe(0);
    const windows = [...readFileSync(join(out, 'alerts.yml'), 'utf8').matchAll(/ratio_rate(\w+)\b/g)].map((m) => m[1]!);
    expect(new Set(windows)).toEqual(new Set(['1m10s', '7m', '14m', '28m', '1h24m', '5h36m', '16h48m']));
  });

  it('a file it cannot write: one line with the reason and exit code 1, not the usage of a wrong option', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'file'), '');
    for (const [out, reason] of [[join(dir, 'file', 'sub'), 'ENOTDIR'], [join(dir, 'file'), 'EEXIST']] as const) {
      const { io, err } = quiet();
      expect(await runCli(['--out', out], io), out).toBe(1);
      expect(err.join(''), out).toMatch(new RegExp(`^promhttp-ops: cannot write ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${reason} \\([^)\n]+\\)\\.\n$`));
    }
  });

  it('accepts Kubernetes label keys with a prefix, and writes budgets as the objective gives them: 99.99999 % leaves 1e-7', async () => {
    const out = temp();
    const { io } = quiet();
    expect(await runCli(['--kubernetes', '--rule-label', 'example.com/team=web-1', '--availability', '99.99999', '--out', out], io)).toBe(0);
    const text = readFileSync(join(out, 'prometheus-rule.yml'), 'utf8');
    expect(text).toContain('example.com/team: web-1');
    expect(text).toContain('> (14.4 * 1e-7)');
    expect(text).not.toMatch(/1\.0000000003/);
  });

  it('runs from its bundle with no node_modules in reach, as the published command does', async () => {
    const dir = temp();
    const { bundleOps } = (await import(pathToFileURL(join(ROOT, 'scripts/bundle-ops.mjs')).href)) as { bundleOps(outfile: string): Promise<void> };
    await bundleOps(join(dir, 'cli.mjs'));
    writeFileSync(join(dir, 'run.mjs'), "const { runCli } = await import('./cli.mjs');\nprocess.exitCode = await runCli(process.argv.slice(2));\n");
    await run(process.execPath, [join(dir, 'run.mjs'), '--out', join(dir, 'out')], { cwd: dir });
    for (const name of SHIPPED) expect(readFileSync(join(dir, 'out', name), 'utf8'), name).toBe(shipped(name));
  });

  it('runs from the sources through bin/promhttp-ops.mjs under tsx', async () => {
    const { stdout } = await run(TSX, [join(ROOT, 'bin/promhttp-ops.mjs'), '--help']);
    expect(stdout).toContain('Usage: promhttp-ops');
  });
});
