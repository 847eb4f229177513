import type { Registry } from 'prom-client';
import { escapeLabelValue } from '../labels.js';

const NONE: Readonly<Record<string, string>> = Object.freeze({});

/** The registry's default labels (`registry.setDefaultLabels`), which prom-client keeps privately. */
export function defaultLabelsOf(registry: Registry): Readonly<Record<string, string>> {
  const labels = (registry as unknown as { _defaultLabels?: Record<string, string> })._defaultLabels;
  return labels && typeof labels === 'object' ? labels : NONE;
}

/**
 * The default labels a family does not set itself, rendered as `name="value",…` ('' when none): a
 * label the series already has wins, as in prom-client. Computed at render time, so that labels
 * set after the metrics were created appear too.
 */
export function defaultLabelsFor(defaults: Readonly<Record<string, string>>, own: readonly string[]): string {
  let out = '';
  for (const name in defaults) {
    if (own.includes(name)) continue;
    out += `${out === '' ? '' : ','}${name}="${escapeLabelValue(String(defaults[name]))}"`;
  }
  return out;
}
