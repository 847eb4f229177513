import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { instrument } from 'promhttp/node';

// The tracing an app already has. Spans go to memory here; a real app sends them to its collector
// (new BatchSpanProcessor(new OTLPTraceExporter())).
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())] });
trace.setGlobalTracerProvider(provider);
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const tracer = trace.getTracer('example');

const routeOf = (url = '/'): string | undefined => {
  const path = url.split('?', 1)[0]!;
  return path === '/' ? '/' : /^\/users\/[^/]+$/.test(path) ? '/users/:id' : undefined;
};

// exemplars: true takes the trace and span id of the span active when the request starts.
const app = instrument(
  (req, res) => {
    if (routeOf(req.url) === undefined) return void res.writeHead(404).end('not found\n');
    res.end('ok');
  },
  { route: (req) => routeOf(req.url), exemplars: true },
);

// One span per request, active while promhttp sees the request start, as
// @opentelemetry/instrumentation-http makes it. The traceresponse header tells the client its trace.
const server = createServer((req, res) => {
  tracer.startActiveSpan(`${req.method} ${routeOf(req.url) ?? 'unmatched'}`, (span) => {
    const { traceId, spanId } = span.spanContext();
    res.setHeader('traceresponse', `00-${traceId}-${spanId}-01`);
    res.once('close', () => span.end());
    app(req, res);
  });
});
server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
