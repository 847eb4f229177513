import type { Registry } from 'prom-client';
import { HEALTH_METRICS } from '../metric-names.js';
import { staticLabelsOf } from '../metrics/static-labels.js';
import { incCounter } from '../store/family.js';
import { getOrCreateFamily } from '../store/registry.js';

/** Why a scrape was refused before its metrics were rendered. */
export type RejectionReason = 'unauthorized' | 'max_in_flight' | 'timeout';

/**
 * `promhttp_scrape_rejected_total{reason}` in the registry being served. Its series exist from
 * the start at 0, so that the first refusal already shows as an increase.
 */
export function rejectionCounter(registry: Registry, withAuth: boolean): (reason: RejectionReason) => void {
  const family = getOrCreateFamily(
    registry,
    {
      name: HEALTH_METRICS.scrapeRejected,
      help: 'Scrapes refused before rendering: unauthorized (missing or wrong credentials), max_in_flight (too many scrapes at once), timeout (not rendered within the scrape timeout).',
      type: 'counter',
      labelNames: ['reason'],
    },
    staticLabelsOf(registry),
  );
  const reasons: RejectionReason[] = withAuth ? ['unauthorized', 'max_in_flight', 'timeout'] : ['max_in_flight', 'timeout'];
  const offsets = new Map(reasons.map((reason) => [reason, family.get([reason]).offset]));
  return function countRejection(reason) {
    const offset = offsets.get(reason) ?? family.get([reason]).offset;
    incCounter(family.arena, offset, 1);
  };
}
