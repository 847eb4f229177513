import type { LabelValues } from './metric.js';

/**
 * Ends a timer: records the seconds since `startTimer()` and returns them. Labels given here are
 * added to those given to `startTimer` (useful for an outcome known only at the end). Only the
 * first call records.
 */
export type EndTimer<L extends string = never> = (labels?: Partial<LabelValues<L>>) => number;

/** Starts a timer whose end hands the elapsed seconds and the merged labels to `record`. */
export function startTimer<L extends string>(
  startLabels: Partial<LabelValues<L>> | undefined,
  record: (labels: Partial<LabelValues<L>> | undefined, seconds: number) => void,
): EndTimer<L> {
  const startedAt = performance.now();
  let seconds = -1;
  return function endTimer(endLabels) {
    if (seconds >= 0) return seconds;
    seconds = (performance.now() - startedAt) / 1000;
    const labels = endLabels === undefined ? startLabels : startLabels === undefined ? endLabels : { ...startLabels, ...endLabels };
    record(labels, seconds);
    return seconds;
  };
}
