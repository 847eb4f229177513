import { checkObject, describeValue, optionError } from '../errors.js';
import type { LabelValues } from '../metrics/metric.js';

/**
 * Label values for a metric factory. Typed as strings, but a function's odd result is passed on
 * as it is: the factory records it as `__invalid__` and counts it, which is the point.
 */
export type ResolveLabels<Args extends readonly unknown[]> = (args: Args) => LabelValues<string>;

/** Checks `labels` at construction and returns its names and a resolver that never throws. */
export function compileLabels<Args extends readonly unknown[]>(where: string, labels: unknown): { names: string[]; resolve: ResolveLabels<Args> } {
  const object = checkObject(`${where}: "labels"`, labels);
  const entries = Object.entries(object);
  for (const [name, source] of entries) {
    if (typeof source !== 'string' && typeof source !== 'function') {
      throw optionError(`${where}: label "${name}" must be a string or a function of the request returning a string, e.g. (ctx) => ctx.params.id; got ${describeValue(source)}.`);
    }
  }
  const n = entries.length;
  const names = entries.map(([name]) => name);
  const sources = entries.map(([, source]) => source as string | ((...a: Args) => unknown));
  return {
    names,
    resolve(args) {
      const values: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const source = sources[i]!;
        if (typeof source === 'string') values[names[i]!] = source;
        else {
          try {
            values[names[i]!] = source(...args);
          } catch {
            // Left undefined: the factory records `__invalid__` and counts the mistake.
            values[names[i]!] = undefined;
          }
        }
      }
      return values as LabelValues<string>;
    },
  };
}
