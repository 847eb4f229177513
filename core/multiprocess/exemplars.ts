import { closeSync, constants, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { BAD_EXEMPLAR, checkExemplar } from '../exemplars/labels.js';
import type { ExemplarStore, SlotExemplars, StoredExemplar } from '../exemplars/store.js';
import { bucketSlot } from '../exemplars/store.js';
import { bucketIndex } from '../store/family.js';
import type { FamilyDef, Series } from '../store/types.js';
import { seriesWidth } from '../store/types.js';
import { FORMAT } from './damage.js';
import { renderLabels } from '../labels.js';

/**
 * Exemplars across processes. They are strings, so they cannot travel in a store's values: each
 * process writes its own to `proc.<id>/exemplars.jsonl` (directory mode) or sends them with its
 * state (IPC mode), by the slot they belong to, and a scrape finds each slot's series and merges
 * them by series, the latest of each bucket winning. An exemplar is a pointer to one request, not
 * a count: what a process kept and never wrote (it was killed) is simply not shown, and the
 * archives of exited processes keep none.
 */

/** An exemplar as files and messages carry it: [slot, labels, value, unix ms]. */
export type EncodedExemplar = readonly [number, Readonly<Record<string, string>>, number, number];

export const EXEMPLARS_FILE = 'exemplars.jsonl';

/** How often, in ms, a process writes its exemplars when it recorded new ones: other processes' scrapes see them this much late at most. */
export const EXEMPLARS_WRITE_MS = 1_000;

export function encodeExemplars(exemplars: Iterable<[number, StoredExemplar]>, since = 0): EncodedExemplar[] {
  const out: EncodedExemplar[] = [];
  for (const [slot, e] of exemplars) if (e.seq > since) out.push([slot, e.labels, e.value, e.timestampMs]);
  return out;
}

/** Exemplars from another process: anything that is not one is skipped, never trusted. */
export function decodeExemplars(raw: unknown, into = new Map<number, StoredExemplar>()): Map<number, StoredExemplar> {
  if (!Array.isArray(raw)) return into;
  for (const item of raw as unknown[]) {
    if (!Array.isArray(item) || item.length !== 4) continue;
    const [slot, labels, value, timestampMs] = item as unknown[];
    if (!Number.isSafeInteger(slot) || (slot as number) < 0 || typeof value !== 'number' || !Number.isFinite(value) || typeof timestampMs !== 'number' || !Number.isFinite(timestampMs)) continue;
    const checked = checkExemplar(labels);
    if (checked === undefined || checked === BAD_EXEMPLAR) continue;
    into.set(slot as number, { labels: checked, value, timestampMs, seq: 0 });
  }
  return into;
}

/** The file's first line; the lines after it are exemplars, a later one replacing an earlier one of its slot. */
const HEADER = JSON.stringify({ promhttp: FORMAT, exemplars: 'log' });

/** Writes a process's exemplars to its `exemplars.jsonl`. */
export interface ExemplarsWriter {
  /**
   * Writes what `store` recorded since the last write into the store directory `storePath` (the
   * whole file when the directory is not the last write's). Throws as the write does; the next
   * write then writes the whole file.
   */
  write(storePath: string, store: ExemplarStore): void;
}

const encode = (slot: number, e: StoredExemplar): string => JSON.stringify([slot, e.labels, e.value, e.timestampMs]);

/**
 * A process's exemplars file, written as a log: each write appends the
 * exemplars recorded since the last one, so its cost follows what is new, not how many the
 * process keeps (rewriting them all once a second blocked the event loop for tens of milliseconds
 * at tens of thousands of buckets). The file is written whole again, under a work name renamed
 * into place, when it has grown to twice the exemplars kept plus 1,000 lines, and after a reset
 * forgot some: that write costs what it did, once per so many new exemplars.
 */
export function exemplarsWriter(): ExemplarsWriter {
  let path = '';
  let written = 0;
  let lines = 0;
  let cleared = 0;
  function rewrite(store: ExemplarStore, count: number): void {
    const tmp = `${path}.tmp`;
    const parts = [HEADER];
    for (const slots of store.families.values()) for (const [slot, e] of slots) parts.push(encode(slot, e));
    try {
      writeFileSync(tmp, `${parts.join('\n')}\n`);
      renameSync(tmp, path);
    } catch (error) {
      rmSync(tmp, { force: true });
      throw error;
    }
    lines = count;
  }
  return {
    write(storePath, store) {
      const to = join(storePath, EXEMPLARS_FILE);
      if (to !== path) {
        path = to;
        lines = 0;
      }
      let count = 0;
      const fresh: string[] = [];
      for (const slots of store.families.values()) {
        count += slots.size;
        if (lines > 0) for (const [slot, e] of slots) if (e.seq > written) fresh.push(encode(slot, e));
      }
      const seq = store.seq;
      try {
        if (lines === 0 || store.cleared !== cleared || lines + fresh.length > 2 * count + 1_000) rewrite(store, count);
        else if (fresh.length > 0) {
          // Without O_CREAT: a file that is gone is written whole, header first, by the next write.
          const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND);
          try {
            writeSync(fd, `${fresh.join('\n')}\n`);
          } finally {
            closeSync(fd);
          }
          lines += fresh.length;
        }
      } catch (error) {
        lines = 0;
        throw error;
      }
      written = seq;
      cleared = store.cleared;
    },
  };
}

