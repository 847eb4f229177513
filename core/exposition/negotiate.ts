import type { Format } from './format.js';

/** A media range of an `Accept` header, lower-cased, with its parameters other than `q`. */
type Match = (range: string, params: Readonly<Record<string, string>>) => boolean;

/** The highest q-value among the media ranges in `header` that `match` accepts, or -1. */
function quality(header: string, match: Match): number {
  let best = -1;
  for (const part of header.split(',')) {
    const [range = '', ...rest] = part.split(';');
    let q = 1;
    const params: Record<string, string> = {};
    for (const p of rest) {
      const eq = p.indexOf('=');
      const key = p.slice(0, eq === -1 ? undefined : eq).trim().toLowerCase();
      const value = eq === -1 ? '' : p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
      if (key === 'q') q = Number(value) || 0;
      else params[key] = value;
    }
    if (match(range.trim().toLowerCase(), params)) best = Math.max(best, q);
  }
  return best;
}

/** What Prometheus asks for when native histograms are on, as client_golang matches it: delimited `MetricFamily` messages. */
const delimitedProtobuf: Match = (range, params) =>
  range === 'application/vnd.google.protobuf' && params.proto === 'io.prometheus.client.MetricFamily' && params.encoding === 'delimited';

/**
 * The format a scraper prefers, by the q-values of its `Accept` header: protobuf (delimited
 * `MetricFamily` messages) or OpenMetrics when asked for at least as much as the others, else the
 * text format, which is also the answer to no header and to anything else.
 */
export function negotiate(accept: string | null | undefined): Format {
  if (!accept) return 'text';
  const protobuf = accept.includes('vnd.google.protobuf') ? quality(accept, delimitedProtobuf) : -1;
  const om = accept.includes('openmetrics') ? quality(accept, (r) => r === 'application/openmetrics-text') : -1;
  if (protobuf <= 0 && om <= 0) return 'text';
  const text = quality(accept, (r) => r === 'text/plain' || r === '*/*' || r === 'text/*');
  if (protobuf > 0 && protobuf >= om && protobuf >= text) return 'protobuf';
  return om > 0 && om >= text ? 'openmetrics' : 'text';
}

export function acceptsGzip(acceptEncoding: string | null | undefined): boolean {
  return !!acceptEncoding && quality(acceptEncoding, (r) => r === 'gzip' || r === '*') > 0;
}
