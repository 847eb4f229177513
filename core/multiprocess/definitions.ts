import type { MetricObject } from '../exposition/format.js';
import type { Steps } from '../exposition/slice.js';
import { CHUNK } from '../exposition/slice.js';
import type { FamilyMerger, MergedFamily } from './merge.js';
import { mergeNative, nativeFromClassic } from '../store/native-merge.js';
import { classicWidth } from '../store/types.js';

/**
 * When processes disagree on a metric's definition (a rolling restart deployed other buckets,
 * labels or type), the directory keeps every definition apart and the scrape shows one per name:
 * the one of the most recently started process (for a live process rendering, its own: it is the
 * current code). Nothing is deleted, so a rollback shows the older definition's values again.
 *
 * - A histogram with the same labels and other buckets is **rebucketed** into the shown one:
 *   `_count` and `_sum` are added exactly, and each old bucket's count goes into the smallest shown
 *   bucket whose bound is at least the old bound (+Inf into +Inf). That is exact when the new
 *   bounds include the old ones (buckets added), and otherwise keeps every cumulative bucket an
 *   honest lower count. Counts never go down. Native histograms are merged as processes' are (both
 *   brought to the lower schema); where only the shown one has them (a deploy turned them on),
 *   each classic bucket's count goes into the native bucket holding its bound (store/native-merge.ts).
 * - Any other disagreement (another type, other label names, another gauge mode) cannot be merged
 *   honestly: that definition is **hidden** while the disagreement lasts.
 */
export type ConflictAction = 'rebucketed' | 'hidden';

export interface Conflict {
  readonly metric: string;
  readonly action: ConflictAction;
  /** Definitions of the metric (other than the one shown) handled so. */
  readonly count: number;
}

export const CONFLICTS_METRIC = 'promhttp_multiprocess_definition_conflicts';
const HELP =
  'Definitions of a metric that processes disagree on (a deploy changed its buckets, labels or type), besides the one shown, which is the most recently started process\'s: "rebucketed" histograms are added into the shown buckets, "hidden" ones are kept in the directory but not shown while the disagreement lasts.';

/** The gauge that says what the scrape did with disagreeing definitions; `undefined` when none disagree. */
export function conflictsMetric(conflicts: readonly Conflict[]): MetricObject | undefined {
  if (conflicts.length === 0) return undefined;
  return { name: CONFLICTS_METRIC, help: HELP, type: 'gauge', values: conflicts.map((c) => ({ labels: { metric: c.metric, action: c.action }, value: c.count })) };
}

function foldable(shown: MergedFamily, other: MergedFamily): boolean {
  return shown.def.type === 'histogram' && other.def.type === 'histogram' && shown.def.labelNames.join() === other.def.labelNames.join();
}

/** For each of `from`'s buckets, the index of the shown bucket its count goes into (`to.length` is +Inf). */
function bucketMap(from: readonly number[], to: readonly number[]): number[] {
  return from.map((bound) => {
    let j = 0;
    while (j < to.length && to[j]! < bound) j++;
    return j;
  });
}

/** Adds every series of `other` into `shown`, rebucketed; yields every `CHUNK` series. */
function* fold(merger: FamilyMerger, shown: MergedFamily, other: MergedFamily): Steps<void> {
  const to = shown.def.buckets!;
  const from = other.def.buckets!;
  const into = bucketMap(from, to);
  let n = 0;
  for (const s of other.series) {
    if (++n % CHUNK === 0) yield;
    const target = merger.seriesLike(shown, s);
    // Read after seriesLike, which may have grown the values.
    const v = merger.values();
    const a = target.offset;
    const b = s.offset;
    v[a]! += v[b]!;
    v[a + 1]! += v[b + 1]!;
    for (let i = 0; i < from.length; i++) v[a + 2 + into[i]!]! += v[b + 2 + i]!;
    v[a + 2 + to.length]! += v[b + 2 + from.length]!;
    const native = shown.def.native;
    if (native === undefined) continue;
    const at = a + classicWidth(shown.def);
    if (other.def.native !== undefined) mergeNative(v, at, native, v, b + classicWidth(other.def), other.def.native);
    else nativeFromClassic(v, at, native, from, v, b + 2);
  }
}

/**
 * The families to render, one per name, in order of first appearance, with the disagreeing
 * definitions rebucketed into the shown one or left out, and what was done about them.
 * Families without series are left out.
 */
export function* resolveDefinitions(merger: FamilyMerger, plainHidden: ReadonlyMap<string, number> = new Map()): Steps<{ families: MergedFamily[]; conflicts: Conflict[] }> {
  const byName = new Map<string, MergedFamily[]>();
  for (const family of merger.families()) {
    if (family.series.length === 0) continue;
    const same = byName.get(family.def.name);
    if (same === undefined) byName.set(family.def.name, [family]);
    else same.push(family);
  }
  const families: MergedFamily[] = [];
  const conflicts: Conflict[] = [];
  for (const [name, definitions] of byName) {
    // The first of the newest wins a tie, so the choice is the same scrape after scrape.
    const shown = definitions.reduce((best, f) => (f.rank > best.rank ? f : best));
    let rebucketed = 0;
    let hidden = 0;
    for (const other of definitions) {
      if (other === shown) continue;
      if (foldable(shown, other)) {
        yield* fold(merger, shown, other);
        rebucketed++;
      } else hidden++;
    }
    families.push(shown);
    if (rebucketed > 0) conflicts.push({ metric: name, action: 'rebucketed', count: rebucketed });
    if (hidden > 0) conflicts.push({ metric: name, action: 'hidden', count: hidden });
  }
  for (const [name, count] of plainHidden) conflicts.push({ metric: name, action: 'hidden', count });
  return { families, conflicts };
}
