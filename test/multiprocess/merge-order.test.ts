// Every process merges the directory in one order, so a floating-point sum comes out the same
// whichever process serves the scrape: a _sum that went down by one rounding between two scrapes
// would be a counter reset to Prometheus.
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { enableMultiprocess, histogram, renderRegistry, type MultiprocessStore } from 'promhttp';
import { parseExposition, sum } from '../support/scrape.js';
import { tempDir } from '../fixtures/mp-support.js';

const stores: MultiprocessStore[] = [];
let dir: ReturnType<typeof tempDir> | undefined;
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  dir?.remove();
});

describe('the merged view of a directory', () => {
  it('gives every process the same _sum, to the last bit, whichever of them serves', async () => {
    dir = tempDir();
    const registries: Registry[] = [];
    // 1 + 1e-16 rounds to 1, while 1e-16 + 1e-16 + 1e-16 + 1 does not: the order of the terms decides.
    for (const [i, value] of [1e-16, 1e-16, 1e-16, 1].entries()) {
      const registry = new Registry();
      const store = enableMultiprocess({ registry, dir: dir.path, worker: `w${i}`, reset: 'never' });
      histogram({ name: 'job_seconds', help: 'Job durations.', registry }).observe(value);
      await store.snapshot();
      stores.push(store);
      registries.push(registry);
    }
    const sums = await Promise.all(registries.map(async (registry) => sum(parseExposition(await renderRegistry(registry, 'text')), 'job_seconds_sum')));
    expect(new Set(sums).size).toBe(1);
  });
});
