import { existsSync } from 'node:fs';
import { ROOT } from '../../support/process.js';
import type { BenchSettings } from '../lib/settings.js';
import { median, round } from '../lib/stats.js';
import { measure, type Sample } from './measure.js';
import { FRAMEWORKS, type FrameworkSpec, type ServerSpec } from './servers.js';

export interface ServerResult {
  server: string;
  runtime: string;
  role: ServerSpec['role'];
  label: string;
  primary: boolean;
  skipped?: string;
  requestsPerSecond?: number;
  /** Median requests/s over the bare server's median on the same framework. */
  ratio?: number;
  /**
   * Bare CPU µs per request over this server's: the throughput ratio of two servers that each
   * have a core to themselves. It equals `ratio` on a quiet machine and stays right on a busy one,
   * where other processes' share of the core moves requests/s from one sample to the next.
   */
  cpuRatio?: number;
  p99Ms?: number;
  cpuUsPerRequest?: number;
  /** Lowest and highest CPU µs per request over the rounds: how much the machine let it vary. */
  cpuUsRange?: [number, number];
  userUsPerRequest?: number;
  /** CPU µs per request over the bare server's. */
  overheadUs?: number;
  /** User-mode CPU µs per request over the bare server's. */
  userOverheadUs?: number;
  cpuBusy?: number;
  /** Median share of the server's core taken by other processes while it was measured. */
  othersOnCore?: number;
  rssMiB?: number;
  samples: Sample[];
}

export interface FrameworkResult {
  id: string;
  title: string;
  targetRatio?: number;
  servers: ServerResult[];
}

export interface HttpResult {
  settings: BenchSettings['http'];
  frameworks: FrameworkResult[];
  problems: string[];
}

/** The servers that can run: their adapter exists and they build. */
export function serverFiles(): string[] {
  const files = FRAMEWORKS.flatMap((f) => f.servers).filter((s) => s.needs === undefined || existsSync(`${ROOT}${s.needs}`));
  return [...new Set(files.map((s) => `servers/${s.file}.ts`))];
}

function skipReason(spec: ServerSpec, buildFailures: ReadonlyMap<string, string>): string | undefined {
  if (spec.needs !== undefined && !existsSync(`${ROOT}${spec.needs}`)) return `${spec.needs} does not exist yet`;
  const failure = buildFailures.get(`servers/${spec.file}.ts`);
  return failure === undefined ? undefined : `does not build: ${failure}`;
}

function summarise(framework: FrameworkSpec, samples: Map<ServerSpec, Sample[]>, skipped: Map<ServerSpec, string>): FrameworkResult {
  const results = framework.servers.map((spec): ServerResult => {
    const valid = (samples.get(spec) ?? []).filter((s) => s.problem === undefined);
    const base = { server: spec.id ?? spec.file, runtime: spec.runtime, role: spec.role, label: spec.label, primary: spec.primary === true, samples: samples.get(spec) ?? [] };
    const reason = skipped.get(spec);
    if (reason !== undefined) return { ...base, skipped: reason };
    if (valid.length === 0) return { ...base, skipped: 'no valid measurement' };
    return {
      ...base,
      requestsPerSecond: round(median(valid.map((s) => s.requestsPerSecond)), 0),
      p99Ms: round(median(valid.map((s) => s.p99Ms)), 2),
      cpuUsPerRequest: round(median(valid.map((s) => s.cpuUsPerRequest)), 2),
      cpuUsRange: [round(Math.min(...valid.map((s) => s.cpuUsPerRequest)), 1), round(Math.max(...valid.map((s) => s.cpuUsPerRequest)), 1)],
      userUsPerRequest: round(median(valid.map((s) => s.userUsPerRequest)), 2),
      cpuBusy: round(median(valid.map((s) => s.cpuBusy)), 2),
      othersOnCore: round(median(valid.map((s) => s.othersOnCore)), 2),
      rssMiB: round(median(valid.map((s) => s.rssMiB)), 1),
    };
  });
  const bare = results.find((r) => r.role === 'bare');
  for (const r of results) {
    if (r.requestsPerSecond === undefined || bare?.requestsPerSecond === undefined) continue;
    r.ratio = round(r.requestsPerSecond / bare.requestsPerSecond, 3);
    r.cpuRatio = round(bare.cpuUsPerRequest! / r.cpuUsPerRequest!, 3);
    r.overheadUs = round(r.cpuUsPerRequest! - bare.cpuUsPerRequest!, 2);
    r.userOverheadUs = round(r.userUsPerRequest! - bare.userUsPerRequest!, 2);
  }
  return { id: framework.id, title: framework.title, targetRatio: framework.targetRatio, servers: results };
}

function describe(sample: Sample): string {
  const extra = sample.problem === undefined ? '' : `  PROBLEM: ${sample.problem}`;
  return `${Math.round(sample.requestsPerSecond)} req/s, ${sample.cpuUsPerRequest.toFixed(1)} µs CPU/req, busy ${sample.cpuBusy.toFixed(2)}, others ${sample.othersOnCore.toFixed(2)}, p99 ${sample.p99Ms.toFixed(2)} ms${extra}`;
}

/**
 * Measures every server once per round, alternating (A B C A B C …) so that a slow spell on the
 * shared machine hits all of them alike, each in a fresh process after its own warm-up.
 */
export async function runHttp(settings: BenchSettings['http'], buildFailures: ReadonlyMap<string, string>, log: (line: string) => void, ids?: readonly string[]): Promise<HttpResult> {
  const frameworks = FRAMEWORKS.filter((f) => ids === undefined || ids.includes(f.id));
  const specs = frameworks.flatMap((f) => f.servers);
  const samples = new Map<ServerSpec, Sample[]>();
  const skipped = new Map<ServerSpec, string>();
  const problems: string[] = [];
  for (const spec of specs) {
    const reason = skipReason(spec, buildFailures);
    if (reason !== undefined) {
      skipped.set(spec, reason);
      log(`skip ${spec.runtime} ${spec.id ?? spec.file}: ${reason}`);
    }
  }
  let retriesLeft = Math.floor(settings.retryBudget * settings.rounds * (specs.length - skipped.size));
  for (let r = 1; r <= settings.rounds; r++) {
    for (const spec of specs) {
      if (skipped.has(spec)) continue;
      const name = `[round ${r}/${settings.rounds}] ${spec.runtime.padEnd(4)} ${(spec.id ?? spec.file).padEnd(24)}`;
      try {
        let sample = await measure(spec, r, settings);
        for (let retry = 1; retry <= settings.retries && retriesLeft > 0 && sample.othersOnCore > settings.maxOthersOnCore; retry++) {
          retriesLeft--;
          log(`${name} ${describe(sample)}; others took ${Math.round(sample.othersOnCore * 100)}% of its core, measuring again`);
          const again = await measure(spec, r, settings);
          if (again.othersOnCore < sample.othersOnCore) sample = again;
        }
        samples.set(spec, [...(samples.get(spec) ?? []), sample]);
        if (sample.problem !== undefined) problems.push(`${spec.runtime} ${spec.id ?? spec.file} round ${r}: ${sample.problem}`);
        log(`${name} ${describe(sample)}`);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        problems.push(message);
        log(`${name} FAILED: ${message}`);
      }
    }
  }
  return { settings, frameworks: frameworks.map((f) => summarise(f, samples, skipped)), problems };
}
