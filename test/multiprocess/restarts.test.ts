import { describe, expect, it } from 'vitest';
import { renderDirectory } from 'promhttp';
import { startChild } from '../support/process.js';
import { parseExposition, sum } from '../support/scrape.js';
import type { TempDir } from '../fixtures/mp-support.js';
import { processes, runBundle, withBundles } from '../fixtures/mp-support.js';

const procs = processes();
let work: TempDir;
let recorder: string;
withBundles(procs, ['mp-record.ts'], (dir, [record]) => {
  work = dir;
  recorder = record!;
});

const total = async (dir: string): Promise<number> => sum(parseExposition(await renderDirectory(dir)), 'http_requests_total');

/** A process recording `requests` with reset policy `reset`, that exits (or stays alive when `stay`). */
async function run(dir: string, requests: number, reset: string, stay = false) {
  const env = { PROMETHEUS_MULTIPROC_DIR: dir, REQUESTS: String(requests), MP_RESET: reset };
  if (!stay) return void expect((await runBundle(recorder, { ...env, THEN: 'exit' })).code).toBe(0);
  const child = procs.track(startChild(process.execPath, [recorder], { env: { ...env, THEN: 'wait' } }));
  await child.waitFor(/recorded/);
  return child;
}

describe('restarts', () => {
  it('starts from zero on a cold start, keeps totals on a rolling restart, and follows reset "never" and "always"', async () => {
    const dir = `${work.path}/restarts`;
    await run(dir, 5, 'auto');
    expect(await total(dir)).toBe(5);

    // Cold start: no live process uses the directory, so what the last run left is forgotten.
    const first = await run(dir, 2, 'auto', true);
    expect(await total(dir)).toBe(2);

    // Rolling restart: another process is live, so the newcomer keeps the totals.
    await run(dir, 3, 'auto');
    expect(await total(dir)).toBe(5);

    // "never" keeps totals across a cold start.
    await first!.stop();
    await run(dir, 1, 'never');
    expect(await total(dir)).toBe(6);

    // "always" forgets the dead even while others live; the live one's counts stay.
    await run(dir, 7, 'never', true);
    expect(await total(dir)).toBe(13);
    await run(dir, 4, 'always');
    expect(await total(dir)).toBe(7 + 4);
  });
});
