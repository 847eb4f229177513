import { connect, type Socket } from 'node:net';

/** How a client leaves before the response finished: it closes its side (FIN), or resets the connection (RST). */
export type Leave = 'fin' | 'reset';

function openRequest(port: number, path: string): Socket {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  socket.write(getRequest(path));
  return socket;
}

const closed = (socket: Socket): Promise<void> => new Promise((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve())));

/**
 * Sends `GET path` on a raw connection and leaves once `when` says so: when the promise resolves
 * (the handler has the request), or at the first byte of the response (`'first byte'`, a body
 * under way). Resolves once the FIN is sent, or once the reset connection is closed. A server
 * may leave its side of a half-closed connection open (Koa 2 with a failed body stream): the
 * socket is then dropped a while later.
 */
export async function leaveEarly(port: number, path: string, how: Leave, when: Promise<unknown> | 'first byte'): Promise<void> {
  const socket = openRequest(port, path);
  if (when === 'first byte') await new Promise((resolve) => socket.once('data', resolve));
  else await when;
  if (how === 'reset') {
    socket.resetAndDestroy();
    return closed(socket);
  }
  socket.setTimeout(2_000, () => socket.destroy());
  await new Promise<void>((resolve) => socket.end(() => resolve()));
}

/** Sends a request and reads until the server closes the connection; resolves with what arrived (latin1). */
export async function untilServerCloses(port: number, request: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('error', () => {});
  socket.write(request);
  await closed(socket);
  return received;
}

/** `GET path` as a raw request, for `untilServerCloses`. */
export const getRequest = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
