import Fastify, { type FastifyInstance } from 'fastify';

/** Fastify 5 serving `/users/:id`, ready; `instrument` registers the metrics plugin first. */
export async function fastifyUsersApp(instrument?: (app: FastifyInstance) => PromiseLike<unknown>): Promise<FastifyInstance> {
  const app = Fastify();
  await instrument?.(app);
  app.get<{ Params: { id: string } }>('/users/:id', async (request) => ({ id: request.params.id }));
  await app.ready();
  return app;
}
