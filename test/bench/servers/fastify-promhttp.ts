import { fastifyMetrics } from 'promhttp/fastify';
import { fastifyUsersApp } from './fastify-app.js';
import { serveFastify } from './fastify-serve.js';

await serveFastify(await fastifyUsersApp((app) => app.register(fastifyMetrics)));
