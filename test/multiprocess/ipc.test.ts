import { afterEach, describe, expect, it } from 'vitest';
import { eventually, expectSteadyTotals, get, load, processes, runTs, scrapeWhileOneBlocks, startClusterFixture, totals, totalsAcrossKill } from '../fixtures/mp-support.js';
import { clusterPrimary, clusterWorker } from 'promhttp';
import { find } from '../support/scrape.js';

const procs = processes();

afterEach(async () => {
  await procs.stopAll();
});

/** Starts ipc-cluster.ts (clusterPrimary + `workers` clusterWorker workers on one port). */
async function startCluster(workers: number, env: NodeJS.ProcessEnv = {}) {
  return startClusterFixture(procs, 'ipc-cluster.ts', { WORKERS: String(workers), PORT: '0', ...env });
}

const workerStates = (samples: Awaited<ReturnType<typeof totals>>['samples']): Record<string, number> =>
  Object.fromEntries(find(samples, 'promhttp_cluster_workers').map((s) => [s.labels.state!, s.value]));

describe('IPC mode: node:cluster workers merged through the primary', () => {
  it('counts every request exactly once over 2 workers, whichever worker serves /metrics', { timeout: 60_000 }, async () => {
    const app = await startCluster(2);
    const n = 200;
    const sent = await load(app.url, n, 6);
    expect(sent).toMatchObject({ ok: n, failed: 0 });
    expect(sent.byPid.size).toBe(2);

    const servedBy = await expectSteadyTotals(app.url, n, 10, (t) => {
      expect(workerStates(t.samples)).toEqual({ fresh: 2, stale: 0, exited: 0 });
      // Process metrics stay per worker, under the slot the primary gave each one.
      expect(find(t.samples, 'process_cpu_user_seconds_total').map((s) => s.labels.worker).sort()).toEqual(['0', '1']);
    });
    expect(servedBy.size).toBe(2);
  });

  it('answers a scrape from the other worker while one worker blocks its event loop for 6 s', { timeout: 60_000 }, async () => {
    const app = await startCluster(2);
    const n = 100;
    expect(await load(app.url, n, 4)).toMatchObject({ ok: n, failed: 0 });
    // A first scrape collects both workers fresh: that is the blocked worker's last state below.
    expect((await totals(app.url)).requests).toBe(n);
    // The blocked worker's request goes first; the next connection goes to the other one.
    const { scrape: t, tookMs: took, blockDoneBefore, blocked: block } = await scrapeWhileOneBlocks(app.url, 6000);
    expect(blockDoneBefore).toBe(false);
    expect(t.requests).toBe(n);
    expect(t.count).toBe(n);
    expect(workerStates(t.samples)).toEqual({ fresh: 1, stale: 1, exited: 0 });
    const blocked = await block;
    console.log(`IPC scrape by pid ${t.pid} while pid ${blocked.pid} blocked its loop for 6 s took ${took.toFixed(1)} ms`);
    expect(blocked.pid).not.toBe(t.pid);
    const after = await totals(app.url);
    expect(after.requests).toBe(n + 1);
    expect(workerStates(after.samples)).toEqual({ fresh: 2, stale: 0, exited: 0 });
  });

  it('keeps a SIGKILLed worker\'s counts, so totals never go down, and adds what its replacement serves', { timeout: 60_000 }, async () => {
    const app = await startCluster(2);
    const n = 150;
    expect(await load(app.url, n, 4)).toMatchObject({ ok: n, failed: 0 });
    expect((await totals(app.url)).requests).toBe(n);
    const victim = app.pids().get(1)!;
    process.kill(victim, 'SIGKILL');
    await eventually(() => app.pids().get(1) !== victim, 10_000, 'worker 1 forked again');
    for (let i = 0; i < 4; i++) {
      const t = await totals(app.url);
      expect(t.requests).toBe(n);
      expect(t.count).toBe(n);
      expect(workerStates(t.samples).exited).toBe(1);
    }
    const n2 = 90;
    expect(await load(app.url, n2, 4)).toMatchObject({ ok: n2, failed: 0 });
    for (let i = 0; i < 4; i++) expect((await totals(app.url)).requests).toBe(n + n2);
  });

  it('keeps everything a worker recorded when it leaves with close() before process.exit()', { timeout: 60_000 }, async () => {
    // No periodic pushes during the test: only close() can bring the leaving worker's last requests to the primary.
    const app = await startCluster(2, { IPC_PUSH_MS: '60000' });
    const n = 120;
    expect(await load(app.url, n, 4)).toMatchObject({ ok: n, failed: 0 });
    const leaving = await get(`${app.url}/exit`);
    expect(leaving.status).toBe(200);
    await eventually(() => [...app.pids().values()].every((pid) => pid !== leaving.pid), 10_000, 'the leaving worker replaced');
    // The replacement announces itself right after it starts; until then the primary knows one live worker.
    await eventually(async () => workerStates((await totals(app.url)).samples).fresh === 2, 10_000, 'the replacement taking part');
    for (let i = 0; i < 4; i++) {
      const t = await totals(app.url);
      expect(t.requests).toBe(n + 1);
      expect(t.count).toBe(n + 1);
      expect(workerStates(t.samples)).toEqual({ fresh: 2, stale: 0, exited: 1 });
    }
  });

  it('never shows a lower total while a worker is SIGKILLed under load, and loses at most what the victim had not yet sent', { timeout: 60_000 }, async () => {
    const app = await startCluster(2, { IPC_PUSH_MS: '200' });
    const victim = app.pids().get(0)!;
    const sending = load(app.url, 500, 6);
    let last = 0;
    let killed = false;
    let beforeKill = 0;
    let retries = 0;
    while (!killed || app.pids().get(0) === victim) {
      const t = await totalsAcrossKill(app.url);
      retries += t.retries;
      expect(t.requests).toBeGreaterThanOrEqual(last);
      last = t.requests;
      if (!killed && last > 150) {
        beforeKill = last;
        process.kill(victim, 'SIGKILL');
        killed = true;
      }
    }
    // Only a connection handed to the victim as it died may go unanswered.
    expect(retries).toBeLessThanOrEqual(1);
    const sent = await sending;
    expect(sent.byPid.get(victim) ?? 0).toBeGreaterThan(0);
    const final = await totals(app.url);
    expect(final.requests).toBeGreaterThanOrEqual(last);
    console.log(`IPC SIGKILL under load: client saw ${sent.ok} ok, ${sent.failed} failed; metrics ${final.requests} (${beforeKill} at the kill)`);
    // Lost: what the victim served after its last push (200 ms) or scrape, which the scrapes above bound to a few requests per lane.
    expect(final.requests).toBeLessThanOrEqual(sent.ok);
    expect(sent.ok - final.requests).toBeLessThanOrEqual(6 * 10);
  });

  it('refuses to start under PM2, naming directory mode instead of answering with an empty body', async () => {
    const child = procs.track(runTs('ipc-pm2-refusal.ts', { pm_id: '3', NODE_APP_INSTANCE: '3' }));
    const code = await new Promise<number | null>((resolve) => child.process.once('exit', resolve));
    expect(code).toBe(1);
    expect(child.output()).toMatch(/TypeError: promhttp: clusterWorker: this process runs under PM2/);
    expect(child.output()).toContain('PROMETHEUS_MULTIPROC_DIR');
  });

  it('refuses a worker whose primary did not call clusterPrimary()', async () => {
    const child = procs.track(runTs('ipc-pm2-refusal.ts', { IPC_FORK_WITHOUT_PRIMARY: '1' }));
    await child.waitFor(/worker exited (\d+)/);
    expect(child.output()).toMatch(/promhttp: clusterWorker: the cluster primary did not call clusterPrimary\(\) before forking/);
  });

  it('validates options at construction, before touching the process', () => {
    expect(() => clusterPrimary({ timeoutMs: 0 })).toThrow(/^promhttp: clusterPrimary: "timeoutMs" must be a number of milliseconds from 1 to 10000, got 0/);
    expect(() => clusterPrimary({ timeout: 100 } as never)).toThrow(/unknown option "timeout"\. Did you mean "timeoutMs"\?/);
    expect(() => clusterWorker({ pushInterval: 10 })).toThrow(/^promhttp: clusterWorker: "pushInterval" must be a number of milliseconds of at least 100, got 10/);
    // The test runner is no cluster worker.
    expect(() => clusterWorker()).toThrow(/^promhttp: clusterWorker\(\) runs in a node:cluster worker; in the primary call clusterPrimary\(\)/);
  });
});
