// Exemplars across processes: two node:cluster workers in directory mode and in IPC mode, each
// serving requests with known traceparent ids. Whichever worker answers the scrape, it shows the
// latest exemplar of each bucket and counter series, also when the other worker recorded it: in
// directory mode once that worker has written its exemplars (at most a second later), in IPC mode
// at once, since the scrape collects every worker's state.
import { request } from 'node:http';
import { decodeFamilies, PROTOBUF } from '../support/protobuf.js';
import { afterEach, describe, expect, it } from 'vitest';
import { exemplarLines, traceparent } from '../support/exemplars.js';
import { processes, startClusterFixture, tempDir } from '../fixtures/mp-support.js';

const procs = processes();
const dirs: Array<ReturnType<typeof tempDir>> = [];
afterEach(async () => {
  await procs.stopAll();
  for (const dir of dirs.splice(0)) dir.remove();
});

/** A GET on a new connection, so that the cluster spreads them over its workers; resolves with the answering pid and the body. */
function get(url: string, headers: Record<string, string> = {}): Promise<{ pid: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ pid: Number(res.headers['x-pid']), body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

const OPENMETRICS = { accept: 'application/openmetrics-text; version=1.0.0' };

/** A GET on a new connection whose body is bytes (protobuf). */
function getBytes(url: string, headers: Record<string, string>): Promise<{ pid: number; body: Uint8Array }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ pid: Number(res.headers['x-pid']), body: new Uint8Array(Buffer.concat(chunks)) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Sends traced requests to /users/:id until both workers have served some, the last one by
 * `lastBy` (if given); returns the trace and pid of each, in order.
 */
async function tracedRequests(url: string, count: number): Promise<Array<{ traceId: string; pid: number }>> {
  const sent: Array<{ traceId: string; pid: number }> = [];
  for (let i = 0; i < count || new Set(sent.map((s) => s.pid)).size < 2; i++) {
    if (i > 200) throw new Error('the cluster sent every request to one worker');
    const trace = traceparent(1000 + i);
    const { pid } = await get(`${url}/users/${i}`, { traceparent: trace.header });
    sent.push({ traceId: trace.traceId, pid });
  }
  return sent;
}

/**
 * Scrapes until a worker other than `pid` answers with `traceId` as the exemplar of the counter
 * of /users/:id; returns how long that took after `since`, and the scrape.
 */
async function seenFromTheOtherWorker(url: string, pid: number, traceId: string, since: number, timeoutMs = 10_000): Promise<{ ms: number; body: string; scrapes: number }> {
  let scrapes = 0;
  while (Date.now() - since < timeoutMs) {
    const scrape = await get(`${url}/metrics`, OPENMETRICS);
    scrapes++;
    const counter = exemplarLines(scrape.body).find((l) => l.name === 'http_requests_total' && l.labels.route === '/users/:id');
    if (scrape.pid !== pid && counter?.exemplar.trace_id === traceId) return { ms: Date.now() - since, body: scrape.body, scrapes };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no worker but ${pid} showed ${traceId} within ${timeoutMs} ms`);
}

function expectLatest(body: string, traceId: string): void {
  const lines = exemplarLines(body).filter((l) => l.labels.route === '/users/:id');
  const counter = lines.filter((l) => l.name === 'http_requests_total');
  expect(counter.map((l) => l.exemplar.trace_id)).toEqual([traceId]);
  // One exemplar per bucket at most, and the latest request's on the bucket its duration fell in.
  const buckets = lines.filter((l) => l.name === 'http_request_duration_seconds_bucket');
  expect(new Set(buckets.map((b) => b.labels.le)).size).toBe(buckets.length);
  expect(buckets.map((b) => b.exemplar.trace_id)).toContain(traceId);
}

describe('exemplars across processes', () => {
  it('directory mode: a scrape by either worker shows the latest exemplar, written by the worker that recorded it within a second', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    dirs.push(dir);
    const app = await startClusterFixture(procs, 'mp-cluster.ts', { PROMETHEUS_MULTIPROC_DIR: dir.path, WORKERS: '2', PORT: '0', MP_EXEMPLARS: '1' });
    const sent = await tracedRequests(app.url, 6);
    const last = sent.at(-1)!;
    const since = Date.now();
    const seen = await seenFromTheOtherWorker(app.url, last.pid, last.traceId, since);
    console.log(`directory mode: the exemplar of pid ${last.pid} shown by the other worker ${seen.ms} ms after its request (${seen.scrapes} scrapes)`);
    // Written on the next tick of the 1 s exemplar timer; a scrape of the recording worker shows it at once.
    expect(seen.ms).toBeLessThan(3_000);
    expectLatest(seen.body, last.traceId);
  });

  it('IPC mode: a scrape by either worker shows the latest exemplar at once', { timeout: 60_000 }, async () => {
    const app = await startClusterFixture(procs, 'ipc-cluster.ts', { WORKERS: '2', PORT: '0', IPC_EXEMPLARS: '1' });
    const sent = await tracedRequests(app.url, 6);
    const last = sent.at(-1)!;
    const since = Date.now();
    const seen = await seenFromTheOtherWorker(app.url, last.pid, last.traceId, since);
    console.log(`IPC mode: the exemplar of pid ${last.pid} shown by the other worker ${seen.ms} ms after its request (${seen.scrapes} scrapes)`);
    // The scrape asks every worker for its state: the first scrape the other worker answers has it.
    expect(seen.scrapes).toBeLessThanOrEqual(20);
    expectLatest(seen.body, last.traceId);
  });

  it("IPC mode with default labels on the workers' registries: the exemplar stays on its series, which the merge labels with them", { timeout: 60_000 }, async () => {
    const app = await startClusterFixture(procs, 'ipc-cluster.ts', { WORKERS: '2', PORT: '0', IPC_EXEMPLARS: '1', IPC_DEFAULT_LABELS: JSON.stringify({ service: 'shop' }) });
    const sent = await tracedRequests(app.url, 6);
    const last = sent.at(-1)!;
    const seen = await seenFromTheOtherWorker(app.url, last.pid, last.traceId, Date.now());
    expectLatest(seen.body, last.traceId);
    for (const line of exemplarLines(seen.body)) expect(line.labels.service).toBe('shop');
  });

  const OTEL_MODES = [
    { mode: 'directory mode', fixture: 'mp-cluster.ts', env: (dir: string) => ({ PROMETHEUS_MULTIPROC_DIR: dir, MP_EXEMPLARS: '1', MP_NAMING: 'otel' }) },
    { mode: 'IPC mode', fixture: 'ipc-cluster.ts', env: () => ({ IPC_EXEMPLARS: '1', IPC_NAMING: 'otel' }) },
  ];
  for (const { mode, fixture, env } of OTEL_MODES)
  it(`${mode} with naming 'otel': the merged view keeps error_type on the 5xx series only, and the exemplars on the histogram`, { timeout: 60_000 }, async () => {
    const dir = tempDir();
    dirs.push(dir);
    const app = await startClusterFixture(procs, fixture, { WORKERS: '2', PORT: '0', ...env(dir.path) });
    const trace = traceparent(7);
    for (let i = 0; i < 6; i++) await get(`${app.url}/error`, { traceparent: trace.header });
    await get(`${app.url}/`);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const { body } = await get(`${app.url}/metrics`, OPENMETRICS);
    expect(body).toContain('http_server_request_duration_seconds_count{http_request_method="GET",http_route="/error",http_response_status_code="500",error_type="500"} 6\n');
    expect(body).toContain('http_server_request_duration_seconds_count{http_request_method="GET",http_route="/",http_response_status_code="200"} 1\n');
    expect(body).not.toContain('error_type=""');
    expect(body).not.toContain('http_requests_total');
    // The 5xx requests' buckets (they may have ended in more than one), and nothing else: no counter, and no trace on /.
    const lines = exemplarLines(body);
    expect(lines.length).toBeGreaterThan(0);
    expect(new Set(lines.map((l) => `${l.name} ${l.labels.http_route} ${l.labels.error_type} ${l.exemplar.trace_id}`))).toEqual(new Set([`http_server_request_duration_seconds_bucket /error 500 ${trace.traceId}`]));
    expect(new Set(lines.map((l) => l.labels.le)).size).toBe(lines.length);
  });

  it('directory mode with native histograms: a protobuf scrape by the other worker carries the exemplar on the classic bucket and in Histogram.exemplars', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    dirs.push(dir);
    const app = await startClusterFixture(procs, 'mp-cluster.ts', { PROMETHEUS_MULTIPROC_DIR: dir.path, WORKERS: '2', PORT: '0', MP_EXEMPLARS: '1', MP_NATIVE: '1' });
    const sent = await tracedRequests(app.url, 6);
    const last = sent.at(-1)!;
    // Once the other worker shows it in OpenMetrics, its exemplars file holds it.
    await seenFromTheOtherWorker(app.url, last.pid, last.traceId, Date.now());
    for (let i = 0; i < 50; i++) {
      const scrape = await getBytes(`${app.url}/metrics`, { accept: PROTOBUF });
      if (scrape.pid === last.pid) continue;
      const duration = decodeFamilies(scrape.body).find((f) => f.name === 'http_request_duration_seconds')!;
      const series = duration.metric.find((m) => m.label.some((l) => l.name === 'route' && l.value === '/users/:id'))!;
      const h = series.histogram!;
      expect(h.schema).toBe(3);
      expect(h.exemplars.map((e) => e.label.find((l) => l.name === 'trace_id')?.value)).toContain(last.traceId);
      expect(h.bucket.map((b) => b.exemplar?.label.find((l) => l.name === 'trace_id')?.value)).toContain(last.traceId);
      return;
    }
    throw new Error(`no worker but ${last.pid} answered a scrape`);
  });
});
