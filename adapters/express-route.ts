// The route template of an Express request: the mount paths of the routers it passed through, as
// written, joined with the matched route's path. Express keeps the route's path on `req.route`,
// but a mounted router only keeps how to match its path: Express 5 (router ≥ 2.3) as
// `layer.rawPath`, Express 4 as the RegExp path-to-regexp 0.1 made of it, which this file turns
// back into the path for what it makes of `/literal`, `/:param`, `/:param?` and `.:param`.
// `req.baseUrl` is never used: it holds the values (`/orgs/acme`), not the template.

/** The parts of Express 4 and 5 router layers read here. */
interface Layer {
  readonly handle: { readonly stack?: unknown };
  readonly route?: object;
  /** Express 5 (router ≥ 2.3): the path as given to `use()`, arrays flattened. */
  readonly rawPath?: unknown;
  /** Express 5: the `/` mount, which matches every path. */
  readonly slash?: boolean;
  /** Express 5: pure, returns the part of `path` it matched. */
  match?(path: string): false | { readonly path: string };
  /** Express 4: what the path was compiled to. */
  readonly regexp?: RegExp & { readonly fast_slash?: boolean };
  readonly keys?: ReadonlyArray<{ readonly name: string | number; readonly optional: boolean }>;
}

/** One way down the router tree to a route: the mount layers, outermost first, and the whole template once known. */
interface Chain {
  readonly mounts: readonly Layer[];
  template?: string;
}

/** What `app.use(path, subApp)` leaves on an Express sub-application. */
export interface ExpressApp {
  readonly _router?: { readonly stack: readonly Layer[] };
  readonly router?: unknown;
  readonly mountpath?: unknown;
  readonly parent?: ExpressApp;
}

/** A route or mount path as written: strings as they are, a RegExp as its literal, an array joined with commas. */
export function writtenPath(path: unknown): string {
  return Array.isArray(path) ? path.map(writtenPath).join(',') : String(path);
}

/** A mount path as written, without the trailing slash that joining it with what follows would double. */
function writtenMount(path: unknown): string {
  if (Array.isArray(path)) return path.map(writtenMount).join(',');
  return typeof path === 'string' && path.endsWith('/') ? path.slice(0, -1) : String(path);
}

