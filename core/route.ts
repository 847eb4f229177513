import { UNMATCHED } from './labels.js';

const NUMERIC = /^\d+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LONG_HEX = /^[0-9a-f]{16,}$/i;
/** Paths longer than this are not worth a series of their own. */
const MAX_PATH = 256;
const MAX_SEGMENTS = 16;

/**
 * Turns a raw URL path into a route-like label for apps without a router: numeric, UUID and long
 * hex segments become `:id` (`/users/42` → `/users/:id`). The query string is dropped; a URL that
 * is not an origin-form path (`*`, `http://…`, garbage) becomes `unmatched`, and so do very long
 * paths. Random slugs still get through, which is why the node adapter labels 404s `unmatched` and
 * the core caps distinct routes.
 */
export function normalizePath(url: string | undefined): string {
  if (typeof url !== 'string' || url.charCodeAt(0) !== 47 /* / */) return UNMATCHED;
  let end = url.length;
  const q = url.indexOf('?');
  if (q !== -1) end = q;
  const h = url.indexOf('#');
  if (h !== -1 && h < end) end = h;
  if (end > MAX_PATH) return UNMATCHED;
  const path = end === url.length ? url : url.slice(0, end);
  if (path === '/') return path;
  const segments = path.split('/');
  if (segments.length > MAX_SEGMENTS + 1) return UNMATCHED;
  let changed = false;
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i]!;
    if (s !== '' && (NUMERIC.test(s) || UUID.test(s) || LONG_HEX.test(s))) {
      segments[i] = ':id';
      changed = true;
    }
  }
  return changed ? segments.join('/') : path;
}
