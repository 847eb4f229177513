// Files of the directory that cannot be read: each kind of file (a store's meta.jsonl, values.bin
// and plain.json, an archive) truncated, emptied, overwritten with random bytes, with invalid JSON,
// with JSON of the wrong shape, written by another version of promhttp, or failing to open. A
// live app scrapes the directory: every scrape answers 200 with everything it can read, counts
// the file once in promhttp_multiprocess_read_errors_total{file}, and the app warns once.
// Compaction leaves the damaged entry where it is; mended, it counts again, exactly once.
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TempDir } from '../fixtures/mp-support.js';
import { get, processes, runBundle, withBundles } from '../fixtures/mp-support.js';
import type { Figures } from '../fixtures/mp-faults.js';
import { readDirectoryFigures, scrapeApp, startFaultsApp, warnings } from '../fixtures/mp-faults.js';

const procs = processes();
let work: TempDir;
let app: string;
let compactor: string;
withBundles(
  procs,
  ['mp-faults-app.ts', 'mp-compactor.ts'],
  (dir, [faults, compact]) => {
    work = dir;
    [app, compactor] = [faults!, compact!];
  },
  { stopAfterEach: true },
);

type Kind = 'meta' | 'values' | 'snapshot' | 'archive';

/**
 * The seed directory: an archive holding a dead store's 7 requests on /c and 8 jobs (plus the dead
 * compactor's own empty store), and two dead stores: A with 3 requests on /a and 2 jobs, B with 5
 * on /b and 4 jobs. Faults are made in A's files and in the archive.
 */
let seed: string;
const FULL = { requests: 15, count: 15, jobs: 14 };

/** The file of kind `kind` in a copy of the seed. */
function target(dir: string, kind: Kind): string {
  if (kind === 'archive') return join(dir, readdirSync(dir).find((name) => name.startsWith('archive.'))!);
  const store = readdirSync(dir).find((name) => name.startsWith('proc.') && readFileSync(join(dir, name, 'meta.jsonl'), 'utf8').includes('"/a"'))!;
  return join(dir, store, { meta: 'meta.jsonl', values: 'values.bin', snapshot: 'plain.json' }[kind]);
}

beforeAll(async () => {
  seed = join(work.path, 'seed');
  mkdirSync(seed);
  const record = async (env: NodeJS.ProcessEnv): Promise<void> => {
    expect((await runBundle(app, { PROMETHEUS_MULTIPROC_DIR: seed, THEN: 'exit', ...env })).code).toBe(0);
  };
  await record({ ROUTE: '/c', REQUESTS: '7', JOBS: '8' });
  expect((await runBundle(compactor, { PROMETHEUS_MULTIPROC_DIR: seed })).code).toBe(0);
  await record({ ROUTE: '/a', REQUESTS: '3', JOBS: '2' });
  await record({ ROUTE: '/b', REQUESTS: '5', JOBS: '4' });
  expect(await readDirectoryFigures(seed)).toMatchObject(FULL);
});

/** Replaces the line of `text` that contains `marker`. */
function replaceLine(text: string, marker: string, by: string): string {
  return text
    .split('\n')
    .map((line) => (line.includes(marker) ? by : line))
    .join('\n');
}

/** A file that exists and cannot be read: a directory in its place (EISDIR). */
function directoryInstead(path: string): void {
  rmSync(path);
  mkdirSync(path);
}

interface Case {
  readonly kind: Kind;
  readonly fault: string;
  damage(path: string): void;
  /** What the scrapes cannot show while the file is damaged. */
  readonly lost: { requests: number; count: number; jobs: number };
}

const cut = (path: string, bytes: number): void => writeFileSync(path, readFileSync(path).subarray(0, bytes));
const edit = (path: string, change: (text: string) => string): void => writeFileSync(path, change(readFileSync(path, 'utf8')));
const STORE_A = { requests: 3, count: 3, jobs: 2 };
const VALUES_A = { requests: 3, count: 3, jobs: 0 };
const JOBS_A = { requests: 0, count: 0, jobs: 2 };
const ARCHIVE = { requests: 7, count: 7, jobs: 8 };

