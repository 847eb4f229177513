// Builds the package twice from the same sources: ESM into dist/esm and CommonJS into dist/cjs,
// each with its own declarations, so `import` and `require` both get matching types; and the
// promhttp-ops generator, bundled into dist/ops (scripts/bundle-ops.mjs).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { bundleOps } from './bundle-ops.mjs';

const tsc = (...args) => execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', ...args], { stdio: 'inherit' });

rmSync('dist', { recursive: true, force: true });
tsc();
tsc('--module', 'commonjs', '--moduleResolution', 'node10', '--outDir', 'dist/cjs');
mkdirSync('dist/cjs', { recursive: true });
writeFileSync('dist/cjs/package.json', '{ "type": "commonjs" }\n');
writeFileSync('dist/esm/package.json', '{ "type": "module" }\n');

await bundleOps('dist/ops/cli.mjs');
console.log('built dist/esm, dist/cjs and dist/ops');
