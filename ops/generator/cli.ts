import { mkdirSync, writeFileSync } from 'node:fs';
import { closest } from '../../core/errors.js';
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
  --native-histograms        the app has "nativeHistograms" on and Prometheus stores them
                             (--enable-feature=native-histograms): read the native histogram
                             with histogram_quantile, histogram_fraction, histogram_count and
                             histogram_sum, since Prometheus keeps no _bucket, _count, _sum

Objectives and alerts:
  --job NAME                 the Prometheus job of the app (default: every job with the metrics)
  --availability PERCENT     requests answered without a 5xx (default 99.9)
  --latency SECONDS          latency threshold, one of the buckets (default 0.5)
  --latency-objective PCT    requests faster than the threshold (default 99)
  --slo-period DURATION      period of the objectives; burn windows scale with it (default 30d)
  --scrape-interval DURATION how often Prometheus scrapes the app (default 1m); every burn window
                             must hold 4 scrapes, so a shorter --slo-period needs a shorter one
  --batch-max-age DURATION   a batch job alerts after this long without success (default 1d)
  --scrape-slow SECONDS      average scrape time that alerts (default 1)
  --runbook-url URL          where the runbook lives, rendered so that #anchors reach the sections
                             (default: docs/operations.md of the published package, raw, on unpkg)

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

// Kubernetes label keys: an optional DNS-subdomain prefix and "/", then up to 63 letters, digits,
// "-", "_" or "." starting and ending alphanumeric; values the same name part, or empty.
const K8S_NAME = '[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?';
const K8S_KEY = new RegExp(`^(?:[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*/)?${K8S_NAME}$`);
const K8S_VALUE = new RegExp(`^(?:${K8S_NAME})?$`);

/** `--rule-label` pairs, refused when the API server would refuse them as labels. */
function resourceLabels(values: readonly string[] | undefined): Record<string, string> {
  const labels = pairs('--rule-label', values);
  for (const [key, value] of Object.entries(labels)) {
    if (!K8S_KEY.test(key) || key.length > 317) throw new TypeError(`promhttp-ops: --rule-label ${JSON.stringify(key)} is not a Kubernetes label key: letters, digits, "-", "_" and "." (at most 63, starting and ending with a letter or digit), optionally after a prefix such as "example.com/", e.g. --rule-label release=prometheus.`);
    if (!K8S_VALUE.test(value)) throw new TypeError(`promhttp-ops: --rule-label ${key}=${JSON.stringify(value)}: the value is not a Kubernetes label value: letters, digits, "-", "_" and "." (at most 63, starting and ending with a letter or digit), or empty.`);
  }
  return labels;
}

/** Options people reach for that are spelled otherwise here. */
const INSTEAD: Readonly<Record<string, string>> = {
  '--labels': '--label NAME=VALUE, once per label',
  '--names': '--requests-name, --duration-name and --in-flight-name',
  '--name': '--requests-name, --duration-name and --in-flight-name',
  '--rule-labels': '--rule-label NAME=VALUE, once per label',
};

/** parseArgs' message for an unknown option, with what to write instead when it can be guessed. */
function unknownOption(message: string): string {
  const option = /^Unknown option '(--?[^']+)'/.exec(message)?.[1];
  if (option === undefined) return message;
  const name = option.replace(/=.*$/, '');
  const guess = INSTEAD[name] ?? closest(name.replace(/^-+/, ''), Object.keys(FLAGS))?.replace(/^/, '--');
  return guess === undefined ? `Unknown option '${option}'.` : `Unknown option '${option}'; did you mean ${guess}?`;
}

/** A file or directory that could not be written: the system's reason, not a usage mistake. */
class OutputError extends Error {}

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
    nativeHistograms: values['native-histograms'] as boolean | undefined,
    sloPeriod: str('slo-period'),
    scrapeInterval: str('scrape-interval'),
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
  'native-histograms': { type: 'boolean' },
  job: { type: 'string' },
  availability: { type: 'string' },
  latency: { type: 'string' },
  'latency-objective': { type: 'string' },
  'slo-period': { type: 'string' },
  'scrape-interval': { type: 'string' },
  'batch-max-age': { type: 'string' },
  'scrape-slow': { type: 'string' },
  'runbook-url': { type: 'string' },
  out: { type: 'string' },
  kubernetes: { type: 'boolean' },
  namespace: { type: 'string' },
  'rule-label': { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Runs a write, turning the system's error into one line naming the path. */
function output(write: () => void, path: string): void {
  try {
    write();
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    throw new OutputError(`promhttp-ops: cannot write ${path}: ${code ?? message}${code === undefined ? '' : ` (${message.replace(/^\w+: /, '').replace(/, \w+ '.*'$/, '')})`}.`);
  }
}

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
      ? { 'prometheus-rule.yml': prometheusRule(ops, { namespace: values.namespace, labels: resourceLabels(values['rule-label']) }) }
      : { ...generateOps(ops) };
    output(() => mkdirSync(out, { recursive: true }), out);
    for (const [name, text] of Object.entries(files)) {
      output(() => writeFileSync(join(out, name), text), join(out, name));
      io.out(`wrote ${join(out, name)}\n`);
    }
    return 0;
  } catch (error) {
    if (error instanceof OutputError) {
      io.err(`${error.message}\n`);
      return 1;
    }
    // Option errors read "promhttp: promhttp-ops: …", parseArgs' errors have no prefix at all.
    const message = unknownOption((error as Error).message.replace(/^promhttp: (?=promhttp-ops: )/, ''));
    io.err(`${message.startsWith('promhttp-ops: ') ? message : `promhttp-ops: ${message}`}\n\n${USAGE}`);
    return 2;
  }
}
