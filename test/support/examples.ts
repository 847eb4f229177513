import { existsSync } from 'node:fs';
import { ensureBuilt } from './build.js';
import { ROOT, startBunApp, startDenoApp, startTsApp, type Child } from './process.js';

/** A runnable app in examples/, following the examples convention (PORT, routes, `listening on` line). */
export interface ExampleApp {
  /** Short name, also usable as a Prometheus job name. */
  readonly name: string;
  readonly file: string;
  /** The adapter the example demonstrates. */
  readonly adapter: string;
  readonly runtime: 'node' | 'bun' | 'deno';
}

export const EXAMPLES: readonly ExampleApp[] = [
  { name: 'node-http', file: 'examples/node-http.ts', adapter: 'adapters/node.ts', runtime: 'node' },
  { name: 'koa', file: 'examples/koa.ts', adapter: 'adapters/koa.ts', runtime: 'node' },
  { name: 'hono-node', file: 'examples/hono-node.ts', adapter: 'adapters/hono.ts', runtime: 'node' },
  { name: 'hono-bun', file: 'examples/hono-bun.ts', adapter: 'adapters/hono.ts', runtime: 'bun' },
  { name: 'express', file: 'examples/express.ts', adapter: 'adapters/express.ts', runtime: 'node' },
  { name: 'fastify', file: 'examples/fastify.ts', adapter: 'adapters/fastify.ts', runtime: 'node' },
  { name: 'nest-express', file: 'examples/nest-express.ts', adapter: 'adapters/express.ts', runtime: 'node' },
  { name: 'nest-fastify', file: 'examples/nest-fastify.ts', adapter: 'adapters/fastify.ts', runtime: 'node' },
  { name: 'bun-serve', file: 'examples/bun-serve.ts', adapter: 'adapters/fetch.ts', runtime: 'bun' },
  { name: 'deno-serve', file: 'examples/deno-serve.ts', adapter: 'adapters/fetch.ts', runtime: 'deno' },
];

/**
 * What the examples need before any starts: Deno runs the built package, and building it takes
 * longer than an example may take to start. Call it from a `beforeAll` with a long timeout.
 */
export async function prepareExamples(): Promise<void> {
  if (EXAMPLES.some((app) => app.runtime === 'deno')) await ensureBuilt();
}

/** Why an example cannot run yet (its adapter or its file is missing), or `undefined` when it can. */
export function missingPart(app: ExampleApp): string | undefined {
  const absent = [app.adapter, app.file].filter((file) => !existsSync(`${ROOT}${file}`));
  if (absent.length === 0) return undefined;
  return `${app.name}: ${absent.join(' and ')} missing; every adapter ships with its example, and this suite covers them all.`;
}

/**
 * Starts an example with PORT=0 under its runtime and resolves once it is listening. A Nest app
 * loads a few hundred modules: about 6 s on a busy 2-core machine, more when every example
 * starts at once, as in the end-to-end test.
 */
export function startExample(app: ExampleApp): Promise<Child & { url: string }> {
  if (app.runtime === 'deno') return startDenoApp(app.file);
  return app.runtime === 'bun' ? startBunApp(app.file) : startTsApp(app.file, {}, 60_000);
}

/** What `sendTraffic` sent, by expected status. */
export interface Traffic {
  total: number;
  ok: number;
  errors: number;
  notFound: number;
}

/**
 * Sends a bounded mix of requests every example serves: `/`, `/users/:id`, `/error` (500) and
 * unknown paths (404). Checks each status, so a broken example fails here and not later.
 */
export async function sendTraffic(url: string, rounds = 10): Promise<Traffic> {
  const traffic: Traffic = { total: 0, ok: 0, errors: 0, notFound: 0 };
  const expect = async (path: string, status: number): Promise<void> => {
    const response = await fetch(`${url}${path}`);
    await response.arrayBuffer();
    if (response.status !== status) throw new Error(`GET ${url}${path} answered ${response.status}, expected ${status}`);
    traffic.total++;
    if (status === 200) traffic.ok++;
    else if (status === 500) traffic.errors++;
    else traffic.notFound++;
  };
  for (let i = 0; i < rounds; i++) {
    await expect('/', 200);
    await expect(`/users/${i}`, 200);
    await expect(`/users/u-${i}?tab=orders`, 200);
    if (i % 3 === 0) await expect('/error', 500);
    if (i % 4 === 0) await expect(`/no/such/page/${i}`, 404);
  }
  return traffic;
}
