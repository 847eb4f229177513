import { CLIENT_CLOSED } from './labels.js';

/** The part of a node:http response's connection `closedStatus` reads (a `net.Socket` fits it). */
export interface ClosedSocket {
  readonly errored: Error | null;
  readonly readableEnded: boolean;
}

/** The part of a node:http response `closedStatus` reads (a `ServerResponse` fits it, and node:http2's `Http2ServerResponse`). */
export interface ClosedResponse {
  readonly writableFinished: boolean;
  readonly statusCode: number;
  readonly errored: Error | null;
  readonly socket: ClosedSocket | null;
  /** Its request, whose connection a response queued behind another never got. */
  readonly req?: { readonly socket: ClosedSocket | null } | undefined;
  /** HTTP/2: the response's stream. */
  readonly stream?: ClosedStream;
}

/** The part of an HTTP/2 stream `closedStatus` reads (an `Http2Stream` fits it). */
export interface ClosedStream {
  /** Closed while its response was still being written. */
  readonly aborted: boolean;
  readonly rstCode?: number;
}

/** RST_STREAM's CANCEL: what a client sends to give up a stream, and what Node uses when the connection went. */
const NGHTTP2_CANCEL = 8;

/**
 * The status that decides a response's route label, read at 'close' with the status `closedStatus`
 * gave: a 404 the app set, also when the connection went before it was sent (recorded as 400 or
 * 499); else that status. A path a client chose must not become a label, under `route: 'path'`
 * or the path normaliser, because the client broke its connection.
 */
export function labelStatus(res: ClosedResponse, status: number): number {
  return res.statusCode === 404 ? 404 : status;
}

/** Status recorded for a response the server abandoned: destroyed, errored or timed out before its end. */
export const SERVER_ABANDONED = 500;

/** Socket errors by which the peer or the network ended the connection: the client is gone. */
const CONNECTION_LOST = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EHOSTDOWN']);

/**
 * The status to record for a node:http response, read in its 'close' listener: the status sent
 * when the response finished; else who cut it short, as Node 20 leaves it on the response and its
 * socket at 'close':
 * - the client: the socket failed on its own with a reset or broken connection (`ECONNRESET`,
 *   `EPIPE`, …), or the client sent its FIN (the socket's readable side ended; Node then aborts
 *   the request): 499. A stream piped into the response fails with it (premature close), which
 *   does not make it the server's doing;
 * - Node, for the client's fault: `requestTimeout` expired (`ERR_HTTP_REQUEST_TIMEOUT`, Node answers
 *   408) or the request did not parse (`HPE_*`, Node answers 400): that status;
 * - the server: `res.destroy(err)` or a stream piped into the response that failed (the response is
 *   `errored`, and the socket carries the same error), any other socket error, or a destroy without
 *   an error (`res.destroy()`, a `setTimeout` handler, `server.timeout`, `closeAllConnections()`):
 *   500. Node leaves no sign of a timeout at 'close', and listening for 'timeout' would stop Node
 *   from destroying the socket, so a timed-out response is a 500 like any other the server
 *   abandoned; send 503 or 504 yourself to have them recorded.
 *
 * Over HTTP/2 the response's stream says it: a stream reset before the response ended is the
 * client's with CANCEL (the code clients send, and Node's when the connection went), else the
 * server's (`res.destroy()`, `stream.close(code)`): 499 or 500.
 *
 * A response that ended and was then destroyed with an error is the server's failure too: ending
 * hands the last bytes to the socket, and the destroy drops what was not yet written (Hono's node
 * server answers a failing body stream that way). Only property reads: nothing is allocated.
 */
export function closedStatus(res: ClosedResponse): number {
  // HTTP/2 (node:http2's compatibility API) reports a reset stream's response as finished: the
  // stream tells. CANCEL is the client's (or its connection's); any other code is the server's.
  const stream = res.stream;
  if (stream?.aborted === true) return stream.rstCode === NGHTTP2_CANCEL ? CLIENT_CLOSED : SERVER_ABANDONED;
  const errored = res.errored;
  if (res.writableFinished && !errored) return res.statusCode;
  const socket = res.socket;
  if (socket === null) return queuedStatus(res.req?.socket ?? null, errored);
  const failure = socket.errored as (Error & { code?: unknown }) | null;
  // The response's own error on the socket is the server's (res.destroy(err) passes it down), whatever its code.
  if (failure && failure !== errored) {
    const code = failure.code;
    if (typeof code !== 'string') return SERVER_ABANDONED;
    if (CONNECTION_LOST.has(code)) return CLIENT_CLOSED;
    if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
    return code.startsWith('HPE_') ? 400 : SERVER_ABANDONED;
  }
  return socket.readableEnded ? CLIENT_CLOSED : SERVER_ABANDONED;
}

/**
 * A response queued behind another on a pipelined connection never had the connection: it went
 * with it, and the connection says who ended it. The client: it left (FIN, reset, broken pipe),
 * or a later request of its own failed (did not parse, timed out): 499, the queued request itself
 * was fine. Else the server ended the connection (a response before it destroyed, `server.timeout`,
 * `closeAllConnections()`): 500. A response destroyed by the app before its turn is the server's
 * too.
 */
function queuedStatus(connection: ClosedSocket | null, errored: Error | null): number {
  if (errored) return SERVER_ABANDONED;
  // Without its request's connection (a framework's stand-in object) nothing tells: the client is assumed gone, as before.
  if (connection === null) return CLIENT_CLOSED;
  const code = (connection.errored as (Error & { code?: unknown }) | null)?.code;
  if (typeof code === 'string' && (CONNECTION_LOST.has(code) || code === 'ERR_HTTP_REQUEST_TIMEOUT' || code.startsWith('HPE_'))) return CLIENT_CLOSED;
  if (connection.errored) return SERVER_ABANDONED;
  return connection.readableEnded ? CLIENT_CLOSED : SERVER_ABANDONED;
}
