// The route template of an Express request: the mount paths the request took, as written, joined
// with the matched route's path. Express keeps the route on `req.route`, but of a mounted router
// only how to match its path: Express 5 (router ≥ 2.3) as `layer.rawPath`, Express 4 as the RegExp
// it compiled (express4-path.ts reads it back). `req.baseUrl` is never used: it holds the values
// (`/orgs/acme`), not the template.
//
// The router trees are indexed once, route by route with every way down to it, and again when one
// of their stacks grew (a route or a mount added later). A sub-application mounted with
// `app.use(path, sub)` hides in a closure of its parent's router: it is indexed on its own, and
// found through `req.app` (the sub-application while the request is in it) or, once seen, from
// the app the middleware is in; its mounts are the parent's `mounted_app` layers the request's path
// leads through.
import { pathOfTarget } from '../core/adapter/index.js';
import type { Express4Layer } from './express4-path.js';
import { express4Mount, withoutTrailingSlash } from './express4-path.js';

/** The parts of Express 4 and 5 router layers read here. */
interface Layer {
  readonly handle: unknown;
  readonly route?: { readonly path?: unknown };
  /** Express 5 (router ≥ 2.3): the path as given to `use()`, arrays flattened. */
  readonly rawPath?: unknown;
  /** Express 5: the `/` mount, which matches every path. */
  readonly slash?: boolean;
  /** Express 5: returns the part of `path` it matched, and which of its paths matched it. */
  match?(path: string): false | { readonly path: string; readonly pattern?: unknown };
  /** Express 4: what the path was compiled to. */
  readonly regexp?: Express4Layer['regexp'];
  readonly keys?: Express4Layer['keys'];
}

/** An Express application, as far as this file reads it: its router, and where `app.use()` mounted it. */
export interface ExpressApp {
  readonly _router?: { readonly stack: readonly Layer[] };
  readonly router?: unknown;
  readonly mountpath?: unknown;
  readonly parent?: ExpressApp;
}

/** The route of a request, `req.route`. */
export interface ExpressRoute {
  readonly path?: unknown;
}

/** A mount layer's paths as written (no trailing slash, `''` for `/`), and how a request's path takes it. */
interface Mount {
  readonly written: readonly string[];
  /** How much of `path` the layer takes, as the router matches it, `undefined` when it does not; sets `alternative`. */
  take(path: string): number | undefined;
}

/** One way down to a route: the mount layers, outermost first, and the route's own layer. */
interface Chain {
  readonly mounts: readonly Layer[];
  readonly layer: Layer;
  /** The sub-application's own mount path leads the way (several sub-applications can share a prefix). */
  readonly own: boolean;
  /** The whole template, when no mount has several paths. */
  template?: string;
}

/** One router tree, indexed: its routes with every way down to each, relative to its root. */
interface Tree {
  readonly routes: Map<object, Chain[]>;
  /** Ways down to the `mounted_app` layers of sub-applications (their apps are out of reach). */
  readonly opaque: Array<readonly Layer[]>;
  /** Applications mounted with `router.use(app)`: ways down to, and including, their layer. */
  readonly apps: Map<object, Array<readonly Layer[]>>;
  /** Every stack indexed, with its length then: a longer one means routes or mounts were added. */
  readonly stacks: Array<{ readonly stack: readonly unknown[]; readonly length: number }>;
}

/** A route or mount path as written: strings as they are, a RegExp as its literal, an array joined with commas. */
export function writtenPath(path: unknown): string {
  return Array.isArray(path) ? path.map(writtenPath).join(',') : String(path);
}

/** Which of a mount layer's paths the last `take` matched. */
let alternative = 0;
const mounts = new WeakMap<Layer, Mount>();

function mountOf(layer: Layer): Mount {
  let mount = mounts.get(layer);
  if (mount === undefined) mounts.set(layer, (mount = readMount(layer)));
  return mount;
}

function readMount(layer: Layer): Mount {
  if (layer.slash === true) return { written: [''], take: () => ((alternative = 0), 0) };
  if (layer.rawPath !== undefined && typeof layer.match === 'function') {
    const paths = Array.isArray(layer.rawPath) ? (layer.rawPath as unknown[]) : [layer.rawPath];
    return {
      written: paths.map((p) => (typeof p === 'string' ? withoutTrailingSlash(p) : String(p))),
      take(path) {
        const match = matchOf(layer, path);
        if (match === undefined) return undefined;
        alternative = Math.max(0, paths.indexOf(match.pattern));
        return match.path.length;
      },
    };
  }
  if (layer.regexp !== undefined) {
    const regexp = layer.regexp;
    const { written, alternatives } = express4Mount(layer as Express4Layer);
    return {
      written,
      take(path) {
        alternative = 0;
        if (regexp.fast_slash === true) return 0;
        if (regexp.fast_star === true) return path.length;
        if (alternatives !== undefined) {
          for (let i = 0; i < alternatives.length; i++) {
            const match = alternatives[i]!.exec(path);
            if (match !== null) return (alternative = i), match[0].length;
          }
          return undefined;
        }
        return regexp.exec(path)?.[0].length;
      },
    };
  }
  // Express 5 with router < 2.3 keeps nothing readable of the path.
  return { written: ['/*'], take: () => undefined };
}

