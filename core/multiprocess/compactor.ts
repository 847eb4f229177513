import type { Steps } from '../exposition/slice.js';
import { runSliced, runSync } from '../exposition/slice.js';
import type { CompactResult } from './compact.js';
import { ArchiveWriteError, compact, compactSteps } from './compact.js';
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

export interface CompactorOptions {
  readonly dir: string;
  readonly by: string;
  /** No compaction while true: the store is closed, or its writes fail (an archive would not get written either). */
  paused(): boolean;
  /** A compaction failed for another reason than writing its archive. */
  warn(error: unknown): void;
  /** The archive could not be written: a failed write of the store. */
  failed(error: unknown): void;
}

export function createCompactor(options: CompactorOptions): Compactor {
  const { dir, by } = options;
  const report = (error: unknown): void => (error instanceof ArchiveWriteError ? options.failed(error) : options.warn(error));
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
      report(error);
    }
  }

  return {
    now() {
      finish();
      if (options.paused()) return NOTHING;
      try {
        return compact({ dir, by, cache });
      } catch (error) {
        report(error);
        return NOTHING;
      }
    },
    inBackground() {
      if (options.paused() || running !== undefined) return;
      const steps = compactSteps({ dir, by, cache });
      running = steps;
      runSliced(steps)
        .catch(report)
        .finally(() => {
          if (running === steps) running = undefined;
        });
    },
    finish,
  };
}
