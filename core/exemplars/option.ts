import { describeValue, optionError } from '../errors.js';
import type { ExemplarLabels } from './labels.js';
import { activeSpanLabels, traceparentLabels } from './trace.js';

/**
 * Where a request's exemplar comes from. `true`: the trace and span id of the active
 * OpenTelemetry span (read through the context manager the app registered with any copy of
 * `@opentelemetry/api` 1.x) when it is sampled, none when it is not; with no active span, those
 * of the request's W3C `traceparent` header when its caller samples the trace. A function: the
 * labels it returns for the request (called with the framework's context, as a `route` function
 * is), or `undefined` for none.
 */
export type ExemplarsOption<Args extends readonly unknown[] = never[]> = boolean | ((...args: Args) => ExemplarLabels | undefined);

/**
 * Takes a request's exemplar labels as it starts, in its own async context (where the active span
 * is). `key` is the adapter's request object, which `traceparentOf` reads the header from; `args`
 * are what the adapter hands a `route` function. The result is checked when the request is
 * recorded (`checkExemplar`), so a function's mistake is counted there, never thrown.
 */
export type ExemplarCapture<Args extends readonly unknown[] = never[]> = (key: object, args: Args) => unknown;

/** How an adapter reads the `traceparent` header from its request object. */
export type TraceparentOf = (key: object) => unknown;

/**
 * Checks an `exemplars` option at construction; `undefined` when exemplars are off. `requests`:
 * the option of request metrics, which also read the `traceparent` header; `counter()` and
 * `histogram()` have no request to read it from.
 */
export function checkExemplarsOption(where: string, option: unknown, requests = true): true | ((...args: never[]) => unknown) | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true || typeof option === 'function') return option as true | ((...args: never[]) => unknown);
  const fromTrue = requests ? 'the trace id of the active OpenTelemetry span, else of the traceparent header' : 'the trace id of the active OpenTelemetry span';
  throw optionError(`${where}: "exemplars" must be true (${fromTrue}) or a function returning the exemplar labels, e.g. () => ({ trace_id: myTraceId() }); got ${describeValue(option)}.`);
}

/** A failing function's result: dropped and counted like labels that cannot be written. */
const FAILED = false;

/**
 * The capture for a checked `exemplars` option; `undefined` when off. With `true`, an active span
 * of a trace decides, sampled or not: the header names the caller's span, not this request's, and
 * a request whose own span is not sampled has no trace to point at.
 */
export function exemplarCapture<Args extends readonly unknown[]>(option: true | ((...args: never[]) => unknown) | undefined, traceparentOf?: TraceparentOf): ExemplarCapture<Args> | undefined {
  if (option === undefined) return undefined;
  if (option === true) {
    return function traceExemplar(key) {
      try {
        const fromSpan = activeSpanLabels();
        if (fromSpan !== undefined) return fromSpan ?? undefined;
        return traceparentOf === undefined ? undefined : traceparentLabels(traceparentOf(key));
      } catch {
        return undefined;
      }
    };
  }
  const labelsOf = option as (...args: Args) => unknown;
  return function userExemplar(_key, args) {
    try {
      const labels = labelsOf(...args);
      // A promise is returned as it is, for checkExemplar to count: spread, it would become {}, no exemplar.
      if (labels === null || typeof labels !== 'object' || Array.isArray(labels) || typeof (labels as { then?: unknown }).then === 'function') return labels;
      // A copy: the app may reuse or change its object after the request ends.
      return { ...labels };
    } catch {
      return FAILED;
    }
  };
}
