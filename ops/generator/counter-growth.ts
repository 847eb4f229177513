// What promhttp's own error counters gained over a window, for the health alerts and the health
// panels alike. `increase()` alone misses three things these counters do:
// - promhttp creates the label, value and overflow counters on the first mistake, with the value
//   1: the first mistake is the series' first sample, invisible to `increase()`;
// - the multi-process read and write counters exist at 0 from the start: a series appearing is no
//   mistake unless its value is above 0 (every new pod, deploy or restart shows them);
// - a target that Prometheus could not scrape for a while (a network fault, a node drain, a
//   Prometheus restart) comes back with its counters where they were, or above if mistakes were
//   made meanwhile: the gap is no mistake, what the counter gained across it is.

/**
 * How far back a counter's value before the window is looked for. A target away for longer comes
 * back as new: its counters' values count as gained once.
 */
export const LOOK_BACK = '1h';

/**
 * Per `by`, what the counter series `series` gained within `window`, keeping only the series that
 * gained something:
 * - growth inside the window, restarts of the process included (`increase`);
 * - growth since its last value before the window, across a gap in the scrapes;
 * - the whole value of a series that was not there before the window (new), or stood higher
 *   (its process restarted): all of it was counted since.
 */
export function counterGrowth(series: string, window: string, by: string): string {
  const before = `last_over_time(${series}[${LOOK_BACK}] offset ${window})`;
  return `sum by (${by}) ((increase(${series}[${window}]) > 0) or (${series} - ${before} > 0) or ((${series} unless ${before} <= ${series}) > 0))`;
}
