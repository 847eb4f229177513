import { describe, expect, it } from 'vitest';
import { normalizePath } from 'promhttp';

/** The rule as the README states it, written the obvious way: the oracle for the one-pass version. */
function byTheRule(url: string): string {
  if (!url.startsWith('/')) return 'unmatched';
  const path = url.split(/[?#]/)[0]!;
  if (path.length > 256) return 'unmatched';
  const segments = path.split('/');
  if (segments.length > 17) return 'unmatched';
  const id = (s: string): boolean => /^\d+$/.test(s) || /^[0-9a-f]{16,}$/i.test(s) || /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
  return segments.map((s) => (s !== '' && id(s) ? ':id' : s)).join('/');
}

describe('normalizePath', () => {
  it.each([
    ['/', '/'],
    ['/users/42', '/users/:id'],
    ['/users/42/', '/users/:id/'],
    ['/users/42?tab=1/2', '/users/:id'],
    ['/users/42#top', '/users/:id'],
    ['/a/b#c?d', '/a/b'],
    ['/users/550e8400-e29b-41d4-a716-446655440000/posts/7', '/users/:id/posts/:id'],
    ['/users/550E8400-E29B-41D4-A716-446655440000', '/users/:id'],
    ['/users/550e8400-e29b-41d4-a716-44665544000g', '/users/550e8400-e29b-41d4-a716-44665544000g'],
    ['/blobs/0123456789abcdefAB', '/blobs/:id'],
    ['/blobs/0123456789abcde', '/blobs/0123456789abcde'],
    ['/users/12a', '/users/12a'],
    ['/users//42', '/users//:id'],
    ['/1', '/:id'],
    ['//', '//'],
    ['/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16', '/:id/:id/:id/:id/:id/:id/:id/:id/:id/:id/:id/:id/:id/:id/:id/:id'],
    ['/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17', 'unmatched'],
    [`/${'z'.repeat(256)}`, 'unmatched'],
    [`/${'z'.repeat(255)}?${'q'.repeat(300)}`, `/${'z'.repeat(255)}`],
    ['*', 'unmatched'],
    ['http://example.com/users/1', 'unmatched'],
    ['', 'unmatched'],
  ])('%s → %s', (url, label) => {
    expect(normalizePath(url)).toBe(label);
    expect(byTheRule(url)).toBe(label);
  });

  it('labels undefined (a request without a URL) unmatched', () => {
    expect(normalizePath(undefined)).toBe('unmatched');
  });

  it('agrees with the rule on 20,000 generated paths', () => {
    const parts = ['42', 'users', '', 'deadbeefdeadbeef00', '550e8400-e29b-41d4-a716-446655440000', 'x1', '0', 'ABCDEF0123456789', 'v2', '%20'];
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    let ids = 0;
    for (let i = 0; i < 20_000; i++) {
      const n = 1 + next(19);
      const path = `/${Array.from({ length: n }, () => parts[next(parts.length)]).join('/')}`;
      const url = path + ['', '?a=/1', '#/2', '?'][next(4)];
      const label = normalizePath(url);
      expect(label, url).toBe(byTheRule(url));
      if (label.includes(':id')) ids++;
    }
    // The corpus exercises both outcomes.
    expect(ids).toBeGreaterThan(5_000);
    expect(ids).toBeLessThan(19_000);
  });
});
