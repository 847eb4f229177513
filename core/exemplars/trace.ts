import type { ExemplarLabels } from './labels.js';

/**
 * Where every copy of `@opentelemetry/api` 1.x keeps what the app registered (its context
 * manager, tracer provider, propagator), with the version of the copy that registered them.
 */
const OPENTELEMETRY_GLOBAL = Symbol.for('opentelemetry.js.api.1');
/** The key under which the API keeps the active span in a context (`trace.setSpan`). */
const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');

/** The part of a registered context manager read here. */
interface ContextManager {
  active?(): { getValue?(key: symbol): unknown } | undefined;
}

/** Bit 0 of W3C trace flags: the caller records this trace. */
const SAMPLED = 1;

/** What an active span decided: no exemplar, because it is not sampled. */
export const NOT_SAMPLED = null;

/**
 * The active OpenTelemetry span's trace and span id when it is sampled; `NOT_SAMPLED` when there
 * is an active span of a trace that is not; `undefined` when there is none (no OpenTelemetry, no
 * span, or a span of no trace, as a tracer without an SDK makes).
 *
 * It reads the context manager the app registered straight from the API's global, not through a
 * copy of `@opentelemetry/api` loaded here: a copy newer than the one that registered it would
 * refuse it (the API only uses a global registered by a copy of the same or a newer minor
 * version), and the app would get no exemplar although its span is active. Reading the global
 * also needs no `require`, so it works the same in the ESM and CommonJS builds and under bundlers.
 */
export function activeSpanLabels(): ExemplarLabels | typeof NOT_SAMPLED | undefined {
  const manager = (globalThis as { [OPENTELEMETRY_GLOBAL]?: { context?: ContextManager } })[OPENTELEMETRY_GLOBAL]?.context;
  if (typeof manager?.active !== 'function') return undefined;
  const span = manager.active()?.getValue?.(SPAN_KEY) as { spanContext?(): { traceId?: unknown; spanId?: unknown; traceFlags?: unknown } | undefined } | undefined;
  if (typeof span?.spanContext !== 'function') return undefined;
  const context = span.spanContext();
  const { traceId, spanId } = context ?? {};
  if (typeof traceId !== 'string' || typeof spanId !== 'string' || traceId.length !== 32 || spanId.length !== 16 || !isId(traceId, 0, 32) || !isId(spanId, 0, 16)) return undefined;
  return (Number(context!.traceFlags) & SAMPLED) === 0 ? NOT_SAMPLED : { trace_id: traceId, span_id: spanId };
}

/** Lower-case hex digits only, as W3C Trace Context writes them. */
function isHex(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/** A trace or span id: hex, and not all zeros (W3C: an all-zero id is invalid). */
function isId(s: string, from: number, to: number): boolean {
  if (!isHex(s, from, to)) return false;
  for (let i = from; i < to; i++) if (s.charCodeAt(i) !== 0x30) return true;
  return false;
}

/**
 * The trace id and parent span id of a W3C `traceparent` header
 * (`00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`), when the header is well formed and
 * its caller samples the trace. Anything else, including a header too long to be one, gives
 * `undefined`: the header comes from the client and is never trusted as it is.
 */
export function traceparentLabels(header: unknown): ExemplarLabels | undefined {
  if (typeof header !== 'string') return undefined;
  const n = header.length;
  // Version 00 is exactly 55 characters; a later version may append fields after a dash.
  if (n < 55 || (n > 55 && header.charCodeAt(55) !== 0x2d) || n > 512) return undefined;
  if (header[2] !== '-' || header[35] !== '-' || header[52] !== '-') return undefined;
  const version = header.slice(0, 2);
  if (!isHex(header, 0, 2) || version === 'ff' || (version === '00' && n !== 55)) return undefined;
  if (!isId(header, 3, 35) || !isId(header, 36, 52) || !isHex(header, 53, 55)) return undefined;
  if ((Number.parseInt(header.slice(53, 55), 16) & SAMPLED) === 0) return undefined;
  return { trace_id: header.slice(3, 35), span_id: header.slice(36, 52) };
}
