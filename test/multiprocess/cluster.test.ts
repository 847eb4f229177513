import { afterEach, describe, expect, it } from 'vitest';
import { entries, eventually, expectSteadyTotals, load, processes, scrapeWhileOneBlocks, startClusterFixture, tempDir, totals } from '../fixtures/mp-support.js';
import { countedSeries, wentDown } from '../support/series.js';

const procs = processes();
let dir: ReturnType<typeof tempDir> | undefined;

afterEach(async () => {
  await procs.stopAll();
  dir?.remove();
  dir = undefined;
});

/** Starts mp-cluster.ts with `workers` workers in a fresh directory. */
async function startCluster(workers: number, env: NodeJS.ProcessEnv = {}) {
  dir = tempDir();
  const app = await startClusterFixture(procs, 'mp-cluster.ts', { PROMETHEUS_MULTIPROC_DIR: dir.path, WORKERS: String(workers), PORT: '0', ...env });
  return { ...app, dir: dir.path };
}

describe('node:cluster workers sharing PROMETHEUS_MULTIPROC_DIR', () => {
  it.each([2, 4])('counts every request exactly once over %i workers, whichever worker serves /metrics', async (workers) => {
    const app = await startCluster(workers);
    const n = 240;
    // Scrape while the load runs: what any worker reports never goes down.
    let last = 0;
    let running = true;
    const watcher = (async () => {
      while (running) {
        const { requests } = await totals(app.url);
        expect(requests).toBeGreaterThanOrEqual(last);
        last = requests;
      }
    })();
    const sent = await load(app.url, n, 8);
    running = false;
    await watcher;
    expect(sent).toMatchObject({ ok: n, failed: 0 });
    expect(sent.byPid.size).toBe(workers);

    // Every count, the plain prom-client ones of each worker included (process_cpu_seconds_total…),
    // never goes down from one scrape to the next, whichever worker serves them.
    let previous: Map<string, number> | undefined;
    const servedBy = await expectSteadyTotals(app.url, n, 10, (t) => {
      const now = countedSeries(t.text);
      if (previous !== undefined) expect(wentDown(previous, now)).toEqual([]);
      previous = now;
    });
    expect(servedBy.size).toBe(workers);
  });

  it('keeps the totals when an idle worker is SIGKILLed, and adds what its replacement serves', async () => {
    const app = await startCluster(2, { MP_COMPACT_MS: '500' });
    const n = 150;
    expect(await load(app.url, n, 4)).toMatchObject({ ok: n, failed: 0 });
    // Idle means every request recorded: a response's 'close', which records it, can follow the client's read by a moment.
    await eventually(async () => (await totals(app.url)).requests === n, 5_000, 'all requests recorded');
    const victim = app.pids().get(1)!;
    process.kill(victim, 'SIGKILL');
    // Once the primary knows (a connection it hands to a dead worker is never answered), the
    // survivor answers alone until the replacement is up: nothing the victim counted is lost.
    await app.child.waitFor(new RegExp(`worker 1 pid ${victim} exited`));
    expect((await totals(app.url)).requests).toBe(n);
    await eventually(() => app.pids().get(1) !== victim, 10_000, 'worker 1 forked again');
    for (let i = 0; i < 4; i++) expect((await totals(app.url)).requests).toBe(n);

    const n2 = 90;
    expect(await load(app.url, n2, 4)).toMatchObject({ ok: n2, failed: 0 });
    for (let i = 0; i < 4; i++) {
      const t = await totals(app.url);
      expect(t.requests).toBe(n + n2);
      expect(t.count).toBe(n + n2);
    }
    // The victim's files are merged into a live worker's archive, and the totals stay exact.
    await eventually(() => !entries(app.dir).some((e) => e.includes(`${victim}-0-`) && e.startsWith('proc.')), 10_000, 'victim compacted');
    expect(entries(app.dir).some((e) => e.startsWith('archive.'))).toBe(true);
    for (let i = 0; i < 4; i++) expect((await totals(app.url)).requests).toBe(n + n2);
  });

  it('loses at most the requests in flight at a worker SIGKILLed under load', async () => {
    const app = await startCluster(2);
    const concurrency = 8;
    const victim = app.pids().get(0)!;
    const sending = load(app.url, 600, concurrency, () => '/slow?ms=5');
    let servedBefore = 0;
    // Kill once the victim has demonstrably been serving this load.
    await eventually(async () => {
      const t = await totals(app.url);
      servedBefore = t.requests;
      return t.requests > 100;
    }, 20_000, 'load under way');
    process.kill(victim, 'SIGKILL');
    const sent = await sending;
    expect(sent.byPid.get(victim) ?? 0).toBeGreaterThan(0);
    await eventually(() => app.pids().get(0) !== victim, 10_000, 'worker 0 forked again');
    const t = await totals(app.url);
    const seen = t.samples.filter((s) => s.name === 'http_requests_total' && s.labels.route === '/slow').reduce((a, s) => a + s.value, 0);
    console.log(`SIGKILL under load: client saw ${sent.ok} ok and ${sent.failed} failed; metrics count ${seen} (${servedBefore} before the kill)`);
    // Requests the victim finished in its last event-loop turn, or had answered but the client had not yet read: at most what was in flight.
    expect(Math.abs(seen - sent.ok)).toBeLessThanOrEqual(concurrency);
    expect(sent.ok + sent.failed).toBe(600);
  });

  it('answers a scrape from another worker while one worker blocks its event loop for 6 s', async () => {
    const app = await startCluster(2);
    const n = 100;
    expect(await load(app.url, n, 4)).toMatchObject({ ok: n, failed: 0 });
    const { scrape: t, tookMs: took, blockDoneBefore, blocked: block } = await scrapeWhileOneBlocks(app.url, 6000);
    expect(blockDoneBefore).toBe(false);
    expect(t.requests).toBe(n);
    expect(t.count).toBe(n);
    const blocked = await block;
    console.log(`scrape by pid ${t.pid} while pid ${blocked.pid} blocked its loop for 6 s took ${took.toFixed(1)} ms`);
    expect(blocked.pid).not.toBe(t.pid);
    expect((await totals(app.url)).requests).toBe(n + 1);
  });
});

describe('Express workers under node:cluster sharing PROMETHEUS_MULTIPROC_DIR', () => {
  it('counts every request exactly once over 2 workers, by route template, whichever worker serves /metrics', async () => {
    const app = await startCluster(2, { MP_APP: 'mp-express-app.ts' });
    const n = 120;
    const sent = await load(app.url, n, 8);
    expect(sent).toMatchObject({ ok: n, failed: 0 });
    expect(sent.byPid.size).toBe(2);

    const servedBy = await expectSteadyTotals(app.url, n, 8, (t) => {
      expect(t.samples.filter((s) => s.name === 'http_requests_total').map((s) => [s.labels.route, s.labels.status_code, s.value])).toEqual([['/users/:id', '200', n]]);
    });
    expect(servedBy.size).toBe(2);
  });
});
