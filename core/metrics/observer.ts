import type { LabelValues, MetricCore, RecordValue } from './metric.js';
import { labelsArgs } from './metric.js';
import type { EndTimer } from './timer.js';
import { startTimer } from './timer.js';

/** A histogram's or summary's child: both record observations and differ only in how a value is stored. */
export interface ObserverChild {
  observe(value: number): void;
  startTimer(): EndTimer;
}

/** How one observation is stored at a series' offset. */
export type RecordObservation = RecordValue;

function childAt(core: MetricCore, offset: number, recordAny: RecordObservation): ObserverChild {
  const { arena, errors } = core;
  const record = core.recorder(offset, recordAny);
  function observe(value: number): void {
    if (typeof value !== 'number' || !Number.isFinite(value)) return errors.value();
    record(arena, offset, value);
  }
  return { observe, startTimer: () => startTimer(undefined, (_labels, seconds) => observe(seconds)) };
}

/** The methods histograms and summaries share: `observe`, `startTimer` and `labels`, over `record`. */
export function observerMethods<L extends string>(core: MetricCore, record: RecordObservation) {
  const child = (offset: number): ObserverChild => core.child(offset, (o) => childAt(core, o, record));
  const pick = (labels: unknown): ObserverChild => child(core.offsetFor(labels));
  return {
    observe: (a: unknown, b?: number) => (a !== null && typeof a === 'object' ? pick(a).observe(b as number) : pick(undefined).observe(a as number)),
    startTimer: (labels?: Partial<LabelValues<L>>) => startTimer<L>(labels, (all, seconds) => pick(all).observe(seconds)),
    labels: (...args: unknown[]) => child(labelsArgs(core, args)),
  };
}
