import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { instrument } from 'promhttp/node';

// A router in miniature: each route knows its template, which becomes the `route` label.
const routes = [
  { template: '/', pattern: /^\/$/, handle: () => 'ok' },
  { template: '/users/:id', pattern: /^\/users\/([^/]+)$/, handle: (id = '') => JSON.stringify({ id }) },
  { template: '/error', pattern: /^\/error$/, handle: (): string => { throw new Error('boom'); } },
];

function match(req: IncomingMessage) {
  const path = (req.url ?? '/').split('?', 1)[0]!;
  for (const route of routes) {
    const found = route.pattern.exec(path);
    if (found) return { route, param: found[1] };
  }
  return undefined;
}

const app = instrument(
  (req, res) => {
    const found = match(req);
    if (!found) return void res.writeHead(404).end('not found\n');
    try {
      const body = found.route.handle(found.param);
      res.writeHead(200, { 'content-type': body.startsWith('{') ? 'application/json' : 'text/plain' }).end(body);
    } catch (error) {
      console.error(error);
      res.writeHead(500).end('internal server error\n');
    }
  },
  { route: (req) => match(req)?.route.template },
);

const server = createServer(app).listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
