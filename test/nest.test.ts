import { afterAll, describe, expect, it } from 'vitest';
import { EXAMPLES, sendTraffic, startExample } from './support/examples.js';
import type { Child } from './support/process.js';
import { find, scrapeSettled } from './support/scrape.js';

const running: Array<Child & { url: string }> = [];
afterAll(async () => {
  await Promise.all(running.map((child) => child.stop()));
});

describe.each(['nest-express', 'nest-fastify'])('NestJS example %s', (name) => {
  it("labels each request with the controller's route template, unmatched and errors included", async () => {
    const child = await startExample(EXAMPLES.find((e) => e.name === name)!);
    running.push(child);
    const sent = await sendTraffic(child.url, 4);

    const samples = await scrapeSettled(child.url);
    const byRoute: Record<string, number> = {};
    for (const s of find(samples, 'http_requests_total')) byRoute[`${s.labels.route} ${s.labels.status_code}`] = (byRoute[`${s.labels.route} ${s.labels.status_code}`] ?? 0) + s.value;
    expect(byRoute).toEqual({ '/ 200': 4, '/users/:id 200': 8, '/error 500': sent.errors, 'unmatched 404': sent.notFound });
  });
});
