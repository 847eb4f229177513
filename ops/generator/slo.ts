import { formatDuration, parseDuration } from './duration.js';
import type { ResolvedOps } from './options.js';
import { fiveXX, knownStatus, requestRate, ruleMatchers, selector, serviceLabels, slowShare } from './promql.js';
import type { Rule } from './recording-rules.js';
import { runbookUrl } from './runbook.js';
import { WORKBOOK, WORKBOOK_PERIOD } from './workbook.js';

/** A multi-window burn-rate condition: both windows must burn faster than `factor` times the budget. */
export interface BurnPair {
  readonly severity: 'page' | 'ticket';
  readonly long: string;
  readonly short: string;
  readonly factor: number;
  readonly for: string;
}

/** The workbook's pairs, with windows and `for` scaled from 30 days to the objective's period. */
export function burnPairs(ops: ResolvedOps): BurnPair[] {
  const scale = ops.sloPeriodMs / WORKBOOK_PERIOD;
  return WORKBOOK.map((p) => ({
    severity: p.severity,
    long: formatDuration(p.long * scale),
    short: formatDuration(p.short * scale),
    factor: p.factor,
    for: formatDuration(p.for * scale),
  }));
}

/** The two service level indicators, each a bad-request ratio recorded per window. */
function indicators(ops: ResolvedOps) {
  const { base } = ops;
  const by = serviceLabels(ops).join(', ');
  const level = serviceLabels(ops).join('_');
  return {
    errors: {
      alert: 'PromhttpErrorBudgetBurn' as const,
      record: (w: string) => `${level}:${base}_5xx:ratio_rate${w}`,
      expr: (w: string) => `sum by (${by}) (${requestRate(ops, selector(ruleMatchers(ops), fiveXX(ops)), w)}) / sum by (${by}) (${requestRate(ops, selector(ruleMatchers(ops), knownStatus(ops)), w)})`,
      budget: ops.errorBudget,
      what: 'answered with a 5xx',
    },
    latency: {
      alert: 'PromhttpLatencyBudgetBurn' as const,
      record: (w: string) => `${level}:${base}_slow:ratio_rate${w}`,
      expr: (w: string) => slowShare(ops, by, ruleMatchers(ops), w),
      budget: ops.latencyBudget,
      what: `slower than ${ops.latency} s`,
    },
  };
}

const percent = (fraction: number): string => `${Number((fraction * 100).toPrecision(6))} %`;

/** The ratio of each indicator over every window a burn pair needs, then the burn-rate alerts. */
export function sloRules(ops: ResolvedOps): Rule[] {
  const pairs = burnPairs(ops);
  const windows = [...new Set(pairs.flatMap((p) => [p.short, p.long]))].sort((a, b) => parseDuration('window', a) - parseDuration('window', b));
  const labels = serviceLabels(ops).map((l) => `${l}={{ $labels.${l} }}`).join(', ');
  const period = formatDuration(ops.sloPeriodMs);
  const rules: Rule[] = [];
  for (const sli of Object.values(indicators(ops))) {
    for (const w of windows) rules.push({ record: sli.record(w), expr: sli.expr(w) });
    for (const p of pairs) {
      const threshold = `(${p.factor} * ${sli.budget})`;
      rules.push({
        alert: sli.alert,
        expr: `${sli.record(p.long)} > ${threshold} and ${sli.record(p.short)} > ${threshold}`,
        for: p.for,
        labels: { severity: p.severity, window: p.long },
        annotations: {
          summary: `Requests ${sli.what} burn the error budget at ${p.factor}× the sustainable rate (${labels})`,
          description:
            `{{ $value | humanizePercentage }} of the requests of ${labels} were ${sli.what} over the last ${p.long}, and more than ${percent(p.factor * sli.budget)} over the last ${p.short}; ` +
            `the objective allows ${percent(sli.budget)} over ${period}. At this rate the budget of ${period} lasts ${formatDuration(ops.sloPeriodMs / p.factor)}.`,
          runbook_url: runbookUrl(ops, sli.alert),
        },
      });
    }
  }
  return rules;
}
