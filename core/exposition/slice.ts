/**
 * How long work that may grow with the number of series (rendering, reading and merging other
 * processes' stores) holds the event loop: it checks the clock every `CHUNK` series and yields
 * once it has run `SLICE_MS`, so requests keep flowing during a scrape of any size.
 */

/** Series handled between two checks of the clock; a chunk of this size takes well under a millisecond. */
export const CHUNK = 128;
/** Work time after which the loop is given back. */
export const SLICE_MS = 5;

/**
 * Sliced work waiting to go on. One waiter goes on per turn of the event loop, so that work
 * sliced at the same time (two scrapes, a scrape and a compaction) holds the loop for one slice
 * per turn, not one slice each.
 */
const waiting: Array<() => void> = [];

function resumeNext(): void {
  const next = waiting.shift();
  if (waiting.length > 0) setImmediate(resumeNext);
  next?.();
}

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (waiting.length === 1) setImmediate(resumeNext);
  });
}

export interface Slicer {
  /** True once the current slice has run its time: the caller then awaits `pause()`. */
  overdue(): boolean;
  /** Yields to the event loop and starts a new slice; rejects with the signal's reason once it aborted. */
  pause(): Promise<void>;
}

/**
 * @param signal aborts the work: its next pause rejects instead of going on (a render nobody
 *   waits for any more, whose scrapes timed out, stops there rather than run to its end).
 */
export function createSlicer(signal?: AbortSignal): Slicer {
  let start = performance.now();
  return {
    overdue: () => performance.now() - start > SLICE_MS,
    async pause() {
      await yieldToLoop();
      signal?.throwIfAborted();
      start = performance.now();
    },
  };
}

/**
 * Work written once as a generator that yields at every point where it may stop (between stores,
 * every `CHUNK` series): `runSync` runs it to the end at once (compaction, which must not
 * interleave with itself), `runSliced` gives the loop back between steps whenever a slice is over.
 */
export type Steps<T> = Generator<void, T, void>;

export function runSync<T>(steps: Steps<T>): T {
  let step = steps.next();
  while (step.done !== true) step = steps.next();
  return step.value;
}

export async function runSliced<T>(steps: Steps<T>, slicer: Slicer = createSlicer()): Promise<T> {
  let step = steps.next();
  while (step.done !== true) {
    if (slicer.overdue()) await slicer.pause();
    step = steps.next();
  }
  return step.value;
}
