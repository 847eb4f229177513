import { HEALTH_METRICS } from '../metric-names.js';
import type { Family } from '../store/family.js';
import { createFamily, incCounter } from '../store/family.js';
import type { Arena, FamilyDef } from '../store/types.js';
import type { FileKind, ReadProblem } from './damage.js';
import { FILE_KINDS } from './damage.js';

/**
 * The directory's own failures, as counters every store holds from the start (at 0, so that
 * `increase()` sees the first one) and the merged view sums like any counter: a cluster behind one
 * port is one target, whose counters never go down.
 */
export const READ_ERRORS: FamilyDef = {
  name: HEALTH_METRICS.readErrors,
  help: 'Files of the multi-process directory a scrape skipped, in whole or in part, because it could not read them: truncated, corrupted, written by another version of promhttp, or failing to open. Each scrape counts each such file once; "file" is meta (meta.jsonl), values (values.bin), snapshot (plain.json) or archive.',
  type: 'counter',
  labelNames: ['file'],
};

export const WRITE_ERRORS: FamilyDef = {
  name: HEALTH_METRICS.writeErrors,
  help: "Failed writes of this app's processes to the multi-process directory (disk full, file size limit, the directory or a store's files removed); the values are kept in memory and written again once a write succeeds.",
  type: 'counter',
  labelNames: [],
};

export interface HealthCounters {
  readonly families: readonly Family[];
  /** Counts the files one scrape skipped. */
  read(problems: readonly ReadProblem[]): void;
  /** Counts one failed write. */
  wrote(): void;
}

/** The counters, in `arena`: the store's own (shared through the directory), or a reader's in memory. */
export function createHealthCounters(arena: Arena): HealthCounters {
  const reads = createFamily(arena, READ_ERRORS);
  const offsets = new Map<FileKind, number>(FILE_KINDS.map((kind) => [kind, reads.get([kind]).offset]));
  const writes = createFamily(arena, WRITE_ERRORS);
  const write = writes.get([]).offset;
  return {
    families: [reads, writes],
    read(problems) {
      for (const { file } of problems) incCounter(arena, offsets.get(file)!, 1);
    },
    wrote: () => incCounter(arena, write, 1),
  };
}
