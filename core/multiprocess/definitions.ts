import type { MetricObject } from '../exposition/format.js';
import type { Steps } from '../exposition/slice.js';
import { CHUNK } from '../exposition/slice.js';
import type { FamilyDef } from '../store/types.js';
import { definitionKey } from './family-labels.js';
import type { FamilyMerger, MergedFamily } from './merge.js';
import { mergeGauge } from './merge.js';
import { mergeNative, nativeFromClassic } from '../store/native-merge.js';
import { sameNative } from '../store/native.js';
import { classicWidth } from '../store/types.js';

/**
 * When processes disagree on a metric's definition (a rolling restart deployed other buckets,
 * labels or type), the directory keeps every definition apart, and each scrape shows one family
 * per name, with every series of every definition that can be shown in it. Whichever process
 * serves the scrape, it shows the same: the choice depends on the directory alone, so a series
 * never flips between two shapes from one scrape to the next.
 *
 * - The **shown definition** gives the type, help and buckets: the one of the most recently
 *   started process (a tie goes to the greater definition key). Counters, histograms and
 *   summaries come before gauges: a counted metric is never hidden behind a gauge of its name,
 *   so its counts never go down.
 * - Definitions that differ only in their **label names** are *merged*: a family may hold series
 *   with different labels, and a series is the same series when its labels are the same as a set.
 *   (A label order that differs is no difference at all.)
 * - A **histogram** with other buckets is *rebucketed* into the shown one: `_count` and `_sum` are
 *   added exactly, and each old bucket's count goes into the smallest shown bucket whose bound is
 *   at least the old bound (+Inf into +Inf), so each shown bucket counts exactly the observations
 *   of every definition's buckets up to its bound, whichever buckets are shown. A **summary** is
 *   rebucketed into a shown histogram the same way (its observations count in `+Inf`); a
 *   histogram is *merged* into a shown summary by its count and sum. Native histograms are merged
 *   as processes' are (both brought to the lower schema), and a definition that differs only in
 *   its native settings is *rebucketed* so; where only the shown one has them (a deploy turned
 *   them on), each classic bucket's count goes into the native bucket holding its bound
 *   (store/native-merge.ts). A summary's observations count in the shown histogram's `_count`
 *   only, in no native bucket: their values are not known.
 * - What cannot be shown in one family is **hidden** while the disagreement lasts, and kept in
 *   the directory: a gauge beside a counted metric of its name, gauges of another merge mode or
 *   info-ness, and a counter beside a histogram or summary of its name.
 */
export type ConflictAction = 'rebucketed' | 'merged' | 'hidden';

export interface Conflict {
  readonly metric: string;
  readonly action: ConflictAction;
  /** Definitions of the metric (other than the one shown) handled so. */
  readonly count: number;
}

export const CONFLICTS_METRIC = 'promhttp_multiprocess_definition_conflicts';
const HELP =
  'Definitions of a metric that processes disagree on (a deploy changed its buckets, labels or type), besides the one shown (the most recently started process\'s, counted metrics before gauges): "rebucketed" ones are added into the shown buckets, "merged" ones are shown with their own labels or by count and sum, "hidden" ones cannot be shown with it and are kept in the directory while the disagreement lasts.';

/** The gauge that says what the scrape did with disagreeing definitions; `undefined` when none disagree. */
export function conflictsMetric(conflicts: readonly Conflict[]): MetricObject | undefined {
  if (conflicts.length === 0) return undefined;
  return { name: CONFLICTS_METRIC, help: HELP, type: 'gauge', values: conflicts.map((c) => ({ labels: { metric: c.metric, action: c.action }, value: c.count })) };
}

const counted = (def: FamilyDef): boolean => def.type !== 'gauge';
const distribution = (def: FamilyDef): boolean => def.type === 'histogram' || def.type === 'summary';

/** How `other` can be shown in `shown`'s family, or `hidden`. */
function actionFor(shown: FamilyDef, other: FamilyDef): ConflictAction {
  if (distribution(shown) && distribution(other)) {
    if (shown.type === 'summary') return 'merged';
    return other.type === 'summary' || (other.buckets ?? []).join() !== (shown.buckets ?? []).join() || !sameNative(shown.native, other.native) ? 'rebucketed' : 'merged';
  }
  if (shown.type !== other.type) return 'hidden';
  if (shown.type === 'gauge' && (shown.gaugeMode !== other.gaugeMode || shown.info !== other.info)) return 'hidden';
  return 'merged';
}

