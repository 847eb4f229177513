#!/usr/bin/env node
// promhttp-ops: write a Grafana dashboard, recording rules and alerts for your metric names (see
// docs/operations.md). The published package runs the bundled build; a source checkout run
// through a TypeScript loader (tsx, Bun) runs the sources, so the output always matches the code.
import { existsSync } from 'node:fs';

const source = new URL('../ops/generator/cli.ts', import.meta.url);
const built = new URL('../dist/ops/cli.mjs', import.meta.url);

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
    console.error('promhttp-ops: no build found; run `npm run build`, or run this file with tsx.');
    process.exit(1);
  }
  return import(built.href);
}

const { runCli } = await load();
process.exitCode = await runCli(process.argv.slice(2));
