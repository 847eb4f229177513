import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { DOC_FILES, exportedFunctions, inlineCode, tsBlocks, typeCheck, unparsable, type InlineCode, type Problem } from './support/docs.js';
import { ROOT } from './support/process.js';

// What README.md and docs/*.md show is checked against the code:
// - a ```ts block marked `<!-- example: path -->` is that file, verbatim (the examples are run by
//   the end-to-end tests);
// - every other ```ts block type-checks against the real package, as a module of its own;
// - inline code that calls a function promhttp exports (`renderDirectory(dir)`,
//   `honoMetrics().wrap(app)`) type-checks as an expression, read as follows:
//   - names the call uses but does not define (`dir`, `app`) stand for any value;
//   - `…` stands for whatever was left out (spread where it stands in a list or object);
//   - `options?` in a signature reads as `options`;
//   - an options object may leave out required properties, since a span shows the options it
//     talks about (`gauge({ mode })`), but every property it shows must exist and fit;
//   - `name()` alone names a function and is not a call.
//   Calls of methods (`metrics.counter({…})`) are left alone: their receiver is not known here.

const DIR = join(ROOT, '.tmp', 'docs');
const fileOf = (where: { file: string; line: number }, kind: string): string => join(DIR, `${where.file.replace(/[/.]/g, '-')}-${kind}-line-${where.line}.ts`);

/** Bun's global, as far as the docs use it (bun-types has the whole of it). */
const GLOBALS = `declare const Bun: { serve(options: { fetch: (request: Request) => Response | Promise<Response>; port: number; hostname: string }): { port: number } };\n`;

const blocks = DOC_FILES.flatMap(tsBlocks);

function report(problems: readonly Problem[]): string {
  // Each file is named after the document and the line the code starts on.
  return problems.map((p) => `${p.file.slice(DIR.length + 1)}: ${p.message}`).join('\n');
}

describe('README.md and docs/', () => {
  test('have TypeScript examples', () => {
    expect(blocks.filter((b) => b.file === 'README.md').length).toBeGreaterThan(5);
    expect(blocks.filter((b) => b.file !== 'README.md').length).toBeGreaterThan(20);
  });

  for (const block of blocks.filter((b) => b.example)) {
    test(`${block.file} shows ${block.example} exactly as it is (line ${block.line})`, () => {
      expect(block.code).toBe(readFileSync(join(ROOT, block.example!), 'utf8'));
    });
  }

  test('every other TypeScript block type-checks against the real package', () => {
    const files = new Map<string, string>([[join(DIR, 'globals.d.ts'), GLOBALS]]);
    for (const block of blocks.filter((b) => !b.example)) files.set(fileOf(block, 'block'), `${block.code}export {};\n`);
    expect(report(typeCheck(files))).toBe('');
  }, 120_000);

  describe('inline code that calls promhttp', () => {
    let functions: Map<string, string>;
    /** A call of an exported function, not of a method of that name. */
    let calls: () => RegExp;
    beforeAll(async () => {
      functions = await exportedFunctions();
      const pattern = `(?<![\\w.$])(${[...functions.keys()].join('|')})\\s*\\(`;
      calls = () => new RegExp(pattern, 'g');
    });

    /** The module that checks `span`, in one of two readings of `…`; `free` are the names it uses without defining. */
    function source(span: InlineCode, free: ReadonlySet<string>, ellipsis: 'spread' | 'value'): string {
      const code = span.code.replace(/(\w)\?(?=\s*[,)])/g, '$1').replaceAll('…', ellipsis === 'spread' ? '...elided' : 'elided');
      const byEntry = new Map<string, Set<string>>();
      for (const [, name] of code.matchAll(calls())) {
        const entry = functions.get(name!)!;
        byEntry.set(entry, (byEntry.get(entry) ?? new Set()).add(name!));
      }
      const imports = [...byEntry].map(([entry, names]) => `import { ${[...names].join(', ')} } from '${entry}';\n`).join('');
      const declared = ['elided', ...free].map((name) => `declare const ${name}: any;\n`).join('');
      const statement = /^(export|const|let|await)\b/.test(code) ? `${code};\n` : `void (${code});\n`;
      return `${imports}${declared}${statement}export {};\n`;
    }

    /** The problems of each span, by its file; names it uses without defining are declared, then it is checked again. */
    function check(spans: readonly InlineCode[]): Problem[] {
      const free = new Map(spans.map((span) => [fileOf(span, 'inline'), new Set<string>()]));
      const bySpan = new Map(spans.map((span) => [fileOf(span, 'inline'), span]));
      const build = (): Map<string, string> =>
        new Map(
          [...bySpan].map(([file, span]) => {
            const spread = source(span, free.get(file)!, 'spread');
            return [file, unparsable(spread) ? source(span, free.get(file)!, 'value') : spread];
          }),
        );
      for (const problem of typeCheck(build())) {
        // Cannot find name 'x' (2304, 2552); no value in scope for the shorthand property 'x' (18004).
        const name = /'([\w$]+)'/.exec(problem.message)?.[1];
        if (name !== undefined && [2304, 2552, 18004].includes(problem.codes[0]!)) free.get(problem.file)!.add(name);
      }
      // Left out: a required property missing (2739, 2741), the only liberty a span takes.
      return typeCheck(build()).filter((problem) => !problem.codes.some((code) => code === 2739 || code === 2741));
    }

    const spansOf = (spans: readonly InlineCode[]): InlineCode[] =>
      spans.filter((span) => calls().test(span.code) && !/^[\w$]+\(\)$/.test(span.code));

    // The calls of the docs and those of the self-check below go through one check: it builds two programs.
    const SELF_CHECK = ['renderDirectory({ dir })', 'renderDirectory(dir, { format: "openmetrics" })', 'counter({ name, help, labels })', 'gauge({ mode })', 'countExceptions(counter, fn, options?)'];
    let checked: { docs: Problem[]; self: Problem[] } | undefined;
    function checkAll(): { docs: Problem[]; self: Problem[] } {
      if (checked !== undefined) return checked;
      const self = SELF_CHECK.map((code, i): InlineCode => ({ file: 'self-check', line: i + 1, code }));
      const problems = check([...spansOf(DOC_FILES.flatMap(inlineCode)), ...self]);
      const isSelf = (p: Problem): boolean => p.file.startsWith(join(DIR, 'self-check-'));
      return (checked = { docs: problems.filter((p) => !isSelf(p)), self: problems.filter(isSelf) });
    }

    test('finds calls to check in README.md and docs/', () => {
      const spans = spansOf(DOC_FILES.flatMap(inlineCode));
      expect(spans.length).toBeGreaterThan(15);
      expect(spans.map((s) => s.code)).toContain('honoMetrics().wrap(app)');
    });

    test('every such call type-checks against the real package', () => {
      expect(report(checkAll().docs)).toBe('');
    }, 120_000);

    test('tells a call that does not fit its function from one that does', () => {
      // Lines 1 and 3 do not fit: an object where renderDirectory takes the directory, and an option counter() does not have.
      expect(checkAll().self.map((p) => Number(/-line-(\d+)\.ts$/.exec(p.file)![1]))).toEqual([1, 3]);
    }, 120_000);
  });
});
