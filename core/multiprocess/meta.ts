import type { Steps } from '../exposition/slice.js';
import { CHUNK } from '../exposition/slice.js';
import { renderLabels } from '../labels.js';
import type { FamilyDef, GaugeMode, MetricType, NativeDef, Series } from '../store/types.js';
import { seriesWidth } from '../store/types.js';
import { FORMAT, foreignVersion } from './damage.js';
import { MAX_NATIVE_BUCKETS } from '../store/native.js';
import { MAX_SCHEMA, MIN_SCHEMA } from '../store/native-keys.js';
import type { Identity } from './identity.js';

/**
 * A store's metadata log (`meta.jsonl`): one header line, then a line per family and per series,
 * appended when they are created (rare, never per request). Values live apart, in `values.bin`,
 * at the offsets given here.
 */
export interface MetaHeader extends Identity {
  /** The format's version (`FORMAT`); a header with another is of another version of promhttp, which this one cannot read. */
  readonly promhttp: number;
  /** Unix ms. */
  readonly startedAt: number;
}

/** A family as a store saw it: `def.labelNames` holds every label, static ones first. */
export interface StoredFamily {
  readonly index: number;
  readonly def: FamilyDef;
}

export interface StoredSeries extends Series {
  readonly family: StoredFamily;
}

/** Slots at the start of `values.bin` that belong to the store, not to a series. */
export const SLOT_HEARTBEAT = 0;
export const SLOT_DONE = 1;
export const HEADER_SLOTS = 4;

export function headerLine(identity: Identity, startedAt: number): string {
  const header: MetaHeader = {
    promhttp: FORMAT,
    id: identity.id,
    pid: identity.pid,
    threadId: identity.threadId,
    start: identity.start,
    ...(identity.task ? { task: identity.task } : {}),
    host: identity.host,
    ...(identity.pidns !== undefined ? { pidns: identity.pidns } : {}),
    worker: identity.worker,
    workerSource: identity.workerSource,
    startedAt,
  };
  return `${JSON.stringify(header)}\n`;
}

/** A family definition as the directory, archives and IPC messages carry it; `readFamilyDef` reads it back. */
export interface EncodedFamily {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly labels: readonly string[];
  readonly buckets?: readonly number[] | undefined;
  readonly native?: NativeDef | undefined;
  readonly mode?: string | undefined;
  readonly info?: boolean | undefined;
  /** `maxSeries`. */
  readonly max?: number | undefined;
  /** `staticCount`. */
  readonly fixed?: number | undefined;
  /** `overflowKeeps`. */
  readonly keep?: readonly string[] | undefined;
}

export function encodeFamilyDef(def: FamilyDef): EncodedFamily {
  return {
    name: def.name,
    help: def.help,
    type: def.type,
    labels: def.labelNames,
    buckets: def.buckets,
    native: def.native,
    mode: def.gaugeMode,
    info: def.info,
    max: def.maxSeries,
    fixed: def.staticCount,
    keep: def.overflowKeeps,
  };
}

export function familyLine(family: StoredFamily): string {
  return `${JSON.stringify({ f: family.index, ...encodeFamilyDef(family.def) })}\n`;
}

export function seriesLine(series: StoredSeries): string {
  return `${JSON.stringify({ s: series.family.index, v: series.values, o: series.offset })}\n`;
}

/** What has been parsed of one store's log so far; logs only grow, so parsing resumes where it stopped. */
export interface ParsedMeta {
  header: MetaHeader | undefined;
  /** The header's line as read, newline included: a reader that keeps this parse checks it is still there before going on. */
  headerLine: Buffer | undefined;
  readonly families: Map<number, StoredFamily>;
  readonly series: StoredSeries[];
  /** Bytes consumed: always the end of a complete line. */
  bytes: number;
  /** The inode parsed: a log replaced by another file (a store rewriting its files) is parsed afresh. */
  ino: number;
  /** Why the first line is no header of ours: the store is then unreadable as a whole. */
  problem: string | undefined;
  /** Complete lines after the header that are no family or series of this store: what they described is lost. */
  badLines: number;
  /** Bytes followed the last newline at the last read: a line being appended, or one cut short. */
  partial: boolean;
  /** The slot every series described ends before: values.bin holds at least this many. */
  extent: number;
}

export const emptyMeta = (ino = 0): ParsedMeta => ({ header: undefined, headerLine: undefined, families: new Map(), series: [], bytes: 0, ino, problem: undefined, badLines: 0, partial: false, extent: HEADER_SLOTS });

const TYPES: readonly MetricType[] = ['counter', 'gauge', 'histogram', 'summary'];
const MODES: readonly GaugeMode[] = ['all', 'liveall', 'sum', 'livesum', 'min', 'livemin', 'max', 'livemax', 'mostrecent', 'livemostrecent'];
const isStrings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');
const isNumbers = (x: unknown): x is number[] => Array.isArray(x) && x.every((n) => typeof n === 'number');

/** A histogram's native histograms from untrusted JSON: `undefined` for none, `false` when they are not ones. */
function readNative(raw: unknown): NativeDef | undefined | false {
  if (raw === undefined) return undefined;
  if (raw === null || typeof raw !== 'object') return false;
  const { schema, zeroThreshold, maxBuckets, classicInProtobuf } = raw as Record<string, unknown>;
  const valid =
    Number.isInteger(schema) &&
    (schema as number) >= MIN_SCHEMA &&
    (schema as number) <= MAX_SCHEMA &&
    typeof zeroThreshold === 'number' &&
    zeroThreshold >= 0 &&
    Number.isFinite(zeroThreshold) &&
    Number.isInteger(maxBuckets) &&
    (maxBuckets as number) >= 1 &&
    (maxBuckets as number) <= MAX_NATIVE_BUCKETS &&
    typeof classicInProtobuf === 'boolean';
  return valid ? { schema: schema as number, zeroThreshold, maxBuckets: maxBuckets as number, classicInProtobuf } : false;
}

