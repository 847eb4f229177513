import { OVERFLOW } from '../labels.js';
import { HEALTH_METRICS } from '../metric-names.js';
import type { FamilyDef, Series } from './types.js';

/**
 * The series limit of a family (`maxSeries`): once it holds that many label sets, a sample for a
 * new one goes to one overflow series, whose own label values are all `overflow`. Nothing is
 * dropped, so sums over the family stay exact, and the family's memory stays bounded whatever
 * its labels are fed with. The overflow series is outside the count, so it always has room.
 */

/** What every metric gets unless it says otherwise: the OpenTelemetry SDK's cardinality limit. */
export const DEFAULT_MAX_SERIES = 2000;

const OVERFLOW_LIKE = new RegExp(`^_*${OVERFLOW}$`);

/**
 * A label value as a series keeps it: `overflow`, `_overflow`, `__overflow`… get one more `_`,
 * every other value stays. So no value a label is fed with (a header, a tenant id) is written
 * `overflow`, and that value means only what the limit sent there; distinct values stay distinct.
 */
export function escapeOverflow(value: string): string {
  return OVERFLOW_LIKE.test(value) ? `_${value}` : value;
}

/**
 * The label that grows fastest as the limit is reached: the one with the most distinct values
 * among the most recent label sets (the last tenth, at least 10), ties going to the one with the
 * most distinct values overall. A label with many legitimate values all seen early (routes) is not
 * the one that used the limit up; the one whose new values kept coming (a user id) is.
 * `undefined` without labels.
 */
export function fastestGrowingLabel(
  labelNames: readonly string[],
  series: readonly Series[],
): { name: string; recent: number; of: number; values: number } | undefined {
  const of = Math.min(series.length, Math.max(10, Math.ceil(series.length / 10)));
  const distinct = (i: number, from: number): number => {
    const values = new Set<string>();
    for (let at = from; at < series.length; at++) values.add(series[at]!.values[i]!);
    return values.size;
  };
  let best: { name: string; recent: number; of: number; values: number } | undefined;
  labelNames.forEach((name, i) => {
    const found = { name, recent: distinct(i, series.length - of), of, values: distinct(i, 0) };
    if (best === undefined || found.recent > best.recent || (found.recent === best.recent && found.values > best.values)) best = found;
  });
  return best;
}

/** How the overflow series of `def` is labelled, in words. */
function overflowLabelling(def: FamilyDef): string {
  const keeps = def.overflowKeeps ?? [];
  if (keeps.length === 0) return `with every label "${OVERFLOW}"`;
  const others = def.labelNames.filter((name) => !keeps.includes(name));
  return `with ${others.map((name) => `${name}="${OVERFLOW}"`).join(', ')} and ${keeps.join(' and ')} kept`;
}

/** The one warning a family gives, at its first sample past the limit; run once, so its cost does not matter. */
export function warnOverflow(def: FamilyDef, maxSeries: number, series: readonly Series[]): void {
  const fastest = fastestGrowingLabel(def.labelNames, series);
  const culprit =
    fastest === undefined
      ? ''
      : ` The label "${fastest.name}" grows fastest: ${fastest.recent} distinct values among the last ${fastest.of} label sets (${fastest.values} in all).`;
  process.emitWarning(
    `promhttp: the metric "${def.name}" reached its maxSeries, ${maxSeries} label set${maxSeries === 1 ? '' : 's'}: samples of further label sets go to its overflow series, ${overflowLabelling(def)}, and are counted in ${HEALTH_METRICS.seriesOverflow}{metric="${def.name}"}.${culprit} ` +
      'Keep label values bounded (ids and raw client input do not belong in labels), or raise maxSeries if that many label sets are expected.',
  );
}
