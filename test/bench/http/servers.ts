/** Where a server runs. */
export type Runtime = 'node' | 'bun';
export type Role = 'bare' | 'promhttp' | 'peer';

export interface ServerSpec {
  /** File name in test/bench/servers, without `.ts`. */
  readonly file: string;
  /** The server's id in results, when one file runs in two set-ups. @default file */
  readonly id?: string;
  /** Run in multi-process directory mode (`PROMETHEUS_MULTIPROC_DIR` set to a fresh directory). */
  readonly multiprocess?: boolean;
  readonly runtime: Runtime;
  readonly role: Role;
  /** What is measured, as the results table names it. */
  readonly label: string;
  /** A source file that must exist for this server to run (an adapter still being written). */
  readonly needs?: string;
  /** Only the server whose targets are judged; further promhttp variants are shown for reference. */
  readonly primary?: boolean;
}

export interface FrameworkSpec {
  readonly id: string;
  readonly title: string;
  /** Minimum throughput ratio (promhttp / bare) the project promises; none for reference rows. */
  readonly targetRatio?: number;
  readonly servers: readonly ServerSpec[];
}

export const FRAMEWORKS: readonly FrameworkSpec[] = [
  {
    id: 'node',
    title: 'node:http',
    targetRatio: 0.95,
    servers: [
      { file: 'node-bare', runtime: 'node', role: 'bare', label: 'bare' },
      { file: 'node-promhttp', runtime: 'node', role: 'promhttp', label: 'promhttp/node (path normaliser)', needs: 'adapters/node.ts', primary: true },
      { file: 'node-promhttp-route', runtime: 'node', role: 'promhttp', label: 'promhttp/node (route function)', needs: 'adapters/node.ts' },
      {
        file: 'node-promhttp',
        id: 'node-promhttp-directory',
        runtime: 'node',
        role: 'promhttp',
        label: 'promhttp/node (path normaliser), multi-process directory mode',
        needs: 'core/multiprocess',
        multiprocess: true,
      },
      { file: 'node-prom-client', runtime: 'node', role: 'peer', label: 'prom-client by hand' },
    ],
  },
  {
    id: 'koa',
    title: 'Koa 3 + @koa/router',
    targetRatio: 0.97,
    servers: [
      { file: 'koa-bare', runtime: 'node', role: 'bare', label: 'bare' },
      { file: 'koa-promhttp', runtime: 'node', role: 'promhttp', label: 'promhttp/koa', needs: 'adapters/koa.ts', primary: true },
      { file: 'koa-api-metrics', runtime: 'node', role: 'peer', label: 'prometheus-api-metrics' },
      { file: 'koa-echo-exporter', runtime: 'node', role: 'peer', label: '@echo-health/koa-prometheus-exporter' },
    ],
  },
  {
    id: 'hono-node',
    title: 'Hono on @hono/node-server',
    targetRatio: 0.97,
    servers: [
      { file: 'hono-bare', runtime: 'node', role: 'bare', label: 'bare' },
      { file: 'hono-promhttp-wrap', runtime: 'node', role: 'promhttp', label: 'promhttp/hono, wrap(app)', needs: 'adapters/hono.ts', primary: true },
      { file: 'hono-promhttp', runtime: 'node', role: 'promhttp', label: 'promhttp/hono, app.use() middleware', needs: 'adapters/hono.ts' },
      { file: 'hono-prometheus', runtime: 'node', role: 'peer', label: '@hono/prometheus' },
    ],
  },
  {
    id: 'hono-bun',
    title: 'Hono on Bun',
    targetRatio: 0.9,
    servers: [
      { file: 'hono-bare', runtime: 'bun', role: 'bare', label: 'bare' },
      { file: 'hono-promhttp-wrap', runtime: 'bun', role: 'promhttp', label: 'promhttp/hono, wrap(app)', needs: 'adapters/hono.ts', primary: true },
      { file: 'hono-promhttp', runtime: 'bun', role: 'promhttp', label: 'promhttp/hono, app.use() middleware', needs: 'adapters/hono.ts' },
      { file: 'hono-prometheus', runtime: 'bun', role: 'peer', label: '@hono/prometheus' },
    ],
  },
  {
    id: 'fetch-bun',
    title: 'Bun.serve',
    targetRatio: 0.9,
    servers: [
      { file: 'fetch-bare', runtime: 'bun', role: 'bare', label: 'bare' },
      { file: 'fetch-promhttp', runtime: 'bun', role: 'promhttp', label: 'promhttp/fetch (route templates)', needs: 'adapters/fetch.ts', primary: true },
    ],
  },
  {
    id: 'express',
    title: 'Express 5',
    targetRatio: 0.97,
    servers: [
      { file: 'express-bare', runtime: 'node', role: 'bare', label: 'bare' },
      { file: 'express-promhttp', runtime: 'node', role: 'promhttp', label: 'promhttp/express', needs: 'adapters/express.ts', primary: true },
      { file: 'express-prom-bundle', runtime: 'node', role: 'peer', label: 'express-prom-bundle' },
    ],
  },
  {
    id: 'fastify',
    title: 'Fastify 5',
    targetRatio: 0.97,
    servers: [
      { file: 'fastify-bare', runtime: 'node', role: 'bare', label: 'bare' },
      { file: 'fastify-promhttp', runtime: 'node', role: 'promhttp', label: 'promhttp/fastify', needs: 'adapters/fastify.ts', primary: true },
      { file: 'fastify-metrics', runtime: 'node', role: 'peer', label: 'fastify-metrics' },
    ],
  },
];
