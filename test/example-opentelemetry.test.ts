// examples/opentelemetry.ts runs with a real @opentelemetry/sdk-trace-base tracer: each request's
// span is active when promhttp sees the request start, and `exemplars: true` must put that span's
// trace and span id on the request's bucket and counter, ahead of the traceparent header.
import { afterEach, describe, expect, it } from 'vitest';
import { exemplarLines, traceparent } from './support/exemplars.js';
import { request } from './support/http.js';
import { startTsApp, type Child } from './support/process.js';

const children: Child[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) await child.stop();
});

/** The trace and span id the example's `traceresponse` header names. */
async function tracedRequest(url: string, headers: Record<string, string> = {}): Promise<{ traceId: string; spanId: string }> {
  const response = await request(url, { headers });
  expect(response.status).toBe(200);
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(response.headers.traceresponse));
  expect(m, `traceresponse: ${response.headers.traceresponse}`).not.toBeNull();
  return { traceId: m![1]!, spanId: m![2]! };
}

describe('examples/opentelemetry.ts', () => {
  it("puts the active span's trace and span id on the request's bucket and counter, ahead of the traceparent header, and keeps the latest", { timeout: 60_000 }, async () => {
    const app = await startTsApp('examples/opentelemetry.ts', {}, 30_000);
    children.push(app);
    // The example has no propagator: the span starts its own trace, whatever the client sent.
    const header = traceparent(0x0e1);
    const first = await tracedRequest(`${app.url}/users/1`, { traceparent: header.header });
    expect(first.traceId).not.toBe(header.traceId);
    const second = await tracedRequest(`${app.url}/users/2`);
    expect(second.traceId).not.toBe(first.traceId);

    const body = (await request(`${app.url}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } })).body.toString();
    const lines = exemplarLines(body).filter((l) => l.labels.route === '/users/:id');
    const counter = lines.filter((l) => l.name === 'http_requests_total');
    expect(counter.map((l) => l.exemplar)).toEqual([{ trace_id: second.traceId, span_id: second.spanId }]);
    const buckets = lines.filter((l) => l.name === 'http_request_duration_seconds_bucket');
    expect(buckets.map((l) => l.exemplar)).toContainEqual({ trace_id: second.traceId, span_id: second.spanId });
    // Both requests were fast: the first one's exemplar was replaced in the same bucket, unless they fell apart.
    for (const b of buckets) expect([first.traceId, second.traceId]).toContain(b.exemplar.trace_id);
    expect(body).not.toContain(header.traceId);
  });
});
