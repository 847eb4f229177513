import { appendFileSync, cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderDirectory } from 'promhttp';
import { parseExposition, sum } from '../support/scrape.js';
import { startChild } from '../support/process.js';
import type { TempDir } from '../fixtures/mp-support.js';
import { entries, processes, runBundle, withBundles } from '../fixtures/mp-support.js';

const procs = processes();
let work: TempDir;
let recorder: string;
let compactor: string;
withBundles(procs, ['mp-record.ts', 'mp-compactor.ts'], (dir, [record, compact]) => {
  work = dir;
  [recorder, compactor] = [record!, compact!];
});

async function read(dir: string): Promise<{ requests: number; count: number; live: number; dead: number; inFlight: number }> {
  const samples = parseExposition(await renderDirectory(dir));
  return {
    requests: sum(samples, 'http_requests_total'),
    count: sum(samples, 'http_request_duration_seconds_count'),
    live: sum(samples, 'promhttp_multiprocess_processes', { state: 'live' }),
    dead: sum(samples, 'promhttp_multiprocess_processes', { state: 'dead' }),
    inFlight: sum(samples, 'http_requests_in_flight'),
  };
}

/** Records `requests` from a process that then exits; the directory keeps what is there. */
async function record(dir: string, requests: number): Promise<void> {
  const run = await runBundle(recorder, { PROMETHEUS_MULTIPROC_DIR: dir, REQUESTS: String(requests), THEN: 'exit', MP_RESET: 'never' });
  expect(run.code).toBe(0);
}

async function compactOnce(dir: string, crashAt?: string): Promise<Awaited<ReturnType<typeof runBundle>>> {
  return runBundle(compactor, { PROMETHEUS_MULTIPROC_DIR: dir, ...(crashAt ? { CRASH_AT: crashAt } : {}) });
}

