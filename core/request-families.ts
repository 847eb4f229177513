import type { Registry } from 'prom-client';
import { optionError } from './errors.js';
import { METHODS, OVERFLOW, UNMATCHED, statusLabel } from './labels.js';
import type { Family } from './store/family.js';
import type { Collector } from './store/registry.js';
import { refuseNameClash } from './store/name-clash.js';
import { getOrCreateFamily } from './store/registry.js';
import type { Naming, RequestNames } from './metric-names.js';
import { requestLabels } from './metric-names.js';
import { overflowCounter } from './metrics/record-errors.js';
import { describeNative } from './metrics/native-options.js';
import type { NativeDef } from './store/native.js';
import { sameNative } from './store/native.js';

/** What decides the series the request metrics hold; every `createHttpMetrics` on the same families must agree on it. */
export interface RequestDefinition {
  readonly naming: Naming;
  /** Prefix applied; no request counter under `naming: 'otel'`. */
  readonly names: RequestNames;
  readonly buckets: readonly number[];
  /** The duration histogram's native histograms, if on. */
  readonly native?: NativeDef;
  /** Registry static labels, then the `labels` option. */
  readonly labels: Readonly<Record<string, string>>;
  readonly maxRoutes: number;
  /** Label sets of the histogram and of the counter each (method × route × status). */
  readonly maxSeries: number;
}

export interface SeriesSlots {
  /** Histogram offset in the arena. */
  readonly h: number;
  /** Counter offset in the arena; -1 without a request counter (`naming: 'otel'`). */
  readonly c: number;
  /** For the slots of an overflow series: counts a request recorded there. */
  readonly overflow: (() => void) | undefined;
}

/**
 * The request metrics of one registry: their families, and the route table with its cap. Shared
 * by every `createHttpMetrics` that records into them (several servers, a hot reload, a test
 * suite), so that `maxRoutes` bounds the series of the family, not of each instance.
 */
export interface RequestFamilies {
  readonly definition: RequestDefinition;
  readonly duration: Family;
  /** `undefined` under `naming: 'otel'`, which counts requests in the histogram only. */
  readonly requests: Family | undefined;
  readonly inFlight: Family;
  /**
   * The series slots of a request: route `overflow` once `maxRoutes` routes are taken, or once the
   * families hold `maxSeries` label sets. Method and status code stay real on route `overflow`
   * (both come from small fixed sets), so errors among those requests still show.
   */
  slotsFor(route: string, method: number, status: number): SeriesSlots;
}

const byFamily = new WeakMap<Family, RequestFamilies>();

const DURATION_HELP = 'Duration of HTTP requests in seconds, by method, route template and status code.';
const REQUESTS_HELP = 'Total HTTP requests, by method, route template and status code.';
const IN_FLIGHT_HELP = 'HTTP requests being served right now.';
// OpenTelemetry's descriptions of http.server.request.duration and http.server.active_requests.
const OTEL_DURATION_HELP = 'Duration of HTTP server requests.';
const OTEL_IN_FLIGHT_HELP = 'Number of active HTTP server requests.';

function familyNamed(registry: Registry, name: string): Family | undefined {
  return (registry.getSingleMetric(name) as unknown as Partial<Collector> | undefined)?.family;
}

const showLabels = (labels: Readonly<Record<string, string>>): string =>
  `{${Object.entries(labels)
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
    .join(', ')}}`;

/** The same constant labels, whatever the order of their keys. */
function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key]);
}

const showNative = (native: NativeDef | undefined): string => (native === undefined ? 'off' : `{ ${describeNative(native)} }`);

/** What differs between the existing definition and the requested one, in the words of the options. */
function differences(was: RequestDefinition, now: RequestDefinition): string[] {
  const out: string[] = [];
  if (was.naming !== now.naming) out.push(`"naming" is "${was.naming}" there, "${now.naming}" here`);
  for (const key of ['requests', 'duration', 'inFlight'] as const) {
    if (was.names[key] !== now.names[key]) out.push(`"names.${key}" is "${was.names[key]}" there, "${now.names[key]}" here`);
  }
  if (!sameLabels(was.labels, now.labels)) out.push(`"labels" are ${showLabels(was.labels)} there, ${showLabels(now.labels)} here`);
  if (was.buckets.join() !== now.buckets.join()) out.push(`"buckets" are [${was.buckets.join(', ')}] there, [${now.buckets.join(', ')}] here`);
  if (!sameNative(was.native, now.native)) out.push(`"nativeHistograms" are ${showNative(was.native)} there, ${showNative(now.native)} here`);
  if (was.maxRoutes !== now.maxRoutes) out.push(`"maxRoutes" is ${was.maxRoutes} there, ${now.maxRoutes} here`);
  if (was.maxSeries !== now.maxSeries) out.push(`"maxSeries" is ${was.maxSeries} there, ${now.maxSeries} here`);
  return out;
}

