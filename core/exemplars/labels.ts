/**
 * An exemplar's labels: a few names and values that point from a sample to what produced it,
 * usually the trace (`{ trace_id, span_id }`).
 */
export type ExemplarLabels = Readonly<Record<string, string>>;

/** OpenMetrics 1.0: "The combined length of the label names and values of an Exemplar's LabelSet MUST NOT exceed 128 UTF-8 characters." */
export const MAX_EXEMPLAR_CHARS = 128;

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Code points of `s`: a surrogate pair is one character, as in UTF-8 (a lone surrogate becomes one U+FFFD). */
function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** What `checkExemplar` found: labels fit to write, none given, or labels that cannot be written. */
export const NO_EXEMPLAR = undefined;
export const BAD_EXEMPLAR = false;

/**
 * Checks exemplar labels given at run time (a function's result, an argument): `undefined` (or
 * `null`, or `{}`) is none; labels whose names are not label names, whose values are not strings,
 * or whose names and values together pass 128 characters are `BAD_EXEMPLAR`, to be dropped and
 * counted, and so is an object that throws as it is read (a getter, a Proxy) and a promise (an
 * async function's result, which would come too late). Only own properties count, read once: the
 * result is a plain copy of them, so what is kept cannot change or throw later. Never throws.
 */
export function checkExemplar(labels: unknown): ExemplarLabels | typeof NO_EXEMPLAR | typeof BAD_EXEMPLAR {
  if (labels === undefined || labels === null) return NO_EXEMPLAR;
  if (typeof labels !== 'object') return BAD_EXEMPLAR;
  try {
    if (Array.isArray(labels) || typeof (labels as { then?: unknown }).then === 'function') return BAD_EXEMPLAR;
    const copy: Record<string, string> = {};
    let length = 0;
    let count = 0;
    for (const name of Object.keys(labels)) {
      const value = (labels as Record<string, unknown>)[name];
      if (typeof value !== 'string' || !LABEL_NAME.test(name) || name.startsWith('__')) return BAD_EXEMPLAR;
      copy[name] = value;
      length += name.length + value.length;
      count++;
    }
    if (count === 0) return NO_EXEMPLAR;
    // UTF-16 units never undercount characters: only a long set needs them counted one by one.
    if (length > MAX_EXEMPLAR_CHARS) {
      let chars = 0;
      for (const name in copy) chars += name.length + codePoints(copy[name]!);
      if (chars > MAX_EXEMPLAR_CHARS) return BAD_EXEMPLAR;
    }
    return copy;
  } catch {
    return BAD_EXEMPLAR;
  }
}
