import { build, stop } from 'esbuild';
import { ROOT } from '../../support/process.js';

const BENCH = `${ROOT}test/bench/`;
// Inside node_modules, like other tools' caches: ignored by git, tsc and eslint, and the bundles
// still find the peer libraries (test/bench/node_modules) and the frameworks (the root's).
export const BUILD = `${BENCH}node_modules/.cache/promhttp-bench/`;

/** Where the bundle of `test/bench/<file>.ts` lands. */
export function built(file: string): string {
  return `${BUILD}${file.replace(/\.ts$/, '.mjs')}`;
}

/**
 * Bundles the benchmark's programs (promhttp's sources included, npm packages left external) into
 * plain JavaScript, as users run the published build. Running TypeScript through tsx instead would
 * measure tsx: it keeps function names by wrapping every closure it creates in a helper, which
 * costs more per request than the instrumentation under test. Each program is built on its own,
 * so an adapter that does not build yet only rules out its own servers. Returns the failures.
 */
export async function buildPrograms(files: readonly string[]): Promise<Map<string, string>> {
  const failures = new Map<string, string>();
  await Promise.all(
    files.map(async (file) => {
      try {
        await build({
          entryPoints: [`${BENCH}${file}`],
          outbase: BENCH,
          outdir: BUILD,
          outExtension: { '.js': '.mjs' },
          bundle: true,
          packages: 'external',
          platform: 'node',
          format: 'esm',
          target: 'node20',
          tsconfig: `${ROOT}tsconfig.json`,
          logLevel: 'silent',
        });
      } catch (error) {
        failures.set(file, error instanceof Error ? error.message.split('\n').slice(0, 3).join(' ') : String(error));
      }
    }),
  );
  // esbuild keeps a service process for later builds; there are none.
  await stop();
  return failures;
}