/** Builds a family definition from untrusted JSON, or `undefined` when it is not one. */
export function readFamilyDef(line: Record<string, unknown>): FamilyDef | undefined {
  const { name, help, type, labels, buckets, mode, info, max, fixed, keep } = line;
  if (typeof name !== 'string' || typeof help !== 'string' || !TYPES.includes(type as MetricType) || !isStrings(labels)) return undefined;
  if (type === 'histogram' && !isNumbers(buckets)) return undefined;
  const native = type === 'histogram' ? readNative(line.native) : undefined;
  if (native === false) return undefined;
  if (mode !== undefined && !MODES.includes(mode as GaugeMode)) return undefined;
  // Files from versions without a series limit have neither: their families merge without one.
  const isCount = (x: unknown, least: number): x is number => Number.isInteger(x) && (x as number) >= least;
  return {
    name,
    help,
    type: type as MetricType,
    labelNames: labels,
    ...(type === 'histogram' ? { buckets: buckets as number[] } : {}),
    ...(native !== undefined ? { native } : {}),
    ...(mode !== undefined ? { gaugeMode: mode as GaugeMode } : {}),
    ...(info === true ? { info: true } : {}),
    ...(isCount(max, 1) ? { maxSeries: max } : {}),
    ...(isCount(fixed, 1) && fixed <= labels.length ? { staticCount: fixed } : {}),
    ...(isStrings(keep) && keep.length > 0 ? { overflowKeeps: keep } : {}),
  };
}

/**
 * Parses the complete lines of `chunk` (the log from `meta.bytes` on), yielding every `CHUNK`
 * lines; `meta.bytes` follows each line, so a parse left half-way resumes where it stopped. A
 * trailing line without its newline is being written (or was cut short): it is left for the next
 * read. Lines that do not parse are skipped and counted; a first line that is no header of ours
 * stops the parse.
 */
export function* parseMeta(meta: ParsedMeta, chunk: Buffer): Steps<void> {
  const base = meta.bytes;
  let pos = 0;
  let lines = 0;
  for (let nl = chunk.indexOf(0x0a); nl >= 0 && meta.problem === undefined; nl = chunk.indexOf(0x0a, pos)) {
    // A newline byte never occurs inside a UTF-8 sequence, so cutting there is safe.
    const first = meta.header === undefined;
    parseLine(meta, chunk.toString('utf8', pos, nl));
    if (first && meta.header !== undefined) meta.headerLine = Buffer.from(chunk.subarray(pos, nl + 1));
    pos = nl + 1;
    meta.bytes = base + pos;
    if (++lines % CHUNK === 0) yield;
  }
  // Nothing after a broken header is ours to read: do not read it again on every scrape.
  if (meta.problem !== undefined) meta.bytes = base + chunk.length;
  meta.partial = meta.problem === undefined && pos < chunk.length;
}

const isInteger = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);

/** The header of a store's log from untrusted JSON, or why it is none. */
export function readHeader(line: unknown): MetaHeader | string {
  if (line === null || typeof line !== 'object' || Array.isArray(line)) return 'is corrupted: its first line is no promhttp header';
  const h = line as Record<string, unknown>;
  if (h.promhttp !== FORMAT) return h.promhttp === undefined ? 'is corrupted: its first line is no promhttp header' : `was ${foreignVersion(h.promhttp)}`;
  const task = h.task as Record<string, unknown> | undefined;
  const valid =
    typeof h.id === 'string' &&
    isInteger(h.pid) &&
    isInteger(h.threadId) &&
    typeof h.start === 'string' &&
    typeof h.host === 'string' &&
    typeof h.worker === 'string' &&
    typeof h.workerSource === 'string' &&
    typeof h.startedAt === 'number' &&
    Number.isFinite(h.startedAt) &&
    (h.pidns === undefined || typeof h.pidns === 'string') &&
    (task === undefined || (task !== null && typeof task === 'object' && isInteger(task.tid) && typeof task.start === 'string'));
  return valid ? (h as unknown as MetaHeader) : 'is corrupted: its header lacks fields or has fields of the wrong type';
}

function parseLine(meta: ParsedMeta, text: string): void {
  let line: unknown;
  try {
    line = JSON.parse(text);
  } catch {
    if (meta.header === undefined) meta.problem = 'is corrupted: its first line is not JSON';
    else meta.badLines++;
    return;
  }
  if (meta.header === undefined) {
    const header = readHeader(line);
    if (typeof header === 'string') meta.problem = header;
    else meta.header = header;
    return;
  }
  if (!readEntry(meta, line)) meta.badLines++;
}

/** Adds a family or series line; false when it is neither, or one that cannot belong to this store. */
function readEntry(meta: ParsedMeta, line: unknown): boolean {
  if (line === null || typeof line !== 'object') return false;
  const entry = line as Record<string, unknown>;
  if (isInteger(entry.f)) {
    const def = readFamilyDef(entry);
    if (!def) return false;
    meta.families.set(entry.f, { index: entry.f, def });
    return true;
  }
  if (!isInteger(entry.s)) return false;
  const family = meta.families.get(entry.s);
  const values = entry.v;
  const offset = entry.o;
  if (!family || !isStrings(values) || values.length !== family.def.labelNames.length) return false;
  if (!isInteger(offset) || offset < HEADER_SLOTS) return false;
  meta.series.push({ family, values, rendered: renderLabels(family.def.labelNames, values), offset });
  meta.extent = Math.max(meta.extent, offset + seriesWidth(family.def));
  return true;
}
