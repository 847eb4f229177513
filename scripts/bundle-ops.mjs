// Bundles the promhttp-ops generator (ops/generator/cli.ts) into one file with the parts of Grafana's
// foundation SDK it uses, so the published command runs without that development dependency.
// Used by scripts/build.mjs and by the test that runs the bundle away from node_modules.
import { copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sdk = '@grafana/grafana-foundation-sdk';

/** Writes the bundle to `outfile` and the SDK's licence beside it. */
export async function bundleOps(outfile) {
  await build({
    absWorkingDir: root,
    entryPoints: ['ops/generator/cli.ts'],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Whitespace and syntax only: names stay readable in stack traces.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'eof',
    logLevel: 'warning',
    banner: { js: `// promhttp-ops, bundled with parts of ${sdk} (Apache-2.0, Grafana Labs; licence in LICENSE.grafana-foundation-sdk beside this file).` },
  });
  copyFileSync(join(root, 'node_modules', sdk, 'LICENSE'), join(dirname(outfile), 'LICENSE.grafana-foundation-sdk'));
}
