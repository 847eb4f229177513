// promhttp-ops --native-histograms: what it writes, judged by promtool. That the queries answer is
// shown against a real Prometheus with native histograms in e2e-native-histograms.test.ts.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../ops/generator/cli.js';
import { generateOps } from '../../ops/generator/generate.js';
import { panelsOf, type GrafanaDashboard } from '../support/grafana.js';
import { PROMTOOL } from '../support/prometheus.js';

const run = promisify(execFile);
const out = mkdtempSync(join(tmpdir(), 'promhttp-ops-native-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const all = (files: Record<string, string>): string => Object.values(files).join('\n');
const exprs = (files: { 'dashboard.json': string }): string[] => panelsOf(JSON.parse(files['dashboard.json']) as GrafanaDashboard).flatMap((p) => (p.targets ?? []).map((t) => t.expr));

describe('promhttp-ops --native-histograms', () => {
  for (const naming of ['default', 'otel'] as const) {
    it(`${naming} naming: writes the files from the command line, and promtool check rules passes on them`, async () => {
      const dir = join(out, naming);
      const io = { out: () => {}, err: (t: string) => void expect.fail(t) };
      expect(await runCli(['--naming', naming, '--native-histograms', '--out', dir], io)).toBe(0);
      const files = generateOps({ naming, nativeHistograms: true });
      for (const name of ['dashboard.json', 'recording-rules.yml', 'alerts.yml'] as const) expect(readFileSync(join(dir, name), 'utf8')).toBe(files[name]);
      const { stdout } = await run(PROMTOOL, ['check', 'rules', join(dir, 'recording-rules.yml'), join(dir, 'alerts.yml')]);
      expect(stdout).toMatch(/recording-rules\.yml\n {2}SUCCESS: 12 rules found/);
      expect(stdout).toMatch(/alerts\.yml\n {2}SUCCESS: 31 rules found/);
    });
  }

  it('reads no classic series of the duration histogram: no _bucket, _sum, _count or le', () => {
    for (const naming of ['default', 'otel'] as const) {
      const text = all({ ...generateOps({ naming, nativeHistograms: true }) });
      expect(text, naming).not.toMatch(/request_duration_seconds_(bucket|sum|count)\b|\ble[=~,)]|by \(le\b/);
      expect(text, naming).toMatch(/histogram_quantile\(0\.99, sum by \(job, \w*route\) \(rate\(http(_server)?_request_duration_seconds\[5m\]\)\)\)/);
      expect(text, naming).toContain('histogram_fraction(0, 0.5, sum by (job) (rate(http');
      expect(text, naming).toContain('histogram_sum(rate(http');
    }
    // The default names keep counting requests with the counter, which Prometheus still stores.
    expect(exprs(generateOps({ nativeHistograms: true }))).toContain('sum by (route) (rate(http_requests_total{job=~"$job", instance=~"$instance", route=~"$route"}[$__rate_interval]))');
    // Under otel every count comes from the native histogram.
    expect(all({ ...generateOps({ naming: 'otel', nativeHistograms: true }) })).toContain('sum by (job) (histogram_count(rate(http_server_request_duration_seconds[5m])))');
  });

  it('the heatmap queries the native histogram in the time series format, from which Grafana draws its buckets', () => {
    const heatmap = (nativeHistograms: boolean) => panelsOf(JSON.parse(generateOps({ nativeHistograms })['dashboard.json']) as GrafanaDashboard).find((p) => p.type === 'heatmap')!.targets![0]!;
    expect(heatmap(true)).toMatchObject({ expr: 'sum(rate(http_request_duration_seconds{job=~"$job", instance=~"$instance", route=~"$route"}[$__rate_interval]))', format: 'time_series' });
    expect(heatmap(false)).toMatchObject({ format: 'heatmap', legendFormat: '{{le}}' });
  });

  it('takes any latency threshold above 0, since histogram_fraction needs no bucket bound; refuses a non-boolean', () => {
    expect(generateOps({ nativeHistograms: true, latency: 0.3 })['alerts.yml']).toContain('histogram_fraction(0, 0.3, ');
    expect(() => generateOps({ latency: 0.3 })).toThrow(/"latency" must be one of the histogram's bucket bounds/);
    expect(() => generateOps({ nativeHistograms: true, latency: 0 })).toThrow(/^promhttp: promhttp-ops: "latency" must be a number of seconds above 0/);
    expect(() => generateOps({ nativeHistograms: 'yes' as unknown as boolean })).toThrow(/^promhttp: promhttp-ops: "nativeHistograms"/);
  });
});
