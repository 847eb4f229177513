import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BUN, startChild, type Child } from '../../support/process.js';
import { built } from '../lib/build.js';
import { run, track } from '../lib/children.js';
import { coreTimes, cpuSeconds, memoryMiB } from '../lib/proc.js';
import { scratchDirectory } from '../lib/scratch.js';
import type { ServerSpec } from './servers.js';

const SCRIPT = fileURLToPath(new URL('./users.lua', import.meta.url));
/** The server gets core 1 and wrk core 0, so neither steals the other's CPU. */
const SERVER_CORE = 1;
const LOAD_CORE = 0;

export interface WrkResult {
  requests: number;
  duration_us: number;
  p50_us: number;
  p99_us: number;
  max_us: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
}

/** One measurement of one server, in a fresh process. */
export interface Sample {
  server: string;
  runtime: string;
  round: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Server CPU time (user + system, every thread) per request over the measured window. */
  cpuUsPerRequest: number;
  /**
   * The user-mode part: where instrumentation runs (unless it writes files). The system part is
   * mostly loopback TCP, whose cost per request moves with how the load happens to batch.
   */
  userUsPerRequest: number;
  /** Share of its core the server used while measured; well below 1 means something else was the bottleneck. */
  cpuBusy: number;
  /**
   * Share of the server's core that went to other processes (or to the hypervisor) meanwhile:
   * the machine is shared, and a sample taken while others ran there is slower for no fault of its own.
   */
  othersOnCore: number;
  rssMiB: number;
  peakRssMiB: number;
  errors: number;
  /** promhttp servers only: the 200s on /users/:id the server counted, and how many wrk completed. */
  counted?: { recorded: number; completed: number };
  /** Why the sample is not valid, if it is not. */
  problem?: string;
}

function startServer(spec: ServerSpec, directory: string | undefined): Child {
  const file = built(`servers/${spec.file}.ts`);
  const command = spec.runtime === 'bun' ? [BUN, file] : [process.execPath, file];
  const env: NodeJS.ProcessEnv = { PORT: '0', NODE_ENV: 'production' };
  if (directory !== undefined) env.PROMETHEUS_MULTIPROC_DIR = directory;
  const child = startChild('taskset', ['-c', String(SERVER_CORE), ...command], { env });
  track(child.process);
  return child;
}

export async function wrk(url: string, seconds: number, connections: number): Promise<WrkResult> {
  // A long timeout: on a shared machine a stalled second is the neighbours', not a lost request.
  const args = ['-c', String(LOAD_CORE), 'wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', SCRIPT, url];
  const done = await run('taskset', args, { timeoutMs: (seconds + 30) * 1000 });
  const line = done.stdout.split('\n').find((l) => l.startsWith('{'));
  if (done.code !== 0 || line === undefined) throw new Error(`wrk failed (exit ${done.code}): ${done.stderr || done.stdout}`);
  return JSON.parse(line) as WrkResult;
}

/** The sum of a counter's samples whose labels contain every given fragment. */
function counterValue(exposition: string, name: string, fragments: readonly string[]): number {
  let total = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`) || !fragments.every((f) => line.includes(f))) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

async function checkServes(url: string): Promise<void> {
  const response = await fetch(`${url}/users/42`, { headers: { connection: 'close' } });
  const body = await response.text();
  if (response.status !== 200 || !body.includes('42')) throw new Error(`GET /users/42 answered ${response.status} ${body.slice(0, 200)}`);
}

async function scrape(url: string): Promise<string> {
  const response = await fetch(`${url}/metrics`, { headers: { connection: 'close' } });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status} ${body.slice(0, 200)}`);
  return body;
}

/**
 * Starts the server pinned to its core, checks that it answers, warms it up, then measures
 * throughput and latency with wrk while reading the server's CPU time and memory from /proc.
 */
export async function measure(spec: ServerSpec, round: number, settings: { warmupSeconds: number; durationSeconds: number; connections: number }): Promise<Sample> {
  const directory = spec.multiprocess ? scratchDirectory() : undefined;
  const server = startServer(spec, directory);
  try {
    const url = await server.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 60_000);
    const pid = server.process.pid!;
    await checkServes(url);
    let completed = 1;
    if (settings.warmupSeconds > 0) completed += (await wrk(url, settings.warmupSeconds, settings.connections)).requests;
    const coreBefore = coreTimes(SERVER_CORE);
    const cpuBefore = cpuSeconds(pid);
    const result = await wrk(url, settings.durationSeconds, settings.connections);
    const cpuAfter = cpuSeconds(pid);
    const user = cpuAfter.user - cpuBefore.user;
    const cpu = user + cpuAfter.system - cpuBefore.system;
    const coreAfter = coreTimes(SERVER_CORE);
    completed += result.requests;
    const memory = memoryMiB(pid);
    const seconds = result.duration_us / 1e6;
    const errors = Object.values(result.errors).reduce((a, b) => a + b, 0);
    const sample: Sample = {
      server: spec.id ?? spec.file,
      runtime: spec.runtime,
      round,
      requestsPerSecond: result.requests / seconds,
      p50Ms: result.p50_us / 1000,
      p99Ms: result.p99_us / 1000,
      cpuUsPerRequest: (cpu * 1e6) / result.requests,
      userUsPerRequest: (user * 1e6) / result.requests,
      cpuBusy: cpu / seconds,
      othersOnCore: Math.max(0, (coreAfter.busy - coreBefore.busy - cpu) / (coreAfter.total - coreBefore.total)),
      rssMiB: memory.rss,
      peakRssMiB: memory.peak,
      errors,
    };
    // Any answer but 2xx means the server is not serving the route; a rare socket error is noise.
    if (result.requests === 0) sample.problem = 'no request completed';
    else if (result.errors.status > 0 || errors > result.requests / 1000) sample.problem = `${errors} errors (${JSON.stringify(result.errors)})`;
    if (spec.role !== 'bare') {
      const exposition = await scrape(url);
      if (!exposition.includes('/users/')) sample.problem ??= 'the metrics do not mention /users/';
      if (spec.role === 'promhttp') {
        // Never lose a sample: every response wrk completed must have been counted.
        const recorded = counterValue(exposition, 'http_requests_total', ['route="/users/:id"', 'status_code="200"']);
        sample.counted = { recorded, completed };
        if (recorded < completed) sample.problem ??= `counted ${recorded} requests, wrk completed ${completed}`;
      }
    }
    return sample;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${spec.runtime} ${spec.id ?? spec.file}: ${message}\n${server.output().slice(-2000)}`, { cause: error });
  } finally {
    await server.stop(2_000);
    if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  }
}
