import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { counter, enableMultiprocess, histogram, renderDirectory, renderRegistry, summary } from 'promhttp';
import type { Sample } from '../support/scrape.js';
import { find, parseExposition, sum } from '../support/scrape.js';
import { get, processes, runTs, sleep, tempDir } from '../fixtures/mp-support.js';

const procs = processes();
const dirs: Array<ReturnType<typeof tempDir>> = [];
afterEach(() => procs.stopAll());
afterAll(() => {
  for (const dir of dirs) dir.remove();
});

/** One deployed version of the app: a store of its own in `dir`, its definitions, its observations. */
async function version(dir: string, buckets: number[], observed: number[], payload: { summary: number } | { histogram: number }) {
  // Versions start at distinct times: the newest definition is the one of the latest start.
  await sleep(5);
  const registry = new Registry();
  const store = enableMultiprocess({ registry, dir, reset: 'never', worker: '0', compactInterval: 3_600_000 });
  const seconds = histogram({ registry, name: 'job_seconds', help: `Job durations, buckets ${buckets.join(', ')}.`, buckets });
  for (const value of observed) seconds.observe(value);
  counter({ registry, name: 'jobs_total', help: 'Jobs done.' }).inc(11);
  if ('summary' in payload) summary({ registry, name: 'payload_bytes', help: 'Payload sizes.' }).observe(payload.summary);
  else histogram({ registry, name: 'payload_bytes', help: 'Payload sizes.', buckets: [100, 1000] }).observe(payload.histogram);
  store.flush();
  return { registry, store };
}

const buckets = (samples: Sample[]): Record<string, number> => Object.fromEntries(find(samples, 'job_seconds_bucket').map((s) => [s.labels.le!, s.value]));
const conflicts = (samples: Sample[]): string[] => find(samples, 'promhttp_multiprocess_definition_conflicts').map((s) => `${s.labels.metric} ${s.labels.action} ${s.value}`).sort();
const typeOf = (text: string, name: string): string | undefined => new RegExp(`^# TYPE ${name} (\\w+)$`, 'm').exec(text)?.[1];

const V1 = [0.5, 0.5, 1.5, 1.5, 1.5, 2.5, 4];
const V2 = [0.5, 1.5, 2.5, 2.5, 4];

