import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, load, tempDir, totals } from '../fixtures/mp-support.js';
import { ROOT, startChild, type Child } from '../support/process.js';
import { startPrometheus, type Prometheus } from '../support/prometheus.js';

let app: Child | undefined;
let prometheus: Prometheus | undefined;
let dir: ReturnType<typeof tempDir> | undefined;
const workerPids = new Set<number>();

afterAll(async () => {
  await prometheus?.stop();
  await app?.stop(2_000);
  // Workers leave when their primary does; a worker that was stuck is ended here.
  for (const pid of workerPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  dir?.remove();
});

/** The cluster's workers: children of `parent` running the same program (tsx also starts an esbuild child). */
function childrenOf(parent: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      // Field 4 (ppid) follows the command name, which is in parentheses and may hold spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent && readFileSync(`/proc/${name}/cmdline`, 'latin1').includes('examples/cluster.ts')) pids.push(Number(name));
    } catch {
      // The process exited while we looked.
    }
  }
  for (const pid of pids) workerPids.add(pid);
  return pids;
}

describe('a node:cluster app in directory mode, scraped by a real Prometheus while workers are SIGKILLed', () => {
  it('shows Prometheus no counter reset, and a total equal to the responses the client saw', { timeout: 120_000 }, async () => {
    dir = tempDir();
    const concurrency = 8;
    app = startChild(process.execPath, ['--import', 'tsx', `${ROOT}examples/cluster.ts`], { env: { PORT: '0', WORKERS: '4', PROMETHEUS_MULTIPROC_DIR: dir.path } });
    const url = await app.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 25_000);
    const primary = app.process.pid!;
    await eventually(() => childrenOf(primary).length === 4, 15_000, '4 workers');
    prometheus = await startPrometheus([{ job: 'cluster', targets: [new URL(url).host] }]);
    await prometheus.waitForFreshScrape();

    let ok = 0;
    let failed = 0;
    const send = async (count: number): Promise<void> => {
      const result = await load(url, count, concurrency);
      ok += result.ok;
      failed += result.failed;
    };
    /** Sends `count` requests and SIGKILLs one worker once a third of them are counted; waits for the replacement. */
    const sendAndKill = async (count: number): Promise<number> => {
      const start = (await totals(url)).requests;
      const before = childrenOf(primary);
      const sending = send(count);
      await eventually(async () => (await totals(url)).requests >= start + count / 3, 20_000, 'load under way');
      const victim = before[0]!;
      process.kill(victim, 'SIGKILL');
      await sending;
      await eventually(() => childrenOf(primary).length === 4 && !childrenOf(primary).includes(victim), 15_000, 'worker forked again');
      return victim;
    };

    await send(300);
    await prometheus.waitForFreshScrape();
    const first = await sendAndKill(400);
    await prometheus.waitForFreshScrape();
    const second = await sendAndKill(400);
    expect(second).not.toBe(first);
    await prometheus.waitForFreshScrape();
    // The replacements serve too, so the final total also covers processes that never saw a kill.
    await send(200);

    const own = await totals(url);
    const atPrometheus = await prometheus.waitFor('sum(http_requests_total{job="cluster"})', (v) => v === own.requests);
    const resets = await prometheus.query('sum(resets(http_requests_total{job="cluster"}[5m]))');
    const histogramResets = await prometheus.query('sum(resets(http_request_duration_seconds_count{job="cluster"}[5m]))');
    const scrapes = (await prometheus.query('count_over_time(up{job="cluster"}[5m])'))[0]?.value ?? 0;
    console.log(`Prometheus: total ${atPrometheus}, client saw ${ok} ok and ${failed} failed, resets ${resets[0]?.value}, over ${scrapes} scrapes`);
    // Scraped before, between and after the kills (waitForFreshScrape above), each time by whichever worker got the connection.
    expect(scrapes).toBeGreaterThanOrEqual(10);
    expect(resets[0]?.value).toBe(0);
    expect(histogramResets[0]?.value).toBe(0);
    expect(ok + failed).toBe(1300);
    // Each kill may lose, or add, only what the victim had in flight: at most `concurrency` requests.
    expect(Math.abs(atPrometheus - ok)).toBeLessThanOrEqual(2 * concurrency);
    expect(failed).toBeLessThanOrEqual(2 * concurrency);
  });
});
