import { HEALTH_METRICS, JOB_METRICS } from '../../core/metric-names.js';
import { counterGrowth } from './counter-growth.js';
import { formatDuration } from './duration.js';
import type { ResolvedOps } from './options.js';
import { jobMatcher, selector } from './promql.js';
import type { Rule, RuleFile } from './recording-rules.js';
import { groupName } from './recording-rules.js';
import type { AlertName } from './runbook.js';
import { runbookUrl } from './runbook.js';
import { sloRules } from './slo.js';

/** Every label of the alert, `a=1, b=2`, for descriptions whose labels vary (batch jobs' grouping keys). */
const ALL_LABELS = '{{ range $name, $value := $labels }}{{ if ne $name "__name__" }}{{ $name }}={{ $value }} {{ end }}{{ end }}';

function alert(ops: ResolvedOps, name: AlertName, rule: { expr: string; for?: string; severity: 'page' | 'ticket'; summary: string; description: string }): Rule {
  return {
    alert: name,
    expr: rule.expr,
    ...(rule.for ? { for: rule.for } : {}),
    labels: { severity: rule.severity },
    annotations: { summary: rule.summary, description: rule.description, runbook_url: runbookUrl(ops, name) },
  };
}

/** promhttp's own health: mistakes in recording, series past their limit, the multi-process directory. */
function healthAlerts(ops: ResolvedOps): Rule[] {
  const job = selector(jobMatcher(ops));
  const counted = (name: AlertName, metric: string, by: string, summary: string, description: string): Rule =>
    alert(ops, name, { expr: counterGrowth(`${metric}${job}`, '10m', by), severity: 'ticket', summary, description });
  return [
    counted('PromhttpLabelErrors', HEALTH_METRICS.labelErrors, 'job, instance, metric', 'Samples of {{ $labels.metric }} recorded with invalid labels', '{{ $value | humanize }} samples of {{ $labels.metric }} on {{ $labels.job }}/{{ $labels.instance }} had labels that did not match its label names (or a label function that threw) in the last 10 minutes; they were recorded with the value __invalid__.'),
    counted('PromhttpValueErrors', HEALTH_METRICS.valueErrors, 'job, instance, metric', 'Values of {{ $labels.metric }} dropped', '{{ $value | humanize }} values of {{ $labels.metric }} on {{ $labels.job }}/{{ $labels.instance }} were dropped in the last 10 minutes: not finite numbers, or negative counter increments.'),
    counted('PromhttpSeriesOverflow', HEALTH_METRICS.seriesOverflow, 'job, instance, metric', '{{ $labels.metric }} reached its series limit', '{{ $value | humanize }} samples of {{ $labels.metric }} on {{ $labels.job }}/{{ $labels.instance }} went to its overflow series in the last 10 minutes: a label takes more values than the limit allows.'),
    counted('PromhttpMultiprocessReadErrors', HEALTH_METRICS.readErrors, 'job, instance', 'Unreadable files in the multi-process directory', 'Scrapes of {{ $labels.job }}/{{ $labels.instance }} skipped {{ $value | humanize }} files of the multi-process directory they could not read in the last 10 minutes.'),
    counted('PromhttpMultiprocessWriteErrors', HEALTH_METRICS.writeErrors, 'job, instance', 'Processes cannot write to the multi-process directory', '{{ $value | humanize }} writes to the multi-process directory failed on {{ $labels.job }}/{{ $labels.instance }} in the last 10 minutes; the values are kept in memory until a write succeeds.'),
  ];
}

function scrapeAlerts(ops: ResolvedOps): Rule[] {
  const job = selector(jobMatcher(ops));
  return [
    alert(ops, 'PromhttpTargetDown', {
      expr: `up${job} == 0`,
      for: '5m',
      severity: 'ticket',
      summary: 'Prometheus cannot scrape {{ $labels.job }}/{{ $labels.instance }}',
      description: 'The target {{ $labels.instance }} of job {{ $labels.job }} has failed every scrape for 5 minutes: the process is down, or its /metrics does not answer.',
    }),
    alert(ops, 'PromhttpScrapeSlow', {
      expr: `avg_over_time(scrape_duration_seconds${job}[5m]) > ${ops.scrapeSlow}`,
      for: '10m',
      severity: 'ticket',
      summary: 'Scrapes of {{ $labels.job }}/{{ $labels.instance }} are slow',
      description: `Scrapes of {{ $labels.job }}/{{ $labels.instance }} took {{ $value | humanizeDuration }} on average over 5 minutes, more than ${ops.scrapeSlow} s.`,
    }),
  ];
}

function batchAlerts(ops: ResolvedOps): Rule[] {
  const { lastSuccess, lastFailure } = JOB_METRICS;
  const maxAge = formatDuration(ops.batchMaxAgeMs);
  return [
    alert(ops, 'PromhttpBatchJobNoRecentSuccess', {
      expr: `time() - ${lastSuccess} > ${ops.batchMaxAgeMs / 1000}`,
      severity: 'ticket',
      summary: 'Batch job {{ $labels.job }} has not succeeded for more than ' + maxAge,
      description: `The last successful run of ${ALL_LABELS}pushed to the Pushgateway ended {{ $value | humanizeDuration }} ago; it is expected at least every ${maxAge}.`,
    }),
    alert(ops, 'PromhttpBatchJobFailed', {
      // A job that never succeeded has a failure time and no success time.
      expr: `${lastFailure} > ${lastSuccess} or (${lastFailure} unless ${lastSuccess})`,
      severity: 'ticket',
      summary: 'The last run of batch job {{ $labels.job }} failed',
      description: `The last run of ${ALL_LABELS}failed; it pushed its failure time to the Pushgateway after its last success.`,
    }),
  ];
}

/** The alerting rules, with the ratios the burn-rate alerts read recorded in the same group, so the file stands alone. */
export function alertingRules(ops: ResolvedOps): RuleFile {
  return {
    groups: [
      { name: groupName(ops, 'slo'), rules: sloRules(ops) },
      { name: groupName(ops, 'health'), rules: [...scrapeAlerts(ops), ...healthAlerts(ops)] },
      { name: groupName(ops, 'batch'), rules: batchAlerts(ops) },
    ],
  };
}
