import { WORKER_LABEL } from '../../../core/metric-names.js';
import type { ResolvedOps } from '../options.js';
import { durationSum, requestRate } from '../promql.js';
import type { RowSpec } from './panel.js';
import { RANGE, RATE_INTERVAL, selectors } from './selectors.js';

/** prom-client's default process metrics, which promhttp registers (`defaultMetrics`). */
export const PROCESS_METRICS = {
  cpu: 'process_cpu_seconds_total',
  memory: 'process_resident_memory_bytes',
  eventLoopLag: 'nodejs_eventloop_lag_seconds',
  gc: 'nodejs_gc_duration_seconds',
} as const;

/** Saturation and the routes that cost the most. */
export function runtimeRows(ops: ResolvedOps): RowSpec[] {
  const { inFlight } = ops.names;
  const route = ops.label.route;
  const s = selectors(ops);
  // In multi-process mode every process keeps its own series under `worker`; alone, it has none.
  const perProcess = `job, instance, ${WORKER_LABEL}`;
  const legend = `{{instance}} {{${WORKER_LABEL}}}`;
  return [
    {
      title: 'Saturation',
      panels: [
        { title: 'Requests in flight', description: 'Requests being served right now (in multi-process mode, all live processes together).', unit: 'short', queries: [{ expr: `sum by (job, instance) (${inFlight}${s.app})`, legend: '{{instance}}' }] },
        {
          title: 'CPU by process',
          description: 'CPU time per second of each process (1 = one core), by worker in multi-process mode.',
          unit: 'percentunit',
          queries: [{ expr: `sum by (${perProcess}) (rate(${PROCESS_METRICS.cpu}${s.target}[${RATE_INTERVAL}]))`, legend }],
        },
        { title: 'Resident memory by process', description: 'Resident set size of each process.', unit: 'bytes', queries: [{ expr: `sum by (${perProcess}) (${PROCESS_METRICS.memory}${s.target})`, legend }] },
        { title: 'Event-loop lag by process', description: 'How late a timer fires in each process: a blocked event loop delays every request.', unit: 's', queries: [{ expr: `max by (${perProcess}) (${PROCESS_METRICS.eventLoopLag}${s.target})`, legend }] },
        {
          title: 'GC time by process',
          description: 'Share of the time each process spends in garbage collection.',
          unit: 'percentunit',
          queries: [{ expr: `sum by (${perProcess}) (rate(${PROCESS_METRICS.gc}_sum${s.target}[${RATE_INTERVAL}]))`, legend }],
        },
      ],
    },
    {
      title: 'Top routes',
      panels: [
        { title: 'Top routes by traffic', description: 'The 10 routes with the most requests over the time range.', unit: 'short', kind: 'table', queries: [{ expr: `topk(10, sum by (${route}) (${requestRate(ops, s.route(), RANGE, 'increase')}))`, legend: `{{${route}}}` }] },
        {
          title: 'Top routes by time spent',
          description: 'The 10 routes whose requests took the most time together over the time range: where the servers spend their time.',
          unit: 's',
          kind: 'table',
          queries: [{ expr: `topk(10, sum by (${route}) (${durationSum(ops, s.route(), RANGE, 'increase')}))`, legend: `{{${route}}}` }],
        },
      ],
    },
  ];
}
