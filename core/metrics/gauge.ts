import type { Registry } from 'prom-client';
import { optionError } from '../errors.js';
import { incGauge, setGauge } from '../store/family.js';
import type { GaugeMode } from '../store/types.js';
import type { LabelValues, MetricCore, MetricInfo } from './metric.js';
import { defineMetric, labelsArgs } from './metric.js';
import type { MetricOptions } from './options.js';
import { checkMetricOptions } from './options.js';
import type { EndTimer } from './timer.js';
import { startTimer } from './timer.js';

export type { GaugeMode } from '../store/types.js';

const MODES: readonly GaugeMode[] = ['all', 'liveall', 'sum', 'livesum', 'min', 'livemin', 'max', 'livemax', 'mostrecent', 'livemostrecent'];

/** Options of `gauge()`. */
export interface GaugeOptions<L extends string = never> extends MetricOptions<L> {
  /**
   * How the values of several processes are merged in multi-process mode (ignored otherwise).
   * `livesum` suits what each process holds (in progress, queue depth, open connections): the
   * service-wide value is the sum over running processes. Use `max` or `mostrecent` for values
   * every process shares (timestamps, configuration), `all` for one series per process.
   * `live*` modes forget processes that have exited.
   * @default "livesum"
   */
  mode?: GaugeMode;
}

/** A gauge with its labels fixed. */
export interface GaugeChild {
  /** Sets the value (any number, NaN and ±Inf included). */
  set(value: number): void;
  /** @default 1 */
  inc(value?: number): void;
  /** @default 1 */
  dec(value?: number): void;
  /** Sets the value to the current Unix time in seconds. */
  setToCurrentTime(): void;
  /** Starts a timer that sets the gauge to the elapsed seconds when it ends. */
  startTimer(): EndTimer;
}

/** A value that goes up and down: items in progress, queue depth, last success time. */
export interface Gauge<L extends string = never> extends MetricInfo<L> {
  readonly mode: GaugeMode;
  set(value: number): void;
  set(labels: LabelValues<L>, value: number): void;
  inc(value?: number): void;
  inc(labels: LabelValues<L>, value?: number): void;
  dec(value?: number): void;
  dec(labels: LabelValues<L>, value?: number): void;
  setToCurrentTime(labels?: LabelValues<L>): void;
  startTimer(labels?: Partial<LabelValues<L>>): EndTimer<L>;
  labels(labels: LabelValues<L>): GaugeChild;
  labels(...values: string[]): GaugeChild;
}

const WHERE = 'gauge';

function childAt(core: MetricCore, offset: number): GaugeChild {
  const { arena, errors } = core;
  const put = core.recorder(offset, setGauge);
  const addTo = core.recorder(offset, incGauge);
  function add(by: unknown): void {
    if (typeof by !== 'number' || !Number.isFinite(by)) return errors.value();
    addTo(arena, offset, by);
  }
  return {
    set(value) {
      if (typeof value !== 'number') return errors.value();
      put(arena, offset, value);
    },
    inc: (value = 1) => add(value),
    dec: (value = 1) => add(typeof value === 'number' ? -value : value),
    setToCurrentTime: () => put(arena, offset, Date.now() / 1000),
    startTimer: () => startTimer(undefined, (_labels, seconds) => put(arena, offset, seconds)),
  };
}

/**
 * Creates a gauge, or returns the one already registered under this name with the same
 * definition. Never throws once created.
 * @example
 * const depth = gauge({ name: 'queue_depth', help: 'Messages waiting.', labelNames: ['queue'] });
 * depth.set({ queue: 'emails' }, 12);
 */
export function gauge<const L extends string = never>(options: GaugeOptions<L>): Gauge<L> {
  const checked = checkMetricOptions(WHERE, options, ['mode']);
  const mode = (checked.o.mode ?? 'livesum') as GaugeMode;
  if (!MODES.includes(mode)) throw optionError(`${WHERE}: "mode" must be one of ${MODES.join(', ')}, got ${JSON.stringify(checked.o.mode)}.`);
  return defineMetric(WHERE, checked, { type: 'gauge', gaugeMode: mode }, (core) => gaugeObject<L>(core, checked, mode));
}

function gaugeObject<L extends string>(core: MetricCore, info: { name: string; help: string; labelNames: readonly string[]; registry: Registry }, mode: GaugeMode): Gauge<L> {
  const child = (offset: number): GaugeChild => core.child(offset, (o) => childAt(core, o));
  const pick = (labels: unknown): GaugeChild => child(core.offsetFor(labels));
  const isLabels = (x: unknown): boolean => x !== null && typeof x === 'object';
  return {
    name: info.name,
    help: info.help,
    labelNames: info.labelNames as readonly L[],
    registry: info.registry,
    mode,
    set: (a: unknown, b?: number) => (isLabels(a) ? pick(a).set(b as number) : pick(undefined).set(a as number)),
    inc: (a?: unknown, b?: number) => (isLabels(a) ? pick(a).inc(b) : pick(undefined).inc(a as number | undefined)),
    dec: (a?: unknown, b?: number) => (isLabels(a) ? pick(a).dec(b) : pick(undefined).dec(a as number | undefined)),
    setToCurrentTime: (labels?: unknown) => pick(labels).setToCurrentTime(),
    startTimer: (labels?: Partial<LabelValues<L>>) => startTimer<L>(labels, (all, seconds) => pick(all).set(seconds)),
    labels: (...args: unknown[]) => child(labelsArgs(core, args)),
  } as Gauge<L>;
}
