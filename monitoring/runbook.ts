import type { ResolvedOps } from './options.js';

/** Each alert and the heading of its runbook section in docs/operations.md. */
export const RUNBOOK_SECTIONS = {
  PromhttpErrorBudgetBurn: 'PromhttpErrorBudgetBurn',
  PromhttpLatencyBudgetBurn: 'PromhttpLatencyBudgetBurn',
  PromhttpTargetDown: 'PromhttpTargetDown',
  PromhttpScrapeSlow: 'PromhttpScrapeSlow',
  PromhttpLabelErrors: 'PromhttpLabelErrors',
  PromhttpValueErrors: 'PromhttpValueErrors',
  PromhttpSeriesOverflow: 'PromhttpSeriesOverflow',
  PromhttpMultiprocessReadErrors: 'PromhttpMultiprocessReadErrors',
  PromhttpMultiprocessWriteErrors: 'PromhttpMultiprocessWriteErrors',
  PromhttpBatchJobNoRecentSuccess: 'PromhttpBatchJobNoRecentSuccess',
  PromhttpBatchJobFailed: 'PromhttpBatchJobFailed',
} as const;

export type AlertName = keyof typeof RUNBOOK_SECTIONS;

/** GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces as dashes. */
export function anchorOf(heading: string): string {
  return heading.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
}

export function runbookUrl(ops: ResolvedOps, alert: AlertName): string {
  return `${ops.runbookUrl}#${anchorOf(RUNBOOK_SECTIONS[alert])}`;
}
