import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { ROOT } from './process.js';

/** README.md and every page of docs/, by path from the repository root. */
export const DOC_FILES: readonly string[] = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];

export const readDoc = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

export interface Block {
  readonly file: string;
  readonly line: number;
  readonly code: string;
  /** Set when a `<!-- example: path -->` marker stands right before the block. */
  readonly example?: string;
}

/** The ```ts blocks of a markdown file. */
export function tsBlocks(file: string): Block[] {
  const blocks: Block[] = [];
  const lines = readDoc(file).split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i]!)) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!);
    const marker = /^<!-- example: (\S+) -->$/.exec(lines[start - 1] ?? '');
    blocks.push({ file, line: start + 1, code: `${body.join('\n')}\n`, ...(marker ? { example: marker[1] } : {}) });
  }
  return blocks;
}

export interface InlineCode {
  readonly file: string;
  readonly line: number;
  readonly code: string;
}

/** The inline code spans of a markdown file, outside fenced blocks. */
export function inlineCode(file: string): InlineCode[] {
  const spans: InlineCode[] = [];
  let fenced = false;
  readDoc(file)
    .split('\n')
    .forEach((text, index) => {
      if (/^\s*```/.test(text)) fenced = !fenced;
      if (fenced || text.startsWith('```')) return;
      for (const match of text.matchAll(/(`+)(.+?)\1/g)) spans.push({ file, line: index + 1, code: match[2]! });
    });
  return spans;
}

/** Every function promhttp exports, with the entry that exports it. */
export async function exportedFunctions(): Promise<Map<string, string>> {
  const entries = ['promhttp', 'promhttp/adapter', 'promhttp/node', 'promhttp/koa', 'promhttp/hono'];
  const functions = new Map<string, string>();
  for (const entry of entries) {
    for (const [name, value] of Object.entries(await import(entry))) if (typeof value === 'function' && !functions.has(name)) functions.set(name, entry);
  }
  return functions;
}

/** A TypeScript problem in one of the checked files. */
export interface Problem {
  readonly file: string;
  /** The diagnostic's code, then the codes of the messages chained under it. */
  readonly codes: readonly number[];
  readonly message: string;
}

function codesOf(chain: string | ts.DiagnosticMessageChain): number[] {
  return typeof chain === 'string' ? [] : [chain.code, ...(chain.next ?? []).flatMap(codesOf)];
}

const parsedFiles = new Map<string, ts.SourceFile>();

/**
 * Type-checks files that exist only in memory, keyed by a path under the repository (so that
 * `promhttp` resolves as in the repository's tsconfig), with the repository's compiler options.
 */
export function typeCheck(files: ReadonlyMap<string, string>): Problem[] {
  const { config } = ts.readConfigFile(join(ROOT, 'tsconfig.json'), (path) => ts.sys.readFile(path));
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT);
  const compilerOptions = { ...options, noUnusedLocals: false, noUnusedParameters: false, noEmit: true };
  const host = ts.createCompilerHost(compilerOptions);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (path, language, ...rest) => {
    const text = files.get(path);
    if (text !== undefined) return ts.createSourceFile(path, text, language);
    // The package's own sources and node_modules' types are parsed once for every check.
    let parsed = parsedFiles.get(path);
    if (parsed === undefined) {
      parsed = getSourceFile(path, language, ...rest);
      if (parsed !== undefined) parsedFiles.set(path, parsed);
    }
    return parsed;
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (path) => files.has(path) || fileExists(path);
  const readFile = host.readFile.bind(host);
  host.readFile = (path) => files.get(path) ?? readFile(path);
  const program = ts.createProgram([...files.keys(), join(ROOT, 'test/fixtures/koa-modules.d.ts')], compilerOptions, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file !== undefined && files.has(d.file.fileName))
    .map((d) => ({ file: d.file!.fileName, codes: [d.code, ...codesOf(d.messageText)], message: ts.flattenDiagnosticMessageText(d.messageText, '\n') }));
}

/** True when `code` does not parse as a TypeScript module. */
export function unparsable(code: string): boolean {
  const { diagnostics = [] } = ts.transpileModule(code, { reportDiagnostics: true, compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } });
  return diagnostics.length > 0;
}
