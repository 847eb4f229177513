import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appInfo, info, renderRegistry, startMetricsServer } from 'promhttp';
import { promtoolCheckMetrics, startPrometheus } from './support/prometheus.js';
import { find, parseExposition } from './support/scrape.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'promhttp-info-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: '@acme/shop', version: '2.7.1' }));
  mkdirSync(join(dir, 'dist', 'server'), { recursive: true });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('info()', () => {
  it('exposes a gauge of value 1 named <name>_info in the text format, promtool-clean', async () => {
    const registry = new Registry();
    info('build', 'Build of this service.', { version: '0.1.0', commit: 'a1b2c3d' }, { registry });
    const text = await renderRegistry(registry, 'text');
    expect(text).toBe('# HELP build_info Build of this service.\n# TYPE build_info gauge\nbuild_info{version="0.1.0",commit="a1b2c3d"} 1\n');
    expect(await promtoolCheckMetrics(text)).toBe('');
  });

  it('is an info metric in OpenMetrics, whether or not the name already ends in _info', async () => {
    const registry = new Registry();
    info('build_info', 'Build of this service.', { version: '0.1.0' }, { registry });
    expect(await renderRegistry(registry, 'openmetrics')).toBe('# HELP build Build of this service.\n# TYPE build info\nbuild_info{version="0.1.0"} 1\n# EOF\n');
  });

  it('returns the same metric for the same labels, and refuses other values for the same name', () => {
    const registry = new Registry();
    const first = info('build', 'Build.', { version: '1' }, { registry });
    expect(info('build', 'Build.', { version: '1' }, { registry })).toBe(first);
    expect(() => info('build', 'Build.', { version: '2' }, { registry })).toThrow(/^promhttp: info: "build_info" already exists with other label values/);
  });

  it('returns the same metric for the same labels given in another key order, keeping the first order', async () => {
    const registry = new Registry();
    const first = info('build', 'Build.', { version: '1', commit: 'abc' }, { registry });
    expect(info('build', 'Build.', { commit: 'abc', version: '1' }, { registry })).toBe(first);
    expect(() => info('build', 'Build.', { commit: 'def', version: '1' }, { registry })).toThrow(/^promhttp: info: "build_info" already exists with other label values/);
    expect(await renderRegistry(registry, 'text')).toContain('build_info{version="1",commit="abc"} 1\n');
  });

  it('rejects label values that are not strings', () => {
    expect(() => info('build', 'Build.', { version: 1 } as never, { registry: new Registry() })).toThrow(/^promhttp: info: the value of label "version" must be a string, got number 1/);
  });
});

describe('appInfo()', () => {
  it('exposes name and version of the nearest package.json, and the runtime', async () => {
    const registry = new Registry();
    appInfo({ registry, path: join(dir, 'dist', 'server') });
    const samples = parseExposition(await renderRegistry(registry, 'text'));
    expect(find(samples, 'app_info')).toEqual([
      { name: 'app_info', labels: { name: '@acme/shop', version: '2.7.1', runtime: 'node', runtime_version: process.versions.node }, value: 1 },
    ]);
  });

  it('reads a package.json given as a file', async () => {
    const registry = new Registry();
    appInfo({ registry, path: join(dir, 'package.json'), name: 'shop' });
    expect(find(parseExposition(await renderRegistry(registry, 'text')), 'shop_info')[0]?.labels.version).toBe('2.7.1');
  });

  it('fails at startup, saying what to do, when no package.json can be found', () => {
    const empty = mkdtempSync(join(tmpdir(), 'promhttp-nopkg-'));
    try {
      expect(() => appInfo({ registry: new Registry(), path: empty })).toThrow(/^promhttp: appInfo: no package.json found in .* Pass \{ path: '\/path\/to\/app' \}, or use info\(/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('is read by a real Prometheus, which negotiates OpenMetrics, with its labels', async () => {
    const registry = new Registry();
    appInfo({ registry, path: dir });
    const server = await startMetricsServer({ port: 0, registry });
    const prometheus = await startPrometheus([{ job: 'app', targets: [`127.0.0.1:${server.port}`] }]);
    try {
      await prometheus.waitFor('app_info{name="@acme/shop",version="2.7.1",runtime="node"}', (v) => v === 1);
      const [series] = await prometheus.query('app_info');
      expect(series?.metric).toMatchObject({ __name__: 'app_info', job: 'app', runtime_version: process.versions.node });
      // Only the OpenMetrics parser knows the info type; the text format would have said gauge.
      const response = await fetch(`${prometheus.url}/api/v1/targets/metadata?match_target=${encodeURIComponent('{job="app"}')}`);
      const metadata = (await response.json()) as { data: Array<{ metric: string; type: string }> };
      expect(metadata.data.filter((m) => m.metric.startsWith('app')).map((m) => [m.metric, m.type])).toEqual([['app', 'info']]);
    } finally {
      await prometheus.stop();
      await server.close();
    }
  });
});
