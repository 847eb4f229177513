import type { IncomingMessage, ServerResponse } from 'node:http';
import client, { type Registry } from 'prom-client';
import { usersApp, usersRoute } from './node-app.js';

/**
 * What a careful hand-written integration looks like: the same three metrics and labels as
 * promhttp, route templates from the app's router, recorded on 'close'.
 */
export function promClientByHand(registry: Registry): (req: IncomingMessage, res: ServerResponse) => void {
  const labelNames = ['method', 'route', 'status_code'];
  const registers = [registry];
  const requests = new client.Counter({ name: 'http_requests_total', help: 'Total HTTP requests.', labelNames, registers });
  const duration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'Duration of HTTP requests in seconds.',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
    registers,
  });
  const inFlight = new client.Gauge({ name: 'http_requests_in_flight', help: 'HTTP requests being served.', registers });

  async function serveMetrics(res: ServerResponse): Promise<void> {
    const body = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType });
    res.end(body);
  }

  return function handByHand(req: IncomingMessage, res: ServerResponse) {
    if (req.url === '/metrics') return void serveMetrics(res);
    const end = duration.startTimer();
    inFlight.inc();
    res.once('close', function record() {
      const labels = { method: req.method ?? '', route: usersRoute(req) ?? 'unmatched', status_code: res.statusCode };
      end(labels);
      requests.inc(labels);
      inFlight.dec();
    });
    usersApp(req, res);
  };
}
