import type { Arena } from './types.js';

/** A process-local arena: a growable Float64Array and nothing else. */
export function createLocalArena(initialSlots = 4096): Arena {
  let used = 0;
  const arena: Arena = {
    v: new Float64Array(initialSlots),
    shared: false,
    alloc(_family, _labelValues, width) {
      if (used + width > arena.v.length) {
        const grown = new Float64Array(Math.max(arena.v.length * 2, used + width));
        grown.set(arena.v);
        arena.v = grown;
      }
      const offset = used;
      used += width;
      return offset;
    },
    touch() {},
  };
  return arena;
}
