import { OTEL_ERROR_LABEL } from './metric-names.js';

/** Label values that stand for a whole class of input, so that label sets stay bounded. */
export const UNMATCHED = 'unmatched';
export const OVERFLOW = 'overflow';
export const OTHER_METHOD = '_OTHER';
/** Status recorded for a request whose client went away before the response was sent (nginx's code). */
export const CLIENT_CLOSED = 499;

/** The methods of RFC 9110 and RFC 5789; anything else becomes `_OTHER` (as OpenTelemetry does). */
export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', OTHER_METHOD] as const;
const OTHER_INDEX = METHODS.length - 1;
const METHOD_INDEX = new Map<unknown, number>(METHODS.slice(0, OTHER_INDEX).map((m, i) => [m, i]));

export function methodIndex(method: unknown): number {
  return METHOD_INDEX.get(method) ?? OTHER_INDEX;
}

/** 100–599, or 0 for anything that is not a status code (rendered as `unknown`). */
export function statusCode(status: unknown): number {
  return typeof status === 'number' && status >= 100 && status <= 599 && (status | 0) === status ? status : 0;
}

export function statusLabel(status: number): string {
  return status === 0 ? 'unknown' : STATUS_TEXT[status - 100]!;
}
const STATUS_TEXT = Array.from({ length: 500 }, (_, i) => String(i + 100));

/** Escapes a label value for both exposition formats. */
export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

/**
 * Renders `a="1",b="2"` from names and values, in order. OpenTelemetry's `error_type` is left out
 * where it is empty: the convention sets it on failed requests only, and Prometheus takes an empty
 * label for an absent one anyway, so the series of one family have it or not.
 */
export function renderLabels(names: readonly string[], values: readonly string[]): string {
  let out = '';
  for (let i = 0; i < names.length; i++) {
    const value = values[i]!;
    if (value === '' && names[i] === OTEL_ERROR_LABEL) continue;
    out += `${out === '' ? '' : ','}${names[i]}="${escapeLabelValue(value)}"`;
  }
  return out;
}