/** Express 5's layer.match decodes parameters, and throws on a bad percent-encoding. */
function matchOf(layer: Layer, path: string): { readonly path: string; readonly pattern?: unknown } | undefined {
  try {
    return layer.match!(path) || undefined;
  } catch {
    return undefined;
  }
}

/** Whether a route's own layer matches the rest of the path, as the router matches it. */
function routeMatches(layer: Layer, path: string): boolean {
  if (typeof layer.match === 'function' && layer.regexp === undefined) return matchOf(layer, path) !== undefined;
  const regexp = layer.regexp;
  return regexp !== undefined && (regexp.fast_star === true || regexp.test(path));
}

/** The router of an application: Express 4's `_router` (made with the first route), Express 5's `router`. */
function routerOf(app: object): { readonly stack: readonly Layer[] } | undefined {
  // Express 4 throws on `app.router`.
  const router = '_router' in app || typeof (app as { lazyrouter?: unknown }).lazyrouter === 'function' ? (app as ExpressApp)._router : (app as ExpressApp).router;
  return Array.isArray((router as { stack?: unknown } | undefined)?.stack) ? (router as { stack: Layer[] }) : undefined;
}

function isApp(handle: unknown): handle is ExpressApp {
  return typeof handle === 'function' && typeof (handle as { handle?: unknown }).handle === 'function' && typeof (handle as { set?: unknown }).set === 'function';
}

function indexStack(stack: readonly Layer[], way: readonly Layer[], tree: Tree): void {
  // A router inside itself would be walked forever; Express would loop on it too.
  if (way.length > 32) return;
  tree.stacks.push({ stack, length: stack.length });
  for (const layer of stack) {
    const handle = layer.handle as { readonly stack?: unknown; readonly name?: unknown } | undefined;
    if (layer.route !== undefined) {
      const chains = tree.routes.get(layer.route) ?? [];
      chains.push({ mounts: way, layer, own: false });
      tree.routes.set(layer.route, chains);
    } else if (isApp(handle)) {
      const to = [...way, layer];
      tree.apps.set(handle, [...(tree.apps.get(handle) ?? []), to]);
      const router = routerOf(handle);
      if (router !== undefined) indexStack(router.stack, to, tree);
    } else if (Array.isArray(handle?.stack)) {
      indexStack(handle.stack as Layer[], [...way, layer], tree);
    } else if (handle?.name === 'mounted_app') {
      tree.opaque.push([...way, layer]);
    }
  }
}

function indexApp(app: ExpressApp): Tree {
  const tree: Tree = { routes: new Map(), opaque: [], apps: new Map(), stacks: [] };
  const router = routerOf(app);
  if (router !== undefined) indexStack(router.stack, [], tree);
  return tree;
}

function stale(tree: Tree): boolean {
  for (const { stack, length } of tree.stacks) if (stack.length !== length) return true;
  return false;
}

/** Takes the chain's mounts off `path` as the router does: what is left for the route, or `undefined` when a mount does not match. */
function rest(chain: Chain, path: string, chosen?: number[]): string | undefined {
  let left = path;
  for (const mount of chain.mounts) {
    const taken = mountOf(mount).take(left);
    if (taken === undefined) return undefined;
    chosen?.push(alternative);
    left = left.slice(taken);
    if (left.charCodeAt(0) !== 47 /* / */) left = `/${left}`;
  }
  return left;
}

function leads(chain: Chain, path: string): boolean {
  const left = rest(chain, path);
  return left !== undefined && routeMatches(chain.layer, left);
}

/** Joins the written mounts and the route's path; a route of `/` adds nothing to a mount. */
function join(written: readonly string[], route: ExpressRoute): string {
  let mounted = '';
  for (const part of written) mounted += mounted.endsWith('/') && part.startsWith('/') ? part.slice(1) : part;
  const own = writtenPath(route.path);
  if (mounted === '' || mounted === '/') return own;
  if (own === '/') return mounted;
  return mounted.endsWith('/') && own.startsWith('/') ? mounted + own.slice(1) : mounted + own;
}

/** The whole template of a request that came down `chain`: each mount with the path the request took. */
function templateOf(chain: Chain, route: ExpressRoute, path: string): string {
  if (chain.template !== undefined) return chain.template;
  const written = chain.mounts.map((m) => mountOf(m).written);
  if (written.every((w) => w.length === 1)) return (chain.template = join(written.map((w) => w[0]!), route));
  const chosen: number[] = [];
  if (rest(chain, path, chosen) === undefined) chosen.length = 0;
  return join(written.map((w, i) => w[chosen[i] ?? 0]!), route);
}

/**
 * Finds route templates for the apps it is asked about. `start` is the app the middleware runs
 * in, `current` the app the request is in now (`req.app`), `url` its `originalUrl`.
 */
