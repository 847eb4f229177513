/**
 * Protocol Buffers' wire format, as much of it as `metrics.proto` needs: varints, zigzag varints,
 * doubles, UTF-8 strings and nested messages, written into one growable buffer. Functions over a
 * plain object rather than a generic message library: the exposition writes a few fixed message
 * shapes straight from the stores' typed arrays, with nothing built per series.
 */

/** Wire types. */
export const VARINT = 0;
export const FIXED64 = 1;
export const LEN = 2;

export interface Wire {
  buf: Uint8Array;
  view: DataView;
  pos: number;
}

export function createWire(size = 64 * 1024): Wire {
  const buf = new Uint8Array(size);
  return { buf, view: new DataView(buf.buffer), pos: 0 };
}

/** Makes room for `n` more bytes. */
export function ensure(w: Wire, n: number): void {
  if (w.pos + n <= w.buf.length) return;
  const grown = new Uint8Array(Math.max(w.buf.length * 2, w.pos + n));
  grown.set(w.buf.subarray(0, w.pos));
  w.buf = grown;
  w.view = new DataView(grown.buffer);
}

/** A non-negative integer up to 2⁵³ (counts and lengths; larger ones do not occur in a number). */
export function varint(w: Wire, n: number): void {
  ensure(w, 10);
  const buf = w.buf;
  let pos = w.pos;
  if (n < 0x80000000) {
    while (n > 0x7f) {
      buf[pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
  } else {
    while (n > 0x7f) {
      buf[pos++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
  }
  buf[pos++] = n;
  w.pos = pos;
}

export function varintSize(n: number): number {
  let size = 1;
  while (n > 0x7f) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

export function tag(w: Wire, field: number, wireType: number): void {
  varint(w, field * 8 + wireType);
}

/** sint32 and sint64 (zigzag), for integers within ±2⁵². */
export function sint(w: Wire, field: number, n: number): void {
  tag(w, field, VARINT);
  varint(w, n >= 0 ? n * 2 : -n * 2 - 1);
}

export function uint(w: Wire, field: number, n: number): void {
  tag(w, field, VARINT);
  varint(w, n);
}

export function double(w: Wire, field: number, value: number): void {
  tag(w, field, FIXED64);
  ensure(w, 8);
  w.view.setFloat64(w.pos, value, true);
  w.pos += 8;
}

/**
 * A count: the integer field when it is one (what every count of observations is), else the
 * field's `_float` twin, which overrides the integer when positive.
 */
export function count(w: Wire, intField: number, floatField: number, n: number): void {
  if (Number.isSafeInteger(n) && n >= 0) uint(w, intField, n);
  else double(w, floatField, n);
}

/** Opens a length-delimited field; returns where its content starts, for `end`. */
export function begin(w: Wire, field: number): number {
  tag(w, field, LEN);
  ensure(w, 1);
  // One byte for the length, which is all a label pair or a bucket needs; `end` moves the content
  // when it needs more.
  return ++w.pos;
}

export function end(w: Wire, start: number): void {
  const length = w.pos - start;
  if (length < 0x80) {
    w.buf[start - 1] = length;
    return;
  }
  const extra = varintSize(length) - 1;
  ensure(w, extra);
  w.buf.copyWithin(start + extra, start, w.pos);
  w.pos = start - 1;
  varint(w, length);
  w.pos += length;
}

/**
 * Writes `s` as UTF-8 from `from` to `to` (exclusive); a lone surrogate becomes U+FFFD, as
 * `TextEncoder` writes it.
 */
export function utf8(w: Wire, s: string, from = 0, to = s.length): void {
  ensure(w, (to - from) * 3);
  const buf = w.buf;
  let pos = w.pos;
  for (let i = from; i < to; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      buf[pos++] = c;
    } else if (c < 0x800) {
      buf[pos++] = 0xc0 | (c >> 6);
      buf[pos++] = 0x80 | (c & 0x3f);
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < to ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          i++;
          buf[pos++] = 0xf0 | (c >> 18);
          buf[pos++] = 0x80 | ((c >> 12) & 0x3f);
          buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
          buf[pos++] = 0x80 | (c & 0x3f);
          continue;
        }
        c = 0xfffd;
      }
      buf[pos++] = 0xe0 | (c >> 12);
      buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
      buf[pos++] = 0x80 | (c & 0x3f);
    }
  }
  w.pos = pos;
}

export function string(w: Wire, field: number, s: string): void {
  const start = begin(w, field);
  utf8(w, s);
  end(w, start);
}

export function bytes(w: Wire, b: Uint8Array): void {
  ensure(w, b.length);
  w.buf.set(b, w.pos);
  w.pos += b.length;
}

/** A copy of what was written, and the wire emptied for the next chunk. */
export function take(w: Wire): Uint8Array {
  const out = w.buf.slice(0, w.pos);
  w.pos = 0;
  return out;
}
