import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { BUN, ROOT } from '../../support/process.js';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  /** Runs under a hypervisor (the CPU says so), whose other guests can slow it down unseen. */
  virtual: boolean;
  /** 1-minute load average when the run started and ended: the machine is shared. */
  loadAverage: { start: number; end?: number };
}

export interface Versions {
  promhttp: string;
  node: string;
  bun: string;
  wrk: string;
  packages: Record<string, string>;
}

function output(command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (error) {
    // `wrk -v` prints its version and exits non-zero on some builds.
    const out = (error as { stdout?: string }).stdout;
    return typeof out === 'string' && out.trim() !== '' ? out.trim() : 'unavailable';
  }
}

function version(where: string, name: string): string {
  try {
    return (JSON.parse(readFileSync(`${ROOT}${where}node_modules/${name}/package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

export function describeMachine(): Machine {
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  return {
    cpu: cpu.trim(),
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    virtual: /^flags\s*:.*\bhypervisor\b/m.test(readFileSync('/proc/cpuinfo', 'utf8')),
    loadAverage: { start: os.loadavg()[0]! },
  };
}

export function describeVersions(): Versions {
  const commit = output('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = output('git', ['status', '--porcelain', '--', 'core', 'adapters']) !== '';
  const own = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string }).version;
  return {
    promhttp: `${own} (${commit}${dirty ? ' with uncommitted changes in core/ or adapters/' : ''})`,
    node: process.version,
    bun: output(BUN, ['--version']),
    wrk: output('wrk', ['-v']).split('\n')[0]!.split(' [')[0]!,
    packages: {
      'prom-client': version('', 'prom-client'),
      koa: version('', 'koa'),
      '@koa/router': version('', '@koa/router'),
      hono: version('', 'hono'),
      '@hono/node-server': version('', '@hono/node-server'),
      express: version('test/bench/', 'express'),
      'prometheus-api-metrics': version('test/bench/', 'prometheus-api-metrics'),
      '@echo-health/koa-prometheus-exporter': version('test/bench/', '@echo-health/koa-prometheus-exporter'),
      '@echo-health/koa-prometheus-exporter → prom-client': version('test/bench/node_modules/@echo-health/koa-prometheus-exporter/', 'prom-client'),
      '@hono/prometheus': version('test/bench/', '@hono/prometheus'),
      'express-prom-bundle': version('test/bench/', 'express-prom-bundle'),
      fastify: version('test/bench/', 'fastify'),
      'fastify-metrics': version('test/bench/', 'fastify-metrics'),
    },
  };
}