// What path-to-regexp 0.1 makes of `/:name`, `/:name?` and `.:name`: `(?:\/([^/]+?))` since 0.1.10,
// `\/(?:([^\/]+?))` before; a RegExp's source escapes `/` outside classes.
const PARAM = /(\\\/)?\(\?:(\\\/|\\\.)?\(\[\^\\?\/(?:\\\.)?\]\+\?\)\)(\?)?/y;
const LITERAL = /\\[/.-]|[\w~%!$&',;=@-]/y;
const TAIL = /(?:\\\/\?)?\(\?=\\\/\|\$\)$/;

/**
 * The path Express 4 compiled into `regexp`, for what path-to-regexp 0.1 makes of `/literal`,
 * `/:param(?)` and `.:param` segments and of arrays of them; anything else is written out as the RegExp.
 */
function express4Path(layer: Layer): string {
  const regexp = layer.regexp!;
  if (regexp.fast_slash) return '';
  const keys = layer.keys ?? [];
  let key = 0;
  const paths: string[] = [];
  // An array of paths is compiled into alternatives joined with '|', each starting with '^'
  // (before 0.1.10, the whole wrapped in a group).
  const source = /^\(\?:\^.*\)$/.test(regexp.source) ? regexp.source.slice(4, -1) : regexp.source.slice(1);
  if (!regexp.source.startsWith('^') && !regexp.source.startsWith('(?:^')) return String(regexp);
  for (const part of source.split('|^')) {
    const tail = TAIL.exec(part);
    if (tail === null) return String(regexp);
    let path = '';
    for (let i = 0; i < tail.index; ) {
      PARAM.lastIndex = i;
      LITERAL.lastIndex = i;
      const param = PARAM.exec(part);
      const literal = param === null ? LITERAL.exec(part) : null;
      if (param !== null) {
        const name = keys[key++]?.name;
        if (typeof name !== 'string') return String(regexp);
        path += `${param[1] ? '/' : ''}${param[2]?.[1] ?? ''}:${name}${param[3] ?? ''}`;
        i = PARAM.lastIndex;
      } else if (literal !== null) {
        path += literal[0].length === 2 ? literal[0][1] : literal[0];
        i = LITERAL.lastIndex;
      } else {
        return String(regexp);
      }
    }
    paths.push(writtenMount(path));
  }
  return key === keys.length ? paths.join(',') : String(regexp);
}

/** The mount path of a router layer as written, without a trailing slash; `''` for `/`. */
function mountPath(layer: Layer): string {
  if (layer.slash === true) return '';
  if (layer.rawPath !== undefined) return writtenMount(layer.rawPath);
  if (layer.regexp !== undefined) return express4Path(layer);
  // Express 5 with router < 2.3 keeps nothing readable of the path.
  return '/*';
}

/** How much of `path` a mount layer takes, the way the router matches it; `undefined` when it does not match. */
function taken(layer: Layer, path: string): number | undefined {
  if (layer.slash === true || layer.regexp?.fast_slash === true) return 0;
  if (layer.match !== undefined && layer.rawPath !== undefined) {
    const match = layer.match(path);
    return match === false ? undefined : match.path.length;
  }
  const match = layer.regexp?.exec(path);
  return match ? match[0].length : undefined;
}

/** Every route of a router tree, with the ways to reach it. */
type Index = WeakMap<object, Chain[]>;

function indexRouter(stack: readonly Layer[], mounts: readonly Layer[], index: Index): void {
  for (const layer of stack) {
    if (layer.route !== undefined) {
      const chains = index.get(layer.route) ?? [];
      chains.push({ mounts });
      index.set(layer.route, chains);
    } else if (Array.isArray(layer.handle?.stack)) {
      indexRouter(layer.handle.stack as Layer[], [...mounts, layer], index);
    }
  }
}

function routerOf(app: ExpressApp): { readonly stack: readonly Layer[] } | undefined {
  // Express 4 throws on `app.router`; its router is `_router`, made with the first route.
  if ('_router' in app || typeof (app as { lazyrouter?: unknown }).lazyrouter === 'function') return app._router;
  const router = app.router as { stack?: unknown } | undefined;
  return Array.isArray(router?.stack) ? (router as { stack: Layer[] }) : undefined;
}

/** Whether a request for `path` can have come down `chain`, matching each mount as the router does. */
function leadsTo(chain: Chain, path: string): boolean {
  let rest = path;
  for (const mount of chain.mounts) {
    const n = taken(mount, rest);
    if (n === undefined) return false;
    rest = rest.slice(n);
    if (!rest.startsWith('/')) rest = `/${rest}`;
  }
  return true;
}

/** The whole template: where the (sub-)application was mounted, the mount paths down the chain, the route's path. */
function templateOf(app: ExpressApp, chain: Chain, route: { readonly path?: unknown }): string {
  let mounted = chain.mounts.map(mountPath).join('');
  // A sub-application (app.use('/admin', admin)) knows where it was mounted.
  for (let sub = app; sub.parent !== undefined; sub = sub.parent) mounted = writtenMount(sub.mountpath) + mounted;
  const own = writtenPath(route.path);
  if (mounted === '' || mounted === '/') return own;
  return own === '/' ? mounted : mounted + own;
}

/**
 * Finds route templates for the apps it is asked about. Each app's router tree is indexed on the
 * first request, and again when a route turns up that the index does not know (added later).
 */
export function routeTemplates(): (app: ExpressApp | undefined, route: { readonly path?: unknown } | undefined, url: string) => string | undefined {
  const indexes = new WeakMap<ExpressApp, Index>();

  function chainsOf(app: ExpressApp, route: object): Chain[] {
    let index = indexes.get(app);
    let chains = index?.get(route);
    if (chains !== undefined) return chains;
    index = new WeakMap();
    const router = routerOf(app);
    if (router !== undefined) indexRouter(router.stack, [], index);
    indexes.set(app, index);
    chains = index.get(route);
    // Not in this app's tree (a route the request left for an error handler higher up): not indexed again for it.
    if (chains === undefined) index.set(route, (chains = []));
    return chains;
  }

  return function expressRouteTemplate(app, route, url) {
    if (route === undefined || app === undefined) return undefined;
    const chains = chainsOf(app, route);
    // Several ways lead to a router mounted at several paths: the request's path tells which it took.
    const chain = chains.length === 1 ? chains[0] : chains.find((c) => leadsTo(c, url.split('?', 1)[0]!));
    if (chain === undefined) return writtenPath(route.path);
    return (chain.template ??= templateOf(app, chain, route));
  };
}
