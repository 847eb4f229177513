// The benchmark's peer libraries (express-prom-bundle, @hono/prometheus, …) live in
// test/bench/node_modules, apart from the library's dev dependencies. The typecheck covers the
// benchmark's servers, so `npm run typecheck` and the benchmark install them first when a fresh
// clone has none.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bench = fileURLToPath(new URL('../test/bench/', import.meta.url));
const lock = `${bench}package-lock.json`;
const installed = `${bench}node_modules/.package-lock.json`;
if (existsSync(lock) && !existsSync(installed)) {
  console.log('promhttp: installing the benchmark peer libraries (npm ci --prefix test/bench)');
  execFileSync('npm', ['ci', '--prefix', bench, '--no-audit', '--no-fund'], { stdio: 'inherit' });
}
