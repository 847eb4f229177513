import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { ROOT, TSX } from './support/process.js';

const run = promisify(execFile);
const SCRIPT = join(ROOT, 'scripts/system-tools.mjs');

/**
 * Runs the tools check as `nobody`, so it never installs anything. Without `path`, PATH holds only
 * node and sh: a machine without the packages.
 */
async function asUnprivileged(purpose: string, env: Record<string, string> = {}, path?: string): Promise<{ code: number; stderr: string }> {
  const bin = mkdtempSync(join(tmpdir(), 'promhttp-path-'));
  chmodSync(bin, 0o755);
  try {
    symlinkSync(process.execPath, join(bin, 'node'));
    symlinkSync('/bin/sh', join(bin, 'sh'));
    // A copy nobody can read wherever the checkout lives.
    copyFileSync(SCRIPT, join(bin, 'system-tools.mjs'));
    const vars = Object.entries({ PATH: path ?? bin, ...env }).map(([k, v]) => `${k}=${v}`);
    return await run('runuser', ['-u', 'nobody', '--', 'env', ...vars, 'node', join(bin, 'system-tools.mjs'), purpose]).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
}

describe('the test command on a fresh machine', () => {
  test('without the Debian packages and without root, stops with one line naming the packages and the install command', async () => {
    const { code, stderr } = await asUnprivileged('test');
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('apt-get install -y --no-install-recommends prometheus prometheus-pushgateway');
    expect(stderr).toContain('PROMETHEUS_BIN');
  });

  test('passes where every tool is found, and honours the *_BIN overrides', async () => {
    const path = `${process.env.PATH}`;
    expect(await asUnprivileged('test', {}, path)).toEqual({ code: 0, stderr: '' });
    const overridden = await asUnprivileged('test', { PROMETHEUS_BIN: '/nonexistent/prometheus' }, path);
    expect(overridden.code).toBe(1);
    expect(overridden.stderr).toMatch(/needs prometheus, which is not installed/);
  });

  test('the tests run the tools the check found: on PATH, or at their *_BIN override', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'promhttp-path-'));
    try {
      for (const [program, says] of [['prometheus', 'prometheus from PATH'], ['promtool', 'promtool from PATH'], ['prometheus-pushgateway', 'prometheus-pushgateway from PATH'], ['own-promtool', 'the override']]) {
        writeFileSync(join(bin, program!), `#!/bin/sh\necho "${says}"\n`);
        chmodSync(join(bin, program!), 0o755);
      }
      const support = join(ROOT, 'test/support/prometheus.ts');
      const code = `import { execFileSync } from 'node:child_process'; import * as tools from ${JSON.stringify(support)}; for (const t of [tools.PROMETHEUS, tools.PROMTOOL, tools.PUSHGATEWAY]) process.stdout.write(execFileSync(t, ['--version']));`;
      const withoutOverrides = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.endsWith('_BIN')));
      const onPath = await run(TSX, ['-e', code], { env: { ...withoutOverrides, PATH: `${bin}:${process.env.PATH}` } });
      expect(onPath.stdout).toBe('prometheus from PATH\npromtool from PATH\nprometheus-pushgateway from PATH\n');
      const overridden = await run(TSX, ['-e', code], { env: { ...withoutOverrides, PATH: `${bin}:${process.env.PATH}`, PROMTOOL_BIN: join(bin, 'own-promtool') } });
      expect(overridden.stdout).toBe('prometheus from PATH\nthe override\nprometheus-pushgateway from PATH\n');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  test('npm test, typecheck and the benchmark run the tool checks first', () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.pretest).toBe('node scripts/system-tools.mjs test');
    expect(scripts.pretypecheck).toContain('scripts/bench-peers.mjs');
    expect(scripts['prebench:smoke']).toContain('scripts/system-tools.mjs bench');
  });

  test('.ci/run runs the README commands, npm ci first, and nothing else', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const development = /## Development\n+```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const fromReadme = [...development.matchAll(/^((?:npm|bash) [^#\n]*?)\s*(?:#|$)/gm)].flatMap((m) => m[1]!.split(' && ').map((c) => c.trim()));
    const ci = readFileSync(join(ROOT, '.ci/run'), 'utf8');
    const fromCi = [...ci.matchAll(/^\s*(npm (?:ci|test|run [\w:]+))\b/gm)].map((m) => m[1]!);
    // The full benchmark and .ci/run itself are the two README commands CI does not run.
    const expected = [...new Set(fromReadme.filter((c) => c !== 'npm run bench' && !c.startsWith('bash ')))];
    expect(fromCi[0]).toBe('npm ci');
    expect([...fromCi].sort()).toEqual(expected.sort());
  });
});
