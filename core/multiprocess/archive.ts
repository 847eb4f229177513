import type { Steps } from '../exposition/slice.js';
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

/** Series per line of an archive file: each line parses in well under a millisecond. */
const SERIES_PER_LINE = 256;

/**
 * One JSON line with the owner, the absorbed keys and the plain metrics, then a line per family
 * (a large family over several lines), so that a reader parses a large archive a slice at a time.
 */
export function* encodeArchive(archive: Archive): Steps<string> {
  const head = JSON.stringify({
    promhttp: 1,
    owner: archive.owner,
    absorbed: archive.absorbed,
    plain: archive.plain.map((m) => ({ ...m, values: m.values.map((x) => ({ ...x, value: encodeNumber(x.value) })) })),
  });
  const lines = [head];
  for (const { def, since, series } of archive.families) {
    const family = { name: def.name, help: def.help, type: def.type, labels: def.labelNames, buckets: def.buckets, mode: def.gaugeMode, info: def.info, since };
    for (let from = 0; from < series.length; from += SERIES_PER_LINE) {
      lines.push(JSON.stringify({ ...family, series: series.slice(from, from + SERIES_PER_LINE).map((s) => ({ l: s.labels, w: s.worker, v: s.slots.map(encodeNumber) })) }));
      yield;
    }
  }
  return `${lines.join('\n')}\n`;
}

function readFamily(f: Record<string, unknown>): ArchivedFamily | undefined {
  const def = f && typeof f === 'object' ? readFamilyDef(f) : undefined;
  if (!def || !Array.isArray(f.series)) return undefined;
  const series: ArchivedSeries[] = [];
  for (const s of f.series as Array<Record<string, unknown>>) {
    if (!s || !Array.isArray(s.l) || !Array.isArray(s.v)) continue;
    const slots = (s.v as unknown[]).map(decodeNumber);
    if (slots.some((x) => x === undefined) || (s.l as unknown[]).some((x) => typeof x !== 'string')) continue;
    series.push({ labels: s.l as string[], ...(typeof s.w === 'string' ? { worker: s.w } : {}), slots: slots as number[] });
  }
  return { def, since: typeof f.since === 'number' && Number.isFinite(f.since) ? f.since : 0, series };
}

function parseLine(text: string): Record<string, unknown> | undefined {
  try {
    const line = JSON.parse(text) as unknown;
    return line !== null && typeof line === 'object' ? (line as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads an archive from untrusted bytes, yielding between lines; parts that do not parse are
 * dropped, `undefined` if the first line does not. Also reads archives written as one JSON
 * document, with `families` inside (older versions).
 */
export function* decodeArchive(bytes: Buffer): Steps<Archive | undefined> {
  const first = bytes.indexOf(0x0a);
  const raw = parseLine(bytes.toString('utf8', 0, first < 0 ? bytes.length : first));
  if (raw === undefined || raw.promhttp !== 1 || typeof raw.owner !== 'string') return undefined;
  const absorbed: Record<string, number> = {};
  if (raw.absorbed && typeof raw.absorbed === 'object') {
    for (const [key, at] of Object.entries(raw.absorbed)) if (typeof at === 'number') absorbed[key] = at;
  }
  const families: ArchivedFamily[] = [];
  for (const f of Array.isArray(raw.families) ? (raw.families as Array<Record<string, unknown>>) : []) {
    const family = readFamily(f);
    if (family) families.push(family);
  }
  for (let pos = first + 1; first >= 0 && pos < bytes.length; ) {
    const nl = bytes.indexOf(0x0a, pos);
    const end = nl < 0 ? bytes.length : nl;
    yield;
    const line = parseLine(bytes.toString('utf8', pos, end));
    const family = line && readFamily(line);
    if (family) families.push(family);
    pos = end + 1;
  }
  return { promhttp: 1, owner: raw.owner, absorbed, families, plain: readPlainMetrics(raw.plain) };
}
