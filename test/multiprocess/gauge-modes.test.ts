import { describe, expect, it } from 'vitest';
import type { GaugeMode } from 'promhttp';
import { renderDirectory } from 'promhttp';
import { startChild } from '../support/process.js';
import { find, parseExposition } from '../support/scrape.js';
import type { TempDir } from '../fixtures/mp-support.js';
import { entries, processes, runBundle, withBundles } from '../fixtures/mp-support.js';

const procs = processes();
let work: TempDir;
let setter: string;
let compactor: string;
withBundles(
  procs,
  ['mp-gauge.ts', 'mp-compactor.ts'],
  (dir, [set, compact]) => {
    work = dir;
    [setter, compactor] = [set!, compact!];
  },
  { stopAfterEach: true },
);

/** The gauge's samples: `worker → value` for per-worker modes, else `'' → value`. */
async function gaugeValues(dir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of find(parseExposition(await renderDirectory(dir)), 'mp_test_gauge', { kind: 'x' })) out[s.labels.worker ?? ''] = s.value;
  return out;
}

/**
 * Three processes set the gauge one after the other: worker b to 5, worker a to 7 (both stay
 * alive), then worker c to `dead` and exits.
 */
async function setUp(mode: GaugeMode, dead: number): Promise<{ dir: string; deadPid: number }> {
  const dir = `${work.path}/${mode}`;
  for (const [worker, value] of [['b', 5], ['a', 7]] as const) {
    const child = procs.track(startChild(process.execPath, [setter], { env: { PROMETHEUS_MULTIPROC_DIR: dir, MODE: mode, VALUE: String(value), PROMHTTP_WORKER: worker } }));
    await child.waitFor(/^set$/m);
  }
  const exited = await runBundle(setter, { PROMETHEUS_MULTIPROC_DIR: dir, MODE: mode, VALUE: String(dead), PROMHTTP_WORKER: 'c', THEN: 'exit' });
  expect(exited.code).toBe(0);
  return { dir, deadPid: exited.pid };
}

const cases: Array<[GaugeMode, number, Record<string, number>]> = [
  ['all', 2, { a: 7, b: 5, c: 2 }],
  ['liveall', 2, { a: 7, b: 5 }],
  ['sum', 2, { '': 14 }],
  ['livesum', 2, { '': 12 }],
  ['min', 2, { '': 2 }],
  ['livemin', 2, { '': 5 }],
  ['max', 11, { '': 11 }],
  ['livemax', 11, { '': 7 }],
  ['mostrecent', 2, { '': 2 }],
  ['livemostrecent', 2, { '': 7 }],
];

describe('gauge modes across processes (b=5 then a=7 alive, then c exits)', () => {
  it.each(cases)('merges a "%s" gauge (c set to %i) as expected, before and after c is compacted', async (mode, dead, expected) => {
    const { dir, deadPid } = await setUp(mode, dead);
    expect(await gaugeValues(dir)).toEqual(expected);
    // c's store moves into an archive (a live process may have done it already): the merged value must not change.
    expect((await runBundle(compactor, { PROMETHEUS_MULTIPROC_DIR: dir })).code).toBe(0);
    expect(entries(dir).filter((e) => e.startsWith(`proc.${deadPid}-`))).toEqual([]);
    expect(await gaugeValues(dir)).toEqual(expected);
  });
});
