import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/process.js';
import { parseExposition, sum } from '../support/scrape.js';
import type { TempDir } from '../fixtures/mp-support.js';
import { entries, eventually, processes, runBundle, withBundles } from '../fixtures/mp-support.js';
import { startChild } from '../support/process.js';

const procs = processes();
let work: TempDir;
let recorder: string;
withBundles(procs, ['mp-record.ts'], (dir, [record]) => {
  work = dir;
  recorder = record!;
});

/** Runs bin/promhttp-multiproc.mjs from this checkout, as `npx promhttp-multiproc` would. */
function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', `${ROOT}bin/promhttp-multiproc.mjs`, ...args], { cwd: ROOT, env: { ...process.env, PROMETHEUS_MULTIPROC_DIR: '' } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('promhttp-multiproc', () => {
  it('prints the merged exposition of a directory, in either format', async () => {
    const dir = `${work.path}/print`;
    for (const requests of [4, 6]) await runBundle(recorder, { PROMETHEUS_MULTIPROC_DIR: dir, REQUESTS: String(requests), THEN: 'exit', MP_RESET: 'never' });
    const text = await cli('print', dir);
    expect(text.code).toBe(0);
    expect(sum(parseExposition(text.stdout), 'http_requests_total', { route: '/job' })).toBe(10);
    const om = await cli('print', dir, '--openmetrics');
    expect(om.code).toBe(0);
    expect(om.stdout).toMatch(/^http_requests_total\{method="GET",route="\/job",status_code="200"\} 10$/m);
    expect(om.stdout).toMatch(/# TYPE http_requests counter\n/);
    expect(om.stdout.endsWith('# EOF\n')).toBe(true);
  });

  it('refuses to clear a directory a live process uses, clears it with --force, and leaves foreign files alone', async () => {
    const dir = `${work.path}/clear`;
    await runBundle(recorder, { PROMETHEUS_MULTIPROC_DIR: dir, REQUESTS: '3', THEN: 'exit', MP_RESET: 'never' });
    const live = procs.track(startChild(process.execPath, [recorder], { env: { PROMETHEUS_MULTIPROC_DIR: dir, REQUESTS: '2', THEN: 'wait', MP_RESET: 'never' } }));
    await live.waitFor(/recorded/);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${dir}/notes.txt`, 'not promhttp');

    const refused = await cli('clear', dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`(pid ${live.process.pid})`);
    expect(entries(dir)).toHaveLength(2);

    await live.stop();
    const cleared = await cli('clear', dir);
    expect(cleared).toMatchObject({ code: 0 });
    expect(cleared.stdout).toContain('removed 2 entries');
    expect(readdirSync(dir)).toEqual(['notes.txt']);
    expect(sum(parseExposition((await cli('print', dir)).stdout), 'http_requests_total')).toBe(0);
  });

  it('clears with --force while a process is live, which then rewrites its files from memory', async () => {
    const dir = `${work.path}/force`;
    const live = procs.track(startChild(process.execPath, [recorder], { env: { PROMETHEUS_MULTIPROC_DIR: dir, REQUESTS: '2', THEN: 'wait' } }));
    await live.waitFor(/recorded/);
    const forced = await cli('clear', dir, '--force');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('1 live process will rewrite');
    expect(entries(dir)).toEqual([]);
    // Its next heartbeat (every 10 s) notices and writes everything again.
    await eventually(() => entries(dir).length === 1, 15_000, 'files rewritten');
    expect(sum(parseExposition((await cli('print', dir)).stdout), 'http_requests_total')).toBe(2);
  });

  it('explains its usage and rejects unknown commands, options and missing directories', async () => {
    expect((await cli()).code).toBe(2);
    const unknown = await cli('list', '/tmp');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "list"');
    expect((await cli('print', '/tmp', '--fast')).stderr).toContain('unknown option "--fast"');
    expect((await cli('print')).stderr).toContain('PROMETHEUS_MULTIPROC_DIR is not set');
    const missing = await cli('print', `${work.path}/nope`);
    expect(missing.code).toBe(1);
    expect(existsSync(`${work.path}/nope`)).toBe(false);
    expect(missing.stderr).toMatch(/^promhttp: renderDirectory: the directory .* does not exist\./);
  });
});
