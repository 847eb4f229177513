import type { ExemplarLabels } from '../exemplars/labels.js';
import type { LabelValues, MetricCore, RecordValue } from './metric.js';
import { labelsArgs } from './metric.js';
import type { EndTimer } from './timer.js';
import { startTimer } from './timer.js';

/** A histogram's or summary's child: both record observations and differ only in how a value is stored. */
export interface ObserverChild {
  observe(value: number, exemplar?: ExemplarLabels): void;
  startTimer(): EndTimer;
}

/** How one observation is stored at a series' offset. */
export type RecordObservation = RecordValue;

/**
 * Exemplars of an observer (histograms have them, summaries do not): `auto` when the `exemplars`
 * option takes them by itself, and `keep` for the sample of `value` recorded at `offset`.
 */
export interface ObservationExemplars {
  readonly auto: boolean;
  keep(offset: number, value: number, given: ExemplarLabels | undefined): void;
}

function childAt(core: MetricCore, offset: number, recordAny: RecordObservation, exemplars: ObservationExemplars | undefined): ObserverChild {
  const { arena, errors } = core;
  const record = core.recorder(offset, recordAny);
  const auto = exemplars?.auto === true;
  function observe(value: number, exemplar?: ExemplarLabels): void {
    if (typeof value !== 'number' || !Number.isFinite(value)) return errors.value();
    record(arena, offset, value);
    if (exemplars !== undefined && (auto || exemplar !== undefined)) exemplars.keep(offset, value, exemplar);
  }
  return { observe, startTimer: () => startTimer(undefined, (_labels, seconds) => observe(seconds)) };
}

/** The methods histograms and summaries share: `observe`, `startTimer` and `labels`, over `record`. */
export function observerMethods<L extends string>(core: MetricCore, record: RecordObservation, exemplars?: ObservationExemplars) {
  const child = (offset: number): ObserverChild => core.child(offset, (o) => childAt(core, o, record, exemplars));
  const pick = (labels: unknown): ObserverChild => child(core.offsetFor(labels));
  return {
    observe: (a: unknown, b?: unknown, c?: ExemplarLabels) =>
      a !== null && typeof a === 'object' ? pick(a).observe(b as number, c) : pick(undefined).observe(a as number, b as ExemplarLabels | undefined),
    startTimer: (labels?: Partial<LabelValues<L>>) => startTimer<L>(labels, (all, seconds) => pick(all).observe(seconds)),
    labels: (...args: unknown[]) => child(labelsArgs(core, args)),
  };
}
