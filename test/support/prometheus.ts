import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { freePort, startChild, type Child } from './process.js';

const run = promisify(execFile);

// Found as scripts/system-tools.mjs (pretest) finds them: the *_BIN override when set, else on PATH.
export const PROMETHEUS = process.env.PROMETHEUS_BIN || 'prometheus';
export const PROMTOOL = process.env.PROMTOOL_BIN || 'promtool';
export const PUSHGATEWAY = process.env.PUSHGATEWAY_BIN || 'prometheus-pushgateway';

export interface ScrapeJob {
  job: string;
  /** `host:port` targets. */
  targets?: string[];
  /** Files (globs allowed) of a `file_sd_configs` section, for targets that announce themselves. */
  fileSd?: string[];
  /** @default "/metrics" */
  metricsPath?: string;
  honorLabels?: boolean;
  /** @default "http" */
  scheme?: 'http' | 'https';
  /** More of the job's configuration, as YAML lines indented under the job (authorization, basic_auth, tls_config). */
  config?: readonly string[];
}

export interface Prometheus {
  readonly url: string;
  /** The configuration file it runs with (deleted by `stop()`), e.g. for `promtool check config`. */
  readonly configFile: string;
  /** Runs an instant query; returns the result vector (empty when nothing matches). */
  query(promql: string): Promise<Array<{ metric: Record<string, string>; value: number }>>;
  /** Polls `promql` until `accept` holds for its first value (or for "no result" as NaN); returns that value. */
  waitFor(promql: string, accept: (value: number) => boolean, timeoutMs?: number): Promise<number>;
  /** The active targets as Prometheus sees them: job, health and the last scrape's error. */
  targets(): Promise<Array<{ job: string; health: string; lastError: string; lastScrape: string }>>;
  /** Waits until every target has been scraped successfully after this call. */
  waitForFreshScrape(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
  readonly child: Child;
}

export interface PrometheusOptions {
  /** Rule files to load, evaluated every second like the scrapes. */
  ruleFiles?: readonly string[];
  /** `--enable-feature` flags, e.g. `native-histograms` (which makes it ask for protobuf first). */
  features?: readonly string[];
}

/** Starts a real Prometheus on a free loopback port, scraping `jobs` every second. */
export async function startPrometheus(jobs: readonly ScrapeJob[], options: PrometheusOptions = {}): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'promhttp-prom-'));
  const port = await freePort();
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    ...(options.ruleFiles?.length ? ['rule_files:', ...options.ruleFiles.map((f) => `  - ${JSON.stringify(f)}`)] : []),
    'scrape_configs:',
    ...jobs.flatMap((j) => [
      `  - job_name: ${JSON.stringify(j.job)}`,
      `    metrics_path: ${JSON.stringify(j.metricsPath ?? '/metrics')}`,
      `    honor_labels: ${j.honorLabels ? 'true' : 'false'}`,
      `    scheme: ${j.scheme ?? 'http'}`,
      ...(j.config ?? []).map((line) => `    ${line}`),
      ...(j.targets ? ['    static_configs:', `      - targets: ${JSON.stringify(j.targets)}`] : []),
      // Prometheus also watches the files; the short refresh is a fallback, so a test never waits minutes.
      ...(j.fileSd ? ['    file_sd_configs:', `      - files: ${JSON.stringify(j.fileSd)}`, '        refresh_interval: 1s'] : []),
    ]),
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), `${config}\n`);
  const child = startChild(PROMETHEUS, [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
    ...(options.features ?? []).map((feature) => `--enable-feature=${feature}`),
  ]);
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/-/ready`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (child.process.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus did not become ready:\n${child.output()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  async function query(promql: string): Promise<Array<{ metric: Record<string, string>; value: number }>> {
    const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as { status: string; error?: string; data: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
    if (body.status !== 'success') throw new Error(`query ${promql} failed: ${body.error}`);
    if (body.data.resultType === 'scalar') {
      const [, v] = body.data.result as unknown as [number, string];
      return [{ metric: {}, value: Number(v) }];
    }
    return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  return {
    url,
    configFile: join(dir, 'prometheus.yml'),
    child,
    query,
    async waitFor(promql, accept, timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      let last = NaN;
      while (Date.now() < end) {
        const result = await query(promql);
        last = result[0]?.value ?? NaN;
        if (accept(last)) return last;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`${promql} never satisfied the condition within ${timeoutMs} ms; last value ${last}`);
    },
    async targets() {
      const response = await fetch(`${url}/api/v1/targets?state=active`);
      const body = (await response.json()) as { data: { activeTargets: Array<{ labels: Record<string, string>; health: string; lastScrape: string; lastError: string }> } };
      return body.data.activeTargets.map((t) => ({ job: t.labels.job ?? '', health: t.health, lastError: t.lastError, lastScrape: t.lastScrape }));
    },
    async waitForFreshScrape(timeoutMs = 30_000) {
      const since = Date.now();
      const end = since + timeoutMs;
      while (Date.now() < end) {
        const response = await fetch(`${url}/api/v1/targets?state=active`);
        const body = (await response.json()) as { data: { activeTargets: Array<{ health: string; lastScrape: string; lastError: string }> } };
        const targets = body.data.activeTargets;
        if (targets.length > 0 && targets.every((t) => t.health === 'up' && Date.parse(t.lastScrape) > since)) return;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error('targets were not all scraped successfully in time');
    },
    stop,
  };
}

/** Runs `promtool check metrics` on an exposition; resolves with promtool's complaints (empty when clean). */
export async function promtoolCheckMetrics(exposition: string): Promise<string> {
  const child = execFile(PROMTOOL, ['check', 'metrics']);
  const output: string[] = [];
  child.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  child.stdin!.end(exposition);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const text = output.join('');
  // promtool exits 3 for lint problems and 1 for errors (a parse failure); the text says which.
  return code === 0 ? text.trim() : `exit ${code}: ${text.trim()}`;
}

/** Runs `promtool check config` on a configuration file. */
export async function promtoolCheckConfig(file: string): Promise<string> {
  const { stdout, stderr } = await run(PROMTOOL, ['check', 'config', file]);
  return `${stdout}${stderr}`;
}

export interface Pushgateway {
  readonly url: string;
  /** The `host:port` for a Prometheus scrape job. */
  readonly address: string;
  stop(): Promise<void>;
}

/** Starts a real Pushgateway on a free loopback port. */
export async function startPushgateway(): Promise<Pushgateway> {
  const port = await freePort();
  const child = startChild(PUSHGATEWAY, [`--web.listen-address=127.0.0.1:${port}`, '--log.level=warn', '--persistence.file=']);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/-/ready`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (child.process.exitCode !== null || Date.now() > deadline) {
      await child.stop();
      throw new Error(`pushgateway did not become ready:\n${child.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, address: `127.0.0.1:${port}`, stop: () => child.stop() };
}
