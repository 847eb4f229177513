// What the operations end-to-end test and `npm run ops:pictures` run: the instrumented app alone
// and as a node:cluster of workers in directory mode, a Pushgateway holding runJob pushes, and a
// Prometheus that scrapes them every second with promhttp's rules loaded.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runJob } from 'promhttp';
import { generateOps } from '../../ops/generator/generate.js';
import { ROOT, startTsApp, type Child } from './process.js';
import { startPrometheus, startPushgateway, type Prometheus, type Pushgateway } from './prometheus.js';

export const APP_JOBS = ['app-single', 'app-workers'] as const;
export type AppJob = (typeof APP_JOBS)[number];

export interface OpsStack {
  readonly prometheus: Prometheus;
  readonly gateway: Pushgateway;
  readonly apps: Readonly<Record<AppJob, Child & { url: string }>>;
  /** The workers' multi-process directory. */
  readonly dir: string;
  stop(): Promise<void>;
}

export interface OpsStackOptions {
  /** Period of the objectives the alerts are generated for; shorter periods fire sooner. */
  sloPeriod: string;
  /** @default 3 */
  workers?: number;
  /** Also push a batch job that fails after having succeeded once. @default false */
  failingJob?: boolean;
}

export async function startOpsStack(options: OpsStackOptions): Promise<OpsStack> {
  const dir = mkdtempSync(join(tmpdir(), 'promhttp-ops-mp-'));
  const rules = mkdtempSync(join(tmpdir(), 'promhttp-ops-rules-'));
  writeFileSync(join(rules, 'alerts.yml'), generateOps({ sloPeriod: options.sloPeriod, scrapeInterval: '1s' })['alerts.yml']);
  writeFileSync(join(rules, 'recording-rules.yml'), readFileSync(join(ROOT, 'ops/recording-rules.yml')));
  const app = 'test/fixtures/ops-app.ts';
  const [single, workers, gateway] = await Promise.all([
    startTsApp(app),
    startTsApp(app, { WORKERS: String(options.workers ?? 3), PROMETHEUS_MULTIPROC_DIR: dir }),
    startPushgateway(),
  ]);
  await runJob({ gateway: gateway.url, job: 'orders-export', groupingKey: { region: 'eu' } }, (ctx) => ctx.processed(25));
  if (options.failingJob) {
    await runJob({ gateway: gateway.url, job: 'invoice-sync' }, (ctx) => ctx.processed(140));
    await runJob({ gateway: gateway.url, job: 'invoice-sync' }, () => {
      throw new Error('the invoice service answered 503');
    }).catch(() => {});
  }
  const apps = { 'app-single': single, 'app-workers': workers };
  const prometheus = await startPrometheus(
    [...APP_JOBS.map((job) => ({ job, targets: [new URL(apps[job].url).host] })), { job: 'pushgateway', targets: [gateway.address], honorLabels: true }],
    { ruleFiles: [join(rules, 'recording-rules.yml'), join(rules, 'alerts.yml')] },
  );
  return {
    prometheus,
    gateway,
    apps,
    dir,
    async stop() {
      await Promise.allSettled([prometheus.stop(), gateway.stop(), single.stop(), workers.stop()]);
      rmSync(dir, { recursive: true, force: true });
      rmSync(rules, { recursive: true, force: true });
    },
  };
}
