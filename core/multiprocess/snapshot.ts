import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { defaultLabelsOf } from '../exposition/default-labels.js';
import { encodeNumber } from './numbers.js';
import type { PlainMetric, PlainSample } from './plain.js';
import { readPlainMetrics } from './plain.js';

/** Marks promhttp's own collectors (same global symbols as core/store), which are not plain metrics. */
const RENDER = Symbol.for('promhttp.render');
const RENDER_MERGED = Symbol.for('promhttp.renderMerged');

interface PromClientMetric {
  name: string;
  get(): unknown;
}

/**
 * The registry's plain prom-client metrics as they are now, default labels applied. A failing
 * collector rejects (the scrape answers 500, as in single-process mode) unless `skipFailing`.
 */
export async function collectPlain(registry: Registry, skipFailing = false): Promise<PlainMetric[]> {
  const defaults = defaultLabelsOf(registry);
  const out: PlainMetric[] = [];
  for (const metric of registry.getMetricsAsArray() as unknown as PromClientMetric[]) {
    if (RENDER in metric || RENDER_MERGED in metric) continue;
    let object: { name: string; help: string; type: string; values?: Array<Omit<PlainSample, 'labels'> & { labels?: PlainSample['labels'] }> };
    try {
      object = (await metric.get()) as typeof object;
    } catch (error) {
      if (skipFailing) continue;
      throw new Error(`collecting "${metric.name}" failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    const values = (object.values ?? []).map((x) => ({
      ...(x.metricName !== undefined ? { metricName: x.metricName } : {}),
      labels: { ...defaults, ...x.labels },
      value: x.value,
    }));
    out.push({ name: object.name, help: object.help, type: String(object.type), values });
  }
  return out;
}

export const SNAPSHOT_FILE = 'plain.json';

/** Replaces the store's snapshot in one rename, so readers never see half of one. */
export function writeSnapshot(storePath: string, metrics: readonly PlainMetric[]): void {
  const text = JSON.stringify({ at: Date.now(), metrics }, (_key, value: unknown) => (typeof value === 'number' ? encodeNumber(value) : value));
  const tmp = join(storePath, `${SNAPSHOT_FILE}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, join(storePath, SNAPSHOT_FILE));
}

/** The store's last snapshot, `[]` if unreadable, `undefined` if there is no file (none written yet, or the store moved). */
export function readSnapshot(storePath: string): PlainMetric[] | undefined {
  let text: string;
  try {
    text = readFileSync(join(storePath, SNAPSHOT_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    return readPlainMetrics((JSON.parse(text) as { metrics?: unknown }).metrics);
  } catch {
    return [];
  }
}
