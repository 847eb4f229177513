import { HOST, PORT, announce } from './listen.js';

interface BunRuntime {
  serve(options: { port: number; hostname: string; fetch: (request: Request) => Response | Promise<Response> }): { port: number };
}

/** Serves a fetch handler with Bun.serve; these servers run on Bun only. */
export function serveFetch(fetch: (request: Request) => Response | Promise<Response>): void {
  const bun = (globalThis as { Bun?: BunRuntime }).Bun;
  if (bun === undefined) throw new Error('the fetch benchmark servers run on Bun');
  announce(bun.serve({ port: PORT, hostname: HOST, fetch }).port);
}
