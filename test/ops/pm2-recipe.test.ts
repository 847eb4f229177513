// examples/pm2/ecosystem.config.cjs run by the real PM2, with a PM2_HOME of its own (its daemon,
// logs and dump are this suite's alone; `pm2 kill` in afterAll stops them whatever happened).
import { execFile } from 'node:child_process';
import { userInfo } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, load, totals } from '../fixtures/mp-support.js';
import { find } from '../support/scrape.js';
import { freePort, ROOT } from '../support/process.js';

const PM2 = `${ROOT}node_modules/.bin/pm2`;
const ECOSYSTEM = join(ROOT, 'examples/pm2/ecosystem.config.cjs');
const run = promisify(execFile);
let home = '';
let dir = '';

async function pm2(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout } = await run(PM2, [...args], { cwd: ROOT, env: { ...process.env, PM2_HOME: home, ...env }, timeout: 60_000 });
  return stdout;
}

async function online(): Promise<number> {
  const list = JSON.parse(await pm2(['jlist'])) as Array<{ name: string; pm2_env: { status: string; exec_mode: string } }>;
  return list.filter((p) => p.name === 'koa-example' && p.pm2_env.status === 'online' && p.pm2_env.exec_mode === 'cluster_mode').length;
}

/** Until every instance is up and has its files in the directory, whichever instance answers. */
async function allLive(url: string, instances: number): Promise<void> {
  await eventually(async () => {
    try {
      const live = find((await totals(url)).samples, 'promhttp_multiprocess_processes', { state: 'live' })[0]?.value;
      return live === instances && (await online()) === instances;
    } catch {
      return false; // not listening yet
    }
  }, 40_000, `${instances} live instances`);
}

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'promhttp-pm2-recipe-'));
  dir = mkdtempSync(join(tmpdir(), 'promhttp-pm2-recipe-metrics-'));
});

afterAll(async () => {
  try {
    await pm2(['kill']);
  } finally {
    rmSync(home, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('examples/pm2/ecosystem.config.cjs', () => {
  it('its default directory for the metrics is one any user can create: run as nobody when the tests run as root', async () => {
    const asRoot = process.getuid?.() === 0;
    // What promhttp does with PROMETHEUS_MULTIPROC_DIR at start: create it, write into it.
    const script = `const { mkdirSync, writeFileSync } = require('node:fs'); const dir = require(${JSON.stringify(ECOSYSTEM)}).apps[0].env.PROMETHEUS_MULTIPROC_DIR; mkdirSync(dir, { recursive: true }); writeFileSync(dir + '/probe', ''); process.stdout.write(dir);`;
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'PROMETHEUS_MULTIPROC_DIR'));
    const { stdout: created } = await run(process.execPath, ['-e', script], { cwd: tmpdir(), env, ...(asRoot ? { uid: 65534, gid: 65534 } : {}) });
    try {
      expect(created).toBe(join(tmpdir(), `koa-example-metrics-${asRoot ? 65534 : userInfo().uid}`));
    } finally {
      rmSync(created, { recursive: true, force: true });
    }
  });
});

describe('examples/pm2/ecosystem.config.cjs under the real PM2', () => {
  it('runs one instance per core in cluster mode, counts every request once, keeps the totals through pm2 reload and starts from zero after a cold start', { timeout: 150_000 }, async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = { PORT: String(port), PROMETHEUS_MULTIPROC_DIR: dir };
    await pm2(['start', ECOSYSTEM], env);
    const instances = await online();
    expect(instances).toBeGreaterThanOrEqual(2);
    await allLive(url, instances);

    expect(await load(url, 120, 6)).toMatchObject({ ok: 120, failed: 0 });
    for (let i = 0; i < 6; i++) expect((await totals(url)).requests).toBe(120);

    await pm2(['reload', 'koa-example'], env);
    await allLive(url, instances);
    expect((await totals(url)).requests).toBe(120);
    expect(await load(url, 60, 6)).toMatchObject({ ok: 60, failed: 0 });
    for (let i = 0; i < 6; i++) expect((await totals(url)).requests).toBe(180);

    // Every instance stopped, then started: no live process is left in the directory.
    await pm2(['stop', 'koa-example'], env);
    await pm2(['start', 'koa-example'], env);
    await allLive(url, instances);
    expect((await totals(url)).requests).toBe(0);
    expect(await load(url, 30, 3)).toMatchObject({ ok: 30, failed: 0 });
    expect((await totals(url)).requests).toBe(30);
  });
});
