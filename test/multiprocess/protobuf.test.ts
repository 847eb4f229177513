import { afterEach, describe, expect, it } from 'vitest';
import { request } from '../support/http.js';
import { canonical, decodeFamilies, familySamples, PROMETHEUS_PROTOBUF_ACCEPT, PROTOBUF } from '../support/protobuf.js';
import { parseExposition, sum, type Sample } from '../support/scrape.js';
import { eventually, load, processes, runTs, startClusterFixture, tempDir } from '../fixtures/mp-support.js';

const procs = processes();
const dirs: Array<ReturnType<typeof tempDir>> = [];
afterEach(async () => {
  await procs.stopAll();
  for (const dir of dirs.splice(0)) dir.remove();
});

/** A protobuf scrape, as Prometheus with native histograms sends it, decoded into samples. */
async function protobufScrape(base: string): Promise<Sample[]> {
  const response = await request(`${base}/metrics`, { headers: { accept: PROMETHEUS_PROTOBUF_ACCEPT } });
  expect(response.status, response.body.toString()).toBe(200);
  expect(response.headers['content-type']).toBe(PROTOBUF);
  return familySamples(decodeFamilies(response.body));
}

/** The request families' samples, which stay still while no request comes in. */
const requestSamples = (samples: readonly Sample[]): string[] => canonical(samples.filter((s) => s.name.startsWith('http_request')));

describe('protobuf in multi-process mode', () => {
  it('directory mode: each of 2 processes answers the merged totals over protobuf, as it does in text', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const env = { PROMETHEUS_MULTIPROC_DIR: dir.path, PORT: '0' };
    const apps = await Promise.all([procs.track(runTs('mp-app.ts', env)), procs.track(runTs('mp-app.ts', env))].map((child) => child.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 20_000)));
    const sent = [20, 35];
    await Promise.all(apps.map((url, i) => load(url, sent[i]!, 3)));
    const total = sent[0]! + sent[1]!;
    await eventually(async () => sum(await protobufScrape(apps[0]!), 'http_requests_total') === total, 5_000, 'all requests in the protobuf scrape');
    for (const url of apps) {
      const samples = await protobufScrape(url);
      expect(sum(samples, 'http_requests_total')).toBe(total);
      expect(sum(samples, 'http_request_duration_seconds_count')).toBe(total);
      expect(sum(samples, 'http_request_duration_seconds_bucket', { le: '+Inf' })).toBe(total);
      expect(sum(samples, 'promhttp_multiprocess_processes', { state: 'live' })).toBe(2);
      const text = parseExposition((await request(`${url}/metrics`)).body.toString());
      expect(requestSamples(samples)).toEqual(requestSamples(text));
    }
  });

  it('IPC mode: a worker answers the cluster\'s merged totals over protobuf', { timeout: 60_000 }, async () => {
    const app = await startClusterFixture(procs, 'ipc-cluster.ts', { WORKERS: '2', PORT: '0' });
    const { ok } = await load(app.url, 40, 4);
    expect(ok).toBe(40);
    await eventually(async () => sum(await protobufScrape(app.url), 'http_requests_total') === 40, 10_000, 'all requests in the protobuf scrape');
    const samples = await protobufScrape(app.url);
    expect(sum(samples, 'http_request_duration_seconds_count')).toBe(40);
    expect(sum(samples, 'promhttp_cluster_workers', { state: 'fresh' })).toBe(2);
  });
});
