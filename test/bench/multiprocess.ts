import cluster, { type Worker } from 'node:cluster';
import { rmSync } from 'node:fs';
import client, { Registry } from 'prom-client';
import { createHttpMetrics, renderDirectory } from 'promhttp';
import { emit, partSettings, progress } from './lib/part.js';
import { scratchDirectory } from './lib/scratch.js';
import { median, round } from './lib/stats.js';

/**
 * Render time of the merged exposition of several processes: promhttp's directory mode
 * (`renderDirectory`) next to prom-client's `AggregatorRegistry.clusterMetrics()`, which asks every
 * cluster worker for its metrics over IPC. Each worker records the same routes into both, as the
 * workers of one app serve the same routes. (The per-request cost of directory mode is measured
 * by the HTTP part, as a node:http server variant.)
 */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
/** A histogram's 17 samples and a counter's 1, as in the scrape part. */
const SAMPLES_PER_ROUTE = BUCKETS.length + 3 + 1;
const labelNames = ['method', 'route', 'status_code'];

function worker(): void {
  const dir = process.env.BENCH_DIR!;
  const routes = Number(process.env.BENCH_ROUTES);
  // Constructing one is what makes a worker answer the primary's clusterMetrics() requests.
  new client.AggregatorRegistry();
  const counter = new client.Counter({ name: 'http_requests_total', help: 'Total HTTP requests.', labelNames });
  const histogram = new client.Histogram({ name: 'http_request_duration_seconds', help: 'Duration of HTTP requests in seconds.', labelNames, buckets: BUCKETS });
  new client.Gauge({ name: 'http_requests_in_flight', help: 'HTTP requests being served right now.' });
  // A registry of its own, so clusterMetrics() (which serves the global one) sees only prom-client's.
  const metrics = createHttpMetrics({ registry: new Registry(), defaultMetrics: false, maxRoutes: routes + 1, multiprocess: { dir } });
  for (let i = 0; i < routes; i++) {
    const route = `/api/v1/resource${i}/:id`;
    for (let k = 0; k < 3; k++) {
      const seconds = Math.random() * 0.3;
      metrics.finish(metrics.begin() - seconds * 1000, 'GET', route, 200);
      histogram.observe({ method: 'GET', route, status_code: 200 }, seconds);
      counter.inc({ method: 'GET', route, status_code: 200 });
    }
  }
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
