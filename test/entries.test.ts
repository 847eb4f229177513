import * as main from 'promhttp';
import * as kit from 'promhttp/adapter';
import { describe, expect, test } from 'vitest';

// What only adapter authors need lives in promhttp/adapter; the main entry is the user's API.
const KIT_ONLY = ['resolveAdapterOptions', 'closedStatus', 'asRecorded', 'createScrapeAnswer', 'scrapeRequestOfFetch', 'remoteAddressOf', 'createRouteMetrics', 'compileRouteOption', 'sendScrape', 'scrapeRequestOf', 'optionError', 'checkKeys', 'checkObject', 'checkType', 'describeValue', 'HTTP_METRICS_OPTION_KEYS', 'compileRouteTemplates', 'pathOfUrl', 'scrapeResponse', 'untilSettled', 'watchUpgrades', 'upgradedStatus', 'pathOfTarget'];

describe('package entries', () => {
  test('promhttp exports the user API and none of the adapter kit', () => {
    for (const name of KIT_ONLY) expect(main, name).not.toHaveProperty(name);
    for (const name of ['createHttpMetrics', 'metricsHandler', 'counter', 'startMetricsServer', 'runJob', 'enableMultiprocess']) expect(typeof (main as Record<string, unknown>)[name], name).toBe('function');
  });

  test('promhttp/adapter exports what an adapter is written with', () => {
    for (const name of KIT_ONLY) expect(kit, name).toHaveProperty(name);
    expect(kit.UNMATCHED).toBe('unmatched');
    expect(kit.CLIENT_CLOSED).toBe(499);
  });
});
