import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { TextFormat } from 'promhttp';
import { counter, createHttpMetrics, gauge, renderRegistry, setStaticLabels } from 'promhttp';
import { instrument } from 'promhttp/node';
import { parseStrict } from './support/exposition-strict.js';
import { listen, request } from './support/http.js';

const FORMATS: readonly TextFormat[] = ['text', 'openmetrics'];

async function samplesOf(registry: Registry, format: TextFormat, name: string): Promise<Array<{ labels: Record<string, string>; value: number }>> {
  const body = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(await renderRegistry(registry, format)));
  return parseStrict(body, format)
    .samples.filter((s) => s.name === name)
    .map((s) => ({ labels: Object.fromEntries(s.labels), value: s.value }));
}

describe('label values with lone surrogates', () => {
  // Found by test/props/label-values.test.ts: ["\ud800", "\ud801"] rendered as two series both
  // labelled U+FFFD, a series written twice, which Prometheus rejects.
  it('are one series, labelled U+FFFD, however the lone surrogates differ', async () => {
    const registry = new Registry();
    const seen = counter({ name: 'values_seen_total', help: 'Values seen.', labelNames: ['value', 'source'], registry });
    seen.inc({ value: '\ud800', source: 'a\udfff' });
    seen.inc({ value: '\ud801', source: 'a\udc00' });
    seen.labels('\udc00', 'a\ud83d').inc();
    // A high and a low surrogate in order are one astral character, not two lone ones.
    seen.inc({ value: '\ud83d\ude00', source: 'a' });
    for (const format of FORMATS) {
      expect(await samplesOf(registry, format, 'values_seen_total'), format).toEqual([
        { labels: { value: '\ufffd', source: 'a\ufffd' }, value: 3 },
        { labels: { value: '\u{1f600}', source: 'a' }, value: 1 },
      ]);
    }
  });

  it('land in one series of the request metrics when a route function returns them', async () => {
    const registry = new Registry();
    const routes = ['/files/\ud800', '/files/\udbff', '/files/\udc00'];
    const app = await listen(instrument((_req, res) => void res.end(), { registry, defaultMetrics: false, route: (req) => routes[Number(req.headers['x-route'])] }));
    try {
      for (let i = 0; i < routes.length; i++) await request(`${app.url}/`, { headers: { 'x-route': String(i) } });
      await expect.poll(async () => (await samplesOf(registry, 'text', 'http_requests_in_flight'))[0]?.value).toBe(0);
      for (const format of FORMATS) {
        expect(await samplesOf(registry, format, 'http_requests_total'), format).toEqual([{ labels: { method: 'GET', route: '/files/\ufffd', status_code: '200' }, value: 3 }]);
      }
    } finally {
      await app.close();
    }
  });

  it('are written as U+FFFD in static labels', async () => {
    const registry = new Registry();
    setStaticLabels(registry, { region: 'eu\ud800' });
    const end = createHttpMetrics({ registry, defaultMetrics: false, labels: { service: '\udfffshop' } }).start();
    end({ method: 'GET', route: '/', status: 200 });
    gauge({ name: 'queue_depth', help: 'Jobs waiting.', registry }).set(1);
    for (const format of FORMATS) {
      const [request] = await samplesOf(registry, format, 'http_requests_total');
      expect(request?.labels).toMatchObject({ region: 'eu\ufffd', service: '\ufffdshop' });
      const [depth] = await samplesOf(registry, format, 'queue_depth');
      expect(depth?.labels).toEqual({ region: 'eu\ufffd' });
    }
  });
});

describe('label names', () => {
  const registry = new Registry();
  const app = instrument((_req, res) => void res.end(), { registry, defaultMetrics: false });
  // Label names are fixed by the code, not by input: each entry point checks them at construction.
  const names = ['', 'é', 'a b', 'a-b', '1a', '__a', 'a\ud800', 'a\n', '"'];
  for (const name of names) {
    it(`${JSON.stringify(name)} is refused by every entry point with a promhttp TypeError`, () => {
      const message = /^promhttp: .*is not a valid label name\. Use letters, digits and "_"/;
      expect(() => counter({ name: 'a_total', help: 'A.', labelNames: [name], registry })).toThrow(message);
      expect(() => app.counter({ name: 'b_total', help: 'B.', labels: { [name]: () => 'x' } })).toThrow(message);
      expect(() => createHttpMetrics({ registry: new Registry(), labels: { [name]: 'x' } })).toThrow(message);
      expect(() => setStaticLabels(new Registry(), { [name]: 'x' })).toThrow(message);
    });
  }
});
