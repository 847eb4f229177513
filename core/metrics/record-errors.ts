import type { Registry } from 'prom-client';
import type { Family } from '../store/family.js';
import { incCounter } from '../store/family.js';
import { HEALTH_METRICS } from '../metric-names.js';
import { getOrCreateFamily } from '../store/registry.js';
import { staticLabelsOf } from './static-labels.js';

/** Counts a metric's record-time mistakes, which are recorded or dropped instead of thrown. */
export interface RecordErrors {
  /** A label set that did not match the label names, or a value that was not a string. */
  label(): void;
  /** A value the metric cannot take: not a finite number, or a negative counter increment. */
  value(): void;
  /** A sample recorded into the overflow series, past the metric's series limit. */
  overflow(): void;
}

function counterOf(registry: Registry, name: string, help: string): Family {
  return getOrCreateFamily(registry, { name, help, type: 'counter', labelNames: ['metric'] }, staticLabelsOf(registry), 'counter');
}

function incrementer(family: Family, metric: string): () => void {
  let offset = -1;
  return function countRecordError() {
    try {
      // The series is created on the first mistake only, so clean metrics add no series.
      if (offset < 0) offset = family.get([metric]).offset;
      incCounter(family.arena, offset, 1);
    } catch {
      // Counting a mistake must never turn it into an exception for the caller.
    }
  };
}

/**
 * Counts the samples of `metric` that went to its overflow series. The counter is created here, at
 * construction, so a clash surfaces there; its series for `metric` appears with the first overflow,
 * as the alert on it expects ("grew or appeared").
 */
export function overflowCounter(registry: Registry, metric: string): () => void {
  const family = counterOf(
    registry,
    HEALTH_METRICS.seriesOverflow,
    'Samples recorded into the overflow series of a metric (labels "overflow"; the request metrics keep method and status code) because the metric already held its maxSeries label sets.',
  );
  return incrementer(family, metric);
}

/** Creates (or finds) the error counters of `registry`; call at construction so clashes surface there. */
export function recordErrors(registry: Registry, metric: string): RecordErrors {
  const labels = counterOf(
    registry,
    HEALTH_METRICS.labelErrors,
    'Record calls whose labels did not match the label names of the metric, or were not strings; the sample was recorded with the label value __invalid__.',
  );
  const values = counterOf(
    registry,
    HEALTH_METRICS.valueErrors,
    'Record calls with a value the metric cannot take (not a finite number, or a negative counter increment); the value was dropped.',
  );
  return { label: incrementer(labels, metric), value: incrementer(values, metric), overflow: overflowCounter(registry, metric) };
}
