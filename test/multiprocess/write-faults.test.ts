// Writes that fail under a running app: a full disk (a small tmpfs, filled), a file size limit
// (RLIMIT_FSIZE, set with prlimit; Node ignores SIGXFSZ, so the write fails with EFBIG instead of
// killing the process), the directory removed. Requests keep being served and counted in memory,
// promhttp_multiprocess_write_errors_total counts each failed write, the app warns once, and once
// it can write again its files hold everything it counted: killed then, it loses nothing.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, truncateSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import type { TempDir } from '../fixtures/mp-support.js';
import { eventually, get, processes, withBundles } from '../fixtures/mp-support.js';
import type { FaultsApp } from '../fixtures/mp-faults.js';
import { readDirectoryFigures, requestAll, scrapeApp, startFaultsApp, warnings } from '../fixtures/mp-faults.js';

let work: TempDir;
let app: string;
withBundles(processes(), ['mp-faults-app.ts'], (dir, [faults]) => {
  work = dir;
  app = faults!;
});

/** Mounting a tmpfs needs root (CAP_SYS_ADMIN); the CI container runs as root. */
function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = mkdtempSync(join(tmpdir(), 'promhttp-mount-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

function hasPrlimit(): boolean {
  try {
    execFileSync('prlimit', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const MOUNT = canMount();
const PRLIMIT = hasPrlimit();
const WRITE_FAILED = 'cannot write the multi-process store';
const NO_READ_ERRORS = { meta: 0, values: 0, snapshot: 0, archive: 0 };

/** Fills the filesystem of `path` up to its last byte. */
function fill(path: string): void {
  const fd = openSync(path, 'w');
  try {
    for (const size of [65_536, 4_096, 1]) {
      const chunk = Buffer.alloc(size, 1);
      try {
        for (;;) if (writeSync(fd, chunk) < size) break;
      } catch {
        // ENOSPC: on to smaller writes.
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Records on 20 requests and 2 jobs, then on `paths` and 3 more jobs while `fault` holds: 23 + paths requests, 5 jobs. */
async function recordAround(server: FaultsApp, fault: () => void, paths: readonly string[]): Promise<number> {
  await requestAll(server, Array.from({ length: 19 }, () => '/a'));
  await get(`${server.url}/inc?by=2`);
  fault();
  await requestAll(server, paths);
  await get(`${server.url}/inc?by=3`);
  // Each `/inc` is a request too.
  return 19 + 1 + paths.length + 1;
}

/** Waits until another reader of the directory sees everything the app counted. */
async function recovered(dir: string, requests: number): Promise<void> {
  await eventually(
    async () => {
      if (!existsSync(dir)) return false;
      const seen = await readDirectoryFigures(dir);
      return seen.requests === requests && seen.count === requests && seen.jobs === 5;
    },
    25_000,
    'the store written again',
  );
}

async function kill(server: FaultsApp): Promise<void> {
  const exited = new Promise((resolve) => server.child.process.once('exit', resolve));
  server.child.process.kill('SIGKILL');
  await exited;
}

const newPaths = (n: number): string[] => Array.from({ length: n }, (_, i) => `/p/${i}`);

// Each test has processes of its own: they run at the same time (most of their time is spent
// waiting for the store's retry, 10 s after a failure).
describe.concurrent('a write to the directory that fails', () => {
  it.skipIf(!MOUNT)('disk full (a filled tmpfs): served and counted in memory, one warning, written again once space is freed', { timeout: 60_000 }, async ({ expect, onTestFinished }) => {
    const mine = processes();
    const mnt = join(work.path, 'tmpfs');
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt]);
    onTestFinished(async () => {
      await mine.stopAll();
      execFileSync('umount', ['-l', mnt]);
    });
    const dir = join(mnt, 'metrics');
    const server = await startFaultsApp(mine, app, dir, { MP_SNAPSHOT_MS: '300' });
    const filler = join(mnt, 'filler');
    const requests = await recordAround(server, () => fill(filler), newPaths(200));

    expect(await scrapeApp(server)).toMatchObject({ requests, count: requests, jobs: 5, writeErrors: 1, readErrors: NO_READ_ERRORS });
    expect((await readDirectoryFigures(dir)).requests).toBeLessThan(requests);
    expect(warnings(server, WRITE_FAILED)).toHaveLength(1);
    expect(warnings(server, WRITE_FAILED)[0]).toMatch(/ENOSPC/);

    rmSync(filler);
    await recovered(dir, requests);
    expect(await readDirectoryFigures(dir)).toMatchObject({ requests, count: requests, jobs: 5, writeErrors: 1, readErrors: NO_READ_ERRORS });
    expect(await scrapeApp(server)).toMatchObject({ requests, writeErrors: 1 });
    expect(warnings(server, WRITE_FAILED)).toHaveLength(1);
    await kill(server);
    expect(await readDirectoryFigures(dir)).toMatchObject({ requests, count: requests, jobs: 5, writeErrors: 1 });
  });

  it.skipIf(!MOUNT)('disk full from the start: the app starts, serves and counts, and writes its store once space is freed', { timeout: 60_000 }, async ({ expect, onTestFinished }) => {
    const mine = processes();
    const mnt = join(work.path, 'tmpfs-full');
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]);
    onTestFinished(async () => {
      await mine.stopAll();
      execFileSync('umount', ['-l', mnt]);
    });
    const dir = join(mnt, 'metrics');
    mkdirSync(dir);
    const filler = join(mnt, 'filler');
    fill(filler);
    const server = await startFaultsApp(mine, app, dir, { MP_SNAPSHOT_MS: '300' });
    await requestAll(server, Array.from({ length: 12 }, () => '/a'));
    await get(`${server.url}/inc?by=5`);
    expect(await scrapeApp(server)).toMatchObject({ requests: 13, count: 13, jobs: 5, writeErrors: 1 });
    expect(warnings(server, WRITE_FAILED)).toHaveLength(1);

    rmSync(filler);
    await recovered(dir, 13);
    expect(await readDirectoryFigures(dir)).toMatchObject({ requests: 13, jobs: 5, writeErrors: 1 });
    expect(warnings(server, WRITE_FAILED)).toHaveLength(1);
  });

  it.skipIf(!PRLIMIT)('a file size limit (RLIMIT_FSIZE): the process lives on, counts every failed write with one warning, and catches up once the limit is raised', { timeout: 60_000 }, async ({ expect, onTestFinished }) => {
    const mine = processes();
    onTestFinished(() => mine.stopAll());
    const dir = join(work.path, 'fsize');
    // values.bin and meta.jsonl outgrow 16 KiB with the series of the new paths; the hard limit stays open so it can be raised.
    const server = await startFaultsApp(mine, app, dir, { MP_SNAPSHOT_MS: '300' }, ['prlimit', '--fsize=16384:unlimited']);
    const requests = await recordAround(server, () => {}, newPaths(300));
    expect(await scrapeApp(server)).toMatchObject({ requests, count: requests, jobs: 5, writeErrors: 1 });
    expect(warnings(server, WRITE_FAILED)).toHaveLength(1);
    expect(warnings(server, WRITE_FAILED)[0]).toMatch(/EFBIG/);

    // The store tries again 10 s after the failure: that write fails too, and is counted, without another warning.
    await eventually(async () => (await scrapeApp(server)).writeErrors === 2, 15_000, 'the failed retry counted');
    expect(warnings(server, WRITE_FAILED)).toHaveLength(1);

    execFileSync('prlimit', ['--pid', String(server.pid), '--fsize=unlimited:unlimited']);
    await recovered(dir, requests);
    expect(await readDirectoryFigures(dir)).toMatchObject({ requests, count: requests, jobs: 5, writeErrors: 2, readErrors: NO_READ_ERRORS });
    expect(await scrapeApp(server)).toMatchObject({ requests, writeErrors: 2 });
    await kill(server);
    expect(await readDirectoryFigures(dir)).toMatchObject({ requests, count: requests, jobs: 5, writeErrors: 2 });
  });

  it.for([
    ['removed', (dir: string) => rmSync(dir, { recursive: true, force: true })],
    [
      'removed and made again, empty',
      (dir: string) => {
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir);
      },
    ],
  ] as const)('the directory %s under the app: served and counted in memory, one warning, its store written again', { timeout: 60_000 }, async ([, remove], { expect, onTestFinished }) => {
    const mine = processes();
    onTestFinished(() => mine.stopAll());
    const dir = join(work.path, `removed-${Math.random().toString(36).slice(2)}`);
    const server = await startFaultsApp(mine, app, dir, { MP_SNAPSHOT_MS: '300' });
    const requests = await recordAround(server, () => remove(dir), newPaths(7));
    expect(await scrapeApp(server)).toMatchObject({ requests, count: requests, jobs: 5 });

    await recovered(dir, requests);
    expect(await readDirectoryFigures(dir)).toMatchObject({ requests, count: requests, jobs: 5, writeErrors: 1, readErrors: NO_READ_ERRORS });
    expect(await scrapeApp(server)).toMatchObject({ requests, writeErrors: 1 });
    expect(warnings(server, WRITE_FAILED)).toHaveLength(1);
    await kill(server);
    expect(await readDirectoryFigures(dir)).toMatchObject({ requests, count: requests, jobs: 5, writeErrors: 1 });
  });

  it("a live store's files cut short by someone else: other readers skip them, and the store writes them again at its next heartbeat", { timeout: 60_000 }, async ({ expect, onTestFinished }) => {
    const mine = processes();
    onTestFinished(() => mine.stopAll());
    const dir = join(work.path, `cut-${Math.random().toString(36).slice(2)}`);
    const server = await startFaultsApp(mine, app, dir, { MP_SNAPSHOT_MS: '300' });
    await requestAll(server, Array.from({ length: 9 }, () => '/a'));
    await get(`${server.url}/inc?by=5`);
    await recovered(dir, 10);
    const store = join(dir, readdirSync(dir).find((name) => name.startsWith('proc.'))!);
    truncateSync(join(store, 'values.bin'), 16);
    truncateSync(join(store, 'meta.jsonl'), 300);

    // Another reader: the store's values cannot be read, so none is shown (its snapshot is), and it says so; the
    // log, cut in its second line, is taken for one being appended, as it may be while its store lives.
    expect(await readDirectoryFigures(dir)).toMatchObject({ requests: 0, count: 0, jobs: 5, readErrors: { ...NO_READ_ERRORS, values: 1 } });
    // The app itself answers from memory.
    expect(await scrapeApp(server)).toMatchObject({ requests: 10, count: 10, jobs: 5 });
    await recovered(dir, 10);
    expect(await scrapeApp(server)).toMatchObject({ requests: 10, writeErrors: 1, readErrors: NO_READ_ERRORS });
    expect(warnings(server, WRITE_FAILED)).toHaveLength(1);
    expect(warnings(server, WRITE_FAILED)[0]).toContain('meta.jsonl is 300 bytes long');
  });
});
