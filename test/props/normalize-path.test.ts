import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizePath, UNMATCHED } from 'promhttp';
import { runs } from './replay.js';

/** The longest path kept; longer ones are `unmatched`. */
const MAX_PATH = 256;
/** The most segments kept; deeper paths are `unmatched`. */
const MAX_SEGMENTS = 16;
/** Each id segment, one character at the shortest, becomes the three of `:id`. */
const MAX_OUTPUT = MAX_PATH + 2 * MAX_SEGMENTS;

const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const pathChar = fc.constantFrom('/', '/', '?', '#', '%', '.', '..', ':', '-', '0', '9', 'a', 'F', ' ', '\u0000', '\ud800', '\u{1f600}', '*', '//');
/** Anything a request target or a router might hand over: paths, garbage, long strings. */
const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.string({ unit: fc.oneof(pathChar, codeUnit), maxLength: 80 }),
  fc.string({ unit: fc.oneof(pathChar, codeUnit), maxLength: 80 }).map((s) => `/${s}`),
  fc.webPath(),
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.tuple(fc.string({ unit: pathChar, maxLength: 4 }), fc.integer({ min: 200, max: 2_000 })).map(([part, n]) => `/${`${part}x`.repeat(n).slice(0, n)}`),
);

const hex = (n: number): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: n, maxLength: n });
/** Segments that stand for one record: numbers, UUIDs in any case, hex of 16 digits or more. */
const id = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 24 }),
  fc.uuid({ version: [1, 2, 3, 4, 5, 6, 7, 8] }).chain((uuid) => fc.mixedCase(fc.constant(uuid))),
  fc.integer({ min: 16, max: 40 }).chain(hex),
);
/** Literal segments: none of them is an id (the empty one makes `//` and trailing slashes). */
const LITERALS = ['', 'api', 'v1', 'users', 'orders', 'me', 'search', 'a-b', 'file.txt', '.', '..', '%2F', 'caf%C3%A9', 'cafe', 'beef', 'x1', '1x', ':id', '*'];
/** A shape: literal segments and id placeholders (`null`). */
const shape = fc.array(fc.option(fc.constantFrom(...LITERALS), { nil: null, freq: 3 }), { minLength: 1, maxLength: 10 });
/** What follows the path and is no part of it. */
const suffix = fc.oneof(
  fc.constant(''),
  fc.string({ unit: fc.oneof(pathChar, codeUnit), maxLength: 40 }).map((s) => `?${s}`),
  fc.string({ unit: fc.oneof(pathChar, codeUnit), maxLength: 40 }).map((s) => `#${s}`),
);

const templateOf = (segments: ReadonlyArray<string | null>): string => `/${segments.map((s) => s ?? ':id').join('/')}`;
const pathOf = (segments: ReadonlyArray<string | null>, ids: readonly string[]): string => `/${segments.map((s, i) => s ?? ids[i]!).join('/')}`;

describe('normalizePath, generated', () => {
  it('never throws, for any value, and answers `unmatched` or a path of at most 16 segments and 256 + 2 × 16 characters, with no query', () => {
    fc.assert(
      fc.property(fc.oneof(anyString, fc.anything()), (input) => {
        const out = normalizePath(input as string);
        expect(typeof out).toBe('string');
        if (out === UNMATCHED) return;
        expect(typeof input).toBe('string');
        expect(out.startsWith('/')).toBe(true);
        expect(out.length).toBeLessThanOrEqual(MAX_OUTPUT);
        expect(out).not.toMatch(/[?#]/);
        // Segment by segment: the input's own, or `:id` in its place; never anything else.
        const given = (input as string).split(/[?#]/, 1)[0]!.split('/');
        const kept = out.split('/');
        expect(kept.length).toBeLessThanOrEqual(MAX_SEGMENTS + 1);
        expect(kept.length).toBe(given.length);
        kept.forEach((segment, i) => expect([given[i], ':id']).toContain(segment));
      }),
      runs(3_000),
    );
  });

  it('maps anything that is not an origin-form path (no leading "/"), and any path of over 256 characters or 16 segments, to `unmatched` alone', () => {
    fc.assert(
      fc.property(anyString, (input) => {
        const path = input.split(/[?#]/, 1)[0]!;
        if (!input.startsWith('/') || path.length > MAX_PATH || path.split('/').length > MAX_SEGMENTS + 1) expect(normalizePath(input)).toBe(UNMATCHED);
      }),
      runs(3_000),
    );
  });

  it('gives paths built from literal segments and ids at most one value per shape: its template, or `unmatched` when too long', () => {
    // The bound: however many paths, queries and fragments, the values are the shapes' templates
    // and `unmatched`, so their number is at most the number of shapes + 1.
    const paths = fc.array(
      shape.chain((segments) => fc.tuple(fc.constant(segments), fc.array(id, { minLength: segments.length, maxLength: segments.length }), suffix)),
      { minLength: 1, maxLength: 30 },
    );
    fc.assert(
      fc.property(paths, (cases) => {
        const allowed = new Set([UNMATCHED, ...cases.map(([segments]) => templateOf(segments))]);
        const seen = new Set<string>();
        for (const [segments, ids, rest] of cases) {
          const path = pathOf(segments, ids);
          const out = normalizePath(path + rest);
          expect(out).toBe(path.length > MAX_PATH ? UNMATCHED : templateOf(segments));
          seen.add(out);
        }
        expect([...seen].filter((value) => !allowed.has(value))).toEqual([]);
        expect(seen.size).toBeLessThanOrEqual(new Set(cases.map(([segments]) => templateOf(segments))).size + 1);
      }),
      runs(1_000),
    );
  });

  it('gives a path the same value whatever query or fragment follows it', () => {
    fc.assert(
      fc.property(anyString, suffix, (input, rest) => {
        const path = input.split(/[?#]/, 1)[0]!;
        expect(normalizePath(path + rest)).toBe(normalizePath(path));
      }),
      runs(3_000),
    );
  });
});
