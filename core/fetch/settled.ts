import { CLIENT_CLOSED } from '../labels.js';

/**
 * For adapters on the fetch API, where the response is out of reach once returned: records
 * `pending` once, with its status when it settles, 500 when it rejects, or 499 the moment the
 * request's `signal` says the client left, even while the handler still runs. `record` gets the
 * response when there is one. The listener costs about a µs on Bun; a response answered within
 * the turn needs none of this and should be recorded directly. A value that is not a promise is
 * recorded as it settles, in a microtask. `aborted` gives the status of an aborted request where
 * the runtime can tell who ended it (a node:http response behind it: `closedStatus`); the signal
 * alone cannot, and stands for the client.
 */
export function untilSettled<R extends { readonly status: number }>(
  signal: AbortSignal,
  pending: R | PromiseLike<R>,
  record: (status: number, response: R | undefined) => void,
  aborted: () => number = () => CLIENT_CLOSED,
): Promise<R> {
  let ended = false;
  const end = (status: number, response: R | undefined): void => {
    if (ended) return;
    ended = true;
    signal.removeEventListener('abort', recordAbort);
    record(status, response);
  };
  const recordAbort = (): void => end(aborted(), undefined);
  signal.addEventListener('abort', recordAbort);
  return Promise.resolve(pending).then(
    (response) => {
      // Anything but a response is answered 500 by the runtime.
      const status = (response as Partial<R> | null | undefined)?.status;
      end(signal.aborted ? aborted() : typeof status === 'number' ? status : 500, response);
      return response;
    },
    (error: unknown) => {
      end(signal.aborted ? aborted() : 500, undefined);
      throw error;
    },
  );
}
