import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { BUN, ROOT } from '../support/process.js';
import { runHttp, serverFiles, type HttpResult } from './http/run.js';
import { buildPrograms, built } from './lib/build.js';
import { run } from './lib/children.js';
import { describeMachine, describeVersions } from './lib/machine.js';
import { summarySentence, toMarkdown } from './lib/report.js';
import type { InstrumentationResult, MicroResult, MultiprocessResult, Part, Results, ScrapeResult, SoakResult } from './lib/results.js';
import { FULL, SMOKE } from './lib/settings.js';
import { judge } from './lib/targets.js';

/**
 * `npm run bench` (full, 15–20 minutes) and `npm run bench:smoke` (proves that every part runs).
 * `--only=http,micro,instrumentation,scrape,multiprocess,soak` runs some parts, and `--frameworks=express,fastify`
 * some frameworks of the HTTP part (ids from http/servers.ts). A complete full run writes
 * test/bench/results/latest.{json,md} and the tables in docs/benchmarks.md; the smoke run and
 * partial runs write test/bench/results/raw/{smoke,partial}.{json,md}. `--render` measures
 * nothing: it writes latest.md and docs/benchmarks.md again from latest.json (after a change to
 * the report's layout). Exits 1 when something failed to run or measured
 * wrongly, never because a target was missed.
 */
const smoke = process.argv.includes('--smoke');
const settings = smoke ? SMOKE : FULL;
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const wanted = (part: string): boolean => only === undefined || only.includes(part);
const frameworks = process.argv.find((a) => a.startsWith('--frameworks='))?.slice('--frameworks='.length).split(',');
const BENCH = `${ROOT}test/bench/`;
const RESULTS = `${BENCH}results/`;
const DOCS = `${ROOT}docs/benchmarks.md`;
const log = (line: string): void => console.log(line);

function missingTools(): string | undefined {
  for (const [tool, hint] of [
    ['wrk', 'apt-get install -y wrk'],
    ['taskset', 'apt-get install -y util-linux'],
  ] as const) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (${hint})`;
    }
  }
  return undefined;
}

/** The peer libraries live in test/bench/node_modules, which a fresh clone does not have. */
async function installPeers(): Promise<void> {
  if (existsSync(`${BENCH}node_modules/prometheus-api-metrics/package.json`)) return;
  log('installing the peer libraries: npm ci --prefix test/bench');
  const done = await run('npm', ['ci', '--prefix', 'test/bench', '--no-audit', '--no-fund'], { timeoutMs: 300_000, echo: true });
  if (done.code !== 0) throw new Error(`npm ci --prefix test/bench failed:\n${done.stdout}${done.stderr}`);
}

/** Runs a part in its own process on core 1 and returns the JSON it prints last. */
async function runPart<T>(file: string, timeoutMs: number, runtime = process.execPath): Promise<T> {
  const failure = buildFailures.get(file);
  if (failure !== undefined) throw new Error(`${file} does not build: ${failure}`);
  // --expose-gc lets a part start a measurement of memory from a collected heap.
  const args = ['-c', '1', runtime, ...(runtime === process.execPath ? ['--expose-gc'] : []), built(file), ...(smoke ? ['--smoke'] : [])];
  const done = await run('taskset', args, { timeoutMs, echo: true });
  const last = done.stdout.trim().split('\n').at(-1);
  if (done.code !== 0 || last === undefined || !last.startsWith('{')) throw new Error(`${file} failed (exit ${done.code}):\n${done.stdout}${done.stderr}`);
  return JSON.parse(last) as T;
}

async function part<T extends object>(name: string, body: () => Promise<T>, problems: string[]): Promise<Part<T>> {
  if (!wanted(name)) return { skipped: 'not selected with --only' };
  log(`\n== ${name}`);
  try {
    const result = await body();
    problems.push(...((result as { problems?: string[] }).problems ?? []).map((p) => `${name}: ${p}`));
    return result;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    problems.push(`${name}: ${message}`);
    log(`${name} FAILED: ${message}`);
    return { skipped: `failed: ${message.split('\n')[0]}` };
  }
}

/** Replaces what lies between `<!-- name:begin -->` and `<!-- name:end -->` in docs/benchmarks.md. */
function replaceBlock(doc: string, name: string, content: string): string {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const from = doc.indexOf(begin);
  const to = doc.indexOf(end);
  if (from === -1 || to < from) {
    log(`docs/benchmarks.md has no ${begin} … ${end} markers; that part is not updated`);
    return doc;
  }
  return `${doc.slice(0, from + begin.length)}\n${content}\n${doc.slice(to)}`;
}

function updateDocs(results: Results, markdown: string): void {
  if (!existsSync(DOCS)) return log('docs/benchmarks.md does not exist; not updated');
  let doc = readFileSync(DOCS, 'utf8');
  const summary = summarySentence(results);
  if (summary !== undefined) doc = replaceBlock(doc, 'summary', summary);
  doc = replaceBlock(doc, 'results', `\n${markdown}`);
  writeFileSync(DOCS, doc);
  log('updated docs/benchmarks.md');
}

if (process.argv.includes('--render')) {
  const results = JSON.parse(readFileSync(`${RESULTS}latest.json`, 'utf8')) as Results;
  results.targets = judge(results.http, results.instrumentation ?? { skipped: 'not in this run' }, results.scrape, results.multiprocess, results.soak);
  writeFileSync(`${RESULTS}latest.md`, `# promhttp benchmark results\n\n${toMarkdown(results, 2)}`);
  updateDocs(results, toMarkdown(results, 3));
  process.exit(0);
}

