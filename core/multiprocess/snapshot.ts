import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { defaultLabelsOf } from '../exposition/default-labels.js';
import { FORMAT, foreignVersion, unreadable } from './damage.js';
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
  const text = JSON.stringify({ promhttp: FORMAT, at: Date.now(), metrics }, (_key, value: unknown) => (typeof value === 'number' ? encodeNumber(value) : value));
  const tmp = join(storePath, `${SNAPSHOT_FILE}.tmp`);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, join(storePath, SNAPSHOT_FILE));
  } catch (error) {
    // On a full disk, a partial copy would only hold on to space the next write needs.
    rmSync(tmp, { force: true });
    throw error;
  }
}

/** A store's snapshot as read: its metrics, and what could not be read of it. */
export interface ReadSnapshot {
  readonly metrics: PlainMetric[];
  readonly problem: string | undefined;
}

/**
 * The store's last snapshot; `undefined` if there is no file (none written yet, or the store
 * moved). One that cannot be read gives what it could and says why; a snapshot without a
 * `promhttp` field is of this format (it was written before the field was).
 */
export function readSnapshot(storePath: string): ReadSnapshot | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(storePath, SNAPSHOT_FILE));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    return { metrics: [], problem: unreadable(error) };
  }
  // Written whole and renamed into place: an empty file was cut, not being written.
  if (bytes.length === 0) return { metrics: [], problem: 'is empty (0 bytes)' };
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { metrics: [], problem: 'is truncated or corrupted: it is not JSON' };
  }
  if (raw === null || typeof raw !== 'object' || !Array.isArray((raw as { metrics?: unknown }).metrics)) return { metrics: [], problem: 'is corrupted: it holds no list of metrics' };
  const version = (raw as { promhttp?: unknown }).promhttp;
  if (version !== undefined && version !== FORMAT) return { metrics: [], problem: `was ${foreignVersion(version)}` };
  const dropped = { bad: 0 };
  const metrics = readPlainMetrics((raw as { metrics: unknown }).metrics, dropped);
  return { metrics, problem: dropped.bad > 0 ? 'is corrupted: some of its metrics do not parse' : undefined };
}
