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

/** The label with the most distinct values among `series`, and how many; `undefined` without labels. */
export function fastestGrowingLabel(labelNames: readonly string[], series: readonly Series[]): { name: string; values: number } | undefined {
  let best: { name: string; values: number } | undefined;
  labelNames.forEach((name, i) => {
    const values = new Set<string>();
    for (const s of series) values.add(s.values[i]!);
    if (best === undefined || values.size > best.values) best = { name, values: values.size };
  });
  return best;
}

/** The one warning a family gives, at its first sample past the limit; run once, so its cost does not matter. */
export function warnOverflow(def: FamilyDef, maxSeries: number, series: readonly Series[]): void {
  const fastest = fastestGrowingLabel(def.labelNames, series);
  const culprit = fastest === undefined ? '' : ` The label "${fastest.name}" has the most distinct values (${fastest.values}).`;
  process.emitWarning(
    `promhttp: the metric "${def.name}" reached its maxSeries, ${maxSeries} label set${maxSeries === 1 ? '' : 's'}: samples of further label sets go to its overflow series, with every label "${OVERFLOW}", and are counted in ${HEALTH_METRICS.seriesOverflow}{metric="${def.name}"}.${culprit} ` +
      'Keep label values bounded (ids and raw client input do not belong in labels), or raise maxSeries if that many label sets are expected.',
  );
}