const started = new Date();
const machine = describeMachine();
const versions = describeVersions();
const problems: string[] = [];
log(`promhttp benchmarks, ${settings.mode} run: ${machine.cpu}, ${machine.cores} cores, load ${machine.loadAverage.start.toFixed(2)}`);

const tools = missingTools();
if (tools !== undefined) problems.push(tools);
await installPeers();
const buildFailures = await buildPrograms([...serverFiles(), 'micro.ts', 'instrumentation.ts', 'scrape.ts', 'multiprocess.ts', 'soak.ts']);
for (const [file, failure] of buildFailures) log(`${file} does not build: ${failure}`);

const http = await part<HttpResult>('http', async () => {
  if (tools !== undefined) throw new Error(tools);
  return runHttp(settings.http, buildFailures, log, frameworks);
}, problems);
const micro = await part<MicroResult>('micro', () => runPart('micro.ts', 600_000), problems);
const instrumentation = await part<InstrumentationResult>('instrumentation', async () => {
  const node = await runPart<InstrumentationResult>('instrumentation.ts', 600_000);
  const bun = await runPart<InstrumentationResult>('instrumentation.ts', 600_000, BUN);
  return { settings: node.settings, groups: [...node.groups, ...bun.groups], problems: [...node.problems, ...bun.problems] };
}, problems);
const scrape = await part<ScrapeResult>('scrape', () => runPart('scrape.ts', 900_000), problems);
const multiprocess = await part<MultiprocessResult>('multiprocess', () => runPart('multiprocess.ts', 900_000), problems);
const soak = await part<SoakResult>('soak', () => runPart('soak.ts', 900_000), problems);

machine.loadAverage.end = os.loadavg()[0]!;
const results: Results = {
  mode: settings.mode,
  startedAt: started.toISOString().replace(/\.\d+Z$/, 'Z'),
  minutes: (Date.now() - started.getTime()) / 60_000,
  note: 'The machine is shared with other work (see the load averages), so absolute figures move between runs; ratios and overheads come from servers measured alternately in the same run.',
  machine,
  versions,
  http,
  micro,
  instrumentation,
  scrape,
  multiprocess,
  soak,
  targets: judge(http, instrumentation, scrape, multiprocess, soak),
  problems,
};

const markdown = toMarkdown(results, 2);
// Only a complete full run replaces the published results.
const base = smoke ? `${RESULTS}raw/smoke` : only !== undefined || frameworks !== undefined ? `${RESULTS}raw/partial` : `${RESULTS}latest`;
mkdirSync(`${RESULTS}raw`, { recursive: true });
writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(`${base}.md`, `# promhttp benchmark results\n\n${markdown}`);
if (base.endsWith('latest')) updateDocs(results, toMarkdown(results, 3));

log(`\n${markdown}`);
log(`wrote ${base.slice(ROOT.length)}.json and .md`);
if (problems.length > 0) {
  log(`\n${problems.length} problem(s):\n${problems.map((p) => `- ${p}`).join('\n')}`);
  process.exitCode = 1;
}
