import type { AddressInfo } from 'node:net';
import express from 'express';
import { expressMetrics } from 'promhttp/express';

const app = express();
// First in line, so it sees every request, including those that fail further down.
app.use(expressMetrics());

app.get('/', (_req, res) => {
  res.send('ok');
});
// A router mounted under a path: the route label is the whole template, /users/:id.
const users = express.Router();
users.get('/:id', (req, res) => {
  res.json({ id: req.params.id });
});
app.use('/users', users);
app.get('/error', () => {
  throw new Error('boom');
});

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
