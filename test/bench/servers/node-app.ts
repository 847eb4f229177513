import type { IncomingMessage, ServerResponse } from 'node:http';

const USERS = '/users/';

/**
 * The node:http app every node:http server variant runs: a hand-rolled router, as apps without a
 * framework have, answering `/users/:id` with JSON.
 */
export function usersApp(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '/';
  if (req.method === 'GET' && url.startsWith(USERS) && url.length > USERS.length) {
    const body = JSON.stringify({ id: url.slice(USERS.length) });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('not found');
}

/** The route template the hand-rolled router matched, as an app would report it to its metrics. */
export function usersRoute(req: IncomingMessage): string | undefined {
  const url = req.url ?? '/';
  return url.startsWith(USERS) && url.length > USERS.length ? '/users/:id' : undefined;
}
