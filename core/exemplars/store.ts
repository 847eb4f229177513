import type { Arena, FamilyDef } from '../store/types.js';
import type { ExemplarLabels } from './labels.js';

/**
 * Exemplars live beside the values, not in them: strings have no place in the arena's
 * Float64Array. Each arena that has any keeps them per family, by the slot they belong to (a
 * counter's value, a histogram's bucket), so that a bucket holds one exemplar, the latest, and
 * nothing is kept or looked up for families that never record one.
 */
export interface StoredExemplar {
  readonly labels: ExemplarLabels;
  readonly value: number;
  /** Unix time in milliseconds. */
  readonly timestampMs: number;
  /** Its place in the order of everything recorded in this arena: what a copy for other processes has already sent. */
  readonly seq: number;
}

/** Exemplars by arena slot. */
export type SlotExemplars = ReadonlyMap<number, StoredExemplar>;

export interface ExemplarStore {
  /** Each family that records exemplars, with its exemplars by slot. */
  readonly families: Map<FamilyDef, Map<number, StoredExemplar>>;
  /** The `seq` of the latest exemplar recorded, or of the latest reset that forgot some. */
  seq: number;
  /** How many resets forgot exemplars: a copy written for other processes must then drop them too. */
  cleared: number;
}

const stores = new WeakMap<Arena, ExemplarStore>();

/** The arena's exemplars, if any family of it records them. */
export function peekExemplars(arena: Arena): ExemplarStore | undefined {
  return stores.get(arena);
}

/** Keeps an exemplar as the one of its slot, replacing the one it had. */
export type RecordExemplar = (slot: number, labels: ExemplarLabels, value: number, timestampMs: number) => void;

/** Records exemplars of `def`'s family; made once, when the metric is created. */
export function exemplarRecorder(arena: Arena, def: FamilyDef): RecordExemplar {
  let store = stores.get(arena);
  if (store === undefined) stores.set(arena, (store = { families: new Map(), seq: 0, cleared: 0 }));
  let slots = store.families.get(def);
  if (slots === undefined) store.families.set(def, (slots = new Map()));
  const own = store;
  const kept = slots;
  return function recordExemplar(slot, labels, value, timestampMs) {
    kept.set(slot, { labels, value, timestampMs, seq: ++own.seq });
  };
}

/** The exemplars of `def`'s family, for rendering; `undefined` when it records none. */
export function exemplarsOfFamily(arena: Arena, def: FamilyDef): SlotExemplars | undefined {
  const slots = stores.get(arena)?.families.get(def);
  return slots === undefined || slots.size === 0 ? undefined : slots;
}

/** Every exemplar of the arena, by slot (slots are the arena's, so no two families share one). */
export function allExemplars(store: ExemplarStore | undefined): Map<number, StoredExemplar> {
  const all = new Map<number, StoredExemplar>();
  if (store !== undefined) for (const slots of store.families.values()) for (const [slot, e] of slots) all.set(slot, e);
  return all;
}

/** The slot of a classic histogram bucket of the series at `offset` (see `seriesWidth`): the bucket index is the observation's. */
export const bucketSlot = (offset: number, bucket: number): number => offset + 2 + bucket;

/** Forgets the exemplars of `def`'s family (the metric was reset). */
export function clearExemplars(arena: Arena, def: FamilyDef): void {
  const store = stores.get(arena);
  const slots = store?.families.get(def);
  if (store === undefined || slots === undefined || slots.size === 0) return;
  slots.clear();
  store.cleared++;
  store.seq++;
}
