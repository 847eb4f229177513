// The series limit in directory mode: each process keeps to maxSeries on its own, a scrape merges
// at most that per store, and an archive of exited processes is one store, however many it holds.
import { renderDirectory } from 'promhttp';
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { startChild } from '../support/process.js';
import { promtoolCheckMetrics } from '../support/prometheus.js';
import { find, parseExposition, sum } from '../support/scrape.js';
import type { TempDir } from '../fixtures/mp-support.js';
import { entries, processes, runBundle, withBundles } from '../fixtures/mp-support.js';

const procs = processes();
let work: TempDir;
let tenants: string;
let compactor: string;
let routes: string;
withBundles(procs, ['mp-tenants.ts', 'mp-compactor.ts', 'mp-routes.ts'], (dir, [record, compact, route]) => {
  work = dir;
  [tenants, compactor, routes] = [record!, compact!, route!];
});

const MAX = 100;
const METRIC = 'tenant_requests_total';
let dirs = 0;
const newDir = (): string => {
  const dir = join(work.path, `dir${++dirs}`);
  mkdirSync(dir);
  return dir;
};
const envOf = (dir: string, first: number, count: number, then: 'exit' | 'wait'): NodeJS.ProcessEnv => ({
  PROMETHEUS_MULTIPROC_DIR: dir,
  MAX: String(MAX),
  FIRST: String(first),
  COUNT: String(count),
  THEN: then,
});

/** A process that records `count` tenants from `first` and exits. */
async function recordAndExit(dir: string, first: number, count: number): Promise<void> {
  const run = await runBundle(tenants, envOf(dir, first, count, 'exit'));
  expect(run.code, run.output).toBe(0);
}

async function merged(dir: string) {
  const text = await renderDirectory(dir);
  const samples = parseExposition(text);
  const series = find(samples, METRIC);
  return {
    text,
    tenants: series.filter((s) => s.labels.tenant !== 'overflow').length,
    overflow: series.filter((s) => s.labels.tenant === 'overflow'),
    total: sum(samples, METRIC),
    overflowTotal: sum(samples, 'promhttp_series_overflow_total', { metric: METRIC }),
  };
}

describe('maxSeries in directory mode', () => {
  it('holds per process: two live processes of 150 tenants each show 2 × maxSeries tenants and one overflow series, every sample counted', { timeout: 60_000 }, async () => {
    const dir = newDir();
    const children = [0, 150].map((first) => procs.track(startChild(process.execPath, [tenants], { env: envOf(dir, first, 150, 'wait') })));
    await Promise.all(children.map((child) => child.waitFor(/recorded/)));
    const view = await merged(dir);
    expect(view.tenants).toBe(2 * MAX);
    expect(view.overflow).toEqual([{ name: METRIC, labels: { service: 'shop', tenant: 'overflow' }, value: 2 * 50 }]);
    expect(view.total).toBe(300);
    expect(view.overflowTotal).toBe(100);
    expect(await promtoolCheckMetrics(view.text)).toBe('');
    await procs.stopAll();
  });

  it('keeps an archive of exited processes to maxSeries tenants, folding the rest into the overflow series with sums exact', { timeout: 90_000 }, async () => {
    const dir = newDir();
    for (const first of [0, 150, 300]) await recordAndExit(dir, first, 150);
    // Three dead stores, not yet absorbed: each its own store, within its limit.
    let view = await merged(dir);
    expect(view).toMatchObject({ tenants: 3 * MAX, total: 450, overflowTotal: 150 });

    expect((await runBundle(compactor, { PROMETHEUS_MULTIPROC_DIR: dir })).code).toBe(0);
    expect(entries(dir).filter((e) => e.startsWith('archive.'))).toHaveLength(1);
    view = await merged(dir);
    expect(view.tenants).toBe(MAX);
    // The processes' own overflow (3 × 50) and the 200 tenants the archive has no room for.
    expect(view.overflow).toEqual([{ name: METRIC, labels: { service: 'shop', tenant: 'overflow' }, value: 150 + 200 }]);
    expect(view.total).toBe(450);
    // Counted where the samples were recorded; the archive's folding is not a new sample.
    expect(view.overflowTotal).toBe(150);

    // More processes come and go: the archive stays bounded, the totals exact.
    for (const first of [450, 600]) await recordAndExit(dir, first, 120);
    expect((await runBundle(compactor, { PROMETHEUS_MULTIPROC_DIR: dir })).code).toBe(0);
    view = await merged(dir);
    expect(view.tenants).toBe(MAX);
    expect(view.total).toBe(450 + 240);
    expect(view.overflow[0]!.value).toBe(450 + 240 - MAX);
    expect(await promtoolCheckMetrics(view.text)).toBe('');
  });
});

describe('maxRoutes in directory mode', () => {
  it('holds per process for its lifetime: restarts bring new routes into the merged view, and an archive keeps them to maxSeries label sets', { timeout: 90_000 }, async () => {
    const dir = newDir();
    // Three lives of one worker (crash, restart), maxRoutes 2, three routes each.
    for (const first of [0, 3, 6]) {
      const run = await runBundle(routes, { PROMETHEUS_MULTIPROC_DIR: dir, MAX_ROUTES: '2', MAX_SERIES: '4', FIRST: String(first), COUNT: '3' });
      expect(run.code, run.output).toBe(0);
    }
    const routesOf = async () => {
      const series = find(parseExposition(await renderDirectory(dir)), 'http_requests_total');
      return { routes: series.map((s) => s.labels.route!).filter((r) => r !== 'overflow').sort(), series: series.length, total: series.reduce((n, s) => n + s.value, 0) };
    };
    // Not compacted: each process's two routes, 3 × maxRoutes in all, and the overflow route.
    expect(await routesOf()).toEqual({ routes: ['/r0', '/r1', '/r3', '/r4', '/r6', '/r7'], series: 7, total: 9 });
    // Compacted into one archive: at most maxSeries label sets and the overflow series, every request counted.
    expect((await runBundle(compactor, { PROMETHEUS_MULTIPROC_DIR: dir })).code).toBe(0);
    const archived = await routesOf();
    expect(archived.series).toBeLessThanOrEqual(4 + 1);
    expect(archived.total).toBe(9);
  });
});
