import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^promhttp$/, replacement: here('./core/index.ts') },
      { find: /^promhttp\/adapter$/, replacement: here('./core/adapter/index.ts') },
      { find: /^promhttp\/(node|koa|hono|express|fastify|fetch)$/, replacement: here('./adapters/$1.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Suites start real servers, Prometheus and child processes; on two cores, two at a time is plenty.
    maxWorkers: 2,
  },
});
