import type { Sample } from './scrape.js';
import { parseExposition } from './scrape.js';

/**
 * An exposition as Prometheus keys it: each sample under its name and its labels as a set (sorted,
 * empty values left out, as Prometheus drops them), whatever order the exposition lists them in.
 */
export function seriesOf(text: string, keep: (sample: Sample) => boolean = () => true): Map<string, number> {
  return seriesOfSamples(parseExposition(text), keep);
}

function seriesOfSamples(samples: readonly Sample[], keep: (sample: Sample) => boolean): Map<string, number> {
  const out = new Map<string, number>();
  for (const sample of samples) {
    if (!keep(sample)) continue;
    const labels = Object.entries(sample.labels)
      .filter(([, value]) => value !== '')
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, value]) => `${name}=${JSON.stringify(value)}`);
    const key = `${sample.name}{${labels.join(',')}}`;
    if (out.has(key)) throw new Error(`two samples are one series for Prometheus: ${key}`);
    out.set(key, sample.value);
  }
  return out;
}

/** The series of `later` whose value is below the one of the same series in `earlier`, or that `later` lacks. */
export function wentDown(earlier: ReadonlyMap<string, number>, later: ReadonlyMap<string, number>): string[] {
  const down: string[] = [];
  for (const [key, value] of earlier) {
    const now = later.get(key);
    if (now === undefined) down.push(`${key} ${value} → absent`);
    else if (now < value) down.push(`${key} ${value} → ${now}`);
  }
  return down;
}

/**
 * Counters, and the buckets, counts and sums of histograms and summaries: what must never go down.
 * Judged by the `# TYPE` lines of the exposition (prom-client has gauges named `…_total`).
 */
export function countedIn(text: string): (sample: Sample) => boolean {
  const types = new Map<string, string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(name!, type!);
  return (sample) => {
    const type = types.get(sample.name) ?? types.get(sample.name.replace(/_(bucket|count|sum|total)$/, ''));
    return type === 'counter' || type === 'histogram' || type === 'summary';
  };
}

/** `seriesOf`, of what must never go down only. */
export const countedSeries = (text: string): Map<string, number> => seriesOf(text, countedIn(text));
