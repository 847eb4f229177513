import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUN, startChild, type Child } from './support/process.js';
import { APPS_PER_SCENARIO, routeMetricsSuite, type Scenario } from './fixtures/route-metrics-suite.js';

// The shared suite on a real Bun: test/fixtures/route-metrics-bun-app.ts serves one fresh app
// (fresh Registry) per test, so no test sees another's samples.
let child: Child;
let ports: Record<Scenario, number[]>;

beforeAll(async () => {
  child = startChild(BUN, ['run', 'test/fixtures/route-metrics-bun-app.ts'], { env: { APPS: JSON.stringify(APPS_PER_SCENARIO) } });
  try {
    ports = JSON.parse(await child.waitFor(/^ports (\{.*\})$/m)) as Record<Scenario, number[]>;
  } catch (error) {
    await child.stop();
    throw error;
  }
});

afterAll(async () => {
  await child?.stop();
});

describe('per-route metrics on Hono with Bun', () => {
  routeMetricsSuite(async (scenario) => {
    const port = ports[scenario].shift();
    if (port === undefined) throw new Error(`the Bun fixture has no unused "${scenario}" app left; raise APPS_PER_SCENARIO.${scenario}`);
    return `http://127.0.0.1:${port}`;
  });

  it('rejects bad options at construction with promhttp TypeErrors', () => {
    const errors = child.output().split('\n').filter((line) => line.startsWith('options '));
    expect(errors).toHaveLength(4);
    expect(errors[0]).toMatch(/^options error: TypeError: promhttp: honoMetrics: "route" must be a function .* or "path"/);
    expect(errors[1]).toMatch(/^options error: TypeError: promhttp: counter: counter names end in "_total"/);
    expect(errors[2]).toMatch(/^options error: TypeError: promhttp: honoMetrics.counter "a_total": label "collection" must be a string or a function/);
    expect(errors[3]).toMatch(/^options error: TypeError: promhttp: honoMetrics.registerDefault: pass what/);
  });

  it('keeps serving after label functions threw', async () => {
    expect(child.process.exitCode).toBeNull();
    expect(child.output()).not.toMatch(/unhandled|uncaught/i);
  });
});
