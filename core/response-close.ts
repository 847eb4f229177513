/** The part of a node:http connection `whenClosed` listens to (a `net.Socket` fits it). */
export interface CloseEmitter {
  once(event: 'close', listener: () => void): unknown;
  off(event: 'close', listener: () => void): unknown;
}

/** The part of a node:http response `whenClosed` needs (a `ServerResponse` fits it). */
export interface ClosingResponse {
  readonly socket: unknown;
  readonly req: { readonly socket: CloseEmitter | null };
  on(event: 'close', listener: () => void): unknown;
}

/**
 * Calls `listener` once, with `res` as `this`, when a node:http response closes: after its last
 * byte, or when its connection went first. Use it where you would listen for the response's
 * 'close'. Node emits no 'close' on a response queued behind another on a pipelined connection
 * when the connection goes before the response gets it (the client leaves, a later request on it
 * does not parse, the server destroys it): the connection's own 'close' stands for it then. A response that has its
 * connection, nearly all, costs one listener, as `res.on('close', listener)` does.
 * @example
 * whenClosed(res, function recordRequest() { end(closedStatus(this)); });
 */
export function whenClosed<R extends ClosingResponse>(res: R, listener: (this: R) => void): void {
  const socket = res.req.socket;
  if (res.socket !== null || socket === null) return void res.on('close', listener);
  const waiting = queuedOn(socket);
  let closed = false;
  function settle(): void {
    if (closed) return;
    closed = true;
    waiting.delete(abandoned);
    listener.call(res);
  }
  // Once the response has its connection, the response's own 'close' follows the connection's.
  function abandoned(): void {
    if (res.socket === null) settle();
  }
  res.on('close', settle);
  waiting.add(abandoned);
}

/** The queued responses of each connection, told when it closes. */
const queued = new WeakMap<CloseEmitter, Set<() => void>>();

/**
 * The set of `socket`'s queued responses, with one 'close' listener on the connection for all of
 * them: a client that pipelines many requests would otherwise add one listener each, and Node warns
 * of a leak from the eleventh on.
 */
function queuedOn(socket: CloseEmitter): Set<() => void> {
  let waiting = queued.get(socket);
  if (waiting === undefined) {
    const responses = new Set<() => void>();
    queued.set(socket, responses);
    socket.once('close', () => {
      queued.delete(socket);
      for (const abandoned of responses) abandoned();
    });
    waiting = responses;
  }
  return waiting;
}
