import type { HttpResult } from '../http/run.js';
import type { Machine, Versions } from './machine.js';
import type { BenchSettings } from './settings.js';

export interface MicroResult {
  settings: BenchSettings['micro'];
  cases: { name: string; what: string; nsPerOp: number; minNs: number; maxNs: number }[];
  /** Heap growth per call over `calls` calls from a collected heap, no collection in between; median of 5 (absent in older results). */
  allocation?: { name: string; bytesPerCall: number; calls: number }[];
  /** The protobuf render of the same request series with classic, native and native-only histograms (absent in older results). */
  render?: { series: number; observationsPerSeries: number; runs: number; variants: { name: string; ms: number; bytes: number }[] };
  problems: string[];
}

export interface InstrumentationResult {
  settings: BenchSettings['instrumentation'];
  groups: {
    id: string;
    title: string;
    runtime: 'node' | 'bun';
    servers: { label: string; role: 'bare' | 'promhttp' | 'peer'; usPerRequest: number; overheadNs?: number; overheadRangeNs?: [number, number] }[];
  }[];
  problems: string[];
}

export interface ScrapeResult {
  sizes: {
    series: number;
    routes: number;
    runs: number;
    promhttpMs: number;
    promClientMs: number;
    speedup: number;
    /** Longest wall-clock gap between timer callbacks during any render. */
    promhttpMaxLagMs: number;
    promClientMaxLagMs: number;
    /** Most CPU time the process used within one such gap: the render's own longest block. */
    promhttpMaxBlockMs: number;
    promClientMaxBlockMs: number;
  }[];
  /** The protobuf exposition against the OpenMetrics one and other ways to render (absent in older results). */
  protobuf?: ProtobufScrape[];
  /** A scrape in multi-process directory mode, merged from several stores (absent in older results). */
  directory?: DirectoryScrape;
  /** A burst of identical scrapes against one, on the same registry (medians over runs). */
  concurrent?: ConcurrentScrapeResult;
  problems: string[];
}

/** One registry rendered four ways, medians of the runs (ms) and the longest block over them (ms of CPU). */
export interface ProtobufScrape {
  /** Samples, as the text formats count them. */
  series: number;
  runs: number;
  /** promhttp's `respond()` asked for protobuf, as Prometheus with native histograms asks. */
  protobufMs: number;
  protobufMaxBlockMs: number;
  /** promhttp's `respond()` asked for OpenMetrics, as Prometheus asks by default. */
  openMetricsMs: number;
  openMetricsMaxBlockMs: number;
  /** The same protobuf bytes written with @bufbuild/protobuf and the code generated from metrics.proto (test/bench/lib/protobuf-es.ts). */
  protobufEsMs: number;
  protobufEsMaxBlockMs: number;
  /** prom-client's `registry.metrics()` of the same routes (text; prom-client has no protobuf). */
  promClientMs: number;
  promClientMaxBlockMs: number;
  /** Body sizes, plain and gzipped. */
  protobufBytes: number;
  protobufGzipBytes: number;
  openMetricsBytes: number;
  openMetricsGzipBytes: number;
}

export interface ConcurrentScrapeResult {
  series: number;
  scrapes: number;
  runs: number;
  /** CPU of one scrape, of the burst through promhttp's scrape answer, and of the burst rendered each on its own (what every scrape cost before renders were shared). */
  oneCpuMs: number;
  burstCpuMs: number;
  unsharedCpuMs: number;
  /** burstCpuMs / oneCpuMs. */
  cpuRatio: number;
  /** Longest CPU block of the event loop during the burst (wall-clock gap in `burstMaxLagMs`). */
  burstMaxBlockMs: number;
  burstMaxLagMs: number;
  /** Peak resident memory above the level before the scrape, in MB. */
  onePeakMb: number;
  burstPeakMb: number;
  unsharedPeakMb: number;
  /** Scrapes of the burst answered 503 under the default limit (scrape.maxInFlight 10). */
  refusedAtDefaultLimit: number;
}

export interface SoakResult {
  settings: BenchSettings['soak'];
  frameworks: {
    id: string;
    title: string;
    requests: number;
    /** What http_requests_total counted: must equal `requests`. */
    recorded: number;
    seconds: number;
    /** After each stretch of requests and a forced collection. */
    samples: { requests: number; heapMb: number; rssMb: number }[];
    /** Last sample over first. */
    heapGrowth: number;
    rssGrowth: number;
  }[];
  problems: string[];
}

export interface DirectoryScrape {
  processes: number;
  /** Samples rendered, merged over every store. */
  series: number;
  runs: number;
  /** Median of the warm renders. */
  ms: number;
  /** The first render, which parses every store's metadata, and its longest block. */
  coldMs: number;
  coldBlockMs: number;
  /** Longest block and wall-clock gap over every render, the cold one included. */
  maxBlockMs: number;
  maxLagMs: number;
}

export interface MultiprocessResult {
  settings: BenchSettings['multiprocess'];
  processes: number;
  routes: number;
  /** Samples in the merged exposition, as prom-client renders them. */
  seriesPerProcess: number;
  promhttpMs: number;
  promClientMs: number;
  speedup: number;
  problems: string[];
}

export type Part<T> = T | { skipped: string };

export interface Target {
  name: string;
  goal: string;
  measured: string;
  /** `undefined` when it could not be judged (the part or server did not run). */
  holds: boolean | undefined;
}

export interface Results {
  mode: BenchSettings['mode'];
  startedAt: string;
  minutes: number;
  note: string;
  machine: Machine;
  versions: Versions;
  http: Part<HttpResult>;
  micro: Part<MicroResult>;
  instrumentation: Part<InstrumentationResult>;
  scrape: Part<ScrapeResult>;
  multiprocess: Part<MultiprocessResult>;
  /** Absent in results from before the soak part existed. */
  soak?: Part<SoakResult>;
  targets: Target[];
  problems: string[];
}

export function ran<T extends object>(part: Part<T>): part is T {
  return !('skipped' in part && Object.keys(part).length === 1);
}
