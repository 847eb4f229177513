import { checkKeys, checkType, describeValue, optionError } from '../errors.js';
import type { NativeDef } from '../store/native.js';
import { MAX_NATIVE_BUCKETS } from '../store/native.js';
import { bucketFactorOf, schemaFor } from '../store/native-keys.js';

/**
 * Native histograms (exponential buckets, chosen as values arrive) besides the classic ones. They
 * travel in the protobuf exposition only, which Prometheus asks for when started with
 * `--enable-feature=native-histograms`; the text formats keep showing the classic buckets.
 * Defaults are client_golang's.
 */
export interface NativeHistogramOptions {
  /**
   * The largest ratio between a bucket's upper and lower bound: a quantile estimated from the
   * buckets is off by less than this factor. Rounded down to the next of 2^(2^-n), from 65536 (one
   * bucket per 2^16) to 1.0027 (256 buckets per power of two), as client_golang rounds it.
   * @default 1.1 (becomes 2^(1/8) = 1.0905: 8 buckets per power of two)
   * @example 1.05
   */
  bucketFactor?: number;
  /**
   * Observations whose absolute value is at most this are counted in the zero bucket.
   * @default 2 ** -128 (2.9e-39)
   * @example 0.000001
   */
  zeroThreshold?: number;
  /**
   * Buckets each series keeps, from its lowest to its highest populated one (empty ones between
   * them included); past it, the resolution halves (pairs of buckets merge) until the observations
   * fit. Each series holds this many slots in memory and in the multi-process files.
   * @default 160
   * @example 80
   */
  maxBuckets?: number;
  /**
   * Whether the protobuf exposition carries the classic buckets too. Prometheus 2.42 keeps only the
   * native histogram when it gets both; later versions keep both with
   * `scrape_classic_histograms: true`, which needs them. `false` saves their bytes in protobuf. The
   * text formats always carry the classic buckets: they have no way to carry native ones.
   * @default true
   */
  classicInProtobuf?: boolean;
}

export const DEFAULT_BUCKET_FACTOR = 1.1;
export const DEFAULT_ZERO_THRESHOLD = 2 ** -128;
export const DEFAULT_MAX_BUCKETS = 160;

const KEYS = ['bucketFactor', 'zeroThreshold', 'maxBuckets', 'classicInProtobuf'];

/** Checks a `nativeHistograms` option: `undefined` for off (absent or false), else what the family keeps. */
export function checkNativeHistograms(where: string, value: unknown): NativeDef | undefined {
  if (value === undefined || value === false) return undefined;
  const name = '"nativeHistograms"';
  if (value !== true && (value === null || typeof value !== 'object' || Array.isArray(value))) {
    throw optionError(`${where}: ${name} must be true, false or { bucketFactor, zeroThreshold, maxBuckets, classicInProtobuf }, got ${describeValue(value)}.`);
  }
  const o = value === true ? {} : (value as Record<string, unknown>);
  checkKeys(`${where}: ${name}`, o, KEYS);
  const factor = o.bucketFactor ?? DEFAULT_BUCKET_FACTOR;
  if (typeof factor !== 'number' || !(factor > 1) || !Number.isFinite(factor)) {
    throw optionError(`${where}: "nativeHistograms.bucketFactor" must be a finite number above 1 (how far apart bucket bounds may be), e.g. 1.1; got ${describeValue(factor)}.`);
  }
  const zeroThreshold = o.zeroThreshold ?? DEFAULT_ZERO_THRESHOLD;
  if (typeof zeroThreshold !== 'number' || !(zeroThreshold >= 0) || !Number.isFinite(zeroThreshold)) {
    throw optionError(`${where}: "nativeHistograms.zeroThreshold" must be a finite number of at least 0, e.g. 1e-9; got ${describeValue(zeroThreshold)}.`);
  }
  const maxBuckets = o.maxBuckets ?? DEFAULT_MAX_BUCKETS;
  if (typeof maxBuckets !== 'number' || !Number.isInteger(maxBuckets) || maxBuckets < 1 || maxBuckets > MAX_NATIVE_BUCKETS) {
    throw optionError(`${where}: "nativeHistograms.maxBuckets" must be a whole number from 1 to ${MAX_NATIVE_BUCKETS}, e.g. ${DEFAULT_MAX_BUCKETS}; got ${describeValue(maxBuckets)}.`);
  }
  checkType(where, 'nativeHistograms.classicInProtobuf', o.classicInProtobuf, 'boolean', 'true or false');
  return Object.freeze({ schema: schemaFor(factor), zeroThreshold, maxBuckets, classicInProtobuf: o.classicInProtobuf !== false });
}

/** How a family's native histograms read in a message: `schema 3 (factor 1.0905), zero threshold 2.9e-39, 160 buckets`. */
export function describeNative(n: NativeDef): string {
  const classic = n.classicInProtobuf ? '' : ', no classic buckets in protobuf';
  return `schema ${n.schema} (bucket factor ${bucketFactorOf(n.schema).toPrecision(5)}), zero threshold ${n.zeroThreshold.toPrecision(2)}, ${n.maxBuckets} buckets${classic}`;
}
