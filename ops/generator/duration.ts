import { optionError } from '../../core/errors.js';

const UNITS: ReadonlyArray<[string, number]> = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000], ['ms', 1]];
const DURATION = /^(?:\d+(?:d|h|m|s|ms))+$/;

/** A Prometheus duration (`30d`, `1h30m`, `90s`) in milliseconds; `where` starts the error message. */
export function parseDuration(where: string, text: unknown): number {
  if (typeof text !== 'string' || !DURATION.test(text)) {
    throw optionError(`${where} must be a Prometheus duration such as "30d", "6h" or "90s", got ${JSON.stringify(text)}.`);
  }
  let ms = 0;
  for (const [, count, unit] of text.matchAll(/(\d+)(ms|d|h|m|s)/g)) ms += Number(count) * UNITS.find(([u]) => u === unit)![1];
  if (ms <= 0) throw optionError(`${where} must be longer than zero, got ${JSON.stringify(text)}.`);
  return ms;
}

/** Milliseconds as the shortest Prometheus duration (`1h30m`), rounded to whole seconds when at least one. */
export function formatDuration(ms: number): string {
  let rest = ms >= 1000 ? Math.round(ms / 1000) * 1000 : Math.max(1, Math.round(ms));
  let out = '';
  for (const [unit, size] of UNITS) {
    const count = Math.floor(rest / size);
    if (count > 0) out += `${count}${unit}`;
    rest -= count * size;
  }
  return out;
}
