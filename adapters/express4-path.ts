// Express 4 keeps of a mounted router only the RegExp path-to-regexp 0.1 compiled its path into.
// This file turns it back into the path as written, for what 0.1 makes of `/literal`, `/:param`,
// `/:param?`, `.:param`, `:param(regexp)` and `*` segments and of arrays of them. Express 4.17–4.19
// ship 0.1.7, 4.20 and later 0.1.10+, which write parameters differently; both read alike here.

/** The parts of an Express 4 router layer read here. */
export interface Express4Layer {
  readonly regexp: RegExp & { readonly fast_slash?: boolean; readonly fast_star?: boolean };
  readonly keys?: ReadonlyArray<{ readonly name: string | number; readonly optional: boolean }>;
}

/** A mount path read back: each path the layer was given, and for several, a RegExp that matches each alone. */
export interface Express4Mount {
  readonly written: readonly string[];
  readonly alternatives: readonly RegExp[] | undefined;
}

// `/:name` (0.1.10+: `(?:\/(body))`, 0.1.7: `\/(?:(body))`), `.:name` (`(?:\.(body))`), optional
// with a final `?`; the body is `[^\/]+?` (`[^/]+?` in 0.1.10+, `[^\/\.]+?` after a dot) unless
// the path gave its own. A RegExp's source escapes `/` outside classes.
const PARAM = /(\\\/)?\(\?:(\\\/|\\\.)?\(((?:[^()\\]|\\.)+)\)\)(\?)?/y;
const DEFAULT_BODY = /^\[\^\\?\/(?:\\\.)?\]\+\?$/;
const STAR = /\(\.\*\)/y;
const LITERAL = /\\[/.-]|[\w~%!$&',;=@-]/y;
const TAIL = /(?:\\\/\?)?\(\?=\\\/\|\$\)$/;

/** A path as written, without the trailing slash that joining it with what follows would double. */
export function withoutTrailingSlash(path: string): string {
  return path.endsWith('/') ? path.slice(0, -1) : path;
}

/** One alternative's source (without `^`) read back as a path, or `undefined` when it holds anything else. */
function readPath(part: string, keys: Express4Layer['keys'], key: { next: number }): string | undefined {
  const tail = TAIL.exec(part);
  if (tail === null) return undefined;
  let path = '';
  for (let i = 0; i < tail.index; ) {
    PARAM.lastIndex = i;
    const param = PARAM.exec(part);
    if (param !== null) {
      const name = keys?.[key.next++]?.name;
      if (typeof name !== 'string') return undefined;
      const own = DEFAULT_BODY.test(param[3]!) ? '' : `(${param[3]})`;
      path += `${param[1] ? '/' : ''}${param[2]?.[1] ?? ''}:${name}${own}${param[4] ?? ''}`;
      i = PARAM.lastIndex;
      continue;
    }
    STAR.lastIndex = i;
    if (STAR.exec(part) !== null) {
      if (typeof keys?.[key.next++]?.name !== 'number') return undefined;
      path += '*';
      i = STAR.lastIndex;
      continue;
    }
    LITERAL.lastIndex = i;
    const literal = LITERAL.exec(part);
    if (literal === null) return undefined;
    path += literal[0].length === 2 ? literal[0][1] : literal[0];
    i = LITERAL.lastIndex;
  }
  return withoutTrailingSlash(path);
}

/**
 * The paths Express 4 compiled into a mount layer's `regexp`, as written and without a trailing
 * slash (`''` for `/`); a RegExp mount, or anything else this does not read, is its RegExp written out.
 */
export function express4Mount(layer: Express4Layer): Express4Mount {
  const regexp = layer.regexp;
  if (regexp.fast_slash) return { written: [''], alternatives: undefined };
  const whole: Express4Mount = { written: [String(regexp)], alternatives: undefined };
  const source = regexp.source;
  // An array of paths is compiled into alternatives joined with '|', each starting with '^'
  // (before 0.1.10, the whole wrapped in a group).
  const wrapped = /^\(\?:\^.*\)$/.test(source);
  if (!wrapped && !source.startsWith('^')) return whole;
  const parts = (wrapped ? source.slice(4, -1) : source.slice(1)).split('|^');
  const key = { next: 0 };
  const written: string[] = [];
  for (const part of parts) {
    const path = readPath(part, layer.keys, key);
    if (path === undefined) return whole;
    written.push(path);
  }
  if (key.next !== (layer.keys?.length ?? 0)) return whole;
  return { written, alternatives: parts.length > 1 ? parts.map((part) => new RegExp(`^${part}`, regexp.flags)) : undefined };
}
