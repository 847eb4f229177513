import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ExemplarLabels } from './labels.js';

/** The part of `@opentelemetry/api` read here: the active span's context. */
interface OpenTelemetryApi {
  readonly trace: {
    getActiveSpan(): { spanContext(): { traceId: string; spanId: string; traceFlags: number } } | undefined;
    isSpanContextValid(context: { traceId: string; spanId: string }): boolean;
  };
}

/** Bit 0 of W3C trace flags: the caller records this trace. */
const SAMPLED = 1;

let loaded: OpenTelemetryApi | null | undefined;

/**
 * `@opentelemetry/api`, if the app has it, else `null`; loaded once, synchronously, the first time
 * exemplars are turned on. It is an optional peer dependency: an import would fail where it is
 * missing, and a dynamic `import()` would answer only after the first requests. `require` through
 * `createRequire` works the same from the ESM and the CommonJS build. It looks from the app's
 * directory and its main script, where the app's own copy is; any copy of major version 1 serves,
 * since they share their state through a global.
 */
export function openTelemetry(): OpenTelemetryApi | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  const bases = [join(process.cwd(), 'noop.js'), ...(process.argv[1] ? [process.argv[1]] : [])];
  for (const base of bases) {
    try {
      const api = createRequire(base)('@opentelemetry/api') as Partial<OpenTelemetryApi>;
      if (typeof api.trace?.getActiveSpan === 'function' && typeof api.trace.isSpanContextValid === 'function') {
        loaded = api as OpenTelemetryApi;
        break;
      }
    } catch {
      // Not installed there: the traceparent header alone is read.
    }
  }
  return loaded;
}

/** The active OpenTelemetry span's trace and span id, when there is one and it is sampled. */
export function activeSpanLabels(api: OpenTelemetryApi): ExemplarLabels | undefined {
  const span = api.trace.getActiveSpan();
  if (span === undefined) return undefined;
  const context = span.spanContext();
  if ((context.traceFlags & SAMPLED) === 0 || !api.trace.isSpanContextValid(context)) return undefined;
  return { trace_id: context.traceId, span_id: context.spanId };
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
