import type { Arena } from '../../store/types.js';
import { createFamilyBook, grownValues } from '../directory-arena.js';
import type { StoredFamily } from '../meta.js';

/** A family as this worker knows it: `def.labelNames` holds every label, static ones first. */
export type TrackedFamily = StoredFamily;

export interface TrackedSeries {
  readonly family: number;
  /** Every label value, static ones first. */
  readonly values: readonly string[];
  readonly offset: number;
}

/**
 * A worker's arena in IPC mode: values stay in memory and are sent to the primary as a whole, so
 * it remembers what each run of slots means. `shared` makes the registry's own collectors render
 * nothing: the merged collector renders every process at once.
 */
export interface TrackedArena extends Arena {
  readonly families: readonly TrackedFamily[];
  readonly series: readonly TrackedSeries[];
  /** Slots in use; values past it are free space. */
  readonly used: number;
  /** Whether anything was recorded since the last `takeChanged()`, which clears the mark. */
  takeChanged(): boolean;
}

export function createTrackedArena(initialSlots = 4096): TrackedArena {
  let used = 0;
  let changed = false;
  const book = createFamilyBook();
  const { families } = book;
  const series: TrackedSeries[] = [];
  const arena: TrackedArena = {
    v: new Float64Array(initialSlots),
    shared: true,
    families,
    series,
    get used() {
      return used;
    },
    describe: book.describe,
    alloc(def, labelValues, width) {
      if (used + width > arena.v.length) arena.v = grownValues(arena.v, used + width);
      const family = book.familyFor(def, labelValues);
      const offset = used;
      used += width;
      series.push({ family: family.index, values: [...labelValues], offset });
      changed = true;
      return offset;
    },
    touch() {
      changed = true;
    },
    takeChanged() {
      const was = changed;
      changed = false;
      return was;
    },
  };
  return arena;
}
