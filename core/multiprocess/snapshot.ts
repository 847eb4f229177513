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
  labelNames?: unknown;
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
    const labelNames = Array.isArray(metric.labelNames) ? { labelNames: metric.labelNames as string[] } : {};
    out.push({ name: object.name, help: object.help, type: String(object.type), ...labelNames, values });
  }
  return out;
}

export const SNAPSHOT_FILE = 'plain.json';

/**
 * What a store saves of its registry besides promhttp's own values: the plain prom-client metrics,
 * and the registry's default labels (`registry.setDefaultLabels`), which label every series of the
 * store, promhttp's included, as they label the process's own `/metrics`.
 */
export interface Snapshot {
  readonly metrics: readonly PlainMetric[];
  readonly labels: Readonly<Record<string, string>>;
}

/** Replaces the store's snapshot in one rename, so readers never see half of one. */
export function writeSnapshot(storePath: string, snapshot: Snapshot): void {
  const { metrics, labels } = snapshot;
  const text = JSON.stringify({ promhttp: FORMAT, at: Date.now(), labels, metrics }, (_key, value: unknown) => (typeof value === 'number' ? encodeNumber(value) : value));
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

/** A store's snapshot as read: its metrics and default labels, and what could not be read of it. */
export interface ReadSnapshot {
  readonly metrics: PlainMetric[];
  /** `undefined` in a snapshot written before snapshots held them, or that cannot be read. */
  readonly labels: Readonly<Record<string, string>> | undefined;
  readonly problem: string | undefined;
}

/** Default labels from untrusted JSON: an object of strings (prom-client also takes numbers), else `undefined`. */
export function readLabels(raw: unknown): Record<string, string> | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value !== 'string' && typeof value !== 'number') return undefined;
    labels[name] = String(value);
  }
  return labels;
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
    return { metrics: [], labels: undefined, problem: unreadable(error) };
  }
  const broken = (problem: string): ReadSnapshot => ({ metrics: [], labels: undefined, problem });
  // Written whole and renamed into place: an empty file was cut, not being written.
  if (bytes.length === 0) return broken('is empty (0 bytes)');
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    return broken('is truncated or corrupted: it is not JSON');
  }
  if (raw === null || typeof raw !== 'object' || !Array.isArray((raw as { metrics?: unknown }).metrics)) return broken('is corrupted: it holds no list of metrics');
  const version = (raw as { promhttp?: unknown }).promhttp;
  if (version !== undefined && version !== FORMAT) return broken(`was ${foreignVersion(version)}`);
  const given = (raw as { labels?: unknown }).labels;
  const labels = given === undefined ? undefined : readLabels(given);
  if (given !== undefined && labels === undefined) return broken('is corrupted: its default labels are not an object of strings');
  const dropped = { bad: 0 };
  const metrics = readPlainMetrics((raw as { metrics: unknown }).metrics, dropped);
  return { metrics, labels, problem: dropped.bad > 0 ? 'is corrupted: some of its metrics do not parse' : undefined };
}
