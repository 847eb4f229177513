// The Google SRE workbook's multi-window burn-rate pairs, for a 30-day objective.

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;

/** The period the workbook's windows are written for; they scale with the objective's period. */
export const WORKBOOK_PERIOD = 30 * DAY;

/**
 * 2 % of the budget gone in 1 h or 5 % in 6 h pages; 10 % in 1 d or in 3 d opens a ticket. The
 * short window ends the alert soon after the burn stops.
 */
export const WORKBOOK: ReadonlyArray<{ severity: 'page' | 'ticket'; long: number; short: number; factor: number; for: number }> = [
  { severity: 'page', long: HOUR, short: 5 * MINUTE, factor: 14.4, for: 2 * MINUTE },
  { severity: 'page', long: 6 * HOUR, short: 30 * MINUTE, factor: 6, for: 15 * MINUTE },
  { severity: 'ticket', long: DAY, short: 2 * HOUR, factor: 3, for: HOUR },
  { severity: 'ticket', long: 3 * DAY, short: 6 * HOUR, factor: 1, for: 3 * HOUR },
];

/** The shortest burn-rate window for an objective over `periodMs`. */
export function shortestWindow(periodMs: number): number {
  return Math.min(...WORKBOOK.map((p) => p.short)) * (periodMs / WORKBOOK_PERIOD);
}

/**
 * A window must hold this many scrapes: `rate()` needs two samples in it, and with four a missed
 * scrape or one landing at the window's edge still leaves two (Grafana's `$__rate_interval` keeps
 * the same floor).
 */
export const SCRAPES_PER_WINDOW = 4;
