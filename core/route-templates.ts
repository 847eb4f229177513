import { describeValue, optionError } from './errors.js';

/** Finds the template a request path matches: the template as written, or `undefined`. */
export type TemplateMatcher = (path: string) => string | undefined;

/** A node of the template tree: one per distinct template prefix, segment by segment. */
interface Node {
  /** Literal next segments, tried first. */
  readonly literals: Array<{ readonly text: string; readonly node: Node }>;
  /** `:name` as the next segment: any non-empty segment. */
  param: Node | undefined;
  /** The template ending in `*` here: the rest of the path, slashes included, possibly empty. */
  rest: string | undefined;
  /** The template ending here. */
  end: string | undefined;
}

const PARAM = /^:[A-Za-z_$][A-Za-z0-9_$]*$/;
/** Plain text, percent-encodings and non-ASCII characters: what a literal segment may hold. */
const LITERAL = /^(?:[A-Za-z0-9\-._~!$&',;=@\u0080-\uFFFF]|%[0-9A-Fa-f]{2})*$/;
const NON_ASCII = /[\u0080-\uFFFF]+/g;

/**
 * A literal segment as runtimes serialise it in `request.url`: non-ASCII characters
 * percent-encoded as UTF-8 (uppercase hex, as the URL parser and URLPattern write them),
 * percent-encodings left as written; `undefined` when it holds a lone surrogate.
 */
function encodedLiteral(segment: string): string | undefined {
  try {
    return segment.replace(NON_ASCII, (text) => encodeURIComponent(text));
  } catch {
    return undefined;
  }
}

const node = (): Node => ({ literals: [], param: undefined, rest: undefined, end: undefined });

function templateError(where: string, template: string, why: string): TypeError {
  return optionError(`${where}: route template ${JSON.stringify(template)} ${why}`);
}

/** Adds one template to the tree, checking it against the syntax both URLPattern and this matcher read alike. */
function add(where: string, root: Node, template: string): void {
  if (!template.startsWith('/')) throw templateError(where, template, 'must start with "/", e.g. "/users/:id".');
  const segments = template.slice(1).split('/');
  let at = root;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const last = i === segments.length - 1;
    if (segment === '*') {
      if (!last) throw templateError(where, template, 'has "*" before its end; "*" stands for the rest of the path, e.g. "/files/*".');
      if (at.rest !== undefined) throw templateError(where, template, `matches the same paths as ${JSON.stringify(at.rest)}; give one of them.`);
      at.rest = template;
      return;
    }
    if (segment.startsWith(':')) {
      if (!PARAM.test(segment)) throw templateError(where, template, `has a parameter ${JSON.stringify(segment)} that is not a whole segment named like a variable, e.g. "/files/:name".`);
      at = at.param ??= node();
    } else {
      const text = segment === '.' || segment === '..' || !LITERAL.test(segment) ? undefined : encodedLiteral(segment);
      if (text === undefined) {
        throw templateError(
          where,
          template,
          `has a segment ${JSON.stringify(segment)} that is not plain text; write letters (any script), digits and -._~!$&',;=@, percent-encode anything else (%20 for a space), or write a whole-segment ":name" or a final "*".`,
        );
      }
      let next = at.literals.find((l) => l.text === text)?.node;
      if (next === undefined) at.literals.push({ text, node: (next = node()) });
      at = next;
    }
  }
  if (at.end !== undefined) throw templateError(where, template, `matches the same paths as ${JSON.stringify(at.end)}; give one of them.`);
  at.end = template;
}

/** The most specific template under `at` matching `path` from `from` (the start of a segment); allocates nothing. */
function find(at: Node, path: string, from: number): string | undefined {
  let stop = path.indexOf('/', from);
  if (stop === -1) stop = path.length;
  const last = stop === path.length;
  const literals = at.literals;
  for (let i = 0; i < literals.length; i++) {
    const literal = literals[i]!;
    if (literal.text.length === stop - from && path.startsWith(literal.text, from)) {
      const found = last ? literal.node.end : find(literal.node, path, stop + 1);
      if (found !== undefined) return found;
    }
  }
  const param = at.param;
  if (param !== undefined && stop > from) {
    const found = last ? param.end : find(param, path, stop + 1);
    if (found !== undefined) return found;
  }
  return at.rest;
}

/**
 * Compiles route templates (`/users/:id`, `/files/*`) into a matcher that returns the template a
 * request path (still percent-encoded, no query) matches. The syntax is the part of URLPattern's
 * that reads the same everywhere: literal segments, `:name` for a whole non-empty segment, and a
 * final `*` for the rest of the path (empty included, so `/files/*` matches `/files/` but not
 * `/files`). Matching is case-sensitive, and a trailing slash is a segment of its own. A literal
 * matches the path as runtimes serialise it, as URLPattern does: `/café` matches `/caf%C3%A9`,
 * and a percent-encoding in a template (`/caf%C3%A9`, `/50%25`) matches itself, hex case included.
 *
 * When several templates match, the most specific wins: at the first segment where they differ, a
 * literal beats a `:name`, which beats `*`. Two templates that would match the same paths are
 * rejected, so the order of the list never matters. Matching walks a tree of the templates, once
 * per segment, without allocating; URLPattern would take several microseconds per template.
 * @returns `undefined` when `templates` is undefined
 */
export function compileRouteTemplates(where: string, templates: unknown): TemplateMatcher | undefined {
  if (templates === undefined) return undefined;
  if (!Array.isArray(templates) || templates.length === 0) {
    throw optionError(`${where}: "routes" must be a non-empty array of route templates, e.g. ["/users/:id", "/files/*"], got ${describeValue(templates)}.`);
  }
  const root = node();
  for (const template of templates as unknown[]) {
    if (typeof template !== 'string') throw optionError(`${where}: "routes" takes route templates as strings, e.g. "/users/:id", got ${describeValue(template)}.`);
    add(where, root, template);
  }
  return function matchRouteTemplate(path) {
    return path.charCodeAt(0) === 47 /* / */ ? find(root, path, 1) : undefined;
  };
}
