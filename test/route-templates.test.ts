import { compileRouteTemplates } from 'promhttp/adapter';
import { describe, expect, it } from 'vitest';
import { ensureBuilt } from './support/build.js';
import { BUN, DENO_RUN, denoBinary, startChild } from './support/process.js';
import { INVALID_TEMPLATES, TEMPLATE_CASES } from './fixtures/route-template-cases.js';

const label = (templates: readonly string[], path: string): string | undefined => compileRouteTemplates('fetchMetrics', templates)!(path);

describe('route templates', () => {
  it.each(TEMPLATE_CASES)('labels $path among $templates as $expected', ({ templates, path, expected }) => {
    expect(label(templates, path)).toBe(expected);
  });

  it.each(INVALID_TEMPLATES)('rejects %s at construction, saying what to write', (template) => {
    expect(() => compileRouteTemplates('fetchMetrics', ['/ok', template])).toThrow(new RegExp(`^promhttp: fetchMetrics: route template ${JSON.stringify(template).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `));
  });

  it('rejects two templates that match the same paths, and anything but a non-empty list of strings', () => {
    expect(() => compileRouteTemplates('fetchMetrics', ['/users/:id', '/users/:userId'])).toThrow('promhttp: fetchMetrics: route template "/users/:userId" matches the same paths as "/users/:id"; give one of them.');
    expect(() => compileRouteTemplates('fetchMetrics', ['/files/*', '/files/*'])).toThrow('matches the same paths as "/files/*"');
    expect(() => compileRouteTemplates('fetchMetrics', ['/a', '/a'])).toThrow('matches the same paths as "/a"');
    // A non-ASCII literal and its percent-encoding are the same segment.
    expect(() => compileRouteTemplates('fetchMetrics', ['/café', '/caf%C3%A9'])).toThrow('route template "/caf%C3%A9" matches the same paths as "/café"');
    expect(() => compileRouteTemplates('fetchMetrics', [])).toThrow(/^promhttp: fetchMetrics: "routes" must be a non-empty array of route templates/);
    expect(() => compileRouteTemplates('fetchMetrics', '/users/:id')).toThrow(/^promhttp: fetchMetrics: "routes" must be a non-empty array/);
    expect(() => compileRouteTemplates('fetchMetrics', [42])).toThrow(/^promhttp: fetchMetrics: "routes" takes route templates as strings/);
    expect(compileRouteTemplates('fetchMetrics', undefined)).toBeUndefined();
  });

  it('finds nothing for a path that is not origin-form', () => {
    expect(label(['/*'], '*')).toBeUndefined();
    expect(label(['/*'], '')).toBeUndefined();
  });

  // The matcher is promhttp's on every runtime (URLPattern takes microseconds per template); where
  // a runtime has URLPattern, it is the reference for which paths each template matches.
  const runtimes: Array<[name: string, start: () => Promise<ReturnType<typeof startChild>>]> = [
    ['Bun', async () => startChild(BUN, ['run', 'test/fixtures/route-templates-oracle.ts'], { env: { CASES: JSON.stringify(TEMPLATE_CASES) } })],
    [
      'Deno',
      async () => {
        await ensureBuilt();
        return startChild(denoBinary(), [...DENO_RUN, 'test/fixtures/route-templates-oracle.ts'], { env: { CASES: JSON.stringify(TEMPLATE_CASES), DENO_NO_UPDATE_CHECK: '1' } });
      },
    ],
  ];
  it.each(runtimes)('matches each template exactly where URLPattern does on %s', async (_name, start) => {
    const child = await start();
    try {
      const result = JSON.parse(await child.waitFor(/^oracle (\{.*\})$/m, 120_000)) as { compared: number; disagreements: string[] };
      expect(result.disagreements).toEqual([]);
      expect(result.compared).toBe(TEMPLATE_CASES.reduce((n, c) => n + c.templates.length, 0));
    } finally {
      await child.stop();
    }
  }, 200_000);
});
