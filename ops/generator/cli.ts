import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateOps } from './generate.js';
import { prometheusRule } from './kubernetes.js';
import type { OpsOptions } from './options.js';
import { resolveOps } from './options.js';

const USAGE = `Usage: promhttp-ops [options]

Writes a Grafana dashboard (dashboard.json), recording rules (recording-rules.yml) and alerts
(alerts.yml) for the metrics of createHttpMetrics() with the same options.

Metric names (as given to createHttpMetrics):
  --prefix P                 the "prefix" option, e.g. shop_
  --naming otel              the "naming" option: OpenTelemetry's names and labels, the
                             requests counted by the duration histogram's _count
  --requests-name N          names.requests     (default http_requests_total)
  --duration-name N          names.duration     (default http_request_duration_seconds)
  --in-flight-name N         names.inFlight     (default http_requests_in_flight)
  --label NAME=VALUE         a constant label of the "labels" option; repeat for more
  --buckets 0.1,0.5,1        the "buckets" option, if you changed it

Objectives and alerts:
  --job NAME                 the Prometheus job of the app (default: every job with the metrics)
  --availability PERCENT     requests answered without a 5xx (default 99.9)
  --latency SECONDS          latency threshold, one of the buckets (default 0.5)
  --latency-objective PCT    requests faster than the threshold (default 99)
  --slo-period DURATION      period of the objectives; burn windows scale with it (default 30d)
  --batch-max-age DURATION   a batch job alerts after this long without success (default 1d)
  --scrape-slow SECONDS      average scrape time that alerts (default 1)
  --runbook-url URL          where the runbook lives (default: docs/operations.md of the published package)

Output:
  --out DIR                  where to write the files (default: the current directory)
  --kubernetes               write prometheus-rule.yml instead: a PrometheusRule holding the
                             recording rules and the alerts, for the Prometheus Operator
  --namespace NS             its namespace
  --rule-label NAME=VALUE    a label on it (for the Prometheus ruleSelector); repeat for more
  -h, --help                 this text
`;

/** Where the CLI writes; a parameter so that it can run inside another program. */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

const stdio: CliOutput = { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) };

function pairs(flag: string, values: readonly string[] | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const value of values ?? []) {
    const at = value.indexOf('=');
    if (at < 1) throw new TypeError(`promhttp-ops: ${flag} takes NAME=VALUE, e.g. ${flag} service=checkout; got ${JSON.stringify(value)}.`);
    result[value.slice(0, at)] = value.slice(at + 1);
  }
  return result;
}

function number(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new TypeError(`promhttp-ops: ${flag} takes a number, got ${JSON.stringify(value)}.`);
  return n;
}

/** The generator options a command line asks for. */
export function optionsFromArgs(values: Record<string, string | boolean | string[] | undefined>): OpsOptions {
  const str = (key: string): string | undefined => values[key] as string | undefined;
  const names = Object.fromEntries(
    ([['requests', 'requests-name'], ['duration', 'duration-name'], ['inFlight', 'in-flight-name']] as const).flatMap(([key, flag]) => (str(flag) === undefined ? [] : [[key, str(flag)]])),
  );
  const options: OpsOptions = {
    prefix: str('prefix'),
    naming: str('naming') as OpsOptions['naming'],
    names,
    labels: pairs('--label', values.label as string[] | undefined),
    job: str('job'),
    availability: number('--availability', str('availability')),
    latency: number('--latency', str('latency')),
    latencyObjective: number('--latency-objective', str('latency-objective')),
    buckets: str('buckets')?.split(',').map((b) => number('--buckets', b)!),
    sloPeriod: str('slo-period'),
    batchMaxAge: str('batch-max-age'),
    scrapeSlow: number('--scrape-slow', str('scrape-slow')),
    runbookUrl: str('runbook-url'),
  };
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as OpsOptions;
}

const FLAGS = {
  prefix: { type: 'string' },
  naming: { type: 'string' },
  'requests-name': { type: 'string' },
  'duration-name': { type: 'string' },
  'in-flight-name': { type: 'string' },
  label: { type: 'string', multiple: true },
  buckets: { type: 'string' },
  job: { type: 'string' },
  availability: { type: 'string' },
  latency: { type: 'string' },
  'latency-objective': { type: 'string' },
  'slo-period': { type: 'string' },
  'batch-max-age': { type: 'string' },
  'scrape-slow': { type: 'string' },
  'runbook-url': { type: 'string' },
  out: { type: 'string' },
  kubernetes: { type: 'boolean' },
  namespace: { type: 'string' },
  'rule-label': { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Runs `promhttp-ops` with `args` (without the program name); resolves with the exit code. */
export async function runCli(args: readonly string[], io: CliOutput = stdio): Promise<number> {
  try {
    const { values } = parseArgs({ args: [...args], options: FLAGS, strict: true, allowPositionals: false });
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    const ops = resolveOps(optionsFromArgs(values));
    const out = values.out ?? '.';
    const files: Record<string, string> = values.kubernetes
      ? { 'prometheus-rule.yml': prometheusRule(ops, { namespace: values.namespace, labels: pairs('--rule-label', values['rule-label']) }) }
      : { ...generateOps(ops) };
    mkdirSync(out, { recursive: true });
    for (const [name, text] of Object.entries(files)) {
      writeFileSync(join(out, name), text);
      io.out(`wrote ${join(out, name)}\n`);
    }
    return 0;
  } catch (error) {
    // Option errors read "promhttp: promhttp-ops: …", parseArgs' errors have no prefix at all.
    const message = (error as Error).message.replace(/^promhttp: (?=promhttp-ops: )/, '');
    io.err(`${message.startsWith('promhttp-ops: ') ? message : `promhttp-ops: ${message}`}\n\n${USAGE}`);
    return 2;
  }
}