describe('compaction', () => {
  /** Two dead stores absorbed by a compactor that then exited, and two more dead stores: 26 requests. */
  let seed: string;
  const total = 3 + 5 + 7 + 11;
  beforeAll(async () => {
    seed = join(work.path, 'seed');
    mkdirSync(seed);
    await record(seed, 3);
    await record(seed, 5);
    expect((await compactOnce(seed)).code).toBe(0);
    await record(seed, 7);
    await record(seed, 11);
  });

  it('merges dead stores and a dead compactor\'s archive into one archive, keeping exact totals', async () => {
    const dir = join(work.path, 'plain');
    cpSync(seed, dir, { recursive: true });
    expect(await read(dir)).toMatchObject({ requests: total, count: total, live: 0 });
    const run = await compactOnce(dir);
    // The dead compactor's store and archive, and the two newer stores.
    expect(JSON.parse(run.output.trim())).toEqual({ absorbed: 4, removed: 4 });
    expect(await read(dir)).toMatchObject({ requests: total, count: total });
    // Left: the last compactor's own (dead, empty) store and its archive.
    expect(entries(dir).map((e) => e.split('.')[0]).sort()).toEqual(['archive', 'proc']);
  });

  // Between any two steps of a compaction, a crash must leave every value counted exactly once.
  it.each(['claimed:1', 'claimed:4', 'archive-written:1', 'archive-renamed:1', 'removed:1', 'removed:4'])(
    'counts everything exactly once when the compactor is killed after step %s, and the next compactor finishes the job',
    async (step) => {
      const dir = join(work.path, `crash-${step.replace(':', '-')}`);
      cpSync(seed, dir, { recursive: true });
      const crashed = await compactOnce(dir, step);
      expect(crashed.signal).toBe('SIGKILL');
      expect(await read(dir)).toMatchObject({ requests: total, count: total });

      expect((await compactOnce(dir)).code).toBe(0);
      expect(await read(dir)).toMatchObject({ requests: total, count: total });
      expect((await compactOnce(dir)).code).toBe(0);
      expect(await read(dir)).toMatchObject({ requests: total, count: total, live: 0 });
      expect(entries(dir).map((e) => e.split('.')[0]).sort()).toEqual(['archive', 'proc']);
    },
  );

  it('counts everything exactly once while four compactors race over the same dead stores', async () => {
    const dir = join(work.path, 'race');
    cpSync(seed, dir, { recursive: true });
    for (let i = 1; i <= 8; i++) await record(dir, 100 * i);
    const expected = total + 3600;
    const runs = Promise.all(Array.from({ length: 4 }, () => compactOnce(dir)));
    let done = false;
    void runs.then(() => (done = true));
    let reads = 0;
    while (!done) {
      expect(await read(dir)).toMatchObject({ requests: expected, count: expected });
      reads++;
      // Reading is synchronous: let the children's exit events through.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const results = (await runs).map((r) => JSON.parse(r.output.trim()) as { absorbed: number });
    console.log(`racing compactors absorbed ${results.map((r) => r.absorbed).join(' + ')} entries; ${reads} reads meanwhile`);
    // The 12 dead entries, plus stores and archives of compactors that finished before a slower one looked.
    expect(results.reduce((a, r) => a + r.absorbed, 0)).toBeGreaterThanOrEqual(12);
    expect(await read(dir)).toMatchObject({ requests: expected, count: expected });
  });

  it('treats a store whose pid is alive but started at another time (a reused pid) as dead', async () => {
    const dir = join(work.path, 'reuse');
    mkdirSync(dir);
    const live = procs.track(runBundleAlive(dir));
    await live.ready;
    const [name] = readdirSync(dir).filter((e) => e.startsWith('proc.'));
    const [pid, thread, start] = name!.slice(5).split('-');
    // Same pid, another start time: what a new process that got a dead one's pid looks like.
    const copy = (id: string): void => {
      cpSync(join(dir, name!), join(dir, `proc.${id}`), { recursive: true });
      const meta = join(dir, `proc.${id}`, 'meta.jsonl');
      const [header, ...rest] = readFileSync(meta, 'utf8').split('\n');
      const parsed = JSON.parse(header!) as { id: string; start: string };
      writeFileSync(meta, [JSON.stringify({ ...parsed, id, start: id.split('-')[2] }), ...rest].join('\n'));
    };
    copy(`${pid}-${thread}-${Number(start) + 1}-0`);
    // Each store has 4 requests and 2 in flight; only the live one's in-flight requests count.
    expect(await read(dir)).toMatchObject({ requests: 8, inFlight: 2, live: 1, dead: 1 });
    // The control: the same pid with its true start time is alive.
    copy(`${pid}-${thread}-${start}-7`);
    expect(await read(dir)).toMatchObject({ requests: 12, inFlight: 4, live: 2, dead: 1 });
  });

  it('skips the metadata line a live store is appending, reads value bytes not yet written as 0, and ignores foreign files', async () => {
    const dir = join(work.path, 'torn');
    mkdirSync(dir);
    const live = procs.track(runBundleAlive(dir));
    await live.ready;
    const [name] = readdirSync(dir).filter((e) => e.startsWith('proc.'));
    const store = join(dir, name!);
    // A series line still being written, and the counter's slot not written yet (the store makes
    // values.bin long enough for a series before logging it: unwritten bytes are zeros).
    appendFileSync(join(store, 'meta.jsonl'), '{"s":2,"v":["GET","/half"');
    const lines = readFileSync(join(store, 'meta.jsonl'), 'utf8').split('\n');
    const counter = lines.map((l) => (l.includes('"http_requests_total"') ? (JSON.parse(l) as { f: number }).f : undefined)).find((f) => f !== undefined)!;
    const slot = lines.map((l) => (l.startsWith(`{"s":${counter},`) && l.endsWith('}') ? (JSON.parse(l) as { o: number }).o : undefined)).find((o) => o !== undefined)!;
    const values = readFileSync(join(store, 'values.bin'));
    values.fill(0, slot * 8, slot * 8 + 8);
    writeFileSync(join(store, 'values.bin'), values);
    writeFileSync(join(dir, 'README'), 'not ours');
    writeFileSync(join(dir, 'archive.notanid.json'), '{}');
    mkdirSync(join(dir, 'proc.12-x'));
    mkdirSync(join(dir, 'proc.1-0-1-0'));
    const samples = parseExposition(await renderDirectory(dir));
    expect(sum(samples, 'http_request_duration_seconds_count')).toBe(4);
    expect(sum(samples, 'http_requests_total')).toBe(0);
    expect(samples.some((s) => s.labels.route === '/half')).toBe(false);
    // None of it is a fault.
    expect(sum(samples, 'promhttp_multiprocess_read_errors_total')).toBe(0);
  });
});

/** A recorder that stays alive: 4 requests and 2 in flight. */
function runBundleAlive(dir: string) {
  const child = startChild(process.execPath, [recorder], { env: { PROMETHEUS_MULTIPROC_DIR: dir, REQUESTS: '4', OPEN: '2', THEN: 'wait', MP_RESET: 'never' } });
  return Object.assign(child, { ready: child.waitFor(/recorded/) });
}
