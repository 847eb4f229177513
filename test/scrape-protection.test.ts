import { Gauge, Registry } from 'prom-client';
import { describe, expect, test } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { counter, createHttpMetrics, enableMultiprocess, metricsHandler, startMetricsServer } from 'promhttp';
import { instrument } from 'promhttp/node';
import { listen, request, type RawResponse } from './support/http.js';
import { find, parseExposition } from './support/scrape.js';

const OPENMETRICS = 'application/openmetrics-text; version=1.0.0';

/**
 * A registry whose one plain collector waits at a gate: every render of it holds there until
 * `release()`, so a test can keep scrapes in flight, and `renders()` says how many renders ran.
 */
function gatedRegistry(before?: (registry: Registry) => void): { registry: Registry; renders(): number; entered(): Promise<void>; release(): void } {
  const registry = new Registry();
  before?.(registry);
  let calls = 0;
  let open!: () => void;
  let gate = new Promise<void>((resolve) => (open = resolve));
  let signalEntered!: () => void;
  let entered = new Promise<void>((resolve) => (signalEntered = resolve));
  new Gauge({
    name: 'gated_value',
    help: 'Rendered only when the test lets it.',
    registers: [registry],
    async collect() {
      const render = ++calls;
      signalEntered();
      await gate;
      this.set(render);
    },
  });
  counter({ name: 'work_total', help: 'Work done.', registry }).inc(7);
  return {
    registry,
    renders: () => calls,
    entered: () => entered,
    release() {
      open();
      gate = new Promise<void>((resolve) => (open = resolve));
      entered = new Promise<void>((resolve) => (signalEntered = resolve));
    },
  };
}

async function rejected(url: string, reason: string): Promise<number> {
  const body = (await request(url)).body.toString();
  return find(parseExposition(body), 'promhttp_scrape_rejected_total', { reason })[0]?.value ?? NaN;
}

