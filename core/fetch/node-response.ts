import type { CloseEmitter, ClosingResponse } from '../response-close.js';
import type { ClosedResponse } from '../response-status.js';

/**
 * The node:http response behind a fetch handler's request on @hono/node-server, which passes it
 * in the handler's second argument (`env.outgoing`, Hono's `c.env.outgoing`).
 */
export type NodeResponse = ClosedResponse &
  ClosingResponse & {
    readonly closed: boolean;
    readonly req: { readonly method?: string; readonly socket: CloseEmitter | null };
  };

/** The node:http response in a fetch handler's `env`, where the runtime passes one (@hono/node-server); else `undefined`. */
export function nodeResponseOf(env: unknown): NodeResponse | undefined {
  const outgoing = (env as { outgoing?: Partial<NodeResponse> } | null | undefined)?.outgoing;
  return typeof outgoing?.on === 'function' && typeof outgoing.writableFinished === 'boolean' ? (outgoing as NodeResponse) : undefined;
}
