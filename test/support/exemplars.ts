// Exemplars as an OpenMetrics exposition writes them after a sample: `name{labels} value # {labels} value timestamp`.

export interface ExemplarLine {
  /** The sample name (`x_bucket`, `x_total`). */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly exemplar: Readonly<Record<string, string>>;
  readonly value: number;
  /** Seconds, as written. */
  readonly timestamp: number;
}

function labelsOf(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const m of text.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]!] = m[2]!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
  return labels;
}

/** Every sample line of `text` that carries an exemplar. */
export function exemplarLines(text: string): ExemplarLine[] {
  const out: ExemplarLine[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+ # \{(.*)\} (\S+) (\S+)$/.exec(line);
    if (m) out.push({ name: m[1]!, labels: labelsOf(m[2] ?? ''), exemplar: labelsOf(m[3]!), value: Number(m[4]), timestamp: Number(m[5]) });
  }
  return out;
}

/** A W3C traceparent of a sampled trace, and its ids. */
export function traceparent(n: number, flags = '01'): { header: string; traceId: string; spanId: string } {
  const traceId = `4bf92f3577b34da6a3ce929d${n.toString(16).padStart(8, '0')}`;
  const spanId = `00f067aa${n.toString(16).padStart(8, '0')}`;
  return { header: `00-${traceId}-${spanId}-${flags}`, traceId, spanId };
}