describe('scrape protection', () => {
  test('concurrent scrapes of the same format and encoding share one render', async () => {
    const gated = gatedRegistry();
    const server = await listen(metricsHandler({ registry: gated.registry, scrape: { maxInFlight: 100 } }));
    try {
      const text = Array.from({ length: 20 }, () => request(server.url));
      const gzipped = Array.from({ length: 10 }, () => request(server.url, { headers: { accept: OPENMETRICS, 'accept-encoding': 'gzip' } }));
      await gated.entered();
      // Give every request time to arrive and join a render before it ends.
      await new Promise((resolve) => setTimeout(resolve, 200));
      gated.release();
      const answers = await Promise.all([...text, ...gzipped]);
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
      // One render for the text scrapes, one for the gzipped OpenMetrics ones.
      expect(gated.renders()).toBe(2);
      const bodies = new Set(answers.slice(0, 20).map((a) => a.body.toString()));
      expect(bodies.size).toBe(1);
      expect([...bodies][0]).toMatch(/^gated_value [12]$/m);
      expect(answers[20]!.headers['content-encoding']).toBe('gzip');
      // Once a render has ended, the next scrape renders afresh.
      const later = request(server.url);
      await gated.entered();
      gated.release();
      expect((await later).body.toString()).toContain('gated_value 3');
    } finally {
      gated.release();
      await server.close();
    }
  });

  test('beyond maxInFlight renders, answers 503 with Retry-After and a reason, and counts it; a scrape joining a render takes no slot', async () => {
    const gated = gatedRegistry();
    const server = await listen(metricsHandler({ registry: gated.registry, scrape: { maxInFlight: 2 } }));
    try {
      // Two renders (text, OpenMetrics), and twenty more scrapes that join them.
      const first = [request(server.url), request(server.url, { headers: { accept: OPENMETRICS } })];
      await gated.entered();
      for (let i = 0; i < 20; i++) first.push(request(server.url, i % 2 ? { headers: { accept: OPENMETRICS } } : {}));
      const refused = await request(server.url, { headers: { 'accept-encoding': 'gzip' } });
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(refused.body.toString()).toMatch(/^promhttp: 2 renders are running already \(scrape\.maxInFlight\)/);
      gated.release();
      expect((await Promise.all(first)).map((a) => a.status)).toEqual(Array(22).fill(200));
      expect(gated.renders()).toBe(2);
      const counted = rejected(server.url, 'max_in_flight');
      await gated.entered();
      gated.release();
      expect(await counted).toBe(1);
    } finally {
      gated.release();
      await server.close();
    }
  });

  test("honours Prometheus's X-Prometheus-Scrape-Timeout-Seconds: a render that cannot finish in time answers 503", async () => {
    const gated = gatedRegistry();
    const server = await listen(metricsHandler({ registry: gated.registry }));
    try {
      const started = performance.now();
      const late = await request(server.url, { headers: { 'x-prometheus-scrape-timeout-seconds': '0.3' } });
      const waited = performance.now() - started;
      expect(late.status).toBe(503);
      expect(late.headers['retry-after']).toBe('1');
      expect(late.body.toString()).toMatch(/^promhttp: the metrics could not be rendered within the scrape timeout \(270 ms\)/);
      // Answered before Prometheus gives up (a tenth earlier), never long after.
      expect(waited).toBeGreaterThanOrEqual(260);
      gated.release();
      const counted = rejected(server.url, 'timeout');
      await gated.entered();
      gated.release();
      expect(await counted).toBe(1);
    } finally {
      gated.release();
      await server.close();
    }
  });

  test('scrape.timeoutMs bounds a scrape without the header; the shorter of the two applies', async () => {
    const gated = gatedRegistry();
    const server = await listen(metricsHandler({ registry: gated.registry, scrape: { timeoutMs: 150 } }));
    try {
      const late = await request(server.url);
      expect(late.status).toBe(503);
      expect(late.body.toString()).toContain('(150 ms)');
      const shorter = await request(server.url, { headers: { 'x-prometheus-scrape-timeout-seconds': '10' } });
      expect(shorter.body.toString()).toContain('(150 ms)');
    } finally {
      gated.release();
      await server.close();
    }
  });

  test('a timeout header longer than a timer can hold sets no deadline, and warns nothing', async () => {
    const gated = gatedRegistry();
    const server = await listen(metricsHandler({ registry: gated.registry }));
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      // 3,000,000 s and 1e300 s are beyond 2^31 - 1 ms: taken literally, the timer would fire after 1 ms.
      for (const seconds of ['3000000', '1e300']) {
        const answer = request(server.url, { headers: { 'x-prometheus-scrape-timeout-seconds': seconds } });
        await gated.entered();
        await new Promise((resolve) => setTimeout(resolve, 50));
        gated.release();
        expect((await answer).status).toBe(200);
      }
      // The header's deadline applies up to that limit.
      expect((await request(server.url, { headers: { 'x-prometheus-scrape-timeout-seconds': '0.05' } })).status).toBe(503);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
      gated.release();
      await server.close();
    }
  });

  test('a render nobody waits for any more stops, and the next scrape gets a fresh one', async () => {
    const gated = gatedRegistry();
    // Enough series that the render yields to the event loop, where it notices it was abandoned.
    const big = counter({ name: 'big_total', help: 'Many series.', labelNames: ['n'], maxSeries: 20_000, registry: gated.registry });
    for (let i = 0; i < 20_000; i++) big.inc({ n: String(i) });
    const server = await listen(metricsHandler({ registry: gated.registry }));
    try {
      expect((await request(server.url, { headers: { 'x-prometheus-scrape-timeout-seconds': '0.2' } })).status).toBe(503);
      gated.release();
      // The abandoned render ends at its next slice; a new scrape renders again, and in time.
      const fresh = request(server.url);
      await gated.entered();
      gated.release();
      const answer: RawResponse = await fresh;
      expect(answer.status).toBe(200);
      expect(gated.renders()).toBe(2);
    } finally {
      gated.release();
      await server.close();
    }
  });

  test('directory mode: a render whose scrape timed out stops, and holds its maxInFlight slot until it has', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'promhttp-abandon-'));
    const gated = gatedRegistry((registry) => enableMultiprocess({ registry, dir }));
    // A store nobody can read: every render that gets as far as reading the directory counts it once.
    mkdirSync(join(dir, 'proc.1-1-1-1'));
    writeFileSync(join(dir, 'proc.1-1-1-1', 'meta.jsonl'), 'not a store\n');
    writeFileSync(join(dir, 'proc.1-1-1-1', 'values.bin'), Buffer.alloc(64));
    const server = await listen(metricsHandler({ registry: gated.registry, scrape: { maxInFlight: 1 } }));
    const readErrors = (body: string): number => find(parseExposition(body), 'promhttp_multiprocess_read_errors_total', { file: 'meta' })[0]?.value ?? 0;
    try {
      // Held at the registry's own collector, before the directory is read; the deadline passes.
      const timedOut = request(server.url, { headers: { 'x-prometheus-scrape-timeout-seconds': '0.2' } });
      await gated.entered();
      expect((await timedOut).status).toBe(503);
      // The abandoned render still holds the one slot: a new render is refused, not started beside it.
      expect((await request(server.url)).status).toBe(503);
      gated.release();
      // Once it has stopped, scrapes render again: until then each is refused at once, after that it waits at the gate.
      let answer: RawResponse | undefined;
      for (let i = 0; i < 1000 && answer === undefined; i++) {
        const pending = request(server.url);
        const admitted = await Promise.race([gated.entered().then(() => true), pending.then(() => false)]);
        if (admitted) {
          gated.release();
          answer = await pending;
        } else await new Promise((resolve) => setImmediate(resolve));
      }
      expect(answer?.status).toBe(200);
      // Only that scrape read the directory: the abandoned render stopped before reading it.
      expect(readErrors(answer!.body.toString())).toBe(1);
    } finally {
      gated.release();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('adapters, metricsHandler and startMetricsServer reject bad scrape options at construction', () => {
    const registry = new Registry();
    expect(() => metricsHandler({ registry, scrape: { maxInFlight: 0 } })).toThrow('promhttp: metricsHandler: "scrape.maxInFlight" must be a whole number of at least 1, got number 0.');
    expect(() => metricsHandler({ registry, scrape: { timeoutMs: -5 } })).toThrow('"scrape.timeoutMs" must be a positive number of milliseconds');
    expect(() => metricsHandler({ registry, scrape: { maxInflight: 3 } as never })).toThrow('promhttp: metricsHandler: "scrape": unknown option "maxInflight". Did you mean "maxInFlight"?');
    expect(() => instrument((_req, res) => res.end(), { registry, scrape: { maxInFlight: 1.5 } })).toThrow('promhttp: instrument: "scrape.maxInFlight"');
    expect(() => startMetricsServer({ port: 0, registry, scrape: { timeoutMs: 0 } })).toThrow('promhttp: startMetricsServer: "scrape.timeoutMs"');
    // A timer cannot wait longer: every scrape would be refused after 1 ms.
    expect(() => metricsHandler({ registry, scrape: { timeoutMs: 2 ** 31 } })).toThrow(
      'promhttp: metricsHandler: "scrape.timeoutMs" must be at most 2147483647 ms (about 24.8 days, the longest a timer can wait), got 2147483648; leave it out for no deadline.',
    );
    expect(() => metricsHandler({ registry, scrape: { timeoutMs: 1e12 } })).toThrow('must be at most 2147483647 ms');
    expect(() => metricsHandler({ registry, scrape: { timeoutMs: 2 ** 31 - 1 } })).not.toThrow();
  });

  test('the refusal counter exists at 0 from the start, beside the metrics it protects', async () => {
    const metrics = createHttpMetrics({ registry: new Registry(), defaultMetrics: false });
    const server = await listen(instrument((_req, res) => res.end('ok'), { metrics }));
    try {
      const samples = parseExposition((await request(`${server.url}/metrics`)).body.toString());
      expect(find(samples, 'promhttp_scrape_rejected_total').map((s) => [s.labels.reason, s.value])).toEqual([
        ['max_in_flight', 0],
        ['timeout', 0],
      ]);
    } finally {
      await server.close();
    }
  });
});