export function routeTemplates(): (start: ExpressApp | undefined, current: ExpressApp | undefined, route: ExpressRoute | undefined, url: string) => string | undefined {
  const trees = new WeakMap<ExpressApp, Tree>();
  /** Sub-applications seen, by the app at the top of their tree. */
  const seen = new WeakMap<ExpressApp, Set<ExpressApp>>();
  /** Chains into sub-applications, by top and route, with the trees they were read from. */
  const viaSubApps = new WeakMap<ExpressApp, WeakMap<object, { chains: Chain[]; trees: Tree[] }>>();

  function treeOf(app: ExpressApp): Tree {
    let tree = trees.get(app);
    if (tree === undefined || stale(tree)) trees.set(app, (tree = indexApp(app)));
    return tree;
  }

  /** Every way from `top` down to the router of `app`, with the trees read on the way. */
  function waysTo(app: ExpressApp, top: ExpressApp, read: Tree[], depth = 0): Array<readonly Layer[]> {
    if (app === top) return [[]];
    const topTree = treeOf(top);
    const direct = topTree.apps.get(app);
    if (direct !== undefined) return direct;
    const parent = app.parent;
    if (parent === undefined || depth > 16) return [];
    const parentTree = treeOf(parent);
    read.push(parentTree);
    const ways: Array<readonly Layer[]> = [];
    for (const way of waysTo(parent, top, read, depth + 1)) for (const mount of parentTree.opaque) ways.push([...way, ...mount]);
    return ways;
  }

  /** The chains to a route of a sub-application among `apps`, from `top`; cached until one of the trees read changes. */
  function subAppChains(top: ExpressApp, apps: Iterable<ExpressApp>, route: object): Chain[] | undefined {
    let cache = viaSubApps.get(top);
    const cached = cache?.get(route);
    if (cached !== undefined && !cached.trees.some(stale)) return cached.chains;
    for (const app of apps) {
      const tree = treeOf(app);
      const inner = tree.routes.get(route);
      if (inner === undefined) continue;
      const read = [treeOf(top), tree];
      const ownPaths = mountPaths(app.mountpath);
      const chains: Chain[] = [];
      for (const way of waysTo(app, top, read)) {
        const last = way.at(-1);
        const own = last !== undefined && mountOf(last).written.some((w) => ownPaths.includes(w));
        for (const chain of inner) chains.push({ mounts: [...way, ...chain.mounts], layer: chain.layer, own });
      }
      if (chains.length === 0) continue;
      if (cache === undefined) viaSubApps.set(top, (cache = new WeakMap()));
      cache.set(route, { chains, trees: read });
      return chains;
    }
    return undefined;
  }

  /**
   * A route of a sub-application not seen yet (its first request failed, and the error took it back
   * to the parent): the route's path behind the `mounted_app` layer the path leads through, the one
   * that takes most of it when several do. Mounts inside the sub-application are not known yet.
   */
  function unseenSubApp(top: ExpressApp, route: ExpressRoute, path: string): string {
    let best: Chain | undefined;
    let left = path.length + 1;
    for (const way of treeOf(top).opaque) {
      const chain: Chain = { mounts: way, layer: { handle: undefined }, own: false };
      const after = rest(chain, path);
      if (after !== undefined && after.length < left) [best, left] = [chain, after.length];
    }
    return best === undefined ? writtenPath(route.path) : templateOf(best, route, path);
  }

  return function expressRouteTemplate(start, current, route, url) {
    if (route === undefined || start === undefined) return undefined;
    let top = start;
    for (let depth = 0; top.parent !== undefined && depth < 16; depth++) top = top.parent;
    let chains = treeOf(top).routes.get(route);
    if (chains === undefined) {
      let apps = seen.get(top);
      if (apps === undefined) seen.set(top, (apps = new Set()));
      // The request is in a sub-application, or came back from one with an error: the apps it
      // can be in now, then every sub-application seen before.
      const candidates = new Set<ExpressApp>([start, ...(current !== undefined ? [current] : []), ...apps]);
      candidates.delete(top);
      chains = subAppChains(top, candidates, route);
      if (chains === undefined) return unseenSubApp(top, route, pathOfTarget(url));
      for (let app = current; app !== undefined && app !== top && apps.size < 1000; app = app.parent) apps.add(app);
    }
    const path = pathOfTarget(url);
    // Several ways lead to a router mounted at several paths: the request's path tells which it took,
    // as the router tried them, in order. A path no way leads to (rewritten by a middleware) keeps the first.
    let chain = chains[0]!;
    if (chains.length > 1) {
      let leading: Chain | undefined;
      for (const c of chains) {
        if (!leads(c, path)) continue;
        if (c.own) {
          leading = c;
          break;
        }
        leading ??= c;
      }
      chain = leading ?? chain;
    }
    return templateOf(chain, route, path);
  };
}

/** The mount paths of a sub-application as `templateOf` writes them. */
function mountPaths(mountpath: unknown): string[] {
  const paths = Array.isArray(mountpath) ? (mountpath.flat(Infinity) as unknown[]) : [mountpath];
  return paths.map((p) => (typeof p === 'string' ? withoutTrailingSlash(p) : String(p)));
}
