import { describe, expect, it } from 'vitest';
// eslint-disable-next-line no-restricted-imports -- the key computation itself, checked against exact arithmetic.
import { keyOf, schemaFor, upperBound } from '../core/store/native-keys.js';
// eslint-disable-next-line no-restricted-imports -- the vendored bounds the keys are found among.
import { NATIVE_BOUNDS } from '../core/store/native-bounds.js';

/** `value` (positive, finite) as m × 2^e with m a whole number. */
function split(value: number): { m: bigint; e: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const mantissa = bits & ((1n << 52n) - 1n);
  return biased === 0 ? { m: mantissa, e: -1074 } : { m: mantissa | (1n << 52n), e: biased - 1075 };
}

const bitLength = (n: bigint): number => n.toString(2).length;

/**
 * The key of `value` computed exactly, with no table and no floating point: the smallest k with
 * value ≤ 2^(k / 2^schema), i.e. value^(2^schema) ≤ 2^k, in whole numbers (BigInt).
 */
function exactKey(value: number, schema: number): number {
  const { m, e } = split(value);
  const scale = 2 ** Math.max(schema, 0);
  // m^scale < 2^L, and ≤ 2^(L−1) only when it is that power of two (m a power of two).
  const power = m ** BigInt(scale);
  const length = bitLength(power);
  const isPowerOfTwo = (power & (power - 1n)) === 0n;
  const atSchema0OrAbove = (isPowerOfTwo ? length - 1 : length) + e * scale;
  if (schema >= 0) return atSchema0OrAbove;
  // Below schema 0 a bucket spans 2^-schema powers of two: the smallest k with k × 2^-schema ≥ j.
  return Math.ceil(atSchema0OrAbove / 2 ** -schema) + 0;
}

/** A deterministic stream of doubles spread over the whole positive range (subnormals included). */
function* doubles(seed: number): Generator<number> {
  let x = seed;
  const next = (): number => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (;;) {
    const exp = Math.floor(next() * 2098) - 1074;
    const value = (1 + next()) * 2 ** Math.min(exp, 1022);
    if (value > 0 && Number.isFinite(value)) yield value;
  }
}

const nextUp = (x: number): number => {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigUint64(0, view.getBigUint64(0) + 1n);
  return view.getFloat64(0);
};
const nextDown = (x: number): number => {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigUint64(0, view.getBigUint64(0) - 1n);
  return view.getFloat64(0);
};

