import type { Format } from 'promhttp';

/** One sample, its labels in the order written. */
export interface StrictSample {
  readonly name: string;
  readonly labels: ReadonlyArray<readonly [name: string, value: string]>;
  readonly value: number;
}

/** A family as declared by its `# TYPE` line. */
export interface StrictFamily {
  readonly name: string;
  readonly type: string;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const NUMBER = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]Inf|NaN)$/;

function fail(line: number, text: string, why: string): never {
  throw new Error(`exposition line ${line + 1}: ${why}: ${JSON.stringify(text.slice(0, 200))}`);
}

/** Reads `name="value",…}` from `at` (just after `{`); returns the labels and the index after `}`. */
function readLabels(text: string, at: number, lineNo: number, format: Format): { labels: Array<[string, string]>; end: number } {
  const labels: Array<[string, string]> = [];
  let i = at;
  for (;;) {
    if (text[i] === '}') {
      // A trailing comma is allowed by the text format, not by OpenMetrics.
      if (labels.length > 0 && format === 'openmetrics' && text[i - 1] === ',') fail(lineNo, text, 'trailing comma in OpenMetrics');
      return { labels, end: i + 1 };
    }
    const eq = text.indexOf('=', i);
    if (eq === -1) fail(lineNo, text, 'label without "="');
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name)) fail(lineNo, text, `bad label name ${JSON.stringify(name)}`);
    if (text[eq + 1] !== '"') fail(lineNo, text, 'label value not quoted');
    let value = '';
    let j = eq + 2;
    for (;;) {
      if (j >= text.length) fail(lineNo, text, 'unterminated label value');
      const c = text[j]!;
      if (c === '"') break;
      if (c === '\\') {
        const next = text[j + 1];
        if (next === '\\') value += '\\';
        else if (next === '"') value += '"';
        else if (next === 'n') value += '\n';
        else fail(lineNo, text, `invalid escape \\${next ?? ''}`);
        j += 2;
        continue;
      }
      value += c;
      j++;
    }
    if (labels.some(([n]) => n === name)) fail(lineNo, text, `label ${name} given twice`);
    labels.push([name, value]);
    i = j + 1;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') fail(lineNo, text, 'expected "," or "}" after a label value');
  }
}

/**
 * A strict reader of both exposition formats, for checking what promhttp writes: it accepts only
 * the grammar (escapes `\\`, `\"` and `\n` in label values and nothing else, quoted values, names
 * as the formats define them, one `# EOF` closing OpenMetrics) and throws on anything else,
 * including a series written twice.
 */
export function parseStrict(body: string, format: Format): { samples: StrictSample[]; families: StrictFamily[] } {
  const lines = body.split('\n');
  if (lines.pop() !== '') throw new Error('exposition does not end with a newline');
  const samples: StrictSample[] = [];
  const families: StrictFamily[] = [];
  const seen = new Set<string>();
  let eof = false;
  lines.forEach((line, n) => {
    if (eof) fail(n, line, 'content after # EOF');
    if (line.startsWith('#')) {
      if (line === '# EOF') {
        if (format !== 'openmetrics') fail(n, line, '# EOF in the text format');
        eof = true;
        return;
      }
      const [hash, keyword, name] = line.split(' ', 3);
      if (hash !== '#' || (keyword !== 'HELP' && keyword !== 'TYPE' && keyword !== 'UNIT')) {
        if (format === 'openmetrics') fail(n, line, 'comment in OpenMetrics');
        return;
      }
      if (name === undefined || !NAME.test(name)) fail(n, line, 'bad family name');
      if (keyword === 'TYPE') families.push({ name, type: line.slice(`# TYPE ${name} `.length) });
      return;
    }
    const open = line.search(/[{ ]/);
    if (open <= 0) fail(n, line, 'no sample name');
    const name = line.slice(0, open);
    if (!NAME.test(name)) fail(n, line, 'bad sample name');
    let rest = open;
    let labels: Array<[string, string]> = [];
    if (line[open] === '{') {
      const read = readLabels(line, open + 1, n, format);
      labels = read.labels;
      rest = read.end;
    }
    if (line[rest] !== ' ') fail(n, line, 'no space before the value');
    const [value, timestamp, ...more] = line.slice(rest + 1).split(' ');
    if (value === undefined || !NUMBER.test(value) || more.length > 0 || (timestamp !== undefined && !NUMBER.test(timestamp))) fail(n, line, 'bad value');
    const key = `${name}\u0000${JSON.stringify([...labels].sort(([a], [b]) => (a < b ? -1 : 1)))}`;
    if (seen.has(key)) fail(n, line, 'series written twice');
    seen.add(key);
    samples.push({ name, labels, value: value === '+Inf' ? Infinity : value === '-Inf' ? -Infinity : Number(value) });
  });
  if (format === 'openmetrics' && !eof) throw new Error('OpenMetrics exposition without # EOF');
  return { samples, families };
}

/** The value of label `name` of a sample, or undefined. */
export function labelOf(sample: StrictSample, name: string): string | undefined {
  return sample.labels.find(([n]) => n === name)?.[1];
}
