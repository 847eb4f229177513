// Express 4 keeps of a mounted router only the RegExp path-to-regexp 0.1 compiled its path into.
// Express 4.17–4.19 ship path-to-regexp 0.1.7, 4.20 and later 0.1.10+, which write parameters
// differently; the mount paths must read the same from both.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { routeTemplates } from '../adapters/express-route.js';

const require = createRequire(import.meta.url);
type Compile = (path: unknown, keys: unknown[], options: object) => RegExp & { fast_slash?: boolean };
const COMPILERS: Array<[string, Compile]> = [
  ['0.1.7 (Express 4.17–4.19)', require('path-to-regexp-0.1.7') as Compile],
  ['0.1.13 (Express 4.22)', require(require.resolve('path-to-regexp', { paths: [require.resolve('express4')] })) as Compile],
];

/** An app whose router mounts one router at `path`, as Express 4's `app.use(path, router)` does. */
function appMounting(compile: Compile, path: unknown, route: object): object {
  const keys: unknown[] = [];
  const regexp = compile(path, keys, { end: false, sensitive: false, strict: false });
  regexp.fast_slash = path === '/';
  return { _router: { stack: [{ handle: { stack: [{ handle: {}, route }] }, regexp, keys }] } };
}

describe.each(COMPILERS)('Express 4 mount paths compiled by path-to-regexp %s', (_version, compile) => {
  it.each([
    ['/orgs/:org', '/orgs/acme/repos/web', '/orgs/:org/repos/:repo'],
    ['/docs/:lang?', '/docs/repos/web', '/docs/:lang?/repos/:repo'],
    ['/files.:ext', '/files.txt/repos/web', '/files.:ext/repos/:repo'],
    ['/API/v1/', '/api/v1/repos/web', '/API/v1/repos/:repo'],
    ['/num/:id(\\d+)', '/num/7/repos/web', '/num/:id(\\d+)/repos/:repo'],
    ['/', '/repos/web', '/repos/:repo'],
    // A RegExp is written out as its literal, and the route's path follows it without a second slash.
    [/^\/v\d+/, '/v2/repos/web', '/^\\/v\\d+/repos/:repo'],
    // Of an array, the path the request took.
    [['/a', '/b/:id'], '/b/7/repos/web', '/b/:id/repos/:repo'],
    [['/a', '/b/:id'], '/a/repos/web', '/a/repos/:repo'],
  ])('reads %j back as written (%s)', (path, url, template) => {
    const route = { path: '/repos/:repo' };
    const app = appMounting(compile, path, route) as never;
    expect(routeTemplates()(app, app, route, url)).toBe(template);
  });
});