describe('native histogram bucket keys', () => {
  it('picks the schema from the bucket factor as client_golang does', () => {
    expect([1.1, 1.2, 2, 4, 17, 1.0001, 1.003, 2 ** (2 ** -8), 65536, 1e9].map(schemaFor)).toEqual([3, 2, 0, -1, -2, 8, 8, 8, -4, -4]);
    // 2^(2^-3) = 1.0905 is the largest factor at most 1.1, so 1.1 gives schema 3; 1.0905 itself too, 1.09 gives 4.
    expect([2 ** (2 ** -3), 1.09].map(schemaFor)).toEqual([3, 4]);
  });

  it('gives every value the key exact arithmetic gives it, at every schema from -4 to 8', () => {
    const values = doubles(7);
    let checked = 0;
    for (let schema = -4; schema <= 8; schema++) {
      // Few at high schemas: m^256 is a 13,600-bit number.
      const n = schema > 5 ? 300 : 3000;
      for (let i = 0; i < n; i++) {
        const value = values.next().value as number;
        expect(keyOf(value, schema), `${value} at schema ${schema}`).toBe(exactKey(value, schema));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(25_000);
  });

  it('gives a negative value the key of its absolute value, subnormal ones included', () => {
    const values = doubles(11);
    for (let schema = -4; schema <= 8; schema++) {
      for (const value of [...Array.from({ length: 200 }, () => values.next().value as number), Number.MIN_VALUE, 2 ** -1030, Number.MAX_VALUE]) {
        expect(keyOf(-value, schema), `-${value} at schema ${schema}`).toBe(keyOf(value, schema));
      }
    }
  });

  it('has bounds within four units in the last place of 2^(j / 2^schema − 1), so it departs from exact arithmetic nowhere else', () => {
    const steps = (x: number, n: number, step: (x: number) => number): number => (n === 0 ? x : steps(step(x), n - 1, step));
    let notNearest = 0;
    for (let schema = 1; schema <= 8; schema++) {
      const bounds = NATIVE_BOUNDS[schema]!;
      for (let j = 0; j < bounds.length; j++) {
        const bound = bounds[j]!;
        // In [0.5, 1) the key of bound j is j − 2^schema; exact arithmetic says which side of the true bound a double is.
        const key = j - bounds.length;
        // client_golang's bounds are up to 4 units in the last place below the true ones (and up to 1 above).
        expect(exactKey(steps(bound, 4, nextDown), schema), `below bound ${j} of schema ${schema}`).toBe(key);
        expect(exactKey(steps(bound, 4, nextUp), schema), `above bound ${j} of schema ${schema}`).toBe(key + 1);
        if (exactKey(bound, schema) !== key || exactKey(nextUp(bound), schema) !== key + 1) notNearest++;
      }
    }
    // Not every one of client_golang's bounds is the double nearest to the true bound: values between the two go by the table.
    expect(notNearest).toBeGreaterThan(0);
  });

  it('puts a value on a bound in the bucket it ends, the next double in the next bucket, as client_golang compares with its table', () => {
    for (let schema = 1; schema <= 8; schema++) {
      const bounds = NATIVE_BOUNDS[schema]!;
      for (let j = 0; j < bounds.length; j++) {
        for (const exp of [-20, 0, 1, 7]) {
          const bound = bounds[j]! * 2 ** exp;
          const key = j + (exp - 1) * bounds.length;
          expect(keyOf(bound, schema)).toBe(key);
          expect(keyOf(nextDown(bound), schema)).toBe(key);
          expect(keyOf(nextUp(bound), schema)).toBe(key + 1);
        }
      }
    }
  });

  it('has bounds at every schema that hold the schema below at their even places, so halving is exact', () => {
    for (let schema = 2; schema <= 8; schema++) {
      const lower = NATIVE_BOUNDS[schema - 1]!;
      expect(NATIVE_BOUNDS[schema]!.filter((_, i) => i % 2 === 0)).toEqual(lower);
    }
    const values = doubles(11);
    for (let i = 0; i < 2000; i++) {
      const value = values.next().value as number;
      for (let schema = 8; schema > -4; schema--) expect((keyOf(value, schema) + 1) >> 1).toBe(keyOf(value, schema - 1));
    }
  });

  it('gives the upper bounds client_golang\'s getLe gives (its TestGetLe)', () => {
    const cases: Array<[number, number, number]> = [
      [-1, -1, 0.25],
      [0, -1, 1],
      [1, -1, 4],
      [512, -1, Number.MAX_VALUE],
      [513, -1, Infinity],
      [-1, 0, 0.5],
      [0, 0, 1],
      [1, 0, 2],
      [1024, 0, Number.MAX_VALUE],
      [1025, 0, Infinity],
      [-1, 2, 0.8408964152537144],
      [0, 2, 1],
      [1, 2, 1.189207115002721],
      [4096, 2, Number.MAX_VALUE],
      [4097, 2, Infinity],
    ];
    for (const [key, schema, want] of cases) expect(upperBound(key, schema), `key ${key} schema ${schema}`).toBe(want);
  });

  it('ends every bucket at a bound that holds the values of its key and none of the next', () => {
    const values = doubles(3);
    for (let i = 0; i < 3000; i++) {
      const value = values.next().value as number;
      // Among subnormals a bound rounds to the nearest one there is, which may be the value itself.
      if (value < 2 ** -1000) continue;
      const schema = (i % 13) - 4;
      const key = keyOf(value, schema);
      expect(value).toBeLessThanOrEqual(upperBound(key, schema));
      expect(value).toBeGreaterThan(upperBound(key - 1, schema));
    }
  });
});
