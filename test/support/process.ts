import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from './build.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const TSX = `${ROOT}node_modules/.bin/tsx`;
export const BUN = `${ROOT}node_modules/.bin/bun`;

/**
 * The Deno binary of the `deno` dev dependency. The binary ships in its platform package
 * (@deno/linux-x64-glibc, …); the postinstall of `deno` only links it into place, and npm may not
 * run install scripts. The package's own install API does that link on first use and returns the
 * binary's path, so no Node wrapper (node_modules/.bin/deno may be one) stands between a test and
 * the process it stops.
 */
export function denoBinary(): string {
  const install = createRequire(import.meta.url)('deno/install_api.cjs') as { runInstall(): string };
  return install.runInstall();
}

/**
 * The permissions docs/fetch.md gives a Deno app: serve on loopback, read the environment
 * (PORT, PROMETHEUS_MULTIPROC_DIR) and ask the OS what promhttp and prom-client's default metrics
 * ask (the hostname, memory). No prompts: a missing permission fails the test.
 */
export const DENO_RUN = ['run', '--no-prompt', '--allow-net=127.0.0.1', '--allow-env', '--allow-sys'];

/** A free TCP port on 127.0.0.1 (for programs that cannot listen on port 0 and report it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Child {
  readonly process: ChildProcess;
  /** Everything the child printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the first capture group of the first line matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts a program and collects its output; `stop()` is safe to call more than once. */
export function startChild(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Child {
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    process: child,
    output: () => output,
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const match = pattern.exec(output);
          if (match) {
            cleanup();
            resolve(match[1] ?? match[0]);
            return true;
          }
          return false;
        };
        const onExit = (): void => {
          if (!check()) {
            cleanup();
            reject(new Error(`${command} exited (code ${child.exitCode}) before printing ${pattern}; output:\n${output}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${command} did not print ${pattern} within ${timeoutMs} ms; output:\n${output}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          listeners.delete(listener);
          child.off('exit', onExit);
        };
        const listener = (): void => void check();
        if (check()) return;
        listeners.add(listener);
        child.once('exit', onExit);
      });
    },
    async stop(graceMs = 3_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs a TypeScript file with tsx (Node) and waits for the examples' `listening on http://…` line. */
export async function startTsApp(file: string, env: NodeJS.ProcessEnv = {}, timeoutMs?: number): Promise<Child & { url: string }> {
  const child = startChild(TSX, [file], { env: { PORT: '0', ...env } });
  try {
    const url = await child.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, timeoutMs);
    return Object.assign(child, { url });
  } catch (error) {
    await child.stop();
    throw error;
  }
}

/**
 * Runs a TypeScript file with Deno, as Deno users run promhttp: `promhttp/*` resolves through
 * package.json's exports to the built dist/ (built first if stale), dependencies from node_modules.
 * `permissions` go beyond DENO_RUN's. Waits for the `listening on http://…` line.
 */
export async function startDenoApp(file: string, env: NodeJS.ProcessEnv = {}, permissions: readonly string[] = []): Promise<Child & { url: string }> {
  await ensureBuilt();
  const child = startChild(denoBinary(), [...DENO_RUN, ...permissions, file], { env: { PORT: '0', DENO_NO_UPDATE_CHECK: '1', ...env } });
  try {
    const url = await child.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    return Object.assign(child, { url });
  } catch (error) {
    await child.stop();
    throw error;
  }
}

/** Runs a TypeScript file with Bun and waits for the `listening on http://…` line. */
export async function startBunApp(file: string, env: NodeJS.ProcessEnv = {}): Promise<Child & { url: string }> {
  const child = startChild(BUN, ['run', file], { env: { PORT: '0', ...env } });
  try {
    const url = await child.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    return Object.assign(child, { url });
  } catch (error) {
    await child.stop();
    throw error;
  }
}
