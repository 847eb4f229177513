import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/process.js';
import { PROMTOOL } from '../support/prometheus.js';

const run = promisify(execFile);
const UNIT_TESTS = join(ROOT, 'test/ops/promtool');

describe('the shipped rules under promtool', () => {
  it('promtool check rules passes on ops/recording-rules.yml and ops/alerts.yml', async () => {
    const { stdout } = await run(PROMTOOL, ['check', 'rules', join(ROOT, 'ops/recording-rules.yml'), join(ROOT, 'ops/alerts.yml')]);
    expect(stdout).toMatch(/recording-rules\.yml\n {2}SUCCESS: 12 rules found/);
    expect(stdout).toMatch(/alerts\.yml\n {2}SUCCESS: 31 rules found/);
  });

  for (const file of readdirSync(UNIT_TESTS).filter((f) => f.endsWith('.yml'))) {
    // Three days of 5-minute samples per case: a few seconds of promtool's CPU.
    it(`promtool test rules: ${file} (each alert firing and not firing)`, { timeout: 120_000 }, async () => {
      const result = await run(PROMTOOL, ['test', 'rules', file], { cwd: UNIT_TESTS }).catch((error: { stdout: string; stderr: string }) => error);
      expect(`${result.stdout}${result.stderr}`).toMatch(/^Unit Testing: .*\n {2}SUCCESS\n+$/);
    });
  }
});
