/**
 * Marks promhttp's own signal listeners. A registered symbol, not a private one, so that copies of
 * promhttp loaded side by side (ESM and CommonJS, two versions) recognise each other's hooks too.
 */
export const EXIT_HOOK: unique symbol = Symbol.for('promhttp.exitHook') as never;

/** Marks `listener` as one of promhttp's exit hooks, which never count as the app handling a signal. */
export function markExitHook<F extends (...args: never[]) => void>(listener: F): F & { readonly [EXIT_HOOK]: true } {
  return Object.assign(listener, { [EXIT_HOOK]: true as const });
}

/** True when something other than promhttp listens to `signal`, so the app, not promhttp, decides when to exit. */
export function appHandles(signal: NodeJS.Signals): boolean {
  return process.listeners(signal).some((listener) => !(EXIT_HOOK in listener));
}
