import { checkObject, describeValue, optionError } from '../errors.js';
import { checkLabelName } from '../names.js';

/** Labels that, with `job`, identify one group of metrics on the Pushgateway. */
export type GroupingKey = Readonly<Record<string, string>>;

/**
 * One path segment pair. A value that cannot travel as a plain segment goes base64url-encoded
 * (`name@base64/value`), as the Pushgateway's API specifies: one with a `/`, which would split
 * it; `.` and `..`, which URL handling (fetch's included) resolves as dot segments, so that
 * `instance: '..'` would climb into another group's path; and the empty value, which would
 * collapse the path (written as `=`).
 */
function segment(name: string, value: string): string {
  if (value === '') return `${name}@base64/=`;
  if (value.includes('/') || value === '.' || value === '..') return `${name}@base64/${Buffer.from(value, 'utf8').toString('base64url')}`;
  return `${name}/${encodeURIComponent(value)}`;
}

/** Validates a job name and grouping key, once. */
export function checkGrouping(where: string, job: unknown, groupingKey: unknown): { job: string; groupingKey: GroupingKey } {
  if (typeof job !== 'string' || job === '') {
    throw optionError(`${where}: "job" must be a non-empty string naming the job, e.g. "nightly-backup", got ${describeValue(job)}.`);
  }
  const key = checkObject(`${where}: "groupingKey"`, groupingKey);
  for (const [name, value] of Object.entries(key)) {
    checkLabelName(`${where}: "groupingKey"`, name);
    if (name === 'job') throw optionError(`${where}: "groupingKey" cannot hold "job"; give the job name as the "job" option.`);
    if (typeof value !== 'string') throw optionError(`${where}: "groupingKey.${name}" must be a string, got ${describeValue(value)}.`);
  }
  return { job, groupingKey: Object.freeze({ ...(key as Record<string, string>) }) };
}

/** The group's path below the gateway: `/metrics/job/<job>{/<label>/<value>}`. */
export function groupPath(job: string, groupingKey: GroupingKey): string {
  let path = `/metrics/${segment('job', job)}`;
  for (const [name, value] of Object.entries(groupingKey)) path += `/${segment(name, value)}`;
  return path;
}
