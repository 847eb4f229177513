import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counter, createPushgateway, PushgatewayError, runJob } from 'promhttp';
import { listen } from './support/http.js';
import { freePort, startChild, TSX } from './support/process.js';
import { startPrometheus, startPushgateway, type Pushgateway as RealPushgateway } from './support/prometheus.js';
import { find, scrape, type Sample } from './support/scrape.js';

let real: RealPushgateway;

// The Pushgateway may keep groups from earlier runs (Debian's build persists them to a file by
// default), so every group this file checks is named for this run alone.
const RUN = randomUUID().slice(0, 8);
const job = (name: string): string => `${name}-${RUN}`;

beforeAll(async () => {
  real = await startPushgateway();
});

afterAll(async () => {
  await real?.stop();
});

/** What the real Pushgateway holds for `job` (its own metrics and push timestamps left out). */
async function group(job: string): Promise<Sample[]> {
  const samples = await scrape(`${real.url}/metrics`);
  return samples.filter((s) => s.labels.job === job && !s.name.startsWith('push_'));
}

function registryWith(name: string, value: number): Registry {
  const registry = new Registry();
  counter({ name, help: `The ${name} of the test.`, registry }).inc(value);
  return registry;
}

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A stand-in gateway on loopback: `answer(n)` gives the status of the n-th request (1-based), or "hang". */
async function fakeGateway(answer: (n: number) => number | 'hang') {
  const received: Received[] = [];
  const server = await listen((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const status = answer(received.length);
      if (status === 'hang') return;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status >= 400 ? `fake gateway says ${status}` : '');
    });
  });
  return { url: server.url, received, close: () => server.close() };
}

describe('push, pushAdd and delete against a real Pushgateway', () => {
  it('push replaces the whole group with the registry', async () => {
    await createPushgateway({ gateway: real.url, job: job('replace'), registry: registryWith('first_total', 1) }).push();
    await createPushgateway({ gateway: real.url, job: job('replace'), registry: registryWith('second_total', 2) }).push();
    expect(await group(job('replace'))).toEqual([{ name: 'second_total', labels: { instance: '', job: job('replace') }, value: 2 }]);
  });

  it('pushAdd replaces metrics of the same name and keeps the others', async () => {
    await createPushgateway({ gateway: real.url, job: job('add'), registry: registryWith('kept_total', 1) }).push();
    await createPushgateway({ gateway: real.url, job: job('add'), registry: registryWith('added_total', 2) }).pushAdd();
    await createPushgateway({ gateway: real.url, job: job('add'), registry: registryWith('added_total', 5) }).pushAdd();
    expect((await group(job('add'))).map((s) => [s.name, s.value])).toEqual([
      ['added_total', 5],
      ['kept_total', 1],
    ]);
  });

  it('delete removes the group and only that group', async () => {
    const registry = registryWith('doomed_total', 1);
    await createPushgateway({ gateway: real.url, job: job('doomed'), groupingKey: { shard: 'a' }, registry }).push();
    await createPushgateway({ gateway: real.url, job: job('doomed'), groupingKey: { shard: 'b' }, registry }).push();
    await createPushgateway({ gateway: real.url, job: job('doomed'), groupingKey: { shard: 'a' }, registry }).delete();
    expect((await group(job('doomed'))).map((s) => s.labels.shard)).toEqual(['b']);
  });

  it('carries grouping keys with "/" and empty values, and job names with "/", to the gateway intact', async () => {
    const gateway = createPushgateway({
      gateway: real.url,
      job: job('reports/daily'),
      groupingKey: { path: '/var/data/exports', empty: '', plain: 'a b&c' },
      registry: registryWith('exported_total', 7),
    });
    expect(gateway.url).toBe(`${real.url}/metrics/job@base64/${Buffer.from(job('reports/daily')).toString('base64url')}/path@base64/L3Zhci9kYXRhL2V4cG9ydHM/empty@base64/=/plain/a%20b%26c`);
    await gateway.push();
    expect(await group(job('reports/daily'))).toEqual([
      { name: 'exported_total', labels: { empty: '', instance: '', job: job('reports/daily'), path: '/var/data/exports', plain: 'a b&c' }, value: 7 },
    ]);
  });

  it('keeps grouping-key values and job names "." and ".." in groups of their own: a PUT replaces no other group', async () => {
    const backup = job('backup');
    await createPushgateway({ gateway: real.url, job: backup, groupingKey: { shard: 'x' }, registry: registryWith('kept_total', 1) }).push();
    // Unencoded, ".." would climb out of its segment: PUT /metrics/job/<job>/instance/../shard/x is the group above.
    const climbing = createPushgateway({ gateway: real.url, job: backup, groupingKey: { instance: '..', shard: 'x' }, registry: registryWith('climbing_total', 2) });
    expect(climbing.url).toBe(`${real.url}/metrics/job/${backup}/instance@base64/Li4/shard/x`);
    await climbing.push();
    await createPushgateway({ gateway: real.url, job: backup, groupingKey: { instance: '.' }, registry: registryWith('dot_total', 3) }).push();
    expect((await group(backup)).map((s) => [s.name, s.labels.instance, s.labels.shard ?? '', s.value])).toEqual([
      ['climbing_total', '..', 'x', 2],
      ['dot_total', '.', '', 3],
      ['kept_total', '', 'x', 1],
    ]);
    for (const name of ['.', '..']) {
      const gateway = createPushgateway({ gateway: real.url, job: name, registry: registryWith('dotted_job_total', name.length) });
      expect(gateway.url).toBe(`${real.url}/metrics/job@base64/${Buffer.from(name).toString('base64url')}`);
      await gateway.push();
      expect((await group(name)).map((s) => [s.name, s.value])).toEqual([['dotted_job_total', name.length]]);
    }
  });

  it('is scraped by a real Prometheus with honor_labels, which keeps the pushed job and grouping labels', async () => {
    const registry = new Registry();
    counter({ name: 'rows_exported_total', help: 'Rows exported.', labelNames: ['table'], registry }).inc({ table: 'orders' }, 42);
    await createPushgateway({ gateway: real.url, job: job('nightly-export'), groupingKey: { shard: 'eu/1' }, registry }).push();
    const prometheus = await startPrometheus([{ job: 'pushgateway', targets: [real.address], honorLabels: true }]);
    try {
      const query = `rows_exported_total{job="${job('nightly-export')}",shard="eu/1",table="orders"}`;
      expect(await prometheus.waitFor(query, (v) => v === 42)).toBe(42);
      const [series] = await prometheus.query(query);
      expect(series?.metric.job).toBe(job('nightly-export'));
    } finally {
      await prometheus.stop();
    }
  });
});

