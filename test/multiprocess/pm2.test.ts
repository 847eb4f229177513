import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, get, load, tempDir, totals } from '../fixtures/mp-support.js';
import { freeRange } from '../fixtures/targets-ports.js';
import { ROOT, freePort } from '../support/process.js';

// The real pm2 package, with a PM2_HOME of its own so that its daemon, logs and dump are this suite's
// alone; `pm2 kill` in afterAll stops the daemon and every app it runs, whatever happened.
//
// PM2 7 refuses TypeScript entry points on Node < 22.18, and in cluster mode it ignores
// --interpreter (it forks its own container script through node:cluster). So the entry is a small
// JavaScript file, pm2-app.mjs, which registers tsx in the process PM2 starts and then imports the
// TypeScript app: the same entry works in cluster and fork mode.
const PM2 = `${ROOT}node_modules/.bin/pm2`;
const ENTRY = `${ROOT}test/fixtures/pm2-app.mjs`;
const run = promisify(execFile);
let home = '';
const dirs: Array<ReturnType<typeof tempDir>> = [];

async function pm2(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout } = await run(PM2, [...args], { cwd: ROOT, env: { ...process.env, PM2_HOME: home, ...env }, timeout: 60_000 });
  return stdout;
}

interface Pm2Process {
  name: string;
  pid: number;
  pm2_env: { status: string; exec_mode: string; pm_err_log_path: string; NODE_APP_INSTANCE?: number };
}

async function list(name: string): Promise<Pm2Process[]> {
  return (JSON.parse(await pm2(['jlist'])) as Pm2Process[]).filter((p) => p.name === name);
}

/** Scrapes until `count` different processes have answered, so every instance is listening. */
async function allAnswering(url: string, count: number): Promise<void> {
  const pids = new Set<number>();
  await eventually(async () => {
    try {
      const { status, pid } = await get(`${url}/metrics`);
      if (status === 200) pids.add(pid);
    } catch {
      // Not listening yet.
    }
    return pids.size === count;
  }, 30_000, `${count} instances answering`);
}

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'promhttp-pm2-'));
});

afterAll(async () => {
  try {
    await pm2(['kill']);
  } finally {
    rmSync(home, { recursive: true, force: true });
    for (const dir of dirs.splice(0)) dir.remove();
  }
});

function newDir(): string {
  const dir = tempDir();
  dirs.push(dir);
  return dir.path;
}

