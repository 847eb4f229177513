import { appInfo, counter, countExceptions, gauge, histogram, startMetricsServer, timed, trackInProgress } from 'promhttp';

const queue = 'emails';
const duration = histogram({ name: 'queue_message_duration_seconds', help: 'Time to handle one message.', labelNames: ['queue'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1] });
const failures = counter({ name: 'queue_message_failures_total', help: 'Messages whose handling failed.', labelNames: ['queue'] });
const inProgress = gauge({ name: 'queue_messages_in_progress', help: 'Messages being handled.', labelNames: ['queue'] });
appInfo();

async function send(message: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, message % 5));
  if (message % 7 === 0) throw new Error(`message ${message} has no recipient`);
}

// Children are looked up once; each call then only touches its own series.
const handle = trackInProgress(inProgress.labels(queue), countExceptions(failures.labels(queue), timed(duration.labels(queue), send)));

const server = await startMetricsServer({ port: Number(process.env.METRICS_PORT ?? 9464) });
console.log(`metrics on ${server.url}`);

// A queue in miniature: a timer delivers 100 messages, then the worker waits for more until stopped.
let next = 1;
const delivery = setInterval(() => {
  if (next > 100) return clearInterval(delivery);
  // A failed message is counted; a real worker would retry it or move it to a dead-letter queue.
  handle(next++).catch(() => {});
}, 5);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    clearInterval(delivery);
    void server.close();
  });
}
