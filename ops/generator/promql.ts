import { formatBound } from '../../core/exposition/format.js';
import { OVERFLOW } from '../../core/labels.js';
import type { ResolvedOps } from './options.js';

/** A label matcher list, `{a="1", b=~"2"}`, leaving out the empty parts (and empty when none is left). */
export function selector(...matchers: ReadonlyArray<string | undefined | readonly string[]>): string {
  const list = matchers.flat().filter((m) => m !== undefined && m !== '');
  return list.length === 0 ? '' : `{${list.join(', ')}}`;
}

/** A PromQL string literal. */
export function quote(value: string): string {
  return JSON.stringify(value);
}

/** Matchers for the constant labels of the request metrics. */
export function staticMatchers(ops: ResolvedOps): string[] {
  return Object.entries(ops.labels).map(([name, value]) => `${name}=${quote(value)}`);
}

/** Matchers the rules put on request metrics: the constant labels and, when given, the job. */
export function ruleMatchers(ops: ResolvedOps): string[] {
  return [...staticMatchers(ops), ...jobMatcher(ops)];
}

/** `job="…"` when the options name one job, else nothing. */
export function jobMatcher(ops: ResolvedOps): string[] {
  return ops.job === undefined ? [] : [`job=${quote(ops.job)}`];
}

/** The labels the rules aggregate by: the job and the constant labels, which identify a service. */
export function serviceLabels(ops: ResolvedOps): string[] {
  return ['job', ...Object.keys(ops.labels)];
}

/**
 * The `le` matcher for a bucket bound. OpenMetrics writes whole bounds as `1.0` and the text
 * format as `1`; Prometheus stores what it scraped, so both spellings are matched.
 */
export function leMatcher(bound: number): string {
  const text = formatBound(bound, 'text');
  const open = formatBound(bound, 'openmetrics');
  return text === open ? `le=${quote(text)}` : `le=~${quote(`${text.replace(/\./g, '\\.')}|${open.replace(/\./g, '\\.')}`)}`;
}

/** Requests answered with a 5xx. */
export function fiveXX(ops: ResolvedOps): string {
  return `${ops.label.status}=~"5.."`;
}

/**
 * Requests whose status is known: the denominator of every 5xx ratio. The request metrics' overflow
 * series keeps the method and status code of what lands in it (its route reads `overflow`), so it
 * counts in both parts of a ratio; where a series has lost its status code as well (the status
 * label reading `overflow`), its requests are left out of both parts, as their class is unknown.
 */
export function knownStatus(ops: ResolvedOps): string {
  return `${ops.label.status}!=${quote(OVERFLOW)}`;
}
