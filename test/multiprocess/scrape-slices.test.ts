import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { enableMultiprocess, histogram, renderRegistry, type MultiprocessStore } from 'promhttp';
import { parseExposition, sum } from '../support/scrape.js';
import { tempDir } from '../fixtures/mp-support.js';

const dir = tempDir();
const stores: MultiprocessStore[] = [];
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  dir.remove();
});

/** A store in `dir` holding one histogram with `count` series of its own. */
function storeWith(first: number, count: number): Registry {
  const registry = new Registry();
  stores.push(enableMultiprocess({ registry, dir: dir.path, compactInterval: 3_600_000 }));
  const h = histogram({ registry, name: 'big_seconds', help: 'Many series.', labelNames: ['i'], buckets: [1], maxSeries: 25_000 });
  for (let i = first; i < first + count; i++) h.observe({ i: String(i) }, 0.5);
  return registry;
}

describe('a merged scrape of a large directory', () => {
  it('gives the event loop back while it reads, merges and renders one large family', { timeout: 30_000 }, async () => {
    const serving = storeWith(0, 25_000);
    storeWith(25_000, 25_000);
    for (const store of stores) store.flush();
    // Counts the turns of the event loop the render lets through; one family renders in one piece
    // unless the render slices it.
    let turns = 0;
    let rendering = true;
    const tick = (): void => {
      turns++;
      if (rendering) setImmediate(tick);
    };
    setImmediate(tick);
    const text = await renderRegistry(serving, 'text');
    rendering = false;
    expect(sum(parseExposition(text), 'big_seconds_count')).toBe(50_000);
    expect(turns).toBeGreaterThanOrEqual(5);
  });
});
