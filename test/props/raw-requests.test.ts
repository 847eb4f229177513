import fc from 'fast-check';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { OTHER_METHOD, OVERFLOW, renderRegistry, UNMATCHED } from 'promhttp';
import { labelOf, parseStrict, type StrictSample } from '../support/exposition-strict.js';
import { request } from '../support/http.js';
import { bytesOf, exchange, rawConnection, type RawConnection, type RawRequest } from './raw-requests.js';
import { PROPERTY_TIMEOUT, runs } from './replay.js';
import { SUBJECTS, type Subject } from './subjects.js';

const METHOD_LABELS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', OTHER_METHOD]);

/** The registry's samples once no request is in flight any more; fails if the gauge stays above 0. */
async function settled(registry: Registry): Promise<StrictSample[]> {
  const deadline = Date.now() + 3_000;
  for (;;) {
    const { samples } = parseStrict(await renderRegistry(registry, 'text'), 'text');
    const inFlight = samples.find((s) => s.name === 'http_requests_in_flight')?.value;
    if (inFlight === 0) return samples;
    if (Date.now() > deadline) throw new Error(`http_requests_in_flight stayed at ${inFlight} after every connection closed`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const sum = (samples: readonly StrictSample[], name: string): number => samples.filter((s) => s.name === name).reduce((total, s) => total + s.value, 0);

async function check(subject: Subject, connections: readonly RawConnection[]): Promise<void> {
  const registry = new Registry();
  const running = await subject.start(registry, new Set());
  const escaped: unknown[] = [];
  const collect = (error: unknown): void => void escaped.push(error);
  process.on('uncaughtException', collect);
  process.on('unhandledRejection', collect);
  try {
    await Promise.all(connections.map((c) => exchange(running.port, bytesOf(c), c.halfClose)));
    // Still serving, whatever came before.
    const alive = await request(`http://127.0.0.1:${running.port}/users/7`);
    expect(alive.status).toBe(200);

    const samples = await settled(registry);
    const allowed = new Set([...subject.routes, ...running.answered, UNMATCHED, OVERFLOW]);
    for (const sample of samples.filter((s) => s.name === 'http_requests_total')) {
      expect(allowed, 'route').toContain(labelOf(sample, 'route'));
      expect(METHOD_LABELS, 'method').toContain(labelOf(sample, 'method'));
      expect(labelOf(sample, 'status_code')).toMatch(/^[1-5]\d\d$/);
    }
    // Each request that reached the adapter recorded once: none lost, none counted twice. (Node
    // refuses a head it cannot parse, and @hono/node-server a target it cannot make a URL of,
    // before either reaches the adapter.)
    const recorded = sum(samples, 'http_requests_total');
    expect(recorded).toBe(running.entered());
    expect(recorded).toBeLessThanOrEqual(connections.reduce((n, c) => n + c.requests.length, 0) + 1);
    expect(sum(samples, 'http_request_duration_seconds_count')).toBe(recorded);
  } finally {
    process.off('uncaughtException', collect);
    process.off('unhandledRejection', collect);
    await running.close();
  }
  expect(escaped).toEqual([]);
}

const get = (target: string): RawRequest => ({ method: 'GET', target, version: 'HTTP/1.1', headers: [], body: '', sized: false });

describe('raw requests, found by the properties below', () => {
  // Node emits no 'close' on a response queued behind another on a pipelined connection when the
  // connection goes first: such requests stayed in flight for good and were never recorded.
  const cases: Array<[string, RawConnection]> = [
    ['a later request on the connection does not parse', { requests: [get('/slow'), get('/users/2'), get('')], halfClose: false }],
    ['the client closes its side once it has sent them', { requests: [get('/slow'), get('/users/2'), get('/users/3')], halfClose: true }],
  ];
  // node:http, and Koa and Hono with route: 'path', labelled a 404 by its path when its connection
  // went before the 404 was sent (recorded as 400 or 499): any path a client chose became a route value.
  const notFound: RawConnection = { requests: [get('/slow'), get('/nope/00000000-0000-1000-8000-000000000000'), get('')], halfClose: false };
  for (const subject of SUBJECTS) {
    for (const [why, connection] of cases) {
      it(`${subject.name}: records pipelined requests whose connection goes before they are answered, when ${why}`, () => check(subject, [connection]));
    }
    it(`${subject.name}: labels a 404 whose connection went before it was sent unmatched, not by its path`, () => check(subject, [notFound]));
  }
});

describe('raw requests, generated', () => {
  for (const subject of SUBJECTS) {
    it(
      `${subject.name}: never throws, keeps answering, leaves nothing in flight, records each request once with a bounded route`,
      async () => {
        await fc.assert(
          fc.asyncProperty(fc.array(rawConnection, { minLength: 1, maxLength: 4 }), (connections) => check(subject, connections)),
          runs(50),
        );
      },
      PROPERTY_TIMEOUT,
    );
  }
});
