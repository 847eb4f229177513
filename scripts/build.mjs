// Builds the package twice from the same sources: ESM into dist/esm and CommonJS into dist/cjs,
// each with its own declarations, so `import` and `require` both get matching types. The
// promhttp-ops generator is bundled into dist/ops with the parts of Grafana's foundation SDK it
// uses, so the published command runs without that development dependency.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const tsc = (...args) => execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', ...args], { stdio: 'inherit' });

rmSync('dist', { recursive: true, force: true });
tsc();
tsc('--module', 'commonjs', '--moduleResolution', 'node10', '--outDir', 'dist/cjs');
mkdirSync('dist/cjs', { recursive: true });
writeFileSync('dist/cjs/package.json', '{ "type": "commonjs" }\n');
writeFileSync('dist/esm/package.json', '{ "type": "module" }\n');

const sdk = '@grafana/grafana-foundation-sdk';
await build({
  entryPoints: ['monitoring/cli.ts'],
  outfile: 'dist/ops/cli.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Whitespace and syntax only: names stay readable in stack traces.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'eof',
  banner: { js: `// promhttp-ops, bundled with parts of ${sdk} (Apache-2.0, Grafana Labs; licence in LICENSE.grafana-foundation-sdk beside this file).` },
});
copyFileSync(`node_modules/${sdk}/LICENSE`, 'dist/ops/LICENSE.grafana-foundation-sdk');
console.log('built dist/esm, dist/cjs and dist/ops');
