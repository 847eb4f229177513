import { fastifyPeer } from './fastify-peer.js';
import { fastifyUsersApp } from './fastify-app.js';
import { serveFastify } from './fastify-serve.js';

// As its README sets it up: its defaults (process metrics, and a histogram and a summary per route).
await serveFastify(await fastifyUsersApp((app) => app.register(fastifyPeer, { endpoint: '/metrics' })));