describe('definitions that change across a rolling restart', () => {
  it('directory mode: rebuckets a histogram whose buckets changed and a summary that became a histogram, and merges it back after a rollback, losing nothing through compaction', async () => {
    const tmp = tempDir();
    dirs.push(tmp);
    const dir = tmp.path;
    // The old version: buckets [1, 2], payload_bytes a summary. It exits.
    const v1 = await version(dir, [1, 2], V1, { summary: 300 });
    await v1.store.close();
    // The new version: buckets [1, 2, 3] (added), payload_bytes a histogram.
    const v2 = await version(dir, [1, 2, 3], V2, { histogram: 50 });
    const expectV2 = (text: string): void => {
      const samples = parseExposition(text);
      expect(sum(samples, 'job_seconds_count')).toBe(12);
      expect(sum(samples, 'job_seconds_sum')).toBe(V1.reduce((a, b) => a + b) + V2.reduce((a, b) => a + b));
      // v1's buckets are bounds of v2's: exact, except that v1's +Inf cannot be split at 3.
      expect(buckets(samples)).toEqual({ '1': 3, '2': 7, '3': 9, '+Inf': 12 });
      expect(sum(samples, 'jobs_total')).toBe(22);
      // v1's summary counts in +Inf of v2's histogram: _count and _sum go on from v1's.
      expect(typeOf(text, 'payload_bytes')).toBe('histogram');
      expect(sum(samples, 'payload_bytes_count')).toBe(2);
      expect(sum(samples, 'payload_bytes_sum')).toBe(350);
      expect(find(samples, 'payload_bytes_bucket').map((s) => `${s.labels.le} ${s.value}`)).toEqual(['100 1', '1000 1', '+Inf 2']);
      expect(text).toContain('# HELP job_seconds Job durations, buckets 1, 2, 3.');
      expect(conflicts(samples)).toEqual(['job_seconds rebucketed 1', 'payload_bytes rebucketed 1']);
    };
    expectV2(await renderRegistry(v2.registry, 'text'));
    // A sidecar shows the definitions of the most recently started process.
    expectV2(await renderDirectory(dir));

    expect(v2.store.compact().absorbed).toBe(1);
    expectV2(await renderRegistry(v2.registry, 'text'));
    expectV2(await renderDirectory(dir));

    // A rollback to the old definitions: v2 exits, v3 absorbs it, and v1's summary is still there.
    await v2.store.close();
    const v3 = await version(dir, [1, 2], [0.5], { summary: 400 });
    expect(v3.store.compact().absorbed).toBe(2);
    for (const text of [await renderRegistry(v3.registry, 'text'), await renderDirectory(dir)]) {
      const samples = parseExposition(text);
      expect(sum(samples, 'job_seconds_count')).toBe(13);
      // v2's le="3" bucket goes to +Inf in the [1, 2] buckets shown.
      expect(buckets(samples)).toEqual({ '1': 4, '2': 8, '+Inf': 13 });
      expect(sum(samples, 'jobs_total')).toBe(33);
      // The summary is shown again, with v2's histogram merged in by count and sum.
      expect(typeOf(text, 'payload_bytes')).toBe('summary');
      expect(sum(samples, 'payload_bytes_count')).toBe(3);
      expect(sum(samples, 'payload_bytes_sum')).toBe(750);
      expect(conflicts(samples)).toEqual(['job_seconds rebucketed 1', 'payload_bytes merged 1']);
    }
    // The archive keeps every definition apart.
    const [archive] = readdirSync(dir).filter((name) => name.startsWith('archive.'));
    // A header line, then a line per family.
    const families = readFileSync(join(dir, archive!), 'utf8').trim().split('\n').slice(1).map((line) => JSON.parse(line) as { name: string; type: string; buckets?: number[] });
    expect(families.filter((f) => f.name === 'job_seconds').map((f) => f.buckets!.join()).sort()).toEqual(['1,2', '1,2,3']);
    expect(families.filter((f) => f.name === 'payload_bytes').map((f) => f.type).sort()).toEqual(['histogram', 'summary']);
    await v3.store.close();
  });

  it('IPC mode: the primary keeps exited workers\' definitions apart, so a deploy and a rollback lose nothing', { timeout: 30_000 }, async () => {
    const app = procs.track(runTs('ipc-redefine.ts'));
    const v2 = await app.waitFor(/version 2 listening on (http:\/\/\S+)/);
    const text2 = (await get(`${v2}/metrics`)).body;
    const at2 = parseExposition(text2);
    expect(sum(at2, 'job_seconds_count')).toBe(12);
    expect(buckets(at2)).toEqual({ '1': 3, '2': 7, '3': 9, '+Inf': 12 });
    expect(typeOf(text2, 'payload_bytes')).toBe('histogram');
    expect(sum(at2, 'payload_bytes_count')).toBe(2);
    expect(conflicts(at2)).toEqual(['job_seconds rebucketed 1', 'payload_bytes rebucketed 1']);

    await get(`${v2}/exit`);
    const v3 = await app.waitFor(/version 3 listening on (http:\/\/\S+)/);
    const text3 = (await get(`${v3}/metrics`)).body;
    const at3 = parseExposition(text3);
    expect(sum(at3, 'job_seconds_count')).toBe(13);
    expect(buckets(at3)).toEqual({ '1': 4, '2': 8, '+Inf': 13 });
    expect(typeOf(text3, 'payload_bytes')).toBe('summary');
    expect(sum(at3, 'payload_bytes_count')).toBe(3);
    expect(sum(at3, 'payload_bytes_sum')).toBe(750);
    expect(conflicts(at3)).toEqual(['job_seconds rebucketed 1', 'payload_bytes merged 1']);
  });
});
