#!/usr/bin/env node
// promhttp-multiproc: print or clear a multi-process metrics directory (see docs/multiprocess.md).
// The published package runs the compiled CLI; a source checkout run through a TypeScript loader
// (tsx, Bun) runs the sources, so the command always matches the code next to it.
import { existsSync } from 'node:fs';

const source = new URL('../core/multiprocess/cli.ts', import.meta.url);
const built = new URL('../dist/esm/core/multiprocess/cli.js', import.meta.url);

async function load() {
  if (existsSync(source)) {
    try {
      return await import(source.href);
    } catch (error) {
      // Plain Node cannot load .ts files: fall back to the build.
      if (error?.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
    }
  }
  if (!existsSync(built)) {
    console.error('promhttp-multiproc: no build found; run `npm run build`, or run this file with tsx.');
    process.exit(1);
  }
  return import(built.href);
}

const { runCli } = await load();
process.exitCode = await runCli(process.argv.slice(2));
