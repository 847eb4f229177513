import type { ServerResponse } from 'node:http';
import { CLIENT_CLOSED } from './labels.js';

/** The part of a node:http response `closedStatus` reads. */
export type ClosedResponse = Pick<ServerResponse, 'writableFinished' | 'statusCode'>;

/**
 * The status to record for a node:http response, read in its 'close' listener: the status sent
 * when the response finished, else 499 (the client went away first).
 */
export function closedStatus(res: ClosedResponse): number {
  return res.writableFinished ? res.statusCode : CLIENT_CLOSED;
}
