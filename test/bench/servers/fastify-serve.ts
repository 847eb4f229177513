import type { FastifyInstance } from 'fastify';
import { HOST, PORT, announce } from './listen.js';

/** Serves a Fastify app on its own server, as the examples' convention asks. */
export async function serveFastify(app: FastifyInstance): Promise<void> {
  await app.listen({ port: PORT, host: HOST });
  announce((app.server.address() as { port: number }).port);
}
