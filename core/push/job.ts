import { Registry } from 'prom-client';
import { checkObject, optionError } from '../errors.js';
import { counter } from '../metrics/counter.js';
import { gauge } from '../metrics/gauge.js';
import { JOB_METRICS } from '../metric-names.js';
import { summary } from '../metrics/summary.js';
import type { PushgatewayOptions } from './pushgateway.js';
import { createPushgateway } from './pushgateway.js';
import { PushgatewayError } from './send.js';

/** Options of `runJob()`: where to push, as for `createPushgateway`. */
export interface RunJobOptions extends Omit<PushgatewayOptions, 'registry' | 'onError'> {
  /**
   * Receives the error of a push that failed after all retries. The run's outcome stands: a job
   * that succeeded still resolves with its result, one that failed still rejects with its error,
   * also when `onError` throws (what it throws becomes a `PushgatewayWarning`).
   * @default one process warning (`PushgatewayWarning`) naming the gateway, the job and the error
   */
  onError?: (error: Error) => void;
  /**
   * Where the job metrics are recorded and what gets pushed. Create your own metrics in
   * `ctx.registry` to push them along.
   * @default a new Registry for each run
   */
  registry?: Registry;
}

/** What the job function receives. */
export interface JobContext {
  /** The registry that is pushed after the run: put the job's own metrics here. */
  readonly registry: Registry;
  /**
   * Adds to the records this run processed, pushed as `job_last_records_processed` and added to
   * `job_records_processed_total`.
   * @param count how many records; 1 when left out
   */
  processed(count?: number): void;
}

/**
 * Runs a batch job, records the conventional batch metrics and pushes them to the Pushgateway,
 * also when the job throws (the error is then rethrown, after the push):
 * - `job_duration_seconds` (summary): one observation per run, whatever its outcome;
 * - `job_last_success_timestamp_seconds`: when a run last succeeded (alert on its age);
 * - `job_last_failure_timestamp_seconds`: when a run last failed;
 * - `job_failures_total` (counter): failed runs;
 * - `job_last_records_processed` and `job_records_processed_total`: what the last run, and the
 *   runs together, reported with `ctx.processed()`.
 *
 * The Pushgateway keeps the last push and adds nothing up, so with a new registry per run (one
 * process per run) the summary and counters describe that run alone; with a long-lived `registry`
 * they accumulate across runs. The push is a push-add (HTTP POST), so a failed run leaves the
 * last success time pushed by an earlier run in place.
 *
 * Resolves with the job's result, also when its metrics could not be pushed: rejecting would make
 * a scheduler run again a job that did its work and may not be idempotent, and the missed push
 * shows in monitoring anyway, as a `job_last_success_timestamp_seconds` that grows old. The push
 * error goes to `onError` (a process warning by default). A job that threw rejects with its own
 * error, after the push.
 * @example
 * await runJob({ gateway: 'http://127.0.0.1:9091', job: 'nightly-export' }, async (ctx) => {
 *   const rows = await exportRows();
 *   ctx.processed(rows.length);
 * });
 */
export function runJob<T>(options: RunJobOptions, fn: (ctx: JobContext) => T | Promise<T>): Promise<Awaited<T>> {
  const o = checkObject('runJob', options);
  if (typeof fn !== 'function') throw optionError('runJob: the second argument must be the job, async (ctx) => { … }.');
  const registry = (o.registry as Registry | undefined) ?? new Registry();
  const gateway = createPushgateway({ ...(o as unknown as PushgatewayOptions), registry });
  const report = (o.onError as ((error: Error) => void) | undefined) ?? ((error: Error) => warnNotPushed(o.job as string, gateway.url, error));
  // The run's outcome stands whatever onError does: what it throws becomes a warning, not the run's result.
  const onError = (error: Error): void => {
    try {
      report(error);
    } catch (thrown) {
      process.emitWarning(`promhttp: runJob: onError of job "${o.job as string}" threw: ${thrown instanceof Error ? thrown.message : String(thrown)}`, { type: 'PushgatewayWarning' });
    }
  };
  const duration = summary({ name: JOB_METRICS.duration, help: 'Duration of the runs of the job, successful or not, in seconds.', registry });
  // Created before the run so that a successful push carries 0 and replaces the 1 of a failed one.
  const failures = counter({ name: JOB_METRICS.failures, help: 'Failed runs of the job.', registry });

  return (async function runPushedJob(): Promise<Awaited<T>> {
    let records = -1;
    const ctx: JobContext = {
      registry,
      processed(count = 1) {
        if (typeof count === 'number' && Number.isFinite(count)) records = Math.max(records, 0) + count;
      },
    };
    const end = duration.startTimer();
    // The timestamps are created on first use: a zero would overwrite the real time at the gateway.
    const stamp = (name: string, help: string): void =>
      gauge({ name, help, registry, mode: 'max' }).setToCurrentTime();
    let result: Awaited<T>;
    try {
      result = await fn(ctx);
    } catch (error) {
      end();
      failures.inc();
      stamp(JOB_METRICS.lastFailure, 'Unix time of the last failed run of the job.');
      recordRecords(registry, records);
      await gateway.pushAdd().catch((pushError: Error) => onError(pushError));
      throw error;
    }
    end();
    stamp(JOB_METRICS.lastSuccess, 'Unix time of the last successful run of the job.');
    recordRecords(registry, records);
    await gateway.pushAdd().catch((pushError: Error) => onError(pushError));
    return result;
  })();
}

// Created only when the run reported something, so that a run that did not count leaves the
// figures of an earlier run in place at the gateway.
function recordRecords(registry: Registry, records: number): void {
  if (records < 0) return;
  gauge({ name: JOB_METRICS.lastRecords, help: 'Records the last run of the job reported as processed.', registry, mode: 'mostrecent' }).set(records);
  counter({ name: JOB_METRICS.recordsTotal, help: 'Records the runs of the job reported as processed.', registry }).inc(records);
}

/** The default report of a failed push: one warning that says which job and gateway, and why. */
function warnNotPushed(job: string, url: string, error: Error): void {
  const detail = error instanceof PushgatewayError ? error.message.replace(`promhttp: ${error.method} ${error.url} `, `${error.method} `) : error.message;
  process.emitWarning(`promhttp: runJob: the metrics of job "${job}" were not pushed to ${url}: ${detail}`, { type: 'PushgatewayWarning' });
}
