import type { HttpResult } from '../http/run.js';
import type { InstrumentationResult, MultiprocessResult, Part, ScrapeResult, SoakResult, Target } from './results.js';
import { ran } from './results.js';

/** Overhead allowed per request on Node, and on Bun.serve, in CPU µs. */
const NODE_OVERHEAD_US = 1;
/** Bun frameworks held to the same in-process target: a plain fetch handler has no framework to blame. Hono on Bun is not. */
const JUDGED_IN_PROCESS_ON_BUN = new Set(['fetch-bun']);
const SCRAPE_SPEEDUP_AT_10K = 2;
const MAX_LAG_AT_100K_MS = 50;
const DIRECTORY_OVERHEAD_US = 1;
const CLUSTER_SPEEDUP = 10;
const CONCURRENT_CPU_RATIO = 2;
const SOAK_HEAP_GROWTH = 1.05;

/** The spread of the bare server's CPU per request: the noise an overhead has to stand out of. */
function bareRange(framework: HttpResult['frameworks'][number]): string {
  const range = framework.servers.find((s) => s.role === 'bare')?.cpuUsRange;
  return range === undefined ? '?' : `${range[0]}–${range[1]}`;
}

type InstrumentedServer = InstrumentationResult['groups'][number]['servers'][number];

/** The instrumented server of a framework in the in-process part (the first promhttp one, as in the HTTP part). */
function inProcess(instrumentation: Part<InstrumentationResult>, id: string, label?: string): InstrumentedServer | undefined {
  if (!ran(instrumentation)) return undefined;
  const servers = instrumentation.groups.find((g) => g.id === id)?.servers ?? [];
  return servers.find((s) => s.role === 'promhttp' && (label === undefined || s.label === label));
}

const us = (ns: number): number => Math.round(ns / 10) / 100;

function httpTargets(http: HttpResult, instrumentation: Part<InstrumentationResult>): Target[] {
  const targets: Target[] = [];
  for (const framework of http.frameworks) {
    if (framework.targetRatio === undefined) continue;
    const ours = framework.servers.find((s) => s.primary);
    const bare = framework.servers.find((s) => s.role === 'bare');
    const missing = ours === undefined || ours.ratio === undefined ? `not measured${ours?.skipped ? `: ${ours.skipped}` : ''}` : undefined;
    // The same server as the judged one: the two parts label their servers alike.
    const measuredInProcess = inProcess(instrumentation, framework.id, ours?.label);
    // What the in-process overhead would make of bare's CPU per request over loopback.
    const implied =
      measuredInProcess?.overheadNs !== undefined && bare?.cpuUsPerRequest !== undefined
        ? `; ${(bare.cpuUsPerRequest / (bare.cpuUsPerRequest + measuredInProcess.overheadNs / 1000)).toFixed(3)} from the in-process overhead`
        : '';
    // Judged on CPU time, which other processes on the shared machine do not move; req/s beside it.
    targets.push({
      name: `${framework.title}: throughput ratio`,
      goal: `≥ ${framework.targetRatio}`,
      measured: missing ?? `${ours!.cpuRatio} on CPU time (${ours!.ratio} on req/s${implied})`,
      holds: missing ? undefined : ours!.cpuRatio! >= framework.targetRatio,
    });
    if (framework.servers.some((s) => s.runtime === 'node') || JUDGED_IN_PROCESS_ON_BUN.has(framework.id)) {
      // Judged in process, where the noise is a fraction of a µs; over loopback it is several µs.
      const overhead = measuredInProcess?.overheadNs;
      targets.push({
        name: `${framework.title}: CPU overhead per request`,
        goal: `≤ ${NODE_OVERHEAD_US} µs`,
        measured:
          overhead === undefined
            ? 'not measured in process'
            : `${us(overhead)} µs in process (rounds ${us(measuredInProcess!.overheadRangeNs![0])}–${us(measuredInProcess!.overheadRangeNs![1])}); over loopback ${missing ?? `${ours!.overheadUs} µs, bare varied ${bareRange(framework)} µs`}`,
        holds: overhead === undefined ? undefined : overhead / 1000 <= NODE_OVERHEAD_US,
      });
    }
    for (const peer of framework.servers.filter((s) => s.role === 'peer')) {
      const judged = !missing && peer.cpuUsPerRequest !== undefined;
      targets.push({
        name: `${framework.title}: ahead of ${peer.label}`,
        goal: 'less CPU per request',
        measured: judged
          ? `${ours!.cpuUsPerRequest} vs ${peer.cpuUsPerRequest} µs (${ours!.requestsPerSecond} vs ${peer.requestsPerSecond} req/s)`
          : 'not measured',
        holds: judged ? ours!.cpuUsPerRequest! < peer.cpuUsPerRequest! : undefined,
      });
    }
  }
  return targets;
}