describe('retries, timeouts and failures', () => {
  it('retries a 503 until the gateway accepts, sending the text format each time', async () => {
    const fake = await fakeGateway((n) => (n <= 2 ? 503 : 200));
    try {
      await createPushgateway({ gateway: fake.url, job: 'flaky', registry: registryWith('tries_total', 1), retryDelayMs: 1 }).push();
      expect(fake.received).toHaveLength(3);
      for (const request of fake.received) {
        expect(request.method).toBe('PUT');
        expect(request.url).toBe('/metrics/job/flaky');
        expect(request.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
        expect(request.body).toBe('# HELP tries_total The tries_total of the test.\n# TYPE tries_total counter\ntries_total 1\n');
      }
    } finally {
      await fake.close();
    }
  });

  it('gives up after the retries with an error naming the gateway URL, the status and the body', async () => {
    const fake = await fakeGateway(() => 503);
    try {
      const push = createPushgateway({ gateway: fake.url, job: 'down', registry: registryWith('x_total', 1), retries: 3, retryDelayMs: 1 }).pushAdd();
      await expect(push).rejects.toThrow(`promhttp: POST ${fake.url}/metrics/job/down failed after 4 attempts: HTTP 503 Service Unavailable: fake gateway says 503`);
      await expect(push).rejects.toMatchObject({ name: 'PushgatewayError', status: 503, attempts: 4, url: `${fake.url}/metrics/job/down` });
      expect(fake.received).toHaveLength(4);
    } finally {
      await fake.close();
    }
  });

  it('does not retry a 4xx: the push itself is wrong', async () => {
    const fake = await fakeGateway(() => 400);
    try {
      const push = createPushgateway({ gateway: fake.url, job: 'bad', registry: registryWith('x_total', 1), retryDelayMs: 1 }).push();
      await expect(push).rejects.toBeInstanceOf(PushgatewayError);
      await expect(push).rejects.toThrow(`promhttp: PUT ${fake.url}/metrics/job/bad was refused: HTTP 400 Bad Request: fake gateway says 400`);
      expect(fake.received).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });

  it('times out each attempt against a gateway that never answers', async () => {
    const fake = await fakeGateway(() => 'hang');
    try {
      const push = createPushgateway({ gateway: fake.url, job: 'silent', registry: registryWith('x_total', 1), timeoutMs: 200, retries: 1, retryDelayMs: 1 }).push();
      await expect(push).rejects.toThrow(`promhttp: PUT ${fake.url}/metrics/job/silent failed after 2 attempts: no answer within 200 ms`);
      expect(fake.received).toHaveLength(2);
    } finally {
      await fake.close();
    }
  });

  it('retries a refused connection and says so', async () => {
    const port = await freePort();
    const push = createPushgateway({ gateway: `127.0.0.1:${port}`, job: 'nobody', registry: registryWith('x_total', 1), retries: 1, retryDelayMs: 1 }).delete();
    await expect(push).rejects.toThrow(`promhttp: DELETE http://127.0.0.1:${port}/metrics/job/nobody failed after 2 attempts: connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('sends basic auth (from the option or the URL) and custom headers', async () => {
    const fake = await fakeGateway(() => 200);
    try {
      const registry = registryWith('x_total', 1);
      await createPushgateway({ gateway: fake.url, job: 'auth', registry, auth: { username: 'pusher', password: 's3cret:!' }, headers: { 'X-Scope-OrgID': 'team-a' } }).push();
      const withCredentials = createPushgateway({ gateway: fake.url.replace('http://', 'http://robot:p%40ss@'), job: 'auth', registry });
      expect(withCredentials.url).toBe(`${fake.url}/metrics/job/auth`);
      await withCredentials.delete();
      expect(fake.received[0]!.headers.authorization).toBe(`Basic ${Buffer.from('pusher:s3cret:!').toString('base64')}`);
      expect(fake.received[0]!.headers['x-scope-orgid']).toBe('team-a');
      expect(fake.received[1]!.headers.authorization).toBe(`Basic ${Buffer.from('robot:p@ss').toString('base64')}`);
    } finally {
      await fake.close();
    }
  });

  it('keeps a path prefix of the gateway URL', async () => {
    const fake = await fakeGateway(() => 200);
    try {
      await createPushgateway({ gateway: `${fake.url}/pushgateway/`, job: 'prefixed', registry: new Registry() }).push();
      expect(fake.received[0]!.url).toBe('/pushgateway/metrics/job/prefixed');
    } finally {
      await fake.close();
    }
  });
});

describe('pushEvery()', () => {
  it('pushes at once and then on each interval until stopped, reporting failures to onError', async () => {
    const fake = await fakeGateway((n) => (n === 2 ? 400 : 200));
    const errors: Error[] = [];
    try {
      const gateway = createPushgateway({ gateway: fake.url, job: 'ticker', registry: registryWith('x_total', 1), onError: (e) => errors.push(e) });
      const schedule = gateway.pushEvery(100, { method: 'pushAdd' });
      for (let i = 0; i < 100 && fake.received.length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      await schedule.stop();
      const pushed = fake.received.length;
      expect(pushed).toBeGreaterThanOrEqual(3);
      expect(fake.received.every((r) => r.method === 'POST')).toBe(true);
      expect(errors.map((e) => e.message)).toEqual([`promhttp: POST ${fake.url}/metrics/job/ticker was refused: HTTP 400 Bad Request: fake gateway says 400`]);
    } finally {
      await fake.close();
    }
  });
});

describe('pushAtExit()', () => {
  const fixture = 'test/fixtures/push-at-exit.ts';

  async function runFixture(job: string, mode: string, count: number, signal?: NodeJS.Signals): Promise<number | null> {
    const child = startChild(TSX, [fixture], { env: { PUSHGATEWAY_URL: real.url, JOB: job, MODE: mode, COUNT: String(count) } });
    try {
      const exited = new Promise<number | null>((resolve) => child.process.once('exit', (code) => resolve(code)));
      await child.waitFor(/ready/);
      if (signal) child.process.kill(signal);
      return await exited;
    } finally {
      await child.stop();
    }
  }

  it('pushes on SIGTERM, then exits with 143', async () => {
    expect(await runFixture(job('at-sigterm'), 'signal', 5, 'SIGTERM')).toBe(143);
    expect(find(await group(job('at-sigterm')), 'fixture_items_processed_total')[0]?.value).toBe(5);
  });

  it('pushes on SIGINT, then exits with 130', async () => {
    expect(await runFixture(job('at-sigint'), 'signal', 6, 'SIGINT')).toBe(130);
    expect(find(await group(job('at-sigint')), 'fixture_items_processed_total')[0]?.value).toBe(6);
  });

  it('pushes the final values when the process ends normally', async () => {
    expect(await runFixture(job('at-exit'), 'exit', 2)).toBe(0);
    // 2 at start plus the one the last timer added: the push happened after the work was done.
    expect(find(await group(job('at-exit')), 'fixture_items_processed_total')[0]?.value).toBe(3);
  });

  it('leaves exiting to the app when it handles SIGTERM itself, and still pushes', async () => {
    expect(await runFixture(job('at-own-handler'), 'own-handler', 4, 'SIGTERM')).toBe(0);
    expect(find(await group(job('at-own-handler')), 'fixture_items_processed_total')[0]?.value).toBe(4);
  });
});

describe('runJob()', () => {
  /** The value of the one sample named `name`, or undefined when the gateway holds none. */
  const value = (samples: Sample[], name: string): number | undefined => find(samples, name)[0]?.value;

  it('pushes the duration summary, no failures, the last success time and records processed, and resolves with the result', async () => {
    const before = Date.now() / 1000;
    const result = await runJob({ gateway: real.url, job: job('import'), groupingKey: { source: 'crm' } }, async (ctx) => {
      counter({ name: 'import_rows_skipped_total', help: 'Rows skipped.', registry: ctx.registry }).inc(2);
      ctx.processed(10);
      ctx.processed(5);
      return 'imported';
    });
    expect(result).toBe('imported');
    const samples = await group(job('import'));
    expect(samples.map((s) => s.name)).toEqual([
      'import_rows_skipped_total',
      'job_duration_seconds_sum',
      'job_duration_seconds_count',
      'job_failures_total',
      'job_last_records_processed',
      'job_last_success_timestamp_seconds',
      'job_records_processed_total',
    ]);
    expect(samples.every((s) => s.labels.source === 'crm')).toBe(true);
    expect(value(samples, 'import_rows_skipped_total')).toBe(2);
    expect(value(samples, 'job_duration_seconds_count')).toBe(1);
    expect(value(samples, 'job_duration_seconds_sum')).toBeGreaterThanOrEqual(0);
    expect(value(samples, 'job_failures_total')).toBe(0);
    expect(value(samples, 'job_last_records_processed')).toBe(15);
    expect(value(samples, 'job_records_processed_total')).toBe(15);
    expect(value(samples, 'job_last_success_timestamp_seconds')).toBeGreaterThanOrEqual(before);
  });

  it('pushes the metric types Prometheus expects for batch jobs', async () => {
    await runJob({ gateway: real.url, job: job('types') }, (ctx) => ctx.processed(1));
    const text = await (await fetch(`${real.url}/metrics`)).text();
    for (const [name, type] of [
      ['job_duration_seconds', 'summary'],
      ['job_failures_total', 'counter'],
      ['job_last_success_timestamp_seconds', 'gauge'],
      ['job_last_records_processed', 'gauge'],
      ['job_records_processed_total', 'counter'],
    ]) {
      expect(text).toContain(`# TYPE ${name} ${type}\n`);
    }
  });

  it('on failure counts one failure, pushes the failure time, keeps the last success pushed before, and rethrows', async () => {
    const options = { gateway: real.url, job: job('sync') };
    await runJob(options, (ctx) => ctx.processed(4));
    const success = value(await group(job('sync')), 'job_last_success_timestamp_seconds')!;
    const failure = new Error('upstream down');
    const before = Date.now() / 1000;
    await expect(
      runJob(options, async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    const samples = await group(job('sync'));
    expect(value(samples, 'job_last_success_timestamp_seconds')).toBe(success);
    expect(value(samples, 'job_last_failure_timestamp_seconds')).toBeGreaterThanOrEqual(before);
    expect(value(samples, 'job_failures_total')).toBe(1);
    // A new registry per run: the summary describes the failed run alone.
    expect(value(samples, 'job_duration_seconds_count')).toBe(1);
    // The failed run reported no records, so the figures of the earlier run stay.
    expect(value(samples, 'job_last_records_processed')).toBe(4);
    expect(value(samples, 'job_records_processed_total')).toBe(4);
  });

  it('with one process per run, a success after a failure pushes 0 failures: the gateway keeps the last push', async () => {
    const options = { gateway: real.url, job: job('per-run') };
    await expect(runJob(options, () => Promise.reject(new Error('first')))).rejects.toThrow('first');
    await expect(runJob(options, () => Promise.reject(new Error('second')))).rejects.toThrow('second');
    expect(value(await group(job('per-run')), 'job_failures_total')).toBe(1);
    await runJob(options, () => 'ok');
    const samples = await group(job('per-run'));
    expect(value(samples, 'job_failures_total')).toBe(0);
    expect(value(samples, 'job_last_failure_timestamp_seconds')).toBeLessThanOrEqual(value(samples, 'job_last_success_timestamp_seconds')!);
  });

  it('with a long-lived registry, accumulates runs, failures and records across runs', async () => {
    const registry = new Registry();
    const options = { gateway: real.url, job: job('cron'), registry };
    await runJob(options, (ctx) => ctx.processed(3));
    await expect(
      runJob(options, (ctx) => {
        ctx.processed(2);
        return Promise.reject(new Error('no'));
      }),
    ).rejects.toThrow('no');
    const samples = await group(job('cron'));
    expect(find(samples, 'job_last_success_timestamp_seconds')).toHaveLength(1);
    expect(find(samples, 'job_last_failure_timestamp_seconds')).toHaveLength(1);
    expect(value(samples, 'job_duration_seconds_count')).toBe(2);
    expect(value(samples, 'job_failures_total')).toBe(1);
    expect(value(samples, 'job_last_records_processed')).toBe(2);
    expect(value(samples, 'job_records_processed_total')).toBe(5);
  });

  it('resolves with the result when the job succeeded but its metrics could not be pushed, reporting the push error to onError', async () => {
    const fake = await fakeGateway(() => 503);
    const reported: Error[] = [];
    try {
      const result = await runJob({ gateway: fake.url, job: 'lost', retries: 0, onError: (e) => reported.push(e) }, () => 'done');
      expect(result).toBe('done');
      expect(reported).toHaveLength(1);
      expect(reported[0]).toBeInstanceOf(PushgatewayError);
      expect(reported[0]!.message).toBe(`promhttp: POST ${fake.url}/metrics/job/lost failed after 1 attempt: HTTP 503 Service Unavailable: fake gateway says 503`);
    } finally {
      await fake.close();
    }
  });

  it('reports a failed push by default with one process warning naming the gateway, the job and the error', async () => {
    const fake = await fakeGateway(() => 503);
    const warnings: Error[] = [];
    const collect = (warning: Error): number => warnings.push(warning);
    process.on('warning', collect);
    try {
      expect(await runJob({ gateway: fake.url, job: 'unheard', retries: 0 }, () => 42)).toBe(42);
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((w) => [w.name, w.message])).toEqual([
        ['PushgatewayWarning', `promhttp: runJob: the metrics of job "unheard" were not pushed to ${fake.url}/metrics/job/unheard: POST failed after 1 attempt: HTTP 503 Service Unavailable: fake gateway says 503`],
      ]);
    } finally {
      process.off('warning', collect);
      await fake.close();
    }
  });

  it('rethrows the job error when both the job and the push fail, reporting the push error to onError', async () => {
    const fake = await fakeGateway(() => 503);
    const reported: Error[] = [];
    try {
      const failure = new Error('job broke');
      const run = runJob({ gateway: fake.url, job: 'double', retries: 0, onError: (e) => reported.push(e) }, () => {
        throw failure;
      });
      await expect(run).rejects.toBe(failure);
      expect(reported).toHaveLength(1);
      expect(reported[0]).toBeInstanceOf(PushgatewayError);
    } finally {
      await fake.close();
    }
  });
  it('keeps the run\'s outcome when onError throws: the job\'s own error, or its result, and a warning for what onError threw', async () => {
    const fake = await fakeGateway(() => 503);
    const warnings: Error[] = [];
    const collect = (warning: Error): number => warnings.push(warning);
    process.on('warning', collect);
    try {
      const onError = (): never => {
        throw new Error('from onError');
      };
      const failure = new Error('job broke');
      await expect(runJob({ gateway: fake.url, job: 'loud', retries: 0, onError }, () => Promise.reject(failure))).rejects.toBe(failure);
      expect(await runJob({ gateway: fake.url, job: 'loud', retries: 0, onError }, () => 'done')).toBe('done');
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((w) => [w.name, w.message])).toEqual([
        ['PushgatewayWarning', 'promhttp: runJob: onError of job "loud" threw: from onError'],
        ['PushgatewayWarning', 'promhttp: runJob: onError of job "loud" threw: from onError'],
      ]);
    } finally {
      process.off('warning', collect);
      await fake.close();
    }
  });
});

describe('examples/batch-job.ts', () => {
  it('runs to completion and pushes its job metrics', async () => {
    // The example pushes to a fixed group: clear what an earlier run left there first.
    await createPushgateway({ gateway: real.url, job: 'orders-export', groupingKey: { region: 'eu' }, registry: new Registry() }).delete();
    expect(await group('orders-export')).toEqual([]);
    const child = startChild(TSX, ['examples/batch-job.ts'], { env: { PUSHGATEWAY_URL: real.url } });
    try {
      const exited = new Promise<number | null>((resolve) => child.process.once('exit', (code) => resolve(code)));
      expect(await exited).toBe(0);
      expect(child.output()).toContain(`pushed to ${real.url}`);
      const samples = await group('orders-export');
      expect(samples.every((s) => s.labels.region === 'eu')).toBe(true);
      expect(find(samples, 'job_last_records_processed')[0]?.value).toBe(22);
      expect(find(samples, 'job_records_processed_total')[0]?.value).toBe(22);
      expect(find(samples, 'job_failures_total')[0]?.value).toBe(0);
      expect(find(samples, 'job_duration_seconds_count')[0]?.value).toBe(1);
      expect(find(samples, 'orders_export_skipped_total')[0]?.value).toBe(3);
      expect(find(samples, 'job_last_success_timestamp_seconds')).toHaveLength(1);
    } finally {
      await child.stop();
    }
  });
});

describe('construction errors', () => {
  const registry = new Registry();
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['a missing gateway', () => createPushgateway({ job: 'x' } as never), /^promhttp: createPushgateway: "gateway" must be the Pushgateway's URL/],
    ['a gateway that is not http', () => createPushgateway({ gateway: 'ftp://h', job: 'x' }), /must be an http:\/\/ or https:\/\/ URL/],
    ['an empty job', () => createPushgateway({ gateway: 'http://h:9091', job: '' }), /"job" must be a non-empty string/],
    ['job in the grouping key', () => createPushgateway({ gateway: 'http://h:9091', job: 'x', groupingKey: { job: 'y' } }), /"groupingKey" cannot hold "job"/],
    ['a grouping value that is not a string', () => createPushgateway({ gateway: 'http://h:9091', job: 'x', groupingKey: { n: 1 } as never }), /"groupingKey.n" must be a string/],
    ['negative retries', () => createPushgateway({ gateway: 'http://h:9091', job: 'x', retries: -1 }), /"retries" must be a whole number of at least 0/],
    ['auth and an authorization header', () => createPushgateway({ gateway: 'http://h:9091', job: 'x', auth: { username: 'a', password: 'b' }, headers: { Authorization: 'Bearer t' } }), /not both/],
    ['a too short interval', () => createPushgateway({ gateway: 'http://h:9091', job: 'x', registry }).pushEvery(5), /^promhttp: pushEvery: the interval must be a whole number of milliseconds of at least 100/],
    ['an unknown exit signal', () => createPushgateway({ gateway: 'http://h:9091', job: 'x', registry }).pushAtExit({ signals: ['SIGKILL' as never] }), /^promhttp: pushAtExit: "signals" must be a list of SIGTERM, SIGINT, SIGHUP, or false/],
    ['a job that is not a function', () => runJob({ gateway: 'http://h:9091', job: 'x' }, 'later' as never), /^promhttp: runJob: the second argument must be the job/],
    ['a misspelt job option', () => runJob({ gateway: 'http://h:9091', job: 'x', groupingkey: {} } as never, () => {}), /unknown option "groupingkey"\. Did you mean "groupingKey"\?/],
  ];
  for (const [what, create, message] of cases) {
    it(`rejects ${what} at once with a promhttp TypeError`, () => {
      expect(create).toThrow(TypeError);
      expect(create).toThrow(message);
    });
  }
});
