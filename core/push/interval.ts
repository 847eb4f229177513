import { checkKeys, checkObject, describeValue, optionError } from '../errors.js';
import type { Pusher, PushMethod } from './method.js';
import { checkMethod } from './method.js';

/** Options of `pushEvery()`. */
export interface PushEveryOptions {
  /**
   * `push` replaces the group each time; `pushAdd` replaces only the metrics pushed.
   * @default "push"
   */
  method?: PushMethod;
}

/** Periodic pushing, started by `pushEvery()`. */
export interface PushSchedule {
  /** Stops pushing; resolves once a push in progress has finished. */
  stop(): Promise<void>;
}

const WHERE = 'pushEvery';

export function pushEvery(gateway: Pusher, intervalMs: unknown, options: unknown, onError: (error: Error) => void): PushSchedule {
  if (typeof intervalMs !== 'number' || !Number.isInteger(intervalMs) || intervalMs < 100) {
    throw optionError(`${WHERE}: the interval must be a whole number of milliseconds of at least 100, e.g. 15000, got ${describeValue(intervalMs)}.`);
  }
  const o = checkObject(WHERE, options);
  checkKeys(WHERE, o, ['method']);
  const method = checkMethod(WHERE, o.method);
  let running: Promise<void> | undefined;
  let stopped = false;

  function tick(): void {
    // A slow gateway must not pile pushes up: skip a beat while the previous push is still going.
    if (running !== undefined || stopped) return;
    running = gateway[method]()
      .catch((error: unknown) => onError(error instanceof Error ? error : new Error(String(error))))
      .finally(() => (running = undefined));
  }

  const timer = setInterval(tick, intervalMs);
  // Pushing is a side job: the process ends when its real work does.
  timer.unref();
  tick();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
