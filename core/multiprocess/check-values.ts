import type { Steps } from '../exposition/slice.js';
import { CHUNK } from '../exposition/slice.js';
import { HEADER_SLOTS, SLOT_DONE, SLOT_HEARTBEAT } from './meta.js';
import type { StoredSeries } from './meta.js';
import { plausibleNative } from '../store/native-merge.js';
import type { FamilyDef } from '../store/types.js';
import { classicWidth } from '../store/types.js';

/**
 * Whether a store's `values.bin` can be what its writer wrote. The writer makes the file long
 * enough for a series before logging the series (directory-arena.ts), so a file shorter than its
 * log describes was cut; the header slots and what no writer can record (a negative count, a NaN
 * counter) tell a file overwritten with other bytes. Values of a file that fails are not read at
 * all: one wrong region makes every other one suspect.
 *
 * Returns why the file cannot be read, or `undefined`; yields every `CHUNK` series.
 */
export function* checkValues(v: Float64Array, series: readonly StoredSeries[], extent: number): Steps<string | undefined> {
  if (v.length < HEADER_SLOTS) return v.length === 0 ? 'is empty (0 bytes)' : 'is truncated: shorter than its header';
  const heartbeat = v[SLOT_HEARTBEAT]!;
  const done = v[SLOT_DONE]!;
  // Every store writes its heartbeat before anything else; the slots after the two it uses are reserved, and always 0.
  if (!(Number.isFinite(heartbeat) && heartbeat > 0) || (done !== 0 && done !== 1) || v[2] !== 0 || v[3] !== 0) return 'is corrupted: its header slots hold values no store writes';
  if (v.length < extent) return `is truncated: ${v.length * 8} bytes, its series need ${extent * 8}`;
  let n = 0;
  for (const { family, offset } of series) {
    if (++n % CHUNK === 0) yield;
    if (!plausible(family.def, v, offset)) return 'is corrupted: it holds values no metric can take (a negative count, NaN in a counter, native buckets out of place)';
  }
  return undefined;
}

/** `!(x >= 0)` is also true for NaN. */
const count = (x: number): boolean => x >= 0;

function plausible(def: FamilyDef, v: Float64Array, o: number): boolean {
  switch (def.type) {
    case 'counter':
      return count(v[o]!);
    case 'gauge':
      // Any value, NaN included, can be set; the slot after it is the time it was.
      return count(v[o + 1]!);
    case 'summary':
      return count(v[o]!) && !Number.isNaN(v[o + 1]!);
    case 'histogram': {
      if (!count(v[o]!) || Number.isNaN(v[o + 1]!)) return false;
      const buckets = def.buckets!.length;
      for (let i = 0; i <= buckets; i++) if (!count(v[o + 2 + i]!)) return false;
      // A native window no store can have (a span past its slots, a schema out of range) is damage too.
      return def.native === undefined || plausibleNative(v, o + classicWidth(def), def.native);
    }
    default:
      return false;
  }
}