/** A store's exemplars by slot; none when it has not written any, or what it wrote cannot be read (they are pointers, and nothing is counted wrong without them). A line cut short by a write in progress is skipped. */
export function readExemplarsFile(storePath: string): Map<number, StoredExemplar> {
  const out = new Map<number, StoredExemplar>();
  let text: string;
  try {
    text = readFileSync(join(storePath, EXEMPLARS_FILE), 'utf8');
  } catch {
    return out;
  }
  const lines = text.split('\n');
  if (lines[0] !== HEADER) return out;
  const items: unknown[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i] === '') continue;
    try {
      items.push(JSON.parse(lines[i]!));
    } catch {
      // Cut short, or not ours: the lines around it still hold.
    }
  }
  return decodeExemplars(items, out);
}

/** A series of a source (a store, a worker) as the index needs it: where its slots start, and what it is. */
interface SourceSeries {
  readonly offset: number;
  readonly rendered: string;
}

/**
 * The exemplars of several sources, by the series they belong to (family name and label set, as
 * the merge keys series), so that they follow their series into the merged view whatever slot it
 * gets there.
 */
export interface ExemplarIndex {
  /**
   * Adds a source's exemplars; `series` are the source's, in the order of their offsets, and
   * `labels` its registry's default labels, which the merge adds to its series.
   */
  add<S extends SourceSeries>(series: readonly S[], defOf: (series: S) => FamilyDef, exemplars: SlotExemplars, labels?: Readonly<Record<string, string>>): void;
  /**
   * The exemplars of the merged view, by family name and slot of its values: a counter's latest,
   * and a histogram's latest per bucket, the bucket being the one each exemplar's value falls in
   * under the definition shown (a deploy may have changed the buckets).
   */
  merged(families: Iterable<{ readonly def: FamilyDef; readonly series: readonly Series[] }>): Map<string, Map<number, StoredExemplar>>;
}

const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Keys already made, by family name and rendered labels: a series keeps its rendered string from scrape to scrape. */
const keys = new Map<string, Map<string, string>>();
/** Past this many label sets of one family the family's keys are made afresh, so that series gone long ago are not kept. */
const MAX_KEYS = 100_000;

/**
 * A series' key whatever the order of its labels (a merge may reorder them, as another process's
 * definition lists them): its family's name and its labels as sorted `name="value"` pairs. Made
 * once per label set: parsing and sorting every series' labels at each scrape was most of its cost.
 */
function keyOf(name: string, rendered: string): string {
  let family = keys.get(name);
  if (family === undefined) keys.set(name, (family = new Map()));
  let key = family.get(rendered);
  if (key === undefined) {
    if (family.size >= MAX_KEYS) family.clear();
    const pairs = rendered.match(LABEL) ?? [];
    family.set(rendered, (key = `${name}\u0000${pairs.sort().join(',')}`));
  }
  return key;
}

/** A source series' labels as the merge shows them: its registry's default labels first, where its family has no label of that name. */
function withDefaults(def: FamilyDef, rendered: string, labels: Readonly<Record<string, string>> | undefined): string {
  if (labels === undefined) return rendered;
  const names = Object.keys(labels).filter((name) => !def.labelNames.includes(name));
  if (names.length === 0) return rendered;
  const extra = renderLabels(names, names.map((name) => String(labels[name])));
  return rendered === '' ? extra : `${extra},${rendered}`;
}

/** The series whose slots hold `slot`: `series` in the order of their offsets. */
function seriesAt<S extends SourceSeries>(series: readonly S[], slot: number, widthOf: (series: S) => number): S | undefined {
  let lo = 0;
  let hi = series.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const s = series[mid]!;
    if (slot < s.offset) hi = mid - 1;
    else if (slot >= s.offset + widthOf(s)) lo = mid + 1;
    else return s;
  }
  return undefined;
}

export function createExemplarIndex(): ExemplarIndex {
  const bySeries = new Map<string, StoredExemplar[]>();
  /** Families with any exemplar: only their series are keyed at a merge. */
  const named = new Set<string>();
  return {
    add(series, defOf, exemplars, labels) {
      if (exemplars.size === 0) return;
      const width = (s: (typeof series)[number]): number => seriesWidth(defOf(s));
      for (const [slot, e] of exemplars) {
        const s = seriesAt(series, slot, width);
        if (s === undefined) continue;
        const def = defOf(s);
        if (def.type !== 'counter' && def.type !== 'histogram') continue;
        const key = keyOf(def.name, withDefaults(def, s.rendered, labels));
        const list = bySeries.get(key);
        named.add(def.name);
        if (list === undefined) bySeries.set(key, [e]);
        else list.push(e);
      }
    },
    merged(families) {
      const out = new Map<string, Map<number, StoredExemplar>>();
      if (bySeries.size === 0) return out;
      for (const { def, series } of families) {
        if (!named.has(def.name)) continue;
        if (def.type !== 'counter' && def.type !== 'histogram') continue;
        let slots: Map<number, StoredExemplar> | undefined;
        for (const s of series) {
          const found = bySeries.get(keyOf(def.name, s.rendered));
          if (found === undefined) continue;
          slots ??= new Map();
          for (const e of found) {
            const slot = def.type === 'counter' ? s.offset : bucketSlot(s.offset, bucketIndex(def.buckets!, e.value));
            const kept = slots.get(slot);
            if (kept === undefined || e.timestampMs > kept.timestampMs) slots.set(slot, e);
          }
        }
        if (slots !== undefined) out.set(def.name, slots);
      }
      return out;
    },
  };
}
