import type { Steps } from '../exposition/slice.js';
import { runSliced, runSync } from '../exposition/slice.js';
import type { CompactResult } from './compact.js';
import { compact, compactSteps } from './compact.js';
import { newReadCache } from './read.js';

/** A store's compactions: the timer's, sliced, and explicit ones, never two at once. */
export interface Compactor {
  /** Compacts now, at once (after finishing a run under way). */
  now(): CompactResult;
  /** The timer's run: sliced, so that reading and merging large stores never blocks the app for long. Skipped while one is under way. */
  inBackground(): void;
  /** Finishes a run under way at once: before the store closes, its claims must be settled while it is alive. */
  finish(): void;
}

const NOTHING: CompactResult = { absorbed: 0, removed: 0 };

export function createCompactor(options: { dir: string; by: string; closed(): boolean; warn(error: unknown): void }): Compactor {
  const { dir, by, warn } = options;
  // Parsed logs and archives, kept from run to run; only compactions use it, one at a time.
  const cache = newReadCache();
  let running: Steps<CompactResult> | undefined;

  function finish(): void {
    const steps = running;
    running = undefined;
    if (steps === undefined) return;
    try {
      // The sliced runner then finds the steps done.
      runSync(steps);
    } catch (error) {
      warn(error);
    }
  }

  return {
    now() {
      finish();
      if (options.closed()) return NOTHING;
      try {
        return compact({ dir, by, cache });
      } catch (error) {
        warn(error);
        return NOTHING;
      }
    },
    inBackground() {
      if (options.closed() || running !== undefined) return;
      const steps = compactSteps({ dir, by, cache });
      running = steps;
      runSliced(steps)
        .catch((error: unknown) => warn(error))
        .finally(() => {
          if (running === steps) running = undefined;
        });
    },
    finish,
  };
}
