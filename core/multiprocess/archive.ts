import type { FamilyDef } from '../store/types.js';
import { readFamilyDef } from './meta.js';
import { decodeNumber, encodeNumber } from './numbers.js';
import type { PlainMetric } from './plain.js';
import { readPlainMetrics } from './plain.js';

/**
 * What a store has absorbed from dead stores (`archive.<id>.json`): their merged values, and the
 * keys of everything absorbed, so that readers skip the originals. Only its owner writes it, and
 * only by an atomic replace, so its content and its `absorbed` list always agree. A name may have
 * several families, one per definition processes used (buckets, labels, type): they are never
 * merged into one another, so nothing is lost when a deploy changes a definition.
 */
export interface Archive {
  readonly promhttp: 1;
  readonly owner: string;
  /** `p:<id>` (a store) or `a:<id>` (an archive) → unix ms of its absorption. */
  readonly absorbed: Readonly<Record<string, number>>;
  readonly families: readonly ArchivedFamily[];
  /** Plain prom-client counters, histograms and summaries of dead stores, summed. */
  readonly plain: readonly PlainMetric[];
}

export interface ArchivedFamily {
  readonly def: FamilyDef;
  /**
   * When the most recently started process that had this definition started (unix ms), so that
   * the newest definition of a name is still known once its processes are archived. 0 if unknown.
   */
  readonly since: number;
  readonly series: readonly ArchivedSeries[];
}

export interface ArchivedSeries {
  /** Label values, in the order of `def.labelNames`. */
  readonly labels: readonly string[];
  /** For `all` gauges: the worker the value belongs to. */
  readonly worker?: string;
  /** The slots (layout of `seriesWidth`). */
  readonly slots: readonly number[];
}

export function encodeArchive(archive: Archive): string {
  return JSON.stringify({
    promhttp: 1,
    owner: archive.owner,
    absorbed: archive.absorbed,
    families: archive.families.map(({ def, since, series }) => ({
      name: def.name,
      help: def.help,
      type: def.type,
      labels: def.labelNames,
      buckets: def.buckets,
      mode: def.gaugeMode,
      info: def.info,
      since,
      series: series.map((s) => ({ l: s.labels, w: s.worker, v: s.slots.map(encodeNumber) })),
    })),
    plain: archive.plain.map((m) => ({ ...m, values: m.values.map((x) => ({ ...x, value: encodeNumber(x.value) })) })),
  });
}

/** Reads an archive from untrusted text; parts that do not parse are dropped, `undefined` if nothing does. */
export function decodeArchive(text: string): Archive | undefined {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (raw === null || typeof raw !== 'object' || raw.promhttp !== 1 || typeof raw.owner !== 'string') return undefined;
  const absorbed: Record<string, number> = {};
  if (raw.absorbed && typeof raw.absorbed === 'object') {
    for (const [key, at] of Object.entries(raw.absorbed)) if (typeof at === 'number') absorbed[key] = at;
  }
  const families: ArchivedFamily[] = [];
  for (const f of Array.isArray(raw.families) ? (raw.families as Array<Record<string, unknown>>) : []) {
    const def = f && typeof f === 'object' ? readFamilyDef(f) : undefined;
    if (!def || !Array.isArray(f.series)) continue;
    const series: ArchivedSeries[] = [];
    for (const s of f.series as Array<Record<string, unknown>>) {
      if (!s || !Array.isArray(s.l) || !Array.isArray(s.v)) continue;
      const slots = (s.v as unknown[]).map(decodeNumber);
      if (slots.some((x) => x === undefined) || (s.l as unknown[]).some((x) => typeof x !== 'string')) continue;
      series.push({ labels: s.l as string[], ...(typeof s.w === 'string' ? { worker: s.w } : {}), slots: slots as number[] });
    }
    families.push({ def, since: typeof f.since === 'number' && Number.isFinite(f.since) ? f.since : 0, series });
  }
  return { promhttp: 1, owner: raw.owner, absorbed, families, plain: readPlainMetrics(raw.plain) };
}
