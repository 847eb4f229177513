import type { ResolvedOps } from './options.js';

/** Every alert; docs/operations.md has a runbook section headed by each name. */
export const ALERT_NAMES = [
  'PromhttpErrorBudgetBurn',
  'PromhttpLatencyBudgetBurn',
  'PromhttpTargetDown',
  'PromhttpScrapeSlow',
  'PromhttpLabelErrors',
  'PromhttpValueErrors',
  'PromhttpSeriesOverflow',
  'PromhttpMultiprocessReadErrors',
  'PromhttpMultiprocessWriteErrors',
  'PromhttpBatchJobNoRecentSuccess',
  'PromhttpBatchJobFailed',
] as const;

export type AlertName = (typeof ALERT_NAMES)[number];

/** The link to the alert's section: a Markdown heading's anchor is its text in lower case. */
export function runbookUrl(ops: ResolvedOps, alert: AlertName): string {
  return `${ops.runbookUrl}#${alert.toLowerCase()}`;
}
