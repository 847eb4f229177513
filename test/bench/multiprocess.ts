import cluster, { type Worker } from 'node:cluster';
import { rmSync } from 'node:fs';
import client, { Registry } from 'prom-client';
import { createHttpMetrics, renderDirectory } from 'promhttp';
import { emit, partSettings, progress } from './lib/part.js';
import { recordRoutes, SAMPLES_PER_ROUTE } from './lib/routes.js';
import { scratchDirectory } from './lib/scratch.js';
import { median, round } from './lib/stats.js';

/**
 * Render time of the merged exposition of several processes: promhttp's directory mode
 * (`renderDirectory`) next to prom-client's `AggregatorRegistry.clusterMetrics()`, which asks every
 * cluster worker for its metrics over IPC. Each worker records the same routes into both, as the
 * workers of one app serve the same routes. (The per-request cost of directory mode is measured
 * by the HTTP and instrumentation parts, as a node:http server variant.)
 */

function worker(): void {
  const dir = process.env.BENCH_DIR!;
  const routes = Number(process.env.BENCH_ROUTES);
  // Constructing one is what makes a worker answer the primary's clusterMetrics() requests.
  new client.AggregatorRegistry();
  // A registry of its own, so clusterMetrics() (which serves the global one) sees only prom-client's.
  const metrics = createHttpMetrics({ registry: new Registry(), defaultMetrics: false, maxRoutes: routes + 1, maxSeries: routes + 1, multiprocess: { dir } });
  recordRoutes(metrics, client.register, routes);
  // The store writes once per event-loop turn; report ready after that turn.
  setTimeout(() => process.send!('ready'), 50);
}

const samples = (text: string): number => text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;

function requestsTotal(text: string): number {
  let total = 0;
  for (const line of text.split('\n')) if (line.startsWith('http_requests_total{')) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  return total;
}

async function primary(): Promise<void> {
  const settings = partSettings().multiprocess;
  const routes = Math.ceil(settings.seriesPerProcess / SAMPLES_PER_ROUTE);
  const dir = scratchDirectory();
  const aggregator = new client.AggregatorRegistry();
  const workers: Worker[] = [];
  try {
    const ready = [];
    for (let i = 0; i < settings.processes; i++) {
      const w = cluster.fork({ BENCH_DIR: dir, BENCH_ROUTES: String(routes) });
      workers.push(w);
      ready.push(
        new Promise<void>((resolve, reject) => {
          w.once('message', () => resolve());
          w.once('exit', (code) => reject(new Error(`worker exited with code ${code} before it was ready`)));
        }),
      );
    }
    await Promise.all(ready);
    const ours: number[] = [];
    const theirs: number[] = [];
    const texts = { ours: '', theirs: '' };
    for (let r = 0; r < settings.runs + 1; r++) {
      let start = performance.now();
      texts.ours = await renderDirectory(dir);
      const a = performance.now() - start;
      start = performance.now();
      texts.theirs = await aggregator.clusterMetrics();
      const b = performance.now() - start;
      // The first render of each is a warm-up.
      if (r > 0) {
        ours.push(a);
        theirs.push(b);
      }
    }
    const problems: string[] = [];
    const expected = settings.processes * routes * 3;
    const counted = { promhttp: requestsTotal(texts.ours), promClient: requestsTotal(texts.theirs) };
    if (counted.promhttp !== expected || counted.promClient !== expected) {
      problems.push(`merged http_requests_total: promhttp ${counted.promhttp}, prom-client ${counted.promClient}, expected ${expected}`);
    }
    const result = {
      settings,
      processes: settings.processes,
      routes,
      // prom-client's count: promhttp adds two samples of its own (live and dead processes).
      seriesPerProcess: samples(texts.theirs),
      promhttpMs: round(median(ours), 2),
      promClientMs: round(median(theirs), 2),
      speedup: round(median(theirs) / median(ours), 1),
      problems,
    };
    progress(`multiprocess render, ${result.processes} × ${result.seriesPerProcess} series: promhttp ${result.promhttpMs} ms, clusterMetrics() ${result.promClientMs} ms, ${result.speedup}×`);
    emit(result);
  } finally {
    for (const w of workers) w.process.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

if (cluster.isPrimary) await primary();
else worker();
