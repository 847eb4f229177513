import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpMetrics, enableMultiprocess, renderDirectory, type MultiprocessStore } from 'promhttp';
import { tempDir } from '../fixtures/mp-support.js';

const dirs: Array<ReturnType<typeof tempDir>> = [];
const stores: MultiprocessStore[] = [];
const newDir = (): string => {
  const dir = tempDir();
  dirs.push(dir);
  return dir.path;
};
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  for (const dir of dirs.splice(0)) dir.remove();
  delete process.env.PROMETHEUS_MULTIPROC_DIR;
});

describe('multi-process options', () => {
  it('rejects a misspelt, mistyped or incomplete "multiprocess" option at construction', () => {
    const registry = new Registry();
    expect(() => createHttpMetrics({ registry, multiprocess: { directory: '/tmp/x' } as never })).toThrow(/^promhttp: createHttpMetrics: "multiprocess": unknown option "directory"\. Did you mean "dir"\?/);
    expect(() => createHttpMetrics({ registry, multiprocess: 'yes' as never })).toThrow(/^promhttp: createHttpMetrics: "multiprocess" must be true, false or an object/);
    expect(() => createHttpMetrics({ registry, multiprocess: true })).toThrow(/set PROMETHEUS_MULTIPROC_DIR or pass multiprocess: \{ dir/);
    expect(() => createHttpMetrics({ registry, multiprocess: { dir: newDir(), reset: 'sometimes' as never } })).toThrow(/"multiprocess.reset" must be "auto", "always" or "never"/);
    expect(() => createHttpMetrics({ registry, multiprocess: { dir: newDir(), compactInterval: 10 } })).toThrow(/"multiprocess.compactInterval" must be a number of milliseconds of at least 100, got 10/);
    expect(() => createHttpMetrics({ registry, multiprocess: { dir: '/dev/null/metrics' } })).toThrow(/^promhttp: the multi-process directory \/dev\/null\/metrics cannot be created or written/);
  });

  it('refuses to move a registry that already holds metrics in memory into a directory', () => {
    const registry = new Registry();
    createHttpMetrics({ registry, defaultMetrics: false });
    expect(() => enableMultiprocess({ registry, dir: newDir() })).toThrow(/^promhttp: enableMultiprocess: this registry already holds promhttp metrics in memory/);
  });

  it('returns the same store when enabled twice with the same directory, and refuses another directory', () => {
    const registry = new Registry();
    const dir = newDir();
    const store = enableMultiprocess({ registry, dir });
    stores.push(store);
    expect(enableMultiprocess({ registry, dir })).toBe(store);
    expect(() => createHttpMetrics({ registry, defaultMetrics: false, multiprocess: { dir } })).not.toThrow();
    expect(() => enableMultiprocess({ registry, dir: newDir() })).toThrow(/one registry uses one directory/);
  });

  it('renders prom-client\'s own view of a multi-process registry without failing', async () => {
    const registry = new Registry();
    stores.push(enableMultiprocess({ registry, dir: newDir() }));
    createHttpMetrics({ registry, defaultMetrics: false }).start()({ method: 'GET', route: '/', status: 200 });
    const text = await registry.metrics();
    expect(text).toContain('promhttp_multiprocess_processes{state="live"} 1');
    expect(text).toContain('http_requests_total{method="GET",route="/",status_code="200"} 1');
  });

  it('rejects a bad directory or format in renderDirectory', async () => {
    await expect(renderDirectory('')).rejects.toThrow(/^promhttp: renderDirectory: the first argument must be the multi-process directory/);
    await expect(renderDirectory(newDir(), { format: 'json' as never })).rejects.toThrow(/^promhttp: renderDirectory: "format" must be "text" or "openmetrics"/);
  });
});
