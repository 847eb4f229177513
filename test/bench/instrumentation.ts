import { rmSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import promBundle from 'express-prom-bundle';
import { getRequestListener } from '@hono/node-server';
import { Registry } from 'prom-client';
import { expressMetrics } from 'promhttp/express';
import { fastifyMetrics } from 'promhttp/fastify';
import { fetchMetrics } from 'promhttp/fetch';
import { honoMetrics } from 'promhttp/hono';
import { koaMetrics } from 'promhttp/koa';
import { instrument } from 'promhttp/node';
import { InMemoryConnection } from './lib/in-memory.js';
import { emit, partSettings, progress } from './lib/part.js';
import type { InstrumentationResult } from './lib/results.js';
import { scratchDirectory } from './lib/scratch.js';
import { median, round } from './lib/stats.js';
import { expressUsersApp } from './servers/express-app.js';
import { fastifyUsersApp } from './servers/fastify-app.js';
import { fastifyPeer } from './servers/fastify-peer.js';
import { USERS_ROUTES, usersFetch } from './servers/fetch-app.js';
import { honoUsersApp } from './servers/hono-app.js';
import { koaUsersApp } from './servers/koa-app.js';
import { usersApp, usersRoute } from './servers/node-app.js';
import { promClientByHand } from './servers/node-prom-client-app.js';

/**
 * The CPU an instrumented request costs over a bare one, in one process, through the real
 * frameworks: the HTTP part's servers, fed over in-memory connections (Node) or through
 * `app.fetch` (Bun), so that no system call adds its noise. A group's servers take turns batch by
 * batch; the overhead is the median over the rounds of (instrumented − bare) within the round.
 * Default process metrics are off here: they cost per garbage collection, not per request, and
 * would run for every server of the process at once.
 */
const settings = partSettings().instrumentation;
const BATCH = settings.requestsPerBatch;
const directories: string[] = [];

interface Subject {
  label: string;
  role: 'bare' | 'promhttp' | 'peer';
  /** Serves one batch of requests, resolving when every response is complete. */
  serve(paths: readonly string[]): Promise<void>;
  /** How many requests its metrics recorded. */
  recorded?: () => Promise<number>;
}

interface Group {
  id: string;
  title: string;
  subjects: Subject[];
}

async function counted(registry: Registry): Promise<number> {
  const metric = await registry.getSingleMetric('http_requests_total')?.get();
  return metric?.values.reduce((sum, v) => sum + v.value, 0) ?? 0;
}

function overHttp(label: string, role: Subject['role'], listener: RequestListener, registry?: Registry): Subject {
  const connection = new InMemoryConnection(createServer(listener));
  return { label, role, serve: (paths) => connection.send(paths), ...(registry ? { recorded: () => counted(registry) } : {}) };
}

/** A server that already has its request listener (Fastify makes its own). */
function overServer(label: string, role: Subject['role'], server: Server, registry?: Registry): Subject {
  const connection = new InMemoryConnection(server);
  return { label, role, serve: (paths) => connection.send(paths), ...(registry ? { recorded: () => counted(registry) } : {}) };
}

function overFetch(label: string, role: Subject['role'], fetch: (request: Request) => Response | Promise<Response>, registry?: Registry): Subject {
  return {
    label,
    role,
    async serve(paths) {
      await Promise.all(paths.map(async (path) => (await fetch(new Request(`http://127.0.0.1${path}`))).text()));
    },
    ...(registry ? { recorded: () => counted(registry) } : {}),
  };
}

async function nodeGroups(): Promise<Group[]> {
  const single = new Registry();
  const routed = new Registry();
  const shared = new Registry();
  const dir = scratchDirectory();
  directories.push(dir);
  const byHand = new Registry();
  const koa = new Registry();
  const hono = new Registry();
  const honoMiddleware = new Registry();
  const expressRegistry = new Registry();
  const fastifyRegistry = new Registry();
  return [
    {
      id: 'node',
      title: 'node:http',
      subjects: [
        overHttp('bare', 'bare', usersApp),
        overHttp('promhttp/node (path normaliser)', 'promhttp', instrument(usersApp, { registry: single, defaultMetrics: false }), single),
        overHttp('promhttp/node (route function)', 'promhttp', instrument(usersApp, { registry: routed, defaultMetrics: false, route: usersRoute }), routed),
        overHttp('promhttp/node (path normaliser), directory mode', 'promhttp', instrument(usersApp, { registry: shared, defaultMetrics: false, multiprocess: { dir } }), shared),
        overHttp('prom-client by hand', 'peer', promClientByHand(byHand), byHand),
      ],
    },
    {
      id: 'koa',
      title: 'Koa 3 + @koa/router',
      subjects: [
        overHttp('bare', 'bare', koaUsersApp().callback()),
        overHttp('promhttp/koa', 'promhttp', koaUsersApp((app) => app.use(koaMetrics({ registry: koa, defaultMetrics: false }))).callback(), koa),
      ],
    },
    {
      id: 'hono-node',
      title: 'Hono on @hono/node-server',
      subjects: [
        overHttp('bare', 'bare', getRequestListener(honoUsersApp().fetch)),
        overHttp('promhttp/hono, wrap(app)', 'promhttp', getRequestListener(honoMetrics({ registry: hono, defaultMetrics: false }).wrap(honoUsersApp())), hono),
        overHttp('promhttp/hono, app.use() middleware', 'promhttp', getRequestListener(honoUsersApp((app) => app.use(honoMetrics({ registry: honoMiddleware, defaultMetrics: false }))).fetch), honoMiddleware),
      ],
    },
    {
      id: 'express',
      title: 'Express 5',
      subjects: [
        overHttp('bare', 'bare', expressUsersApp()),
        overHttp('promhttp/express', 'promhttp', expressUsersApp((app) => app.use(expressMetrics({ registry: expressRegistry, defaultMetrics: false }))), expressRegistry),
        // Its own registry: the global one is prom-client's, shared by everything in this process.
        overHttp('express-prom-bundle', 'peer', expressUsersApp((app) => app.use(promBundle({ includeMethod: true, includePath: true, promRegistry: new Registry() })))),
      ],
    },
    {
      id: 'fastify',
      title: 'Fastify 5',
      subjects: [
        overServer('bare', 'bare', (await fastifyUsersApp()).server),
        overServer('promhttp/fastify', 'promhttp', (await fastifyUsersApp((app) => app.register(fastifyMetrics, { registry: fastifyRegistry, defaultMetrics: false }))).server, fastifyRegistry),
        // Its route metrics as they come (a histogram and a summary), process metrics off as for the others.
        overServer('fastify-metrics', 'peer', (await fastifyUsersApp((app) => app.register(fastifyPeer, { endpoint: '/metrics', defaultMetrics: { enabled: false } }))).server),
      ],
    },
  ];
}

function bunGroups(): Group[] {
  const hono = new Registry();
  const honoMiddleware = new Registry();
  const fetchRoutes = new Registry();
  const fetchPaths = new Registry();
  return [
    {
      id: 'fetch-bun',
      title: 'Bun.serve',
      subjects: [
        overFetch('bare', 'bare', usersFetch),
        overFetch('promhttp/fetch (route templates)', 'promhttp', fetchMetrics(usersFetch, { registry: fetchRoutes, defaultMetrics: false, routes: USERS_ROUTES }), fetchRoutes),
        overFetch('promhttp/fetch (path normaliser)', 'promhttp', fetchMetrics(usersFetch, { registry: fetchPaths, defaultMetrics: false }), fetchPaths),
      ],
    },
    {
      id: 'hono-bun',
      title: 'Hono on Bun',
      subjects: [
        overFetch('bare', 'bare', honoUsersApp().fetch),
        overFetch('promhttp/hono, wrap(app)', 'promhttp', honoMetrics({ registry: hono, defaultMetrics: false }).wrap(honoUsersApp()), hono),
        overFetch('promhttp/hono, app.use() middleware', 'promhttp', honoUsersApp((app) => app.use(honoMetrics({ registry: honoMiddleware, defaultMetrics: false }))).fetch, honoMiddleware),
      ],
    },
  ];
}

const runtime: 'node' | 'bun' = 'Bun' in globalThis ? 'bun' : 'node';
const groups = runtime === 'bun' ? bunGroups() : await nodeGroups();
let next = 0;
const batch = (): string[] => Array.from({ length: BATCH }, () => `/users/${1 + ((next++ * 7919) % 10_000)}`);

/**
 * One measurement of a group: its subjects take turns batch by batch, so that the machine's speed,
 * which drifts by tens of percent within a second on a shared host, is the same for all of them.
 * Returns CPU µs per request for each subject.
 */
async function measure(group: Group, batches: number): Promise<number[]> {
  const cpu = group.subjects.map(() => 0);
  for (let i = 0; i < batches; i++) {
    const paths = batch();
    for (let k = 0; k < group.subjects.length; k++) {
      const before = process.cpuUsage();
      await group.subjects[k]!.serve(paths);
      const used = process.cpuUsage(before);
      cpu[k]! += used.user + used.system;
    }
  }
  return cpu.map((us) => us / (batches * BATCH));
}

const samples = new Map<Subject, number[]>();
const served = new Map<Subject, number>();
for (const group of groups) {
  for (const subject of group.subjects) samples.set(subject, []);
  // Untimed, so that every subject is optimised before it is measured.
  await measure(group, settings.batchesPerRun);
}
for (let r = 0; r < settings.rounds; r++) {
  for (const group of groups) {
    const us = await measure(group, settings.batchesPerRun);
    group.subjects.forEach((subject, k) => samples.get(subject)!.push(us[k]!));
  }
  progress(`instrumentation round ${r + 1}/${settings.rounds}: ${[...samples].map(([s, v]) => `${s.label} ${v.at(-1)!.toFixed(2)} µs`).join(', ')}`);
}
for (const subject of samples.keys()) served.set(subject, (settings.rounds + 1) * settings.batchesPerRun * BATCH);

const problems: string[] = [];
const result: InstrumentationResult = {
  settings,
  groups: await Promise.all(
    groups.map(async (group) => {
      const bare = samples.get(group.subjects.find((s) => s.role === 'bare')!)!;
      return {
        id: group.id,
        title: group.title,
        runtime,
        servers: await Promise.all(
          group.subjects.map(async (subject) => {
            const us = samples.get(subject)!;
            const differences = us.map((u, i) => (u - bare[i]!) * 1000);
            if (subject.recorded) {
              const recorded = await subject.recorded();
              if (recorded !== served.get(subject)) problems.push(`${group.title}, ${subject.label}: recorded ${recorded} requests of ${served.get(subject)}`);
            }
            return {
              label: subject.label,
              role: subject.role,
              usPerRequest: round(median(us), 2),
              ...(subject.role === 'bare' ? {} : { overheadNs: round(median(differences), 0), overheadRangeNs: [round(Math.min(...differences), 0), round(Math.max(...differences), 0)] as [number, number] }),
            };
          }),
        ),
      };
    }),
  ),
  problems,
};
for (const dir of directories) rmSync(dir, { recursive: true, force: true });
emit(result);
process.exit(0);
