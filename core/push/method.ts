import { describeValue, optionError } from '../errors.js';

/** How a scheduled or exit push sends: `push` replaces the group, `pushAdd` only the metrics pushed. */
export type PushMethod = 'push' | 'pushAdd';

/** What scheduled and exit pushes need of a gateway: its two ways of pushing. */
export type Pusher = { readonly [M in PushMethod]: () => Promise<void> };

export function checkMethod(where: string, method: unknown): PushMethod {
  if (method === undefined) return 'push';
  if (method !== 'push' && method !== 'pushAdd') throw optionError(`${where}: "method" must be "push" or "pushAdd", got ${describeValue(method)}.`);
  return method;
}
