// PM2 runs the Koa example (examples/koa.ts) in cluster mode, one process per core, the processes
// sharing their metrics through a directory: `pm2 start examples/pm2/ecosystem.config.cjs`.
// Any instance's /metrics then shows the totals of all of them; `pm2 reload koa-example` replaces
// the instances one by one and the totals go on; `pm2 stop` then `pm2 start` is a cold start of
// the whole app, and promhttp starts the directory from zero, as for any restarted target.
const { tmpdir } = require('node:os');
const { join } = require('node:path');

// Directory mode: one directory per app, writable by the user PM2 runs it as, ideally on a tmpfs.
// The default, under the system's temporary directory and named after the user, works for any
// user; promhttp creates it. A system service would rather give a directory of its own, e.g.
// PROMETHEUS_MULTIPROC_DIR=/run/koa-example-metrics (systemd's RuntimeDirectory=, or created
// beforehand and owned by that user: /run is writable by root only).
const metricsDir = process.env.PROMETHEUS_MULTIPROC_DIR ?? join(tmpdir(), `koa-example-metrics-${process.getuid?.() ?? 'user'}`);

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
        PROMETHEUS_MULTIPROC_DIR: metricsDir,
      },
    },
  ],
};
