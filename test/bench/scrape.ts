import { rmSync } from 'node:fs';
import { Registry } from 'prom-client';
import { gzipSync } from 'node:zlib';
import { createHttpMetrics, enableMultiprocess, renderRegistry, respond } from 'promhttp';
import { createScrapeAnswer } from 'promhttp/adapter';
import { emit, partSettings, progress } from './lib/part.js';
import type { ConcurrentScrapeResult, DirectoryScrape, ProtobufScrape } from './lib/results.js';
import { renderProtobufEs } from './lib/protobuf-es.js';
import { decodeFamilies, familySamples } from '../support/protobuf.js';
import { recordRoutes, SAMPLES_PER_ROUTE } from './lib/routes.js';
import { scratchDirectory } from './lib/scratch.js';
import { median, round } from './lib/stats.js';

/**
 * Render time of `/metrics` for the same request metrics held by promhttp and by prom-client, and
 * the longest the event loop stays blocked meanwhile. Sizes count samples (exposition lines), as
 * Prometheus counts series; every route adds a histogram (17 samples) and a counter (1 sample).
 */
const settings = partSettings().scrape;

interface Pair {
  routes: number;
  promhttp: Registry;
  promClient: Registry;
}

/** The same routes, with a few observations each, in a promhttp and a prom-client registry. */
function build(series: number): Pair {
  const routes = Math.ceil(series / SAMPLES_PER_ROUTE);
  const metrics = createHttpMetrics({ registry: new Registry(), defaultMetrics: false, maxRoutes: routes + 1, maxSeries: routes + 1 });
  const promClient = new Registry();
  recordRoutes(metrics, promClient, routes);
  return { routes, promhttp: metrics.registry, promClient };
}

const cpuMs = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

/**
 * Tracks the longest stretch without a timer callback: how long requests would have waited. The
 * wall-clock gap also counts time other processes took the core (the machine is shared); the CPU
 * time this process used within the gap is the block the render itself caused. This process is
 * pinned to one core, so its helper threads cannot make that exceed the wall-clock gap.
 */
function lagProbe(): () => { wallMs: number; cpuMs: number } {
  let last = performance.now();
  let lastCpu = cpuMs();
  let worst = 0;
  let worstCpu = 0;
  const tick = (): void => {
    const now = performance.now();
    const cpu = cpuMs();
    worst = Math.max(worst, now - last);
    worstCpu = Math.max(worstCpu, cpu - lastCpu);
    last = now;
    lastCpu = cpu;
  };
  let timer = setTimeout(function probe() {
    tick();
    timer = setTimeout(probe, 0);
  }, 0);
  return function stop() {
    clearTimeout(timer);
    tick();
    return { wallMs: worst, cpuMs: worstCpu };
  };
}

async function timed(render: () => Promise<string | Uint8Array>, asText = true): Promise<{ ms: number; lagMs: number; blockMs: number; text: string }> {
  // Let the probe start ticking, so the lag measured is the render's and not the setup's.
  await new Promise((resolve) => setTimeout(resolve, 5));
  const stop = lagProbe();
  const start = performance.now();
  const body = await render();
  const ms = performance.now() - start;
  const lag = stop();
  return { ms, lagMs: lag.wallMs, blockMs: lag.cpuMs, text: !asText ? '' : typeof body === 'string' ? body : Buffer.from(body).toString() };
}

/** What promhttp's /metrics sends, as every adapter gets it: the body bytes, before HTTP. */
async function promhttpScrape(registry: Registry): Promise<Uint8Array | string> {
  const answer = await respond(registry, { method: 'GET' });
  if (answer.status !== 200) throw new Error(`respond() answered ${answer.status}: ${String(answer.body)}`);
  return answer.body;
}

const samples = (text: string): number => text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;

