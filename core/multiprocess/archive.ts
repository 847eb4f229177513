import type { Steps } from '../exposition/slice.js';
import type { FamilyDef } from '../store/types.js';
import { FORMAT, foreignVersion } from './damage.js';
import { encodeFamilyDef, readFamilyDef } from './meta.js';
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
  readonly promhttp: typeof FORMAT;
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
 * One JSON line with the owner, the absorbed keys, the plain metrics and the number of lines that
 * follow, then a line per family (a large family over several lines), so that a reader parses a
 * large archive a slice at a time and can tell an archive cut short.
 */
export function* encodeArchive(archive: Archive): Steps<string> {
  const lines: string[] = [];
  for (const { def, since, series } of archive.families) {
    const family = { ...encodeFamilyDef(def), since };
    for (let from = 0; from < series.length; from += SERIES_PER_LINE) {
      lines.push(JSON.stringify({ ...family, series: series.slice(from, from + SERIES_PER_LINE).map((s) => ({ l: s.labels, w: s.worker, v: s.slots.map(encodeNumber) })) }));
      yield;
    }
  }
  const head = JSON.stringify({
    promhttp: FORMAT,
    owner: archive.owner,
    absorbed: archive.absorbed,
    plain: archive.plain.map((m) => ({ ...m, values: m.values.map((x) => ({ ...x, value: encodeNumber(x.value) })) })),
    lines: lines.length,
  });
  return `${[head, ...lines].join('\n')}\n`;
}

/** A family line, or `undefined` when it is none; series that do not parse make it none. */
function readFamily(f: Record<string, unknown>): ArchivedFamily | undefined {
  const def = f && typeof f === 'object' ? readFamilyDef(f) : undefined;
  if (!def || !Array.isArray(f.series)) return undefined;
  const series: ArchivedSeries[] = [];
  for (const s of f.series as Array<Record<string, unknown>>) {
    if (!s || !Array.isArray(s.l) || !Array.isArray(s.v)) return undefined;
    const slots = (s.v as unknown[]).map(decodeNumber);
    if (slots.some((x) => x === undefined) || (s.l as unknown[]).some((x) => typeof x !== 'string')) return undefined;
    series.push({ labels: s.l as string[], ...(typeof s.w === 'string' ? { worker: s.w } : {}), slots: slots as number[] });
  }
  return { def, since: typeof f.since === 'number' && Number.isFinite(f.since) ? f.since : 0, series };
}

function parseLine(text: string): Record<string, unknown> | undefined {
  try {
    const line = JSON.parse(text) as unknown;
    return line !== null && typeof line === 'object' && !Array.isArray(line) ? (line as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An archive read from untrusted bytes. `archive` is `undefined` when its first line is unreadable:
 * then nothing in it can be used, not even the list of what it absorbed. Otherwise `problem` says
 * what of the rest was skipped (lines that do not parse, lines missing from the end).
 */
export interface DecodedArchive {
  readonly archive: Archive | undefined;
  readonly problem: string | undefined;
}

/** The first line's problem, if it is no archive head of ours. */
function headProblem(raw: Record<string, unknown> | undefined, bytes: Buffer): string | undefined {
  if (bytes.length === 0) return 'is empty (0 bytes)';
  if (raw === undefined) return bytes.indexOf(0x0a) < 0 ? 'is truncated in its first line' : 'is corrupted: its first line is no promhttp archive';
  if (raw.promhttp !== FORMAT) return raw.promhttp === undefined ? 'is corrupted: its first line is no promhttp archive' : `was ${foreignVersion(raw.promhttp)}`;
  const shaped = typeof raw.owner === 'string' && (raw.lines === undefined || Number.isInteger(raw.lines)) && (raw.plain === undefined || Array.isArray(raw.plain)) && (raw.absorbed === undefined || (raw.absorbed !== null && typeof raw.absorbed === 'object'));
  if (!shaped) return 'is corrupted: its first line lacks fields or has fields of the wrong type';
  return undefined;
}

/**
 * Reads an archive from untrusted bytes, yielding between lines; parts that do not parse are
 * dropped and reported. Also reads archives written as one JSON document, with `families` inside,
 * and ones without the count of lines (older versions).
 */
export function* decodeArchive(bytes: Buffer): Steps<DecodedArchive> {
  const first = bytes.indexOf(0x0a);
  const raw = parseLine(bytes.toString('utf8', 0, first < 0 ? bytes.length : first));
  const problem = headProblem(raw, bytes);
  if (problem !== undefined || raw === undefined) return { archive: undefined, problem };
  const absorbed: Record<string, number> = {};
  if (raw.absorbed && typeof raw.absorbed === 'object') {
    for (const [key, at] of Object.entries(raw.absorbed)) if (typeof at === 'number') absorbed[key] = at;
  }
  const families: ArchivedFamily[] = [];
  let bad = 0;
  for (const f of Array.isArray(raw.families) ? (raw.families as Array<Record<string, unknown>>) : []) {
    const family = readFamily(f);
    if (family) families.push(family);
    else bad++;
  }
  let lines = 0;
  for (let pos = first + 1; first >= 0 && pos < bytes.length; ) {
    const nl = bytes.indexOf(0x0a, pos);
    const end = nl < 0 ? bytes.length : nl;
    yield;
    const line = parseLine(bytes.toString('utf8', pos, end));
    const family = line && readFamily(line);
    lines++;
    if (family) families.push(family);
    else bad++;
    pos = end + 1;
  }
  const plain = { bad: 0 };
  const archive: Archive = { promhttp: FORMAT, owner: raw.owner as string, absorbed, families, plain: readPlainMetrics(raw.plain, plain) };
  const expected = raw.lines as number | undefined;
  // An archive is written whole and renamed into place: a missing newline or line means it was cut.
  if (expected !== undefined && (lines < expected || bytes[bytes.length - 1] !== 0x0a)) return { archive, problem: `is truncated: ${lines} of its ${expected} family lines remain` };
  if (bad > 0 || plain.bad > 0 || (expected !== undefined && lines !== expected)) return { archive, problem: 'is corrupted: some of its lines or metrics do not parse' };
  return { archive, problem: undefined };
}
