import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { expressMetrics } from 'promhttp/express';
import { fastifyMetrics } from 'promhttp/fastify';
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

/** A Nest module with one controller, its decorators applied as the compiler would. */
function usersModule(): object {
  class Users {
    one(): string {
      return 'one';
    }
  }
  const one = Object.getOwnPropertyDescriptor(Users.prototype, 'one')!;
  Get(':id')(Users.prototype, 'one', one);
  Controller('users')(Users);
  class AppModule {}
  Module({ controllers: [Users] })(AppModule);
  return AppModule;
}

describe.each(['express', 'fastify'] as const)('NestJS on %s with a global prefix', (platform) => {
  it("labels Nest's 404s unmatched, inside the prefix and outside it", async () => {
    const registry = new Registry();
    const options = { registry, defaultMetrics: false };
    const app =
      platform === 'express' ? await NestFactory.create(usersModule(), { logger: false }) : await NestFactory.create(usersModule(), new FastifyAdapter(), { logger: false });
    app.setGlobalPrefix('api');
    if (platform === 'express') app.use(expressMetrics(options));
    else await (app as unknown as { register(plugin: unknown, options: object): Promise<unknown> }).register(fastifyMetrics, options);
    await app.listen(0, '127.0.0.1');
    try {
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      for (const [path, status] of [['/api/users/7', 200], ['/api/nope/7', 404], ['/api', 404], ['/nothing', 404]] as const) {
        expect((await fetch(url + path)).status, path).toBe(status);
      }
      const samples = await scrapeSettled(url);
      const byRoute: Record<string, number> = {};
      for (const s of find(samples, 'http_requests_total')) byRoute[`${s.labels.route} ${s.labels.status_code}`] = (byRoute[`${s.labels.route} ${s.labels.status_code}`] ?? 0) + s.value;
      expect(byRoute).toEqual({ '/api/users/:id 200': 1, 'unmatched 404': 3 });
    } finally {
      await app.close();
    }
  });
});
