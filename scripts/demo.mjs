// `npm run demo`: runs examples/node-http.ts, sends it some traffic, and shows what promhttp
// exposes and what to ask Prometheus about it. Keeps the app up until Ctrl-C in a terminal; exits
// on its own when stdin is not a terminal or CI is set.
import { spawn } from 'node:child_process';
import { clearTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const interactive = process.stdin.isTTY === true && !process.env.CI;

// Its own process group, so that stopping it also stops the node process tsx starts.
const app = spawn(`${root}node_modules/.bin/tsx`, ['examples/node-http.ts'], {
  cwd: root,
  env: { ...process.env, PORT: '0' },
  stdio: ['ignore', 'pipe', 'pipe'],
  detached: true,
});
let output = '';
app.stdout.on('data', (chunk) => (output += chunk));
app.stderr.on('data', (chunk) => (output += chunk));

function stop() {
  if (app.exitCode !== null || app.signalCode !== null) return;
  try {
    process.kill(-app.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}
process.on('exit', stop);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stop();
    process.exit(0);
  });
}

function listening() {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the example did not start within 30 s:\n${output}`)), 30_000);
    const check = () => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    app.stdout.on('data', check);
    app.once('exit', (code) => reject(new Error(`the example exited (code ${code}):\n${output}`)));
    check();
  });
}

/** A bounded mix: mostly fine, some server errors, some unknown paths. */
async function sendTraffic(url) {
  const paths = [];
  for (let i = 0; i < 300; i++) {
    if (i % 10 === 0) paths.push('/error');
    else if (i % 10 === 1) paths.push(`/no-such-page-${i}`);
    else if (i % 2 === 0) paths.push(`/users/${i}`);
    else paths.push('/');
  }
  const statuses = {};
  const worker = async () => {
    for (let path = paths.shift(); path !== undefined; path = paths.shift()) {
      const response = await fetch(`${url}${path}`);
      await response.arrayBuffer();
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return statuses;
}

/** The exposition once no request is in flight: requests are recorded when their response closes. */
async function settledMetrics(url) {
  for (let attempt = 0; ; attempt++) {
    const text = await (await fetch(`${url}/metrics`)).text();
    if (/^http_requests_in_flight 0$/m.test(text) || attempt === 50) return text;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const QUERIES = [
  ['sum by (route, status_code) (rate(http_requests_total[5m]))', 'requests per second, by route template and status'],
  ['sum(rate(http_requests_total{status_code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))', 'the share of requests that failed with a 5xx'],
  ['histogram_quantile(0.99, sum by (le, route) (rate(http_request_duration_seconds_bucket[5m])))', 'p99 latency per route, in seconds'],
  ['sum(rate(http_request_duration_seconds_sum[5m])) / sum(rate(http_request_duration_seconds_count[5m]))', 'mean latency, in seconds'],
  ['sum(http_requests_in_flight)', 'requests being served right now'],
];

async function main() {
  const url = await listening();
  console.log(`\nexamples/node-http.ts is running at ${url}`);
  const statuses = await sendTraffic(url);
  console.log(`sent 300 requests; answers by status: ${JSON.stringify(statuses)}`);

  const text = await settledMetrics(url);
  const lines = text.split('\n');
  const show = (title, keep) => {
    console.log(`\n${title}`);
    for (const line of lines.filter(keep)) console.log(`  ${line}`);
  };
  console.log(`\nOpen ${url}/metrics to see everything (${lines.length} lines, with the Node.js process metrics).`);
  show('Requests, by route template and status (404s are "unmatched", so odd URLs cannot add series):', (line) => line.startsWith('http_requests_total{'));
  show('Latency of GET /users/:id, a few of its cumulative buckets (in seconds):', (line) =>
    /^http_request_duration_seconds_bucket\{method="GET",route="\/users\/:id",status_code="200",le="(0\.005|0\.05|0\.5|\+Inf)"\}/.test(line),
  );
  show('Requests being served right now:', (line) => line.startsWith('http_requests_in_flight'));

  console.log('\nPoint Prometheus at it and try:\n');
  for (const [query, meaning] of QUERIES) console.log(`  ${query}\n      ${meaning}\n`);

  if (!interactive) {
    console.log('Not a terminal (or CI is set): stopping the example.');
    return;
  }
  console.log(`The example keeps running at ${url}; press Ctrl-C to stop it.`);
  await new Promise(() => {});
}

main().then(
  () => {
    stop();
    process.exit(0);
  },
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    stop();
    process.exit(1);
  },
);
