// docs/operations.md ships in the package (the alerts' default runbook_url points at it): whatever
// it links to, and what those link to, must ship with it, or the links are dead where it is read.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/process.js';

const run = promisify(execFile);

/** The relative link targets of a Markdown file, as paths from the package root. */
function links(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/i.test(l)).map((l) => normalize(join(dirname(file), l)));
}

describe('the published package', () => {
  it('ships every file docs/operations.md links to, and every file those documents link to', { timeout: 60_000 }, async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT });
    const shipped = new Set((JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path));
    const missing: string[] = [];
    const seen = new Set<string>();
    const todo = ['docs/operations.md'];
    while (todo.length > 0) {
      const file = todo.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      // A link to a directory (examples/) holds when the directory ships with something in it.
      const present = shipped.has(file) || (file.endsWith('/') && [...shipped].some((f) => f.startsWith(file)));
      if (!present) missing.push(file);
      else if (file.endsWith('.md')) todo.push(...links(file));
    }
    expect(missing).toEqual([]);
    expect(seen.size).toBeGreaterThan(5);
  });
});