function scrapeTargets(scrape: ScrapeResult): Target[] {
  const near = (n: number) => scrape.sizes.find((s) => s.series >= n && s.series < n * 1.1);
  const at10k = near(10_000);
  const at100k = near(100_000);
  const dir = scrape.directory;
  return [
    {
      name: 'Scrape of 10,000 series: faster than registry.metrics()',
      goal: `≥ ${SCRAPE_SPEEDUP_AT_10K}×`,
      measured: at10k ? `${at10k.speedup}×` : 'not measured',
      holds: at10k ? at10k.speedup >= SCRAPE_SPEEDUP_AT_10K : undefined,
    },
    {
      name: 'Scrape of 100,000 series: longest event-loop block',
      goal: `≤ ${MAX_LAG_AT_100K_MS} ms`,
      measured: at100k ? `${at100k.promhttpMaxBlockMs} ms CPU (${at100k.promhttpMaxLagMs} ms wall clock)` : 'not measured',
      holds: at100k ? at100k.promhttpMaxBlockMs <= MAX_LAG_AT_100K_MS : undefined,
    },
    {
      name: `Scrape of ${dir ? `${dir.processes} × ${dir.series / dir.processes >= 1000 ? `${Math.round(dir.series / dir.processes / 1000)}k` : dir.series / dir.processes}` : '4 × 25k'} series in directory mode: longest event-loop block`,
      goal: `≤ ${MAX_LAG_AT_100K_MS} ms`,
      measured: dir ? `${dir.maxBlockMs} ms CPU (${dir.maxLagMs} ms wall clock)` : 'not measured',
      holds: dir ? dir.maxBlockMs <= MAX_LAG_AT_100K_MS : undefined,
    },
    ...concurrentTargets(scrape.concurrent),
  ];
}

function concurrentTargets(c: ScrapeResult['concurrent']): Target[] {
  const name = `${c?.scrapes ?? 50} concurrent scrapes of ${c ? c.series.toLocaleString('en-US') : '30,000'} series`;
  return [
    {
      name: `${name}: CPU against one scrape`,
      goal: `≤ ${CONCURRENT_CPU_RATIO}×`,
      measured: c ? `${c.cpuRatio}× (${c.burstCpuMs} vs ${c.oneCpuMs} ms; each on its own ${c.unsharedCpuMs} ms)` : 'not measured',
      holds: c ? c.cpuRatio <= CONCURRENT_CPU_RATIO : undefined,
    },
    {
      name: `${name}: longest event-loop block`,
      goal: `≤ ${MAX_LAG_AT_100K_MS} ms`,
      measured: c ? `${c.burstMaxBlockMs} ms CPU (${c.burstMaxLagMs} ms wall clock)` : 'not measured',
      holds: c ? c.burstMaxBlockMs <= MAX_LAG_AT_100K_MS : undefined,
    },
    {
      name: `${name}: peak memory over one scrape's`,
      goal: 'reported',
      measured: c ? `+${c.burstPeakMb} MB against +${c.onePeakMb} MB (each on its own: +${c.unsharedPeakMb} MB)` : 'not measured',
      holds: undefined,
    },
  ];
}

function multiprocessTargets(http: Part<HttpResult>, instrumentation: Part<InstrumentationResult>, multiprocess: Part<MultiprocessResult>): Target[] {
  const node = ran(http) ? http.frameworks.find((f) => f.id === 'node') : undefined;
  const single = node?.servers.find((s) => s.primary);
  const directory = node?.servers.find((s) => s.server === 'node-promhttp-directory');
  const overLoopback =
    single?.cpuUsPerRequest !== undefined && directory?.cpuUsPerRequest !== undefined
      ? Math.round((directory.cpuUsPerRequest - single.cpuUsPerRequest) * 100) / 100
      : undefined;
  const singleInProcess = inProcess(instrumentation, 'node', 'promhttp/node (path normaliser)')?.overheadNs;
  const directoryInProcess = inProcess(instrumentation, 'node', 'promhttp/node (path normaliser), directory mode')?.overheadNs;
  const overhead = singleInProcess !== undefined && directoryInProcess !== undefined ? directoryInProcess - singleInProcess : undefined;
  const render = ran(multiprocess) ? multiprocess : undefined;
  return [
    {
      name: 'Multi-process: directory mode overhead over single-process (node:http)',
      goal: `≤ ${DIRECTORY_OVERHEAD_US} µs`,
      measured:
        overhead !== undefined
          ? `${us(overhead)} µs in process; over loopback ${overLoopback !== undefined ? `${overLoopback} µs` : `not measured${directory?.skipped ? `: ${directory.skipped}` : ''}`}`
          : 'not measured in process',
      holds: overhead !== undefined ? overhead / 1000 <= DIRECTORY_OVERHEAD_US : undefined,
    },
    {
      name: `Multi-process: render of ${render?.processes ?? 4} × ${render?.seriesPerProcess ?? '2,000'} series vs clusterMetrics()`,
      goal: `≥ ${CLUSTER_SPEEDUP}×`,
      measured: render ? `${render.speedup}×` : `not measured: ${(multiprocess as { skipped: string }).skipped}`,
      holds: render ? render.speedup >= CLUSTER_SPEEDUP : undefined,
    },
  ];
}

function soakTargets(soak: SoakResult): Target[] {
  return soak.frameworks.map((f) => ({
    name: `Soak, ${f.title}: heap after ${f.requests.toLocaleString('en-US')} requests`,
    goal: `≤ ${SOAK_HEAP_GROWTH}× the first sample`,
    measured: `${f.heapGrowth}× (${f.samples[0]!.heapMb} → ${f.samples.at(-1)!.heapMb} MB; RSS ${f.samples[0]!.rssMb} → ${f.samples.at(-1)!.rssMb} MB)`,
    holds: f.heapGrowth <= SOAK_HEAP_GROWTH,
  }));
}

/** The project's promises, judged on one run's figures. */
export function judge(http: Part<HttpResult>, instrumentation: Part<InstrumentationResult>, scrape: Part<ScrapeResult>, multiprocess: Part<MultiprocessResult>, soak?: Part<SoakResult>): Target[] {
  return [
    ...(ran(http) ? httpTargets(http, instrumentation) : []),
    ...(ran(scrape) ? scrapeTargets(scrape) : []),
    ...multiprocessTargets(http, instrumentation, multiprocess),
    ...(soak !== undefined && ran(soak) ? soakTargets(soak) : []),
  ];
}
