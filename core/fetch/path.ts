/**
 * The path of a request URL (`http://host/path?query`) as the runtime serialised it: still
 * percent-encoded, without the query. Fetch runtimes hand over absolute URLs, so this skips the
 * scheme and host without parsing the URL.
 */
export function pathOfUrl(url: string): string {
  const start = url.indexOf('/', url.indexOf(':') + 3);
  if (start === -1) return '/';
  const query = url.indexOf('?', start);
  return query === -1 ? url.slice(start) : url.slice(start, query);
}
