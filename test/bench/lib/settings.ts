/** How long and how often each part runs. The smoke settings only prove that everything runs. */
export interface BenchSettings {
  readonly mode: 'full' | 'smoke';
  readonly http: {
    /** Every server is measured once per round; servers alternate within a round. */
    readonly rounds: number;
    readonly warmupSeconds: number;
    readonly durationSeconds: number;
    readonly connections: number;
    /**
     * A sample during which other processes took more than this share of the server's core is
     * measured again, at most `retries` times; the least disturbed one is kept. `retryBudget`
     * bounds the extra measurements of the whole run (a share of the planned ones), so a busy
     * machine makes the run less clean rather than endless.
     */
    readonly maxOthersOnCore: number;
    readonly retries: number;
    readonly retryBudget: number;
  };
  readonly micro: { readonly iterations: number; readonly runs: number };
  /** In-process servers over in-memory connections: requests pipelined per batch, batches per measurement. */
  readonly instrumentation: { readonly rounds: number; readonly batchesPerRun: number; readonly requestsPerBatch: number };
  /**
   * Scrape sizes in samples, as Prometheus counts series, and how many renders each; `directory`:
   * the same scrape in multi-process directory mode, `processes` stores of `seriesPerProcess` each;
   * `concurrent`: a burst of identical scrapes (OpenMetrics, gzip) against one scrape of the same registry.
   */
  readonly scrape: {
    readonly sizes: readonly { readonly series: number; readonly runs: number }[];
    readonly directory: { readonly processes: number; readonly seriesPerProcess: number; readonly runs: number };
    readonly concurrent: { readonly series: number; readonly scrapes: number; readonly runs: number };
  };
  readonly multiprocess: { readonly processes: number; readonly seriesPerProcess: number; readonly runs: number };
  /** Requests through each framework, the heap measured every `sampleEvery` (a multiple of 16). */
  readonly soak: { readonly requests: number; readonly sampleEvery: number; readonly routes: number };
}

export const FULL: BenchSettings = {
  mode: 'full',
  http: { rounds: 8, warmupSeconds: 2, durationSeconds: 3, connections: 50, maxOthersOnCore: 0.1, retries: 2, retryBudget: 0.25 },
  micro: { iterations: 500_000, runs: 7 },
  instrumentation: { rounds: 15, batchesPerRun: 500, requestsPerBatch: 16 },
  scrape: {
    sizes: [
      { series: 1_000, runs: 41 },
      { series: 10_000, runs: 21 },
      { series: 100_000, runs: 7 },
    ],
    directory: { processes: 4, seriesPerProcess: 25_000, runs: 7 },
    concurrent: { series: 30_000, scrapes: 50, runs: 7 },
  },
  multiprocess: { processes: 4, seriesPerProcess: 2_000, runs: 11 },
  soak: { requests: 1_000_000, sampleEvery: 100_000, routes: 200 },
};

export const SMOKE: BenchSettings = {
  mode: 'smoke',
  http: { rounds: 1, warmupSeconds: 0, durationSeconds: 1, connections: 50, maxOthersOnCore: 1, retries: 0, retryBudget: 0 },
  micro: { iterations: 50_000, runs: 3 },
  instrumentation: { rounds: 2, batchesPerRun: 20, requestsPerBatch: 16 },
  scrape: {
    sizes: [
      { series: 1_000, runs: 3 },
      { series: 10_000, runs: 2 },
      { series: 100_000, runs: 1 },
    ],
    directory: { processes: 2, seriesPerProcess: 2_000, runs: 1 },
    concurrent: { series: 5_000, scrapes: 10, runs: 1 },
  },
  multiprocess: { processes: 2, seriesPerProcess: 200, runs: 2 },
  soak: { requests: 8_000, sampleEvery: 2_000, routes: 200 },
};
