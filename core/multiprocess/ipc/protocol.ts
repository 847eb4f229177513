import type { FamilyDef } from '../../store/types.js';
import type { EncodedFamily } from '../meta.js';
import { encodeFamilyDef, readFamilyDef } from '../meta.js';
import { encodeNumber } from '../numbers.js';
import type { PlainMetric } from '../plain.js';
import { readPlainMetrics } from '../plain.js';
import type { EncodedExemplar } from '../exemplars.js';

/**
 * The messages between workers and the primary. node:cluster serialises them as JSON, which has no
 * typed arrays, NaN or infinities: values travel as the bytes of a Float64Array in base64 (exact,
 * and smaller than decimal text), plain metrics with non-finite numbers spelled as in the exposition.
 * Every message carries `promhttpIpc`, so the app's own messages are never mistaken for ours.
 */
export type { EncodedFamily } from '../meta.js';

/** Worker → primary: the worker's values, plus the families and series created since its last state. */
export interface StateMessage {
  readonly promhttpIpc: 'state';
  /** The collection round this answers, if any. */
  readonly round?: number;
  readonly worker: string;
  /** Whether `worker` survives a re-fork (given by the primary or the app), so a successor takes over its per-worker gauges. */
  readonly stable: boolean;
  readonly familiesFrom: number;
  readonly families: readonly EncodedFamily[];
  readonly seriesFrom: number;
  /** [family index, label values, offset]. */
  readonly series: ReadonlyArray<readonly [number, readonly string[], number]>;
  readonly values: string;
  readonly plain: readonly unknown[];
  /** The worker registry's default labels: they label every series of the worker, as in its own `/metrics`. */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Exemplars recorded since the worker's last state, [slot, labels, value, unix ms]; all of them
   * when the message starts from the first series (the first state, or after a resync).
   */
  readonly exemplars?: readonly EncodedExemplar[];
}

/** Worker → primary: a scrape is being served; the worker's own state comes with it. */
export interface ScrapeMessage {
  readonly promhttpIpc: 'scrape';
  readonly req: number;
  readonly state: StateMessage;
}

/** Primary → worker: send your state now, tagged with this round. */
export interface CollectMessage {
  readonly promhttpIpc: 'collect';
  readonly round: number;
}

/** Primary → worker: the primary lost track of this worker's series; send them all again. */
export interface ResyncMessage {
  readonly promhttpIpc: 'resync';
}

export interface WorkerCounts {
  /** Live workers whose fresh values are in the merge. */
  readonly fresh: number;
  /** Live workers that did not answer in time: shown with the values they sent last. */
  readonly stale: number;
  /** Workers that exited; their counters, histograms and summaries stay in the totals. */
  readonly exited: number;
}

/** Primary → worker: the answer to a scrape, everything merged. */
export interface MergedMessage {
  readonly promhttpIpc: 'merged';
  readonly req: number;
  /** Each series as [rendered labels, offset into `values`]. */
  readonly families: ReadonlyArray<{ readonly def: EncodedFamily; readonly series: ReadonlyArray<readonly [string, number]> }>;
  readonly values: string;
  readonly plain: readonly unknown[];
  /** Exemplars of the merged view: [family name, slot of `values`, labels, value, unix ms]. */
  readonly exemplars?: ReadonlyArray<readonly [string, ...EncodedExemplar]>;
  /** Definitions left out or rebucketed where workers disagree: [metric, action, count]. */
  readonly conflicts?: ReadonlyArray<readonly [string, string, number]>;
  readonly workers: WorkerCounts;
}

export type PrimaryMessage = CollectMessage | ResyncMessage | MergedMessage;
export type WorkerMessage = StateMessage | ScrapeMessage;

export function isMessage<T extends { promhttpIpc: string }>(message: unknown, kind: T['promhttpIpc']): message is T {
  return typeof message === 'object' && message !== null && (message as { promhttpIpc?: unknown }).promhttpIpc === kind;
}

export const encodeFamily: (def: FamilyDef) => EncodedFamily = encodeFamilyDef;

export function decodeFamily(family: unknown): FamilyDef | undefined {
  return family !== null && typeof family === 'object' ? readFamilyDef(family as Record<string, unknown>) : undefined;
}

export function encodeValues(v: Float64Array, slots: number): string {
  return Buffer.from(v.buffer, v.byteOffset, slots * 8).toString('base64');
}

export function decodeValues(text: unknown): Float64Array {
  const bytes = Buffer.from(typeof text === 'string' ? text : '', 'base64');
  const v = new Float64Array(bytes.length >>> 3);
  new Uint8Array(v.buffer).set(bytes.subarray(0, v.length * 8));
  return v;
}

const encodeLabel = (value: string | number): string | number => (typeof value === 'number' ? encodeNumber(value) : value);

export function encodePlain(metrics: readonly PlainMetric[]): unknown[] {
  return metrics.map((m) => ({
    name: m.name,
    help: m.help,
    type: m.type,
    ...(m.labelNames !== undefined ? { labelNames: m.labelNames } : {}),
    values: m.values.map((x) => ({
      ...(x.metricName !== undefined ? { metricName: x.metricName } : {}),
      labels: Object.fromEntries(Object.entries(x.labels).map(([k, l]) => [k, encodeLabel(l)])),
      value: encodeNumber(x.value),
    })),
  }));
}

export const decodePlain = (raw: unknown): PlainMetric[] => readPlainMetrics(raw);
