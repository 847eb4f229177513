import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const SOURCES = ['core', 'adapters'];
const STAMP = 'dist/esm/package.json';
const LOCK = '.tmp/build.lock';

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(join(ROOT, path)).mtimeMs);
  }
  return latest;
}

function fresh(): boolean {
  try {
    const built = statSync(join(ROOT, STAMP)).mtimeMs;
    return SOURCES.every((dir) => newest(dir) < built) && statSync(join(ROOT, 'package.json')).mtimeMs < built;
  } catch {
    return false;
  }
}

/**
 * Builds dist/ (npm run build) unless it is newer than every source, for tests that run the
 * package as its users get it (Deno imports `promhttp/*` through package.json's exports). Test
 * files run two at a time: a lock directory keeps them from building at once.
 */
export async function ensureBuilt(): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (fresh()) return;
    try {
      mkdirSync(join(ROOT, '.tmp'), { recursive: true });
      mkdirSync(join(ROOT, LOCK));
    } catch {
      // Another test file is building; a lock older than the deadline was left by a crash.
      if (Date.now() > deadline) rmSync(join(ROOT, LOCK), { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    try {
      if (!fresh()) execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'pipe' });
      return;
    } finally {
      rmSync(join(ROOT, LOCK), { recursive: true, force: true });
    }
  }
}