/** For each of `from`'s buckets, the index of the shown bucket its count goes into (`to.length` is +Inf). */
function bucketMap(from: readonly number[], to: readonly number[]): number[] {
  return from.map((bound) => {
    let j = 0;
    while (j < to.length && to[j]! < bound) j++;
    return j;
  });
}

/** The observations of a histogram or summary series at `o`: [negative observations, sum, count]. */
function totals(def: FamilyDef, v: Float64Array, o: number): [number, number, number] {
  if (def.type === 'summary') return [0, v[o + 1]!, v[o]!];
  let count = 0;
  for (let i = 0; i <= def.buckets!.length; i++) count += v[o + 2 + i]!;
  return [v[o]!, v[o + 1]!, count];
}

/** Adds every series of `other` into `shown`, each into the series with the same labels; yields every `CHUNK` series. */
function* fold(merger: FamilyMerger, shown: MergedFamily, other: MergedFamily): Steps<void> {
  const to = shown.def;
  const from = other.def;
  const into = to.type === 'histogram' && from.type === 'histogram' ? bucketMap(from.buckets!, to.buckets!) : undefined;
  let n = 0;
  for (const s of other.series) {
    if (++n % CHUNK === 0) yield;
    const target = merger.seriesLike(shown, s);
    // Read after seriesLike, which may have grown the values.
    const v = merger.values();
    const a = target.offset;
    const b = s.offset;
    if (shown.mode !== undefined) mergeGauge(v, a, target, shown.mode, v[b]!, v[b + 1]!, s.alive);
    else if (to.type === 'counter') v[a]! += v[b]!;
    else if (into !== undefined) {
      v[a]! += v[b]!;
      v[a + 1]! += v[b + 1]!;
      for (let i = 0; i < into.length; i++) v[a + 2 + into[i]!]! += v[b + 2 + i]!;
      v[a + 2 + to.buckets!.length]! += v[b + 2 + from.buckets!.length]!;
      const native = to.native;
      if (native === undefined) continue;
      const at = a + classicWidth(to);
      if (from.native !== undefined) mergeNative(v, at, native, v, b + classicWidth(from), from.native);
      else nativeFromClassic(v, at, native, from.buckets!, v, b + 2);
    } else {
      const [negative, sum, count] = totals(from, v, b);
      if (to.type === 'summary') {
        v[a]! += count;
        v[a + 1]! += sum;
      } else {
        // A summary has no buckets: its observations are only known to be at most +Inf.
        v[a]! += negative;
        v[a + 1]! += sum;
        v[a + 2 + to.buckets!.length]! += count;
      }
    }
  }
}

/** Whether `a` is shown before `b`: counted before gauges, then the later start, then the greater key. */
function before(a: MergedFamily, b: MergedFamily): boolean {
  if (counted(a.def) !== counted(b.def)) return counted(a.def);
  if (a.rank !== b.rank) return a.rank > b.rank;
  return definitionKey(a.def) > definitionKey(b.def);
}

/**
 * The families to render, one per name, in order of first appearance, with the disagreeing
 * definitions folded into the shown one or left out, and what was done about them.
 * Families without series are left out.
 */
export function* resolveDefinitions(merger: FamilyMerger, plainConflicts: readonly Conflict[] = []): Steps<{ families: MergedFamily[]; conflicts: Conflict[] }> {
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
    const shown = definitions.reduce((best, f) => (before(f, best) ? f : best));
    const counts: Record<ConflictAction, number> = { rebucketed: 0, merged: 0, hidden: 0 };
    for (const other of definitions) {
      if (other === shown) continue;
      const action = actionFor(shown.def, other.def);
      if (action !== 'hidden') yield* fold(merger, shown, other);
      counts[action]++;
    }
    families.push(shown);
    for (const action of ['rebucketed', 'merged', 'hidden'] as const) if (counts[action] > 0) conflicts.push({ metric: name, action, count: counts[action] });
  }
  conflicts.push(...plainConflicts);
  return { families, conflicts };
}
