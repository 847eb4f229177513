// PM2 runs the Koa example (examples/koa.ts) in cluster mode, one process per core, the processes
// sharing their metrics through a directory: `pm2 start examples/pm2/ecosystem.config.cjs`.
// Any instance's /metrics then shows the totals of all of them; `pm2 reload koa-example` replaces
// the instances one by one and the totals go on; `pm2 stop` then `pm2 start` is a cold start of
// the whole app, and promhttp starts the directory from zero, as for any restarted target.
module.exports = {
  apps: [
    {
      name: 'koa-example',
      cwd: __dirname,
      // Your app's entry. This one loads examples/koa.ts; PM2 wants JavaScript as the entry.
      script: './start.mjs',
      // Only to run TypeScript sources directly: drop it for a built app.
      node_args: '--import tsx',
      exec_mode: 'cluster',
      instances: process.env.INSTANCES ?? 'max',
      env: {
        PORT: process.env.PORT ?? '3000',
        // Directory mode: one directory per app, writable by it, ideally on a tmpfs.
        PROMETHEUS_MULTIPROC_DIR: process.env.PROMETHEUS_MULTIPROC_DIR ?? '/run/koa-example-metrics',
      },
    },
  ],
};