/**
 * The request families an earlier `createHttpMetrics` made in `registry` with the same
 * definition, if any. A different definition over any of the same metrics, or names that would
 * clash with other metrics in OpenMetrics, fail here, before anything is created.
 */
export function existingRequestFamilies(where: string, registry: Registry, definition: RequestDefinition): RequestFamilies | undefined {
  const { names } = definition;
  for (const name of [names.duration, names.requests, names.inFlight]) {
    if (name === undefined) continue;
    const family = familyNamed(registry, name);
    const existing = family && byFamily.get(family);
    if (existing === undefined) continue;
    const diff = differences(existing.definition, definition);
    if (diff.length === 0) return existing;
    throw optionError(
      `${where}: "${name}" is already recorded in this registry by an earlier createHttpMetrics with other options: ${diff.join('; ')}. ` +
        'Give every createHttpMetrics on one registry the same options (or pass the first one as the "metrics" option), or use another registry or "prefix".',
    );
  }
  // All three are checked before any is created, so that a clash leaves nothing half made.
  refuseNameClash(where, registry, [
    ...(names.requests === undefined ? [] : [{ name: names.requests, kind: 'counter' }]),
    { name: names.duration, kind: 'histogram' },
    { name: names.inFlight, kind: 'gauge' },
  ]);
  return undefined;
}

/** Creates the request families for `definition` (after `existingRequestFamilies` found none). */
export function createRequestFamilies(registry: Registry, definition: RequestDefinition): RequestFamilies {
  const { names, naming } = definition;
  const { labels, buckets, maxSeries, native } = definition;
  const otel = naming === 'otel';
  const labelNames = requestLabels(naming);
  // What the overflow series keep of a request: everything but its route (the second label).
  const overflowKeeps = labelNames.filter((_, i) => i !== 1);
  const duration = getOrCreateFamily(
    registry,
    { name: names.duration, help: otel ? OTEL_DURATION_HELP : DURATION_HELP, type: 'histogram', labelNames, buckets, ...(native === undefined ? {} : { native }), maxSeries, overflowKeeps },
    labels,
    'createHttpMetrics',
  );
  const requests =
    names.requests === undefined
      ? undefined
      : getOrCreateFamily(registry, { name: names.requests, help: REQUESTS_HELP, type: 'counter', labelNames, maxSeries, overflowKeeps }, labels, 'createHttpMetrics');
  const overflowed = { duration: overflowCounter(registry, names.duration), requests: names.requests === undefined ? () => {} : overflowCounter(registry, names.requests) };
  const inFlight = getOrCreateFamily(registry, { name: names.inFlight, help: otel ? OTEL_IN_FLIGHT_HELP : IN_FLIGHT_HELP, type: 'gauge', labelNames: [], gaugeMode: 'livesum' }, labels, 'createHttpMetrics');

  function countOverflow(inH: boolean, inC: boolean): () => void {
    return function countRequestOverflow() {
      if (inH) overflowed.duration();
      if (inC) overflowed.requests();
    };
  }

  /** route → (method index × 1000 + status) → slots. Nested maps: no key string is built per request. */
  const routes = new Map<string, Map<number, SeriesSlots>>();
  let cappedRoutes = 0;
  const maxRoutes = definition.maxRoutes;

  function slotsFor(route: string, method: number, status: number): SeriesSlots {
    let byRoute = routes.get(route);
    if (byRoute === undefined) {
      // The two fixed labels are outside the cap: overflow, or this would recurse forever, and
      // unmatched, so that 404s stay apart from real routes however many there are.
      if (route !== OVERFLOW && route !== UNMATCHED) {
        if (cappedRoutes >= maxRoutes) return slotsFor(OVERFLOW, method, status);
        cappedRoutes++;
      }
      byRoute = new Map();
      routes.set(route, byRoute);
    }
    const key = method * 1000 + status;
    let slots = byRoute.get(key);
    if (slots === undefined) {
      const text = statusLabel(status);
      // OpenTelemetry's error.type is the status code of a response the server failed (5xx), and absent otherwise.
      const values = otel ? [METHODS[method]!, route, text, status >= 500 ? text : ''] : [METHODS[method]!, route, text];
      if (route === OVERFLOW) {
        // The route cap's series is the overflow series of the limit too; only the limit's samples count as series overflow.
        slots = { h: duration.overflow(values).offset, c: requests === undefined ? -1 : requests.overflow(values).offset, overflow: undefined };
      } else {
        const h = duration.get(values).offset;
        const c = requests === undefined ? -1 : requests.get(values).offset;
        // Both families see the same label sets, so they overflow together; each counts its own samples.
        const inH = duration.isOverflow(h);
        const inC = requests !== undefined && requests.isOverflow(c);
        slots = { h, c, overflow: inH || inC ? countOverflow(inH, inC) : undefined };
      }
      byRoute.set(key, slots);
    }
    return slots;
  }

  const shared: RequestFamilies = { definition, duration, requests, inFlight, slotsFor };
  for (const family of [duration, requests, inFlight]) if (family !== undefined) byFamily.set(family, shared);
  return shared;
}
