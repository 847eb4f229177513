import Fastify from 'fastify';
import { fastifyMetrics } from 'promhttp/fastify';

const app = Fastify();
// Registered first, and not encapsulated: its hooks see every route of the app.
await app.register(fastifyMetrics);

app.get('/', async () => 'ok');
app.get<{ Params: { id: string } }>('/users/:id', async (request) => ({ id: request.params.id }));
app.get('/error', async () => {
  throw new Error('boom');
});

const url = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
console.log(`listening on ${url}`);
