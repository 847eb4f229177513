import { FULL, SMOKE, type BenchSettings } from './settings.js';

/**
 * The micro, scrape and multi-process parts run as their own pinned processes so that nothing
 * else in the runner's heap or event loop disturbs them; they also run alone (`--smoke` for the
 * quick settings). Progress goes to stderr, the result is the last line of stdout.
 */
export function partSettings(): BenchSettings {
  return process.argv.includes('--smoke') ? SMOKE : FULL;
}

export function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

export function emit(result: unknown): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
