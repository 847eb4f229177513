import type { Steps } from '../exposition/slice.js';
import { CHUNK } from '../exposition/slice.js';
import { renderLabels } from '../labels.js';
import type { FamilyDef, GaugeMode, MetricType, Series } from '../store/types.js';
import type { Identity } from './identity.js';

/**
 * A store's metadata log (`meta.jsonl`): one header line, then a line per family and per series,
 * appended when they are created (rare, never per request). Values live apart, in `values.bin`,
 * at the offsets given here.
 */
export interface MetaHeader extends Identity {
  readonly promhttp: 1;
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
    promhttp: 1,
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

export function familyLine(family: StoredFamily): string {
  const { def } = family;
  return `${JSON.stringify({ f: family.index, name: def.name, help: def.help, type: def.type, labels: def.labelNames, buckets: def.buckets, mode: def.gaugeMode, info: def.info })}\n`;
}

export function seriesLine(series: StoredSeries): string {
  return `${JSON.stringify({ s: series.family.index, v: series.values, o: series.offset })}\n`;
}

/** What has been parsed of one store's log so far; logs only grow, so parsing resumes where it stopped. */
export interface ParsedMeta {
  header: MetaHeader | undefined;
  readonly families: Map<number, StoredFamily>;
  readonly series: StoredSeries[];
  /** Bytes consumed: always the end of a complete line. */
  bytes: number;
}

export const emptyMeta = (): ParsedMeta => ({ header: undefined, families: new Map(), series: [], bytes: 0 });

const TYPES: readonly MetricType[] = ['counter', 'gauge', 'histogram', 'summary'];
const MODES: readonly GaugeMode[] = ['all', 'liveall', 'sum', 'livesum', 'min', 'livemin', 'max', 'livemax', 'mostrecent', 'livemostrecent'];
const isStrings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');
const isNumbers = (x: unknown): x is number[] => Array.isArray(x) && x.every((n) => typeof n === 'number');

/** Builds a family definition from untrusted JSON, or `undefined` when it is not one. */
export function readFamilyDef(line: Record<string, unknown>): FamilyDef | undefined {
  const { name, help, type, labels, buckets, mode, info } = line;
  if (typeof name !== 'string' || typeof help !== 'string' || !TYPES.includes(type as MetricType) || !isStrings(labels)) return undefined;
  if (type === 'histogram' && !isNumbers(buckets)) return undefined;
  if (mode !== undefined && !MODES.includes(mode as GaugeMode)) return undefined;
  return {
    name,
    help,
    type: type as MetricType,
    labelNames: labels,
    ...(type === 'histogram' ? { buckets: buckets as number[] } : {}),
    ...(mode !== undefined ? { gaugeMode: mode as GaugeMode } : {}),
    ...(info === true ? { info: true } : {}),
  };
}

/**
 * Parses the complete lines of `chunk` (the log from `meta.bytes` on), yielding every `CHUNK`
 * lines; `meta.bytes` follows each line, so a parse left half-way resumes where it stopped. A
 * trailing line without its newline is being written: it is left for the next read. Lines that do
 * not parse are skipped.
 */
export function* parseMeta(meta: ParsedMeta, chunk: Buffer): Steps<void> {
  const base = meta.bytes;
  let pos = 0;
  let lines = 0;
  for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, pos)) {
    // A newline byte never occurs inside a UTF-8 sequence, so cutting there is safe.
    parseLine(meta, chunk.toString('utf8', pos, nl));
    pos = nl + 1;
    meta.bytes = base + pos;
    if (++lines % CHUNK === 0) yield;
  }
}

function parseLine(meta: ParsedMeta, text: string): void {
  let line: Record<string, unknown>;
  try {
    line = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return;
  }
  if (line === null || typeof line !== 'object') return;
  if (meta.header === undefined) {
    if (line.promhttp === 1 && typeof line.id === 'string' && typeof line.pid === 'number') meta.header = line as unknown as MetaHeader;
    return;
  }
  if (typeof line.f === 'number') {
    const def = readFamilyDef(line);
    if (def) meta.families.set(line.f, { index: line.f, def });
  } else if (typeof line.s === 'number') {
    const family = meta.families.get(line.s);
    const values = line.v;
    const offset = line.o;
    if (!family || !isStrings(values) || values.length !== family.def.labelNames.length) return;
    if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < HEADER_SLOTS) return;
    meta.series.push({ family, values, rendered: renderLabels(family.def.labelNames, values), offset });
  }
}
