import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { renderDirectory } from 'promhttp';
import { startChild } from '../support/process.js';
import { find, parseExposition, sum } from '../support/scrape.js';
import type { TempDir } from '../fixtures/mp-support.js';
import { entries, processes, runBundle, withBundles } from '../fixtures/mp-support.js';

const procs = processes();
let work: TempDir;
let recorder: string;
let setter: string;
let compactor: string;
withBundles(procs, ['mp-record.ts', 'mp-gauge.ts', 'mp-compactor.ts'], (dir, [record, set, compact]) => {
  work = dir;
  [recorder, setter, compactor] = [record!, set!, compact!];
});

/** A new PID namespace needs CAP_SYS_ADMIN (root, or a user namespace the kernel allows). */
const canUnshare = ((): boolean => {
  try {
    execFileSync('unshare', ['--pid', '--fork', '--mount-proc', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Runs a bundle as pid 1 of a PID namespace of its own, with its own /proc, as in a container. */
function inNewPidNamespace(bundle: string, env: NodeJS.ProcessEnv) {
  return procs.track(startChild('unshare', ['--pid', '--fork', '--mount-proc', '--kill-child', process.execPath, bundle], { env }));
}

async function read(dir: string) {
  const samples = parseExposition(await renderDirectory(dir));
  return {
    requests: sum(samples, 'http_requests_total'),
    inFlight: sum(samples, 'http_requests_in_flight'),
    gauge: find(samples, 'mp_test_gauge').map((s) => s.value),
    live: sum(samples, 'promhttp_multiprocess_processes', { state: 'live' }),
    dead: sum(samples, 'promhttp_multiprocess_processes', { state: 'dead' }),
  };
}

describe('stores written from another PID namespace (containers of one pod sharing a volume)', () => {
  // Skipped only where the kernel refuses a PID namespace to this user; CI runs as root.
  it.skipIf(!canUnshare)('are judged by their heartbeat alone: live beside a live app, and never absorbed by a compaction from this namespace', { timeout: 30_000 }, async () => {
    const dir = `${work.path}/pod`;
    // The app in this namespace: 4 requests, 2 in flight.
    const app = procs.track(startChild(process.execPath, [recorder], { env: { PROMETHEUS_MULTIPROC_DIR: dir, REQUESTS: '4', OPEN: '2', THEN: 'wait', MP_RESET: 'never' } }));
    await app.waitFor(/recorded/);
    // A sidecar container: 3 requests, 1 in flight, and a livesum gauge. Both start with the
    // default reset policy, which deletes what dead processes left: the app must not look dead to them.
    const sidecar = inNewPidNamespace(recorder, { PROMETHEUS_MULTIPROC_DIR: dir, REQUESTS: '3', OPEN: '1', THEN: 'wait' });
    await sidecar.waitFor(/recorded/);
    const gauge = inNewPidNamespace(setter, { PROMETHEUS_MULTIPROC_DIR: dir, MODE: 'livesum', VALUE: '5' });
    await gauge.waitFor(/^set$/m);

    expect(await read(dir)).toEqual({ requests: 7, inFlight: 3, gauge: [5], live: 3, dead: 0 });
    const stores = entries(dir).filter((e) => e.startsWith('proc.'));
    // Each of the two is pid 1 of its namespace, which its id names.
    expect(stores.filter((e) => /^proc\.1-0-\d+-0-n\d+$/.test(e))).toHaveLength(2);

    const compaction = await runBundle(compactor, { PROMETHEUS_MULTIPROC_DIR: dir });
    expect(compaction.code).toBe(0);
    expect(JSON.parse(compaction.output.trim())).toEqual({ absorbed: 0, removed: 0 });
    for (const store of stores) expect(entries(dir)).toContain(store);
    // The compactor's own store, closed at its exit, is the one dead store.
    expect(await read(dir)).toEqual({ requests: 7, inFlight: 3, gauge: [5], live: 3, dead: 1 });
  });
});
