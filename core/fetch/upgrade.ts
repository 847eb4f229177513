/** The status Bun answers a request with once its handler upgraded it to a WebSocket. */
const SWITCHING_PROTOCOLS = 101;

/** Requests whose `server.upgrade(request)` returned true. */
const upgraded = new WeakSet<Request>();
/** Bun servers whose `upgrade` marks the requests it upgrades. */
const watched = new WeakSet<object>();
let lastWatched: object | undefined;
/** Until a first upgrade, no request needs looking up. */
let anyUpgraded = false;
const onBun = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined';

type Upgrade = (this: unknown, request: Request, ...rest: unknown[]) => unknown;

/**
 * Bun hands a fetch handler its server, whose `upgrade(request)` turns the request into a
 * WebSocket; the handler then returns nothing (`if (server.upgrade(req)) return;`) and Bun answers
 * 101, or the request's signal aborts while an async handler still runs. Nothing in what the
 * handler returns tells that apart from a handler that failed, so the server's `upgrade` is
 * wrapped, once per server, as an own property that calls Bun's and remembers the request when it
 * returns true. Anything other than a Bun server is left alone.
 */
export function watchUpgrades(server: unknown): void {
  if (!onBun || server === lastWatched || typeof server !== 'object' || server === null) return;
  const upgrade = (server as { upgrade?: unknown }).upgrade;
  if (typeof upgrade !== 'function' || watched.has(server)) return;
  watched.add(server);
  lastWatched = server;
  const bunUpgrade = upgrade as Upgrade;
  try {
    Object.defineProperty(server, 'upgrade', {
      value: function upgrade(this: unknown, request: Request, ...rest: unknown[]): unknown {
        const done = bunUpgrade.call(this, request, ...rest);
        if (done === true && typeof request === 'object' && request !== null) {
          upgraded.add(request);
          anyUpgraded = true;
        }
        return done;
      },
      writable: true,
      configurable: true,
    });
  } catch {
    // A frozen server keeps its own upgrade; its upgrades are recorded as the handler's result says.
  }
}

/**
 * The status to record for `request`: 101 when Bun upgraded it, since Bun then answers 101 whatever
 * the handler returns after (nothing, which would read as 500, or an empty 200 as Hono's
 * upgradeWebSocket returns) and however the signal ends (it aborts, which would read as 499);
 * otherwise `status`. A process that never upgraded looks nothing up.
 */
export function upgradedStatus(request: Request, status: number): number {
  return anyUpgraded && upgraded.has(request) ? SWITCHING_PROTOCOLS : status;
}
