import { HEALTH_METRICS, JOB_METRICS } from '../../../core/metric-names.js';
import { counterGrowth } from '../counter-growth.js';
import type { ResolvedOps } from '../options.js';
import type { PanelSpec, RowSpec } from './panel.js';
import { RATE_INTERVAL, selectors } from './selectors.js';

/** promhttp's view of itself, Prometheus' view of the targets, and the batch jobs at the Pushgateway. */
export function healthRows(ops: ResolvedOps): RowSpec[] {
  const s = selectors(ops);
  const counted = (title: string, description: string, metric: string, by: string, legend: string): PanelSpec => ({
    title,
    description,
    unit: 'short',
    width: 8,
    // What the alerts count, so a first mistake (a series born at 1) shows where its alert sends
    // you; series standing still show 0 rather than no data.
    queries: [{ expr: `${counterGrowth(`${metric}${s.target}`, RATE_INTERVAL, by)} or sum by (${by}) (0 * ${metric}${s.target})`, legend }],
  });
  const job = JOB_METRICS;
  return [
    {
      title: "promhttp's own health",
      panels: [
        counted('Label errors', 'Samples recorded with the label value __invalid__: labels that did not match, or a label function that threw.', HEALTH_METRICS.labelErrors, 'job, instance, metric', '{{metric}} {{instance}}'),
        counted('Value errors', 'Values dropped because the metric cannot take them (NaN, a negative counter increment).', HEALTH_METRICS.valueErrors, 'job, instance, metric', '{{metric}} {{instance}}'),
        counted('Series overflow', 'Samples that went to the overflow series of a metric past its series limit.', HEALTH_METRICS.seriesOverflow, 'job, instance, metric', '{{metric}} {{instance}}'),
        counted('Multi-process read errors', 'Files of the multi-process directory a scrape could not read and skipped.', HEALTH_METRICS.readErrors, 'job, instance', '{{instance}}'),
        counted('Multi-process write errors', 'Failed writes of a process to the multi-process directory.', HEALTH_METRICS.writeErrors, 'job, instance', '{{instance}}'),
        counted('Rejected scrapes', 'Scrapes answered 503 instead of rendered, by reason.', HEALTH_METRICS.scrapeRejected, 'job, instance, reason', '{{reason}} {{instance}}'),
        {
          title: 'Processes in the multi-process directory',
          description: 'Processes with metrics in the directory, live and dead (dead ones are merged into archives).',
          unit: 'short',
          queries: [{ expr: `sum by (job, instance, state) (${HEALTH_METRICS.processes}${s.target})`, legend: '{{state}} {{instance}}' }],
        },
      ],
    },
    {
      title: 'Scrape health',
      panels: [
        { title: 'Targets up', description: '1 when the last scrape of the target succeeded.', unit: 'short', width: 8, queries: [{ expr: `up${s.target}`, legend: '{{instance}}' }] },
        { title: 'Scrape duration', description: 'How long the last scrape took.', unit: 's', width: 8, queries: [{ expr: `scrape_duration_seconds${s.target}`, legend: '{{instance}}' }] },
        { title: 'Samples per scrape', description: 'Samples in the last scrape: the number of series the target exposes.', unit: 'short', width: 8, queries: [{ expr: `scrape_samples_scraped${s.target}`, legend: '{{instance}}' }] },
      ],
    },
    {
      // The job label here is the pushed job's name (the Pushgateway is scraped with honor_labels).
      title: 'Batch jobs',
      panels: [
        { title: 'Time since last success', description: 'Age of the last successful run pushed to the Pushgateway.', unit: 's', queries: [{ expr: `time() - ${job.lastSuccess}`, legend: '{{job}}' }] },
        { title: 'Failed runs', description: 'Failed runs in the last push (with one process per run: 1 when the last run failed).', unit: 'short', queries: [{ expr: job.failures, legend: '{{job}}' }] },
        { title: 'Run duration', description: 'Mean duration of the runs in the last push.', unit: 's', queries: [{ expr: `${job.duration}_sum / ${job.duration}_count`, legend: '{{job}}' }] },
        { title: 'Records processed by the last run', description: 'What the last run reported with ctx.processed().', unit: 'short', queries: [{ expr: job.lastRecords, legend: '{{job}}' }] },
      ],
    },
  ];
}