const results = [];
const problems: string[] = [];
for (const size of settings.sizes) {
  const pair = build(size.series);
  const promhttp = { ms: [] as number[], lag: [] as number[], block: [] as number[] };
  const promClient = { ms: [] as number[], lag: [] as number[], block: [] as number[] };
  let counts = { promhttp: 0, promClient: 0 };
  for (let r = 0; r < size.runs + 1; r++) {
    const a = await timed(() => promhttpScrape(pair.promhttp));
    const b = await timed(() => pair.promClient.metrics());
    counts = { promhttp: samples(a.text), promClient: samples(b.text) };
    // The first render of each is a warm-up.
    if (r === 0) continue;
    promhttp.ms.push(a.ms);
    promhttp.lag.push(a.lagMs);
    promhttp.block.push(a.blockMs);
    promClient.ms.push(b.ms);
    promClient.lag.push(b.lagMs);
    promClient.block.push(b.blockMs);
  }
  if (counts.promhttp !== counts.promClient) problems.push(`${size.series} series: promhttp rendered ${counts.promhttp} samples, prom-client ${counts.promClient}`);
  const result = {
    series: counts.promhttp,
    routes: pair.routes,
    runs: size.runs,
    promhttpMs: round(median(promhttp.ms), 2),
    promClientMs: round(median(promClient.ms), 2),
    speedup: round(median(promClient.ms) / median(promhttp.ms), 2),
    promhttpMaxLagMs: round(Math.max(...promhttp.lag), 1),
    promClientMaxLagMs: round(Math.max(...promClient.lag), 1),
    promhttpMaxBlockMs: round(Math.max(...promhttp.block), 1),
    promClientMaxBlockMs: round(Math.max(...promClient.block), 1),
  };
  results.push(result);
  progress(`scrape ${result.series} samples: promhttp ${result.promhttpMs} ms (longest block ${result.promhttpMaxBlockMs} ms CPU, ${result.promhttpMaxLagMs} ms wall), prom-client ${result.promClientMs} ms (${result.promClientMaxBlockMs} ms CPU, ${result.promClientMaxLagMs} ms wall), ${result.speedup}×`);
}

