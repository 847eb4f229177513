// A YAML writer for the shapes the rule files and manifests have (maps, lists, strings, numbers,
// booleans), so the generator needs no YAML library at run time. Strings that could be read as
// something else are quoted.

type Value = string | number | boolean | null | undefined | readonly Value[] | { readonly [key: string]: Value };

const PLAIN = /^[A-Za-z_/][\w./:-]*$/;
const RESERVED = /^(?:true|false|yes|no|on|off|null|y|n|~)$/i;

function scalar(value: string | number | boolean | null): string {
  if (typeof value !== 'string') return String(value);
  if (PLAIN.test(value) && !RESERVED.test(value) && !value.endsWith(':')) return value;
  // Single quotes keep PromQL's double quotes readable; only control characters need JSON's escapes.
  return [...value].some((c) => c < ' ' || c === '\u007f') ? JSON.stringify(value) : `'${value.replace(/'/g, "''")}'`;
}

function isScalar(value: Value): value is string | number | boolean | null {
  return value === null || typeof value !== 'object';
}

function lines(value: Value, indent: string): string[] {
  if (Array.isArray(value)) {
    if (value.length === 0) return [`${indent}[]`];
    return value.flatMap((item: Value) => {
      if (isScalar(item)) return [`${indent}- ${scalar(item)}`];
      const [first, ...rest] = lines(item, `${indent}  `);
      return [`${indent}- ${first!.trimStart()}`, ...rest];
    });
  }
  const entries = Object.entries(value as Record<string, Value>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return [`${indent}{}`];
  return entries.flatMap(([key, v]) => {
    const k = scalar(key);
    if (isScalar(v)) return [`${indent}${k}: ${scalar(v)}`];
    if (Array.isArray(v) && v.length === 0) return [`${indent}${k}: []`];
    if (!Array.isArray(v) && Object.keys(v as object).length === 0) return [`${indent}${k}: {}`];
    return [`${indent}${k}:`, ...lines(v, `${indent}  `)];
  });
}

/** `value` as a YAML document. */
export function toYaml(value: Value): string {
  return `${lines(value, '').join('\n')}\n`;
}

export type { Value as YamlValue };
