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

/**
 * Per series matched by `sel`, the requests that ended within `window`, per second (`rate`) or in
 * all (`increase`). Under naming "otel" with native histograms, Prometheus keeps the histogram as
 * one native series and no `_count`: `histogram_count` reads the count from it.
 */
export function requestRate(ops: ResolvedOps, sel: string, window: string, fn: 'rate' | 'increase' = 'rate'): string {
  return ops.requests === ops.names.duration ? `histogram_count(${fn}(${ops.requests}${sel}[${window}]))` : `${fn}(${ops.requests}${sel}[${window}])`;
}

/** Per series, the requests' durations added up within `window`: the classic `_sum`, or `histogram_sum` of the native histogram. */
export function durationSum(ops: ResolvedOps, sel: string, window: string, fn: 'rate' | 'increase' = 'rate'): string {
  const d = ops.names.duration;
  return ops.native ? `histogram_sum(${fn}(${d}${sel}[${window}]))` : `${fn}(${d}_sum${sel}[${window}])`;
}

/** Per series, the requests the duration histogram counted within `window`, per second. */
export function durationCount(ops: ResolvedOps, sel: string, window: string): string {
  const d = ops.names.duration;
  return ops.native ? `histogram_count(rate(${d}${sel}[${window}]))` : `rate(${d}_count${sel}[${window}])`;
}

/**
 * The `q` quantile of the durations by `by`: over the classic buckets (aggregated by `le` as well,
 * written first or last as `leFirst` says) or over the native histogram, which has no `le`.
 */
export function durationQuantile(ops: ResolvedOps, q: number, by: string, sel: string, window: string, leFirst = false): string {
  const d = ops.names.duration;
  if (ops.native) return `histogram_quantile(${q}, sum by (${by}) (rate(${d}${sel}[${window}])))`;
  return `histogram_quantile(${q}, sum by (${leFirst ? `le, ${by}` : `${by}, le`}) (rate(${d}_bucket${sel}[${window}])))`;
}

/**
 * The share of requests slower than `ops.latency`, by `by`. Over the classic buckets, one minus the
 * bucket at the threshold over the count; over the native histogram, one minus `histogram_fraction`
 * up to the threshold, which interpolates within the native bucket holding it.
 */
export function slowShare(ops: ResolvedOps, by: string, matchers: readonly string[], window: string): string {
  const d = ops.names.duration;
  if (ops.native) return `1 - histogram_fraction(0, ${ops.latency}, sum by (${by}) (rate(${d}${selector(matchers)}[${window}])))`;
  return `1 - sum by (${by}) (rate(${d}_bucket${selector(matchers, leMatcher(ops.latency))}[${window}])) / sum by (${by}) (rate(${d}_count${selector(matchers)}[${window}]))`;
}