const PROTOBUF_ACCEPT = { method: 'GET', accept: 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited' };
const OPENMETRICS_ACCEPT = { method: 'GET', accept: 'application/openmetrics-text;version=1.0.0' };

/**
 * The protobuf exposition against the OpenMetrics one of the same registry, prom-client's text of
 * the same routes, and the same protobuf written with @bufbuild/protobuf instead of promhttp's own
 * encoder: the four renders take turns within each run. The protobuf is decoded with the schema
 * generated from metrics.proto and must hold the samples the OpenMetrics render holds, and both
 * encoders must write the same bytes.
 */
async function protobufScrapes(): Promise<ProtobufScrape[]> {
  const out: ProtobufScrape[] = [];
  for (const size of settings.protobuf) {
    const pair = build(size.series);
    const bodies = async (): Promise<{ protobuf: Buffer; openMetrics: Buffer }> => ({
      protobuf: Buffer.from((await respond(pair.promhttp, PROTOBUF_ACCEPT)).body as Uint8Array),
      openMetrics: Buffer.from((await respond(pair.promhttp, OPENMETRICS_ACCEPT)).body as Uint8Array),
    });
    const renders = {
      protobuf: () => respond(pair.promhttp, PROTOBUF_ACCEPT).then((a) => a.body),
      openMetrics: () => respond(pair.promhttp, OPENMETRICS_ACCEPT).then((a) => a.body),
      protobufEs: () => renderProtobufEs(pair.promhttp),
      promClient: () => pair.promClient.metrics(),
    };
    const ms: Record<keyof typeof renders, number[]> = { protobuf: [], openMetrics: [], protobufEs: [], promClient: [] };
    const block: Record<keyof typeof renders, number[]> = { protobuf: [], openMetrics: [], protobufEs: [], promClient: [] };
    for (let r = 0; r < size.runs + 1; r++) {
      for (const [name, render] of Object.entries(renders) as Array<[keyof typeof renders, () => Promise<string | Uint8Array>]>) {
        const t = await timed(render, false);
        // The first render of each is a warm-up.
        if (r === 0) continue;
        ms[name].push(t.ms);
        block[name].push(t.blockMs);
      }
    }
    const { protobuf, openMetrics } = await bodies();
    const decoded = familySamples(decodeFamilies(protobuf)).length;
    const series = samples(openMetrics.toString());
    if (decoded !== series) problems.push(`protobuf, ${size.series} series: the protobuf render holds ${decoded} samples, the OpenMetrics one ${series}`);
    if (!Buffer.from(await renderProtobufEs(pair.promhttp)).equals(protobuf)) problems.push(`protobuf, ${size.series} series: @bufbuild/protobuf wrote other bytes than promhttp's encoder`);
    const result: ProtobufScrape = {
      series,
      runs: size.runs,
      protobufMs: round(median(ms.protobuf), 2),
      protobufMaxBlockMs: round(Math.max(...block.protobuf), 1),
      openMetricsMs: round(median(ms.openMetrics), 2),
      openMetricsMaxBlockMs: round(Math.max(...block.openMetrics), 1),
      protobufEsMs: round(median(ms.protobufEs), 2),
      protobufEsMaxBlockMs: round(Math.max(...block.protobufEs), 1),
      promClientMs: round(median(ms.promClient), 2),
      promClientMaxBlockMs: round(Math.max(...block.promClient), 1),
      protobufBytes: protobuf.byteLength,
      protobufGzipBytes: gzipSync(protobuf).byteLength,
      openMetricsBytes: openMetrics.byteLength,
      openMetricsGzipBytes: gzipSync(openMetrics).byteLength,
    };
    out.push(result);
    progress(
      `protobuf, ${result.series} samples: ${result.protobufMs} ms (longest block ${result.protobufMaxBlockMs} ms), OpenMetrics ${result.openMetricsMs} ms (${result.openMetricsMaxBlockMs}), @bufbuild/protobuf ${result.protobufEsMs} ms (${result.protobufEsMaxBlockMs}), prom-client ${result.promClientMs} ms (${result.promClientMaxBlockMs}); ${result.protobufBytes} bytes (gzip ${result.protobufGzipBytes}) against ${result.openMetricsBytes} (${result.openMetricsGzipBytes})`,
    );
  }
  return out;
}

const protobuf = await protobufScrapes();

/**
 * The same scrape in directory mode: `processes` stores in one directory, each with routes of its
 * own, so the merged scrape holds all of them. The stores are opened by this process (one registry
 * each); the scraped one reads its own from memory and the others from their files, as it would
 * read other processes'. The first render parses every store's metadata; later ones resume.
 */
async function directoryScrape(): Promise<DirectoryScrape> {
  const { processes, seriesPerProcess, runs } = settings.directory;
  const routes = Math.ceil(seriesPerProcess / SAMPLES_PER_ROUTE);
  const dir = scratchDirectory();
  const stores = [];
  try {
    const registries: Registry[] = [];
    for (let p = 0; p < processes; p++) {
      const registry = new Registry();
      stores.push(enableMultiprocess({ registry, dir, worker: `w${p}` }));
      const metrics = createHttpMetrics({ registry, defaultMetrics: false, maxRoutes: routes + 1, maxSeries: routes + 1 });
      recordRoutes(metrics, new Registry(), routes, p * routes);
      registries.push(registry);
    }
    for (const store of stores) store.flush();
    const ms: number[] = [];
    let coldMs = 0;
    let coldBlockMs = 0;
    let maxBlockMs = 0;
    let maxLagMs = 0;
    let series = 0;
    for (let r = 0; r < runs + 1; r++) {
      const t = await timed(() => promhttpScrape(registries[0]!));
      series = samples(t.text);
      maxBlockMs = Math.max(maxBlockMs, t.blockMs);
      maxLagMs = Math.max(maxLagMs, t.lagMs);
      if (r === 0) {
        coldMs = t.ms;
        coldBlockMs = t.blockMs;
      } else ms.push(t.ms);
    }
    // The merged view adds one sample per in-flight gauge and the processes gauge; the routes are the rest.
    const expected = processes * routes * SAMPLES_PER_ROUTE;
    if (series < expected) problems.push(`directory mode: rendered ${series} samples, expected at least ${expected}`);
    return { processes, series, runs, ms: round(median(ms), 2), coldMs: round(coldMs, 2), coldBlockMs: round(coldBlockMs, 1), maxBlockMs: round(maxBlockMs, 1), maxLagMs: round(maxLagMs, 1) };
  } finally {
    await Promise.all(stores.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}

const directory = await directoryScrape();
progress(`scrape in directory mode, ${directory.processes} stores, ${directory.series} samples: ${directory.ms} ms (first ${directory.coldMs} ms, block ${directory.coldBlockMs} ms CPU), longest block ${directory.maxBlockMs} ms CPU, ${directory.maxLagMs} ms wall`);

/**
 * CPU, longest event-loop block and peak resident memory of `work`, measured from a quiet start:
 * garbage collected first (the part runs with --expose-gc when it can), RSS sampled at each timer
 * callback.
 */
async function measureBurst(work: () => Promise<unknown>): Promise<{ cpuMs: number; blockMs: number; lagMs: number; peakMb: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((resolve) => setTimeout(resolve, 20));
  const rssBefore = process.memoryUsage.rss();
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 1);
  const stop = lagProbe();
  const cpuBefore = cpuMs();
  await work();
  const cpu = cpuMs() - cpuBefore;
  const lag = stop();
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());
  return { cpuMs: cpu, blockMs: lag.cpuMs, lagMs: lag.wallMs, peakMb: (peak - rssBefore) / 2 ** 20 };
}

const OPENMETRICS_GZIP = { method: 'GET', headers: { accept: 'application/openmetrics-text; version=1.0.0', 'accept-encoding': 'gzip' } };

async function concurrentScrapes(): Promise<ConcurrentScrapeResult> {
  const { series, scrapes, runs } = settings.concurrent;
  const { promhttp: registry } = build(series);
  const answer = createScrapeAnswer('bench', registry, { scrape: { maxInFlight: scrapes } });
  const atDefault = createScrapeAnswer('bench', registry);
  const burst = async (answerWith: typeof answer): Promise<number[]> => (await Promise.all(Array.from({ length: scrapes }, () => answerWith(OPENMETRICS_GZIP)))).map((a) => a.status);
  const one = { cpu: [] as number[], peak: [] as number[] };
  const shared = { cpu: [] as number[], peak: [] as number[], block: [] as number[], lag: [] as number[] };
  const unshared = { cpu: [] as number[], peak: [] as number[] };
  let refused = 0;
  for (let r = 0; r < runs + 1; r++) {
    const a = await measureBurst(() => answer(OPENMETRICS_GZIP));
    let statuses: number[] = [];
    const b = await measureBurst(async () => (statuses = await burst(answer)));
    if (statuses.some((status) => status !== 200)) problems.push(`concurrent scrapes: answered ${[...new Set(statuses)].join(', ')}`);
    const c = await measureBurst(() => Promise.all(Array.from({ length: scrapes }, async () => gzipSync(await renderRegistry(registry, 'openmetrics')))));
    refused = (await burst(atDefault)).filter((status) => status === 503).length;
    if (r === 0) continue;
    one.cpu.push(a.cpuMs);
    one.peak.push(a.peakMb);
    shared.cpu.push(b.cpuMs);
    shared.peak.push(b.peakMb);
    shared.block.push(b.blockMs);
    shared.lag.push(b.lagMs);
    unshared.cpu.push(c.cpuMs);
    unshared.peak.push(c.peakMb);
  }
  const result: ConcurrentScrapeResult = {
    series: samples(String((await respond(registry, { method: 'GET' })).body)),
    scrapes,
    runs,
    oneCpuMs: round(median(one.cpu), 1),
    burstCpuMs: round(median(shared.cpu), 1),
    unsharedCpuMs: round(median(unshared.cpu), 1),
    cpuRatio: round(median(shared.cpu) / median(one.cpu), 2),
    burstMaxBlockMs: round(Math.max(...shared.block), 1),
    burstMaxLagMs: round(Math.max(...shared.lag), 1),
    onePeakMb: round(median(one.peak), 1),
    burstPeakMb: round(median(shared.peak), 1),
    unsharedPeakMb: round(median(unshared.peak), 1),
    refusedAtDefaultLimit: refused,
  };
  progress(
    `${scrapes} concurrent scrapes of ${result.series} samples: ${result.burstCpuMs} ms CPU against ${result.oneCpuMs} for one (${result.cpuRatio}×; unshared ${result.unsharedCpuMs}), longest block ${result.burstMaxBlockMs} ms, peak RSS +${result.burstPeakMb} MB (one: +${result.onePeakMb}, unshared: +${result.unsharedPeakMb}); ${refused} refused at the default limit`,
  );
  return result;
}

emit({ sizes: results, protobuf, directory, concurrent: await concurrentScrapes(), problems });
