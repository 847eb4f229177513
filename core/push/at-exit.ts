import { constants } from 'node:os';
import { checkKeys, checkObject, describeValue, optionError } from '../errors.js';
import { appHandles, markExitHook } from '../exit-hooks.js';
import type { Pusher, PushMethod } from './method.js';
import { checkMethod } from './method.js';

/** A signal `pushAtExit` can push on. */
export type ExitSignal = 'SIGTERM' | 'SIGINT' | 'SIGHUP';

/** Options of `pushAtExit()`. */
export interface PushAtExitOptions {
  /**
   * `push` replaces the group; `pushAdd` replaces only the metrics pushed.
   * @default "push"
   */
  method?: PushMethod;
  /**
   * Signals to push on. When nothing else in the process listens to the signal, promhttp pushes
   * and then exits with 128 + the signal number (143 for SIGTERM, 130 for SIGINT), as the
   * process would have without a listener. When your app has its own handler, promhttp pushes
   * but leaves exiting to that handler. `false` leaves signals alone.
   * @default ["SIGTERM", "SIGINT"]
   */
  signals?: readonly ExitSignal[] | false;
}

const WHERE = 'pushAtExit';
const SIGNALS: readonly ExitSignal[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

/** Pushes started by a signal, across every gateway, so the process exits once all have landed. */
const pending = new Set<Promise<void>>();
let exitScheduled = false;

function exitWhenPushed(code: number): void {
  if (exitScheduled) return;
  exitScheduled = true;
  // Other gateways' listeners for the same signal run in this same tick; let them add their push.
  setImmediate(() => void Promise.allSettled([...pending]).then(() => process.exit(code)));
}

export function pushAtExit(gateway: Pusher, options: unknown, onError: (error: Error) => void): () => void {
  const o = checkObject(WHERE, options);
  checkKeys(WHERE, o, ['method', 'signals']);
  const method = checkMethod(WHERE, o.method);
  const signals = o.signals ?? ['SIGTERM', 'SIGINT'];
  if (signals !== false && (!Array.isArray(signals) || signals.some((s) => !SIGNALS.includes(s as ExitSignal)))) {
    throw optionError(`${WHERE}: "signals" must be a list of ${SIGNALS.join(', ')}, or false, got ${describeValue(signals)}.`);
  }
  const report = (error: unknown): void => onError(error instanceof Error ? error : new Error(String(error)));

  let finalPushDone = false;
  function pushBeforeExit(): void {
    // The push itself refills the event loop, after which beforeExit fires again: push only once.
    if (finalPushDone) return;
    finalPushDone = true;
    void gateway[method]().catch(report);
  }
  process.on('beforeExit', pushBeforeExit);

  const listeners = new Map<ExitSignal, () => void>();
  for (const signal of signals === false ? [] : (signals as ExitSignal[])) {
    const code = 128 + constants.signals[signal];
    let fired = false;
    const listener = markExitHook(function pushOnSignal() {
      if (appHandles(signal)) {
        // The app decides when to exit; if it lets the event loop drain, beforeExit pushes the final state.
        void gateway[method]().catch(report);
        return;
      }
      if (fired) {
        // A second signal while pushing: the user wants out now.
        process.exit(code);
      }
      fired = true;
      const push = gateway[method]().catch(report);
      pending.add(push);
      exitWhenPushed(code);
    });
    process.on(signal, listener);
    listeners.set(signal, listener);
  }

  return function removePushAtExit() {
    process.off('beforeExit', pushBeforeExit);
    for (const [signal, listener] of listeners) process.off(signal, listener);
  };
}
