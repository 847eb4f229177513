/** Every error promhttp raises at construction starts with this, so it is easy to grep for. */
export function optionError(message: string): TypeError {
  return new TypeError(`promhttp: ${message}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof RegExp) return `a RegExp (${String(value)})`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/** Edit distance, case-insensitive; option names are short, so the quadratic table is cheap. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let row = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const next = [i];
    for (let j = 1; j <= y.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    row = next;
  }
  return row[y.length]!;
}

/** The known key a typo most likely meant (`pth` → `path`, `exlude` → `exclude`), if any is close. */
export function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(key.length / 3)) + 1;
  for (const k of known) {
    const d = distance(key, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

/**
 * Rejects keys the caller did not mean: a typo such as `bucket` for `buckets` would otherwise be
 * ignored silently and the user would wonder why the option has no effect.
 */
export function checkKeys(where: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    // Among keys that start alike (maxRoutes, maxSeries), the nearest one.
    const alike = known.filter((k) => k.toLowerCase().startsWith(key.toLowerCase().slice(0, 3)));
    const close = alike.length > 0 ? alike.reduce((a, b) => (distance(key, b) < distance(key, a) ? b : a)) : closest(key, known);
    throw optionError(
      `${where}: unknown option "${key}".${close ? ` Did you mean "${close}"?` : ''} Known options: ${known.join(', ')}.`,
    );
  }
}

export function checkObject(where: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw optionError(`${where} takes an options object, got ${describe(value)}.`);
  }
  return value as Record<string, unknown>;
}

export function checkType(where: string, name: string, value: unknown, type: string, hint: string): void {
  if (value === undefined || typeof value === type) return;
  throw optionError(`${where}: "${name}" must be ${hint}, got ${describe(value)}.`);
}

export { describe as describeValue };