const CASES: Case[] = [
  // A log whose header cannot be read: nothing of the store can be attributed, its snapshot included.
  { kind: 'meta', fault: 'zero-length', damage: (p) => cut(p, 0), lost: STORE_A },
  { kind: 'meta', fault: 'truncated in its header', damage: (p) => cut(p, 60), lost: STORE_A },
  { kind: 'meta', fault: 'random bytes', damage: (p) => writeFileSync(p, randomBytes(2048)), lost: STORE_A },
  { kind: 'meta', fault: 'valid JSON of the wrong shape in its header', damage: (p) => edit(p, (t) => replaceLine(t, '"promhttp"', '{"promhttp":1,"id":5}')), lost: STORE_A },
  { kind: 'meta', fault: 'of another version', damage: (p) => edit(p, (t) => t.replace('{"promhttp":1,', '{"promhttp":2,')), lost: STORE_A },
  { kind: 'meta', fault: 'that cannot be read', damage: directoryInstead, lost: STORE_A },
  // A log cut in its last line, or with a line that does not parse: that line's series is lost, the rest is read.
  { kind: 'meta', fault: 'truncated in its last line', damage: (p) => cut(p, statSync(p).size - 10), lost: { requests: 3, count: 0, jobs: 0 } },
  { kind: 'meta', fault: 'invalid JSON in a line', damage: (p) => edit(p, (t) => replaceLine(t, '"s":4', '{"s":4,"v":["GET"')), lost: { requests: 3, count: 0, jobs: 0 } },
  { kind: 'meta', fault: 'valid JSON of the wrong shape in a line', damage: (p) => edit(p, (t) => replaceLine(t, '"s":3', '{"s":3,"v":"GET","o":11}')), lost: { requests: 0, count: 3, jobs: 0 } },
  // values.bin that cannot be what its store wrote is not read at all; the store's snapshot still is.
  { kind: 'values', fault: 'zero-length', damage: (p) => cut(p, 0), lost: VALUES_A },
  { kind: 'values', fault: 'truncated', damage: (p) => cut(p, 200), lost: VALUES_A },
  { kind: 'values', fault: 'random bytes', damage: (p) => writeFileSync(p, randomBytes(4096)), lost: VALUES_A },
  { kind: 'values', fault: 'zero bytes', damage: (p) => writeFileSync(p, Buffer.alloc(4096)), lost: VALUES_A },
  {
    kind: 'values',
    fault: 'corrupted in one value',
    damage: (p) => {
      const bytes = readFileSync(p);
      bytes.writeDoubleLE(-5, 28 * 8);
      writeFileSync(p, bytes);
    },
    lost: VALUES_A,
  },
  { kind: 'values', fault: 'that cannot be read', damage: directoryInstead, lost: VALUES_A },
  { kind: 'snapshot', fault: 'zero-length', damage: (p) => cut(p, 0), lost: JOBS_A },
  { kind: 'snapshot', fault: 'truncated', damage: (p) => cut(p, 40), lost: JOBS_A },
  { kind: 'snapshot', fault: 'random bytes', damage: (p) => writeFileSync(p, randomBytes(512)), lost: JOBS_A },
  { kind: 'snapshot', fault: 'invalid JSON', damage: (p) => writeFileSync(p, '{"promhttp":1,"metrics":[{"name":"jobs_total",}]}'), lost: JOBS_A },
  { kind: 'snapshot', fault: 'valid JSON of the wrong shape', damage: (p) => writeFileSync(p, '{"promhttp":1,"metrics":{"jobs_total":2}}'), lost: JOBS_A },
  { kind: 'snapshot', fault: 'of another version', damage: (p) => edit(p, (t) => t.replace('"promhttp":1', '"promhttp":2')), lost: JOBS_A },
  { kind: 'snapshot', fault: 'that cannot be read', damage: directoryInstead, lost: JOBS_A },
  // An archive whose first line cannot be read is not used at all: not even its list of what it absorbed.
  { kind: 'archive', fault: 'zero-length', damage: (p) => cut(p, 0), lost: ARCHIVE },
  { kind: 'archive', fault: 'truncated in its first line', damage: (p) => cut(p, 40), lost: ARCHIVE },
  { kind: 'archive', fault: 'random bytes', damage: (p) => writeFileSync(p, randomBytes(2048)), lost: ARCHIVE },
  { kind: 'archive', fault: 'valid JSON of the wrong shape in its first line', damage: (p) => edit(p, (t) => replaceLine(t, '"owner"', '{"promhttp":1,"owner":5}')), lost: ARCHIVE },
  { kind: 'archive', fault: 'of another version', damage: (p) => edit(p, (t) => t.replace('{"promhttp":1,', '{"promhttp":2,')), lost: ARCHIVE },
  { kind: 'archive', fault: 'that cannot be read', damage: directoryInstead, lost: ARCHIVE },
  // Its other lines are read one by one: a cut or unreadable family line loses that family only.
  { kind: 'archive', fault: 'truncated in its last line', damage: (p) => cut(p, statSync(p).size - 30), lost: { requests: 7, count: 0, jobs: 0 } },
  { kind: 'archive', fault: 'invalid JSON in a line', damage: (p) => edit(p, (t) => replaceLine(t, '"name":"http_request_duration_seconds"', '{"name":"http_request_dur')), lost: { requests: 0, count: 7, jobs: 0 } },
];

const minus = (full: typeof FULL, lost: Case['lost']): typeof FULL => ({ requests: full.requests - lost.requests, count: full.count - lost.count, jobs: full.jobs - lost.jobs });
const errorsOnly = (kind: Kind, n: number): Figures['readErrors'] => ({ meta: 0, values: 0, snapshot: 0, archive: 0, [kind]: n });