describe('PM2 with PROMETHEUS_MULTIPROC_DIR (directory mode)', () => {
  it('counts every request exactly once over 4 cluster-mode instances, and keeps the totals through pm2 reload', { timeout: 120_000 }, async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    await pm2(['start', ENTRY, '-i', '4', '--name', 'cluster-app'], { PROMETHEUS_MULTIPROC_DIR: newDir(), PORT: String(port) });
    await allAnswering(url, 4);

    const n = 240;
    const sent = await load(url, n, 8);
    expect(sent).toMatchObject({ ok: n, failed: 0 });
    expect(sent.byPid.size).toBe(4);
    const servedBy = new Set<number>();
    for (let i = 0; i < 8; i++) {
      const t = await totals(url);
      expect(t.requests).toBe(n);
      expect(t.count).toBe(n);
      servedBy.add(t.pid);
    }
    expect(servedBy.size).toBe(4);

    // Scrape without pause while PM2 replaces every instance, one after the other.
    const before = new Set((await list('cluster-app')).map((p) => p.pid));
    let reloading = true;
    const seen: number[] = [];
    let failedScrapes = 0;
    const watcher = (async () => {
      while (reloading) {
        try {
          seen.push((await totals(url)).requests);
        } catch {
          failedScrapes++; // An instance that is being stopped may drop the connection; that is no data, not a lower total.
        }
      }
    })();
    await pm2(['reload', 'cluster-app']);
    reloading = false;
    await watcher;
    console.log(`pm2 reload: ${seen.length} scrapes during the reload (${failedScrapes} refused), totals ${Math.min(...seen)}…${Math.max(...seen)}`);
    expect(seen.length).toBeGreaterThan(10);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]!);
    expect(Math.max(...seen)).toBeLessThanOrEqual(n);

    const after = await list('cluster-app');
    expect(after.filter((p) => p.pm2_env.status === 'online')).toHaveLength(4);
    expect(after.some((p) => before.has(p.pid))).toBe(false);
    await allAnswering(url, 4);
    const n2 = 120;
    expect(await load(url, n2, 8)).toMatchObject({ ok: n2, failed: 0 });
    for (let i = 0; i < 8; i++) {
      const t = await totals(url);
      expect(t.requests).toBe(n + n2);
      expect(t.count).toBe(n + n2);
    }
    await pm2(['delete', 'cluster-app']);
  });

  it('counts every request exactly once over 2 fork-mode instances on their own ports', { timeout: 60_000 }, async () => {
    const base = await freeRange(2);
    const urls = [0, 1].map((i) => `http://127.0.0.1:${base + i}`);
    // -x: fork mode (child_process.fork), each instance a process of its own without a shared port.
    await pm2(['start', ENTRY, '-i', '2', '-x', '--name', 'fork-app'], { PROMETHEUS_MULTIPROC_DIR: newDir(), PORT: String(base), PORT_PER_INSTANCE: '1' });
    const instances = await list('fork-app');
    expect(instances.map((p) => p.pm2_env.exec_mode)).toEqual(['fork_mode', 'fork_mode']);
    expect(instances.map((p) => p.pm2_env.NODE_APP_INSTANCE).sort()).toEqual([0, 1]);
    for (const url of urls) await allAnswering(url, 1);

    const sent = [70, 30];
    for (const [i, url] of urls.entries()) expect(await load(url, sent[i]!, 4)).toMatchObject({ ok: sent[i], failed: 0 });
    for (const url of urls) {
      const t = await totals(url);
      expect(t.requests).toBe(100);
      expect(t.count).toBe(100);
    }
    // PM2's instance number is each process's stable worker label. Process metrics of the other
    // instance come from its snapshot, saved a second after start and then every few seconds.
    for (const url of urls) {
      const workers = async (): Promise<string[]> => (await totals(url)).samples.filter((s) => s.name === 'process_cpu_user_seconds_total').map((s) => s.labels.worker!).sort();
      await eventually(async () => (await workers()).length === 2, 10_000, 'both instances\' process metrics');
      expect(await workers()).toEqual(['0', '1']);
    }
    await pm2(['delete', 'fork-app']);
  });

  it('counts every request of a Fastify app exactly once over 2 cluster-mode instances', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    await pm2(['start', ENTRY, '-i', '2', '--name', 'fastify-app'], { PROMETHEUS_MULTIPROC_DIR: newDir(), PORT: String(port), PM2_TS_APP: './pm2-fastify-app.ts' });
    await allAnswering(url, 2);

    const n = 120;
    const sent = await load(url, n, 8);
    expect(sent).toMatchObject({ ok: n, failed: 0 });
    expect(sent.byPid.size).toBe(2);
    const servedBy = new Set<number>();
    for (let i = 0; i < 8; i++) {
      const t = await totals(url);
      expect(t.requests).toBe(n);
      expect(t.count).toBe(n);
      expect(t.samples.filter((s) => s.name === 'http_requests_total').map((s) => [s.labels.route, s.labels.status_code, s.value])).toEqual([['/users/:id', '200', n]]);
      servedBy.add(t.pid);
    }
    expect(servedBy.size).toBe(2);
    await pm2(['delete', 'fastify-app']);
  });

  it('refuses IPC mode under PM2 at startup, with an error that points to directory mode', { timeout: 60_000 }, async () => {
    await pm2(['start', ENTRY, '-i', '2', '--name', 'ipc-app', '--no-autorestart'], { PM2_TS_APP: './ipc-pm2-refusal.ts' });
    const logs = (await list('ipc-app')).map((p) => p.pm2_env.pm_err_log_path);
    expect(logs).toHaveLength(2);
    const refused = (log: string): boolean => existsSync(log) && readFileSync(log, 'utf8').includes('TypeError: promhttp: clusterWorker: this process runs under PM2');
    await eventually(() => logs.every(refused), 20_000, 'the refusal in every instance\'s error log');
    for (const log of logs) expect(readFileSync(log, 'utf8')).toContain('Use directory mode instead: set PROMETHEUS_MULTIPROC_DIR');
    await pm2(['delete', 'ipc-app']);
  });
});
