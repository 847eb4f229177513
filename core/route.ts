import { UNMATCHED } from './labels.js';

/** Paths longer than this are not worth a series of their own. */
const MAX_PATH = 256;
const MAX_SEGMENTS = 16;
const ID = ':id';

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/** Whether `url[from, to)` is a numeric, long hex (16 or more) or UUID segment. */
function isId(url: string, from: number, to: number): boolean {
  const n = to - from;
  if (n === 0) return false;
  let digits = true;
  let hex = true;
  for (let i = from; i < to; i++) {
    const c = url.charCodeAt(i);
    if (c >= 48 && c <= 57) continue;
    digits = false;
    if (!isHexDigit(c)) {
      hex = false;
      break;
    }
  }
  if (digits) return true;
  if (hex) return n >= 16;
  if (n !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = url.charCodeAt(from + i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45 /* - */) return false;
    } else if (!isHexDigit(c)) {
      return false;
    }
  }
  return true;
}

/**
 * The path of a node:http request target (`req.url`, Express's `req.originalUrl`): without the
 * query, and for an absolute-form target (`http://host/path`) without scheme and host, as
 * routers read it. Allocates nothing for a path without a query.
 */
export function pathOfTarget(url: string): string {
  let start = 0;
  if (url.charCodeAt(0) !== 47 /* / */) {
    const scheme = url.indexOf('://');
    start = scheme === -1 ? 0 : url.indexOf('/', scheme + 3);
    if (start === -1) return '/';
  }
  const query = url.indexOf('?', start);
  return query === -1 ? (start === 0 ? url : url.slice(start)) : url.slice(start, query);
}

/**
 * Turns a raw URL path into a route-like label for apps without a router: numeric, UUID and long
 * hex segments become `:id` (`/users/42` → `/users/:id`). The query string is dropped; a URL that
 * is not an origin-form path (`*`, `http://…`, garbage) becomes `unmatched`, and so do very long
 * paths. Random slugs still get through, which is why the node adapter labels 404s `unmatched` and
 * the core caps distinct routes.
 */
export function normalizePath(url: string | undefined): string {
  if (typeof url !== 'string' || url.charCodeAt(0) !== 47 /* / */) return UNMATCHED;
  // One pass over the characters, no split and no RegExp: this runs on every request.
  let end = url.length;
  for (let i = 1; i < end; i++) {
    const c = url.charCodeAt(i);
    if (c === 63 /* ? */ || c === 35 /* # */) end = i;
  }
  if (end > MAX_PATH) return UNMATCHED;
  let out: string | undefined;
  let copied = 0;
  let segments = 0;
  let start = 1;
  for (let i = 1; i <= end; i++) {
    if (i < end && url.charCodeAt(i) !== 47) continue;
    if (++segments > MAX_SEGMENTS) return UNMATCHED;
    if (isId(url, start, i)) {
      out = (out ?? '') + url.slice(copied, start) + ID;
      copied = i;
    }
    start = i + 1;
  }
  if (out === undefined) return end === url.length ? url : url.slice(0, end);
  return copied < end ? out + url.slice(copied, end) : out;
}
