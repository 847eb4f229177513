import { describeValue, optionError } from './errors.js';

/** A path to leave out of the request metrics: an exact path, a pattern, or a predicate. */
export type ExcludeRule = string | RegExp | ((path: string) => boolean);

/**
 * Compiles `exclude` once. Returns `undefined` when nothing is excluded, so the hot path can skip
 * the check entirely.
 */
export function compileExclude(where: string, rules: ExcludeRule | readonly ExcludeRule[] | undefined): ((path: string) => boolean) | undefined {
  if (rules === undefined) return undefined;
  const list = Array.isArray(rules) ? (rules as readonly ExcludeRule[]) : [rules as ExcludeRule];
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  const predicates: Array<(path: string) => boolean> = [];
  for (const rule of list) {
    if (typeof rule === 'string') {
      if (!rule.startsWith('/')) throw optionError(`${where}: exclude path ${JSON.stringify(rule)} must start with "/", e.g. "/health".`);
      exact.add(rule);
    } else if (rule instanceof RegExp) {
      // A global or sticky RegExp keeps state between test() calls and would skip every other match.
      patterns.push(rule.global || rule.sticky ? new RegExp(rule.source, rule.flags.replace(/[gy]/g, '')) : rule);
    } else if (typeof rule === 'function') {
      predicates.push(rule);
    } else {
      throw optionError(`${where}: "exclude" takes paths, RegExps or functions (path) => boolean, got ${describeValue(rule)}.`);
    }
  }
  if (exact.size + patterns.length + predicates.length === 0) return undefined;
  return function isExcluded(path: string): boolean {
    if (exact.has(path)) return true;
    for (const p of patterns) if (p.test(path)) return true;
    for (const p of predicates) {
      try {
        if (p(path)) return true;
      } catch {
        // A throwing predicate must not break the request; the request is then recorded.
      }
    }
    return false;
  };
}
