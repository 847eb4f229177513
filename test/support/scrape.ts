/** One sample of a text-format exposition. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

// `s`: a label value may hold a carriage return or U+2028, which `.` would not match otherwise.
const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$/s;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

/** Parses the text format (and OpenMetrics) into samples; comments and `# EOF` are skipped. */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match) throw new Error(`unparsable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? '').matchAll(LABEL)) {
      // One pass, so that an escaped backslash before an "n" stays a backslash and an "n".
      labels[key!] = raw!.replace(/\\(.)/gs, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1]!, labels, value: parseValue(match[3]!) });
  }
  return samples;
}

/** Sum of the samples named `name` whose labels include `where`. */
export function sum(samples: readonly Sample[], name: string, where: Record<string, string> = {}): number {
  let total = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(where).every(([k, v]) => s.labels[k] === v)) total += s.value;
  }
  return total;
}

/** The samples named `name` whose labels include `where`. */
export function find(samples: readonly Sample[], name: string, where: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v));
}

/** GETs `${baseUrl}/metrics` (or `url` as given when it has a path) and parses it. */
export async function scrape(url: string, init?: RequestInit): Promise<Sample[]> {
  const target = new URL(url);
  if (target.pathname === '/') target.pathname = '/metrics';
  const response = await fetch(target, init);
  const text = await response.text();
  if (response.status !== 200) throw new Error(`scrape of ${target} answered ${response.status}: ${text}`);
  return parseExposition(text);
}

/**
 * Scrapes until the in-flight gauge reads `inFlight` (0 by default). Adapters record a request when
 * its response closes, which can come a moment after the client has read the response; once
 * nothing is in flight, every request answered before the call has been recorded.
 */
export async function scrapeSettled(
  url: string,
  options: { inFlight?: number; gauge?: string; timeoutMs?: number; init?: RequestInit } = {},
): Promise<Sample[]> {
  const { inFlight = 0, gauge = 'http_requests_in_flight', timeoutMs = 5_000 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const samples = await scrape(url, options.init);
    const current = sum(samples, gauge);
    if (current === inFlight) return samples;
    if (Date.now() > deadline) throw new Error(`${gauge} stayed at ${current}, expected ${inFlight}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
