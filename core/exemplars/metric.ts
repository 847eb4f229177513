import { optionError } from '../errors.js';
import type { MetricCore } from '../metrics/metric.js';
import { BAD_EXEMPLAR, checkExemplar } from './labels.js';
import type { checkExemplarsOption } from './option.js';
import { exemplarCapture } from './option.js';
import type { RecordExemplar } from './store.js';
import { exemplarRecorder } from './store.js';

type CheckedOption = ReturnType<typeof checkExemplarsOption>;

/** Exemplars of a `counter()` or `histogram()`: explicit labels given to `inc`/`observe`, else what the `exemplars` option takes. */
export interface MetricExemplars {
  /**
   * Keeps the exemplar of a sample just recorded at `slot`: `given` when the call passed labels,
   * else the option's. Labels that cannot be written are counted as a value error, never thrown.
   */
  keep(slot: number, value: number, given: unknown): void;
}

const NO_KEY = {};

/** The exemplars of a metric object, made once with it. */
export function metricExemplars(core: MetricCore, option: CheckedOption): MetricExemplars {
  const take = exemplarCapture<[]>(option);
  let record: RecordExemplar | undefined;
  return {
    keep(slot, value, given) {
      const labels = checkExemplar(given ?? take?.(NO_KEY, []));
      if (labels === undefined) return;
      if (labels === BAD_EXEMPLAR) return core.errors.value();
      // Made at the first exemplar: a metric that never has one keeps nothing for them.
      record ??= exemplarRecorder(core.arena, core.family.def);
      record(slot, labels, value, Date.now());
    },
  };
}

const modes = new WeakMap<object, string>();
const modeOf = (option: CheckedOption): string => (option === undefined ? 'off' : option === true ? 'true' : 'a function');

/**
 * The `exemplars` option belongs to a metric's definition: a factory call for a metric that exists
 * gets the first call's object back, so it must ask for the same kind (off, `true`, a function).
 */
export function sameExemplars(where: string, metric: { readonly name: string }, option: CheckedOption): void {
  const mode = modeOf(option);
  const was = modes.get(metric);
  if (was === undefined) modes.set(metric, mode);
  else if (was !== mode) throw optionError(`${where}: "${metric.name}" already exists in this registry with "exemplars" ${was}; it cannot also have them ${mode}. Give every definition of it the same "exemplars".`);
}
