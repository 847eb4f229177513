import type { Arena, FamilyDef } from '../../store/types.js';

/** A family as this worker knows it: `def.labelNames` holds every label, static ones first. */
export interface TrackedFamily {
  readonly index: number;
  readonly def: FamilyDef;
}

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
  const families: TrackedFamily[] = [];
  const series: TrackedSeries[] = [];
  const familyOf = new Map<FamilyDef, TrackedFamily>();
  const labelNamesOf = new Map<FamilyDef, readonly string[]>();
  const arena: TrackedArena = {
    v: new Float64Array(initialSlots),
    shared: true,
    families,
    series,
    get used() {
      return used;
    },
    describe(def, labelNames) {
      labelNamesOf.set(def, labelNames);
    },
    alloc(def, labelValues, width) {
      if (used + width > arena.v.length) {
        const grown = new Float64Array(Math.max(arena.v.length * 2, used + width));
        grown.set(arena.v);
        arena.v = grown;
      }
      let family = familyOf.get(def);
      if (family === undefined) {
        const names = labelNamesOf.get(def) ?? def.labelNames;
        // Static labels come first in the values; name any the family was not told about.
        const labelNames = names.length === labelValues.length ? names : [...labelValues.slice(def.labelNames.length).map((_, i) => `label_${i}`), ...def.labelNames];
        family = { index: families.length, def: { ...def, labelNames } };
        familyOf.set(def, family);
        families.push(family);
      }
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
