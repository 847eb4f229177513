// Builds the package twice from the same sources: ESM into dist/esm and CommonJS into dist/cjs,
// each with its own declarations, so `import` and `require` both get matching types.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

const tsc = (...args) => execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', ...args], { stdio: 'inherit' });

rmSync('dist', { recursive: true, force: true });
tsc();
tsc('--module', 'commonjs', '--moduleResolution', 'node10', '--outDir', 'dist/cjs');
mkdirSync('dist/cjs', { recursive: true });
writeFileSync('dist/cjs/package.json', '{ "type": "commonjs" }\n');
writeFileSync('dist/esm/package.json', '{ "type": "module" }\n');
console.log('built dist/esm and dist/cjs');
