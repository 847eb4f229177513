import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { ROOT } from './support/process.js';

const run = promisify(execFile);
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
// The adapter guide's code is meant to be followed as written: its blocks are type-checked too.
const adapterGuide = readFileSync(join(ROOT, 'docs/writing-an-adapter.md'), 'utf8');

interface Block {
  line: number;
  code: string;
  /** Set when a `<!-- example: path -->` marker stands right before the block. */
  example?: string;
}

function tsBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i]!)) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!);
    const marker = /^<!-- example: (\S+) -->$/.exec(lines[start - 1] ?? '');
    blocks.push({ line: start + 1, code: `${body.join('\n')}\n`, ...(marker ? { example: marker[1] } : {}) });
  }
  return blocks;
}

const blocks = tsBlocks(readme);
const guideBlocks = tsBlocks(adapterGuide);

describe('README', () => {
  test('has TypeScript examples', () => {
    expect(blocks.length).toBeGreaterThan(5);
  });

  // The examples are run by the end-to-end tests; the README shows them verbatim.
  for (const block of blocks.filter((b) => b.example)) {
    test(`shows ${block.example} exactly as it is (README line ${block.line})`, () => {
      expect(block.code).toBe(readFileSync(join(ROOT, block.example!), 'utf8'));
    });
  }

  test('every other TypeScript snippet type-checks against the real package', async () => {
    const dir = join(ROOT, '.tmp', 'readme');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const snippets = blocks.filter((b) => !b.example);
    snippets.forEach((b) => writeFileSync(join(dir, `line-${b.line}.ts`), `${b.code}export {};\n`));
    guideBlocks.forEach((b) => writeFileSync(join(dir, `writing-an-adapter-line-${b.line}.ts`), `${b.code}export {};\n`));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ extends: '../../tsconfig.json', compilerOptions: { noUnusedLocals: false }, include: ['./*.ts', '../../test/fixtures/*.d.ts'] }),
    );
    const result = await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')]).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    // Errors name the file, and the file names the README line the snippet starts on.
    expect(result).toBe('');
  }, 60_000);
});