describe('a file of the directory that cannot be read', () => {
  it.each(CASES)('$kind $fault: every scrape answers 200 without it, counts it once, and the app warns once', async ({ kind, damage, lost }) => {
    const dir = join(work.path, `${kind}-${Math.random().toString(36).slice(2)}`);
    cpSync(seed, dir, { recursive: true });
    const path = target(dir, kind);
    const original = readFileSync(path);
    damage(path);
    const damaged = statSync(path).isDirectory() ? undefined : readFileSync(path);
    const server = await startFaultsApp(procs, app, dir);
    const readable = minus(FULL, lost);

    // Compaction, whenever it runs, leaves the damaged entry where it is, and totals stay exact.
    expect(await scrapeApp(server)).toMatchObject({ ...readable, readErrors: errorsOnly(kind, 1) });
    await get(`${server.url}/compact`);
    expect(await scrapeApp(server)).toMatchObject({ ...readable, readErrors: errorsOnly(kind, 2) });
    // Nothing left that it could absorb: a second run does nothing, rather than looping on the damaged entry.
    expect(JSON.parse((await get(`${server.url}/compact`)).body)).toEqual({ absorbed: 0, removed: 0 });
    expect(await scrapeApp(server)).toMatchObject({ ...readable, readErrors: errorsOnly(kind, 3) });
    if (damaged !== undefined) expect(readFileSync(path).equals(damaged)).toBe(true);
    else expect(statSync(path).isDirectory()).toBe(true);
    expect(warnings(server, path)).toHaveLength(1);
    expect(warnings(server, 'in the multi-process directory')).toHaveLength(1);

    // Mended, the file counts again, exactly once, and is no longer an error; then compaction takes it.
    rmSync(path, { recursive: true, force: true });
    writeFileSync(path, original);
    expect(await scrapeApp(server)).toMatchObject({ ...FULL, readErrors: errorsOnly(kind, 3) });
    expect(JSON.parse((await get(`${server.url}/compact`)).body)).toMatchObject({ absorbed: 1 });
    expect(await scrapeApp(server)).toMatchObject({ ...FULL, readErrors: errorsOnly(kind, 3) });
    expect(warnings(server, 'in the multi-process directory')).toHaveLength(1);
  });
});

describe('a store header damaged in place after a live app read it', () => {
  it('is noticed at the next scrape, as a reader starting then would see it', async () => {
    const dir = join(work.path, `header-${Math.random().toString(36).slice(2)}`);
    cpSync(seed, dir, { recursive: true });
    const path = target(dir, 'meta');
    const server = await startFaultsApp(procs, app, dir);
    expect(await scrapeApp(server)).toMatchObject({ ...FULL, readErrors: errorsOnly('meta', 0) });
    // Same length, same inode: only the header's bytes changed.
    const size = statSync(path).size;
    edit(path, (t) => t.replace('{"promhttp":1,', '{"promhttp":2,'));
    expect(statSync(path).size).toBe(size);
    expect(await scrapeApp(server)).toMatchObject({ ...minus(FULL, STORE_A), readErrors: errorsOnly('meta', 1) });
    expect(await readDirectoryFigures(dir)).toMatchObject(minus(FULL, STORE_A));
  });
});

describe('an archive that cannot be read', () => {
  it("keeps its owner's leftover claims where they are, so that mending it never counts them twice", async () => {
    // A compactor killed right after renaming its archive into place: the archive lists A and B as
    // absorbed, and their claimed copies are still there.
    const dir = join(work.path, 'claims');
    mkdirSync(dir);
    for (const [route, requests, jobs] of [['/a', '3', '2'], ['/b', '5', '4']]) {
      expect((await runBundle(app, { PROMETHEUS_MULTIPROC_DIR: dir, THEN: 'exit', ROUTE: route, REQUESTS: requests, JOBS: jobs })).code).toBe(0);
    }
    expect((await runBundle(compactor, { PROMETHEUS_MULTIPROC_DIR: dir, CRASH_AT: 'archive-renamed:1' })).signal).toBe('SIGKILL');
    const leftovers = (): string[] => readdirSync(dir).filter((name) => name.startsWith('claimed.')).sort();
    expect(leftovers()).toHaveLength(2);
    const path = target(dir, 'archive');
    const original = readFileSync(path);
    writeFileSync(path, '');

    const server = await startFaultsApp(procs, app, dir);
    // Without the archive, the claimed copies are all that is known of A and B: they count.
    const all = { requests: 8, count: 8, jobs: 6 };
    expect(await scrapeApp(server)).toMatchObject({ ...all, readErrors: errorsOnly('archive', 1) });
    await get(`${server.url}/compact`);
    expect(JSON.parse((await get(`${server.url}/compact`)).body)).toEqual({ absorbed: 0, removed: 0 });
    expect(leftovers()).toHaveLength(2);
    expect(await scrapeApp(server)).toMatchObject({ ...all, readErrors: errorsOnly('archive', 2) });

    // Mended, the archive counts them and the copies are skipped, then removed.
    writeFileSync(path, original);
    expect(await scrapeApp(server)).toMatchObject({ ...all, readErrors: errorsOnly('archive', 2) });
    expect(JSON.parse((await get(`${server.url}/compact`)).body)).toMatchObject({ absorbed: 1 });
    expect(leftovers()).toEqual([]);
    expect(await scrapeApp(server)).toMatchObject({ ...all, readErrors: errorsOnly('archive', 2) });
  });
});
