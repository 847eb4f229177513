import type { ResolvedOps } from './options.js';
import { durationQuantile, fiveXX, knownStatus, requestRate, ruleMatchers, selector, serviceLabels } from './promql.js';

/** One rule of a rule group, as Prometheus reads it. */
export interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  rules: Rule[];
}

export interface RuleFile {
  groups: RuleGroup[];
}

/** The windows the recording rules are kept over: one for the present, one for the trend. */
export const RECORDING_WINDOWS = ['5m', '1h'] as const;

/** Latency quantiles recorded by job and route, with the `quantile` label. */
export const QUANTILES = [0.5, 0.9, 0.99] as const;

/** The rule group name, unique per set of names so that several apps' rules can live side by side. */
export function groupName(ops: ResolvedOps, part: string): string {
  return `promhttp.${ops.base}.${part}`;
}

/**
 * Request rate, 5xx ratio and latency quantiles by job and route (and by job alone for the rate),
 * named by the `level:metric:operations` convention.
 */
export function recordingRules(ops: ResolvedOps): RuleFile {
  const { base } = ops;
  const { duration } = ops.names;
  const route = ops.label.route;
  const by = serviceLabels(ops);
  const byRoute = [...by, route].join(', ');
  const level = by.join('_');
  const all = selector(ruleMatchers(ops));
  const errors = selector(ruleMatchers(ops), fiveXX(ops));
  const known = selector(ruleMatchers(ops), knownStatus(ops));
  const rules: Rule[] = [];
  for (const w of RECORDING_WINDOWS) {
    rules.push(
      { record: `${level}:${base}:rate${w}`, expr: `sum by (${by.join(', ')}) (${requestRate(ops, all, w)})` },
      { record: `${level}_${route}:${base}:rate${w}`, expr: `sum by (${byRoute}) (${requestRate(ops, all, w)})` },
      {
        record: `${level}_${route}:${base}_5xx:ratio_rate${w}`,
        // A route without errors has no 5xx series: `or … * 0` gives it a ratio of 0 instead of none.
        expr: `(sum by (${byRoute}) (${requestRate(ops, errors, w)}) or sum by (${byRoute}) (${requestRate(ops, known, w)}) * 0) / sum by (${byRoute}) (${requestRate(ops, known, w)})`,
      },
      ...QUANTILES.map((q) => ({
        record: `${level}_${route}:${duration}:quantile_rate${w}`,
        expr: durationQuantile(ops, q, byRoute, all, w),
        labels: { quantile: String(q) },
      })),
    );
  }
  return { groups: [{ name: groupName(ops, 'recording'), rules }] };
}
