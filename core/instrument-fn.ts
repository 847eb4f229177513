import { checkKeys, checkObject, optionError } from './errors.js';
import type { Counter } from './metrics/counter.js';

/** Anything that records an observation: a histogram or summary without labels, or a child from `labels()`. */
export interface Observer {
  observe(value: number): void;
}

/** Anything that counts: a counter without labels, or a child from `labels()`. */
export interface Incrementer {
  inc(value?: number): void;
}

/** Anything that goes up and down: a gauge without labels, or a child from `labels()`. */
export interface UpDown {
  inc(value?: number): void;
  dec(value?: number): void;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the wrapped function keeps whatever signature it had
type AnyFunction = (this: any, ...args: any[]) => unknown;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';
}

function checkFunction(where: string, fn: unknown): void {
  if (typeof fn !== 'function') throw optionError(`${where}: the last argument must be the function to wrap, e.g. ${where}(metric, async (job) => { … }).`);
}

/**
 * Runs `fn` and calls `done(error?)` once it has finished: at return for a synchronous function,
 * when the promise settles for an asynchronous one. The result or error is passed on untouched;
 * a thenable comes back as a native promise.
 */
function around<F extends AnyFunction>(fn: F, self: unknown, args: unknown[], done: (failed: boolean, error?: unknown) => void): ReturnType<F> {
  let result: unknown;
  try {
    result = fn.apply(self, args);
  } catch (error) {
    done(true, error);
    throw error;
  }
  if (!isThenable(result)) {
    done(false);
    return result as ReturnType<F>;
  }
  return result.then(
    (value) => {
      done(false);
      return value;
    },
    (error: unknown) => {
      done(true, error);
      throw error;
    },
  ) as ReturnType<F>;
}

/**
 * Wraps a function, sync or async, so that each call's duration in seconds is observed, whether
 * it returns or throws. Same signature, same `this`.
 * @example
 * const handle = timed(messageDuration, async (message: Message) => { … });
 */
export function timed<F extends AnyFunction>(metric: Observer, fn: F): F {
  if (typeof metric?.observe !== 'function') throw optionError('timed: the first argument must be a histogram or summary (or one of its labels() children).');
  checkFunction('timed', fn);
  return function timedCall(this: unknown, ...args: unknown[]) {
    const startedAt = performance.now();
    return around(fn, this, args, () => metric.observe((performance.now() - startedAt) / 1000));
  } as F;
}

/**
 * Wraps a function, sync or async, so that it counts as in progress on a gauge from the call
 * until it returns, throws or its promise settles. Same signature, same `this`.
 * @example
 * const handle = trackInProgress(messagesInProgress, async (message: Message) => { … });
 */
export function trackInProgress<F extends AnyFunction>(metric: UpDown, fn: F): F {
  if (typeof metric?.inc !== 'function' || typeof metric.dec !== 'function') {
    throw optionError('trackInProgress: the first argument must be a gauge (or one of its labels() children).');
  }
  checkFunction('trackInProgress', fn);
  return function inProgressCall(this: unknown, ...args: unknown[]) {
    metric.inc();
    return around(fn, this, args, () => metric.dec());
  } as F;
}

/** Options of `countExceptions()`. */
export interface CountExceptionsOptions<L extends string = string> {
  /**
   * Counts only the errors this returns true for.
   * @default every error
   * @example (error) => !(error instanceof ValidationError)
   */
  filter?: (error: unknown) => boolean;
  /**
   * Labels the count with the error's `name`. The counter must have exactly this one label.
   * @default none: one count for all errors
   * @example "error"
   */
  label?: L;
  /**
   * The error names kept as label values; any other error is labelled `other`, so the label
   * stays bounded. Required with `label`.
   * @default none
   * @example ["TimeoutError", "AbortError"]
   */
  names?: readonly string[];
}

/** The label value for errors whose name is not in `names`. */
export const OTHER_ERROR = 'other';

/**
 * Wraps a function, sync or async, so that each call that throws (or whose promise rejects) is
 * counted. The error still reaches the caller. Same signature, same `this`.
 * @example
 * const send = countExceptions(sendFailures, sendEmail);
 * const fetchUser = countExceptions(fetchErrors, getUser, { label: 'error', names: ['TimeoutError'] });
 */
export function countExceptions<F extends AnyFunction>(metric: Incrementer, fn: F): F;
export function countExceptions<F extends AnyFunction, L extends string>(metric: Counter<L>, fn: F, options: CountExceptionsOptions<NoInfer<L>>): F;
export function countExceptions<F extends AnyFunction>(metric: Incrementer | Counter<string>, fn: F, options?: CountExceptionsOptions): F {
  const where = 'countExceptions';
  if (typeof metric?.inc !== 'function') throw optionError(`${where}: the first argument must be a counter (or one of its labels() children).`);
  checkFunction(where, fn);
  const o = checkObject(where, options);
  checkKeys(where, o, ['filter', 'label', 'names']);
  const filter = o.filter as CountExceptionsOptions['filter'];
  if (filter !== undefined && typeof filter !== 'function') throw optionError(`${where}: "filter" must be a function (error) => boolean.`);
  const label = o.label as string | undefined;
  let count: (error: unknown) => void = () => metric.inc();
  if (label !== undefined) {
    const counter = metric as Counter<string>;
    if (!Array.isArray(counter.labelNames) || counter.labelNames.length !== 1 || counter.labelNames[0] !== label) {
      throw optionError(`${where}: with label "${label}", the counter must have labelNames: ["${label}"] exactly.`);
    }
    const names = o.names as readonly unknown[] | undefined;
    if (!Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== 'string')) {
      throw optionError(`${where}: "names" must list the error names to keep, e.g. ["TimeoutError"]; other errors are labelled "${OTHER_ERROR}".`);
    }
    const known = new Set(names as string[]);
    const children = new Map([...known, OTHER_ERROR].map((name) => [name, counter.labels(name)]));
    count = (error) => {
      const name = (error as { name?: unknown } | null)?.name;
      children.get(typeof name === 'string' && known.has(name) ? name : OTHER_ERROR)!.inc();
    };
  } else if (o.names !== undefined) {
    throw optionError(`${where}: "names" needs "label", the label that carries the error name.`);
  }
  return function countedCall(this: unknown, ...args: unknown[]) {
    return around(fn, this, args, (failed, error) => {
      if (!failed) return;
      try {
        if (filter === undefined || filter(error)) count(error);
      } catch {
        // A throwing filter must not replace the caller's error with its own.
      }
    });
  } as F;
}
