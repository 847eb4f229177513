/** A plain fetch handler serving `/users/:id` as JSON, as a router-less `Bun.serve` app would. */
export function usersFetch(request: Request): Response {
  const url = request.url;
  const start = url.indexOf('/', url.indexOf(':') + 3);
  if (url.startsWith('/users/', start)) return Response.json({ id: url.slice(start + 7) });
  return new Response('not found', { status: 404 });
}

/** The handler's one route, for promhttp to label with. */
export const USERS_ROUTES = ['/users/:id'];
