import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { counter, createHttpMetrics, gauge, renderRegistry, setStaticLabels } from 'promhttp';
import { find, parseExposition } from './support/scrape.js';

/** The label sets of a sample name, as rendered (so a label rendered twice shows). */
const rendered = (text: string, name: string): string[] => text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `)).map((line) => line.slice(name.length, line.lastIndexOf(' ')));

describe('registry.setDefaultLabels()', () => {
  it('puts the labels on every series promhttp renders, also when set after the metrics were created', async () => {
    const registry = new Registry();
    const metrics = createHttpMetrics({ registry, defaultMetrics: false });
    metrics.finish(metrics.begin(), 'GET', '/users/:id', 200);
    new Counter({ name: 'pc_total', help: 'A prom-client counter.', registers: [registry] }).inc();
    gauge({ name: 'queue_depth', help: 'Jobs waiting.', registry }).set(3);
    // The series has a label of that name itself: its own value wins.
    counter({ name: 'shipments_total', help: 'Shipments.', labelNames: ['service'], registry }).inc({ service: 'courier' });
    registry.setDefaultLabels({ service: 'checkout', region: 'eu' });

    for (const format of ['text', 'openmetrics'] as const) {
      const text = await renderRegistry(registry, format);
      const samples = parseExposition(text);
      expect(find(samples, 'http_requests_total')[0]!.labels).toEqual({ service: 'checkout', region: 'eu', method: 'GET', route: '/users/:id', status_code: '200' });
      for (const name of ['http_request_duration_seconds_bucket', 'http_request_duration_seconds_count', 'http_requests_in_flight', 'queue_depth', 'pc_total']) {
        const found = find(samples, name);
        expect(found.length, name).toBeGreaterThan(0);
        expect(found.every((s) => s.labels.service === 'checkout' && s.labels.region === 'eu'), name).toBe(true);
      }
      expect(rendered(text, 'shipments_total')).toEqual(['{region="eu",service="courier"}']);
    }
  });

  it('does not render the labels of setStaticLabels twice: they are already on every series', async () => {
    const registry = new Registry();
    setStaticLabels(registry, { service: 'checkout' });
    const metrics = createHttpMetrics({ registry, defaultMetrics: false });
    metrics.finish(metrics.begin(), 'GET', '/', 200);
    gauge({ name: 'queue_depth', help: 'Jobs waiting.', registry }).set(3);
    const text = await renderRegistry(registry, 'text');
    expect(rendered(text, 'http_requests_total')).toEqual(['{service="checkout",method="GET",route="/",status_code="200"}']);
    expect(rendered(text, 'queue_depth')).toEqual(['{service="checkout"}']);
  });

  it('reaches promhttp\'s series in prom-client\'s own registry.metrics() as well', async () => {
    const registry = new Registry();
    const metrics = createHttpMetrics({ registry, defaultMetrics: false });
    metrics.finish(metrics.begin(), 'GET', '/', 200);
    registry.setDefaultLabels({ service: 'checkout' });
    const samples = parseExposition(await registry.metrics());
    expect(find(samples, 'http_requests_total')[0]!.labels).toMatchObject({ service: 'checkout' });
    expect(find(samples, 'http_requests_in_flight')[0]!.labels).toEqual({ service: 'checkout' });
  });
});
