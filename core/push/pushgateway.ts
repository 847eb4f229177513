import type { Registry } from 'prom-client';
import { register as globalRegistry } from 'prom-client';
import { checkKeys, checkObject, describeValue, optionError } from '../errors.js';
import { CONTENT_TYPE } from '../exposition/format.js';
import { renderRegistry } from '../exposition/render.js';
import type { PushAtExitOptions } from './at-exit.js';
import { pushAtExit } from './at-exit.js';
import type { GroupingKey } from './grouping-key.js';
import { checkGrouping, groupPath } from './grouping-key.js';
import type { PushSchedule, PushEveryOptions } from './interval.js';
import { pushEvery } from './interval.js';
import type { SendSettings } from './send.js';
import { send } from './send.js';

/** Options of `createPushgateway()`. */
export interface PushgatewayOptions {
  /**
   * The Pushgateway's base URL (a path prefix is kept; `user:password@` becomes basic auth).
   * @example "http://pushgateway.monitoring:9091"
   */
  gateway: string;
  /** The `job` label of the pushed group. */
  job: string;
  /**
   * More labels that identify the group, next to `job` (any string: a value with "/", an empty one, "." or ".." is sent base64url-encoded).
   * @default {}
   * @example { instance: os.hostname() }
   */
  groupingKey?: GroupingKey;
  /**
   * The metrics to push.
   * @default prom-client's global `register`
   */
  registry?: Registry;
  /**
   * Time allowed for each attempt.
   * @default 5000
   */
  timeoutMs?: number;
  /**
   * Retries after a network error, a timeout or a 5xx answer (never after other 4xx).
   * @default 2
   */
  retries?: number;
  /**
   * Wait before the first retry; doubled for each further retry (jittered, at most 10 s).
   * @default 500
   */
  retryDelayMs?: number;
  /**
   * Basic authentication.
   * @default none (credentials in the `gateway` URL are used when present)
   */
  auth?: { username: string; password: string };
  /**
   * Extra request headers, e.g. a bearer token.
   * @default {}
   * @example { authorization: `Bearer ${token}` }
   */
  headers?: Readonly<Record<string, string>>;
  /**
   * Receives failures of pushes nobody awaits (`pushEvery`, `pushAtExit`).
   * @default process.emitWarning
   */
  onError?: (error: Error) => void;
}

/** A Pushgateway group, ready to push to. */
export interface Pushgateway {
  /** The group's URL, without credentials. */
  readonly url: string;
  /** Replaces the whole group with the registry's metrics (HTTP PUT). */
  push(): Promise<void>;
  /** Replaces only the metrics of the same names in the group, keeping the others (HTTP POST). */
  pushAdd(): Promise<void>;
  /** Deletes the group (HTTP DELETE). */
  delete(): Promise<void>;
  /** Pushes now and then every `intervalMs`, without keeping the process alive. */
  pushEvery(intervalMs: number, options?: PushEveryOptions): PushSchedule;
  /**
   * Pushes when the process ends normally (`beforeExit`) or on SIGTERM/SIGINT. Returns a
   * function that removes the hooks.
   */
  pushAtExit(options?: PushAtExitOptions): () => void;
}

const WHERE = 'createPushgateway';
const KEYS = ['gateway', 'job', 'groupingKey', 'registry', 'timeoutMs', 'retries', 'retryDelayMs', 'auth', 'headers', 'onError'];

/** Option keys of `createPushgateway`, for helpers that accept them alongside their own. */
export const PUSHGATEWAY_OPTION_KEYS: readonly string[] = KEYS;

function checkWhole(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw optionError(`${WHERE}: "${name}" must be a whole number of at least ${min}, got ${describeValue(value)}.`);
  }
  return value;
}

function checkGateway(gateway: unknown): URL {
  if (typeof gateway !== 'string' || gateway === '') {
    throw optionError(`${WHERE}: "gateway" must be the Pushgateway's URL, e.g. "http://127.0.0.1:9091", got ${describeValue(gateway)}.`);
  }
  // Like the Python client, take "host:9091" to mean plain HTTP.
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(gateway) ? gateway : `http://${gateway}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw optionError(`${WHERE}: "gateway" is not a URL: ${JSON.stringify(gateway)}. Write it like "http://127.0.0.1:9091".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw optionError(`${WHERE}: "gateway" must be an http:// or https:// URL, got ${JSON.stringify(gateway)}.`);
  if (url.search || url.hash) throw optionError(`${WHERE}: "gateway" must not carry a query or fragment, got ${JSON.stringify(gateway)}.`);
  return url;
}

function checkHeaders(headers: unknown, auth: unknown, url: URL): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(checkObject(`${WHERE}: "headers"`, headers))) {
    if (typeof value !== 'string') throw optionError(`${WHERE}: "headers.${name}" must be a string, got ${describeValue(value)}.`);
    out[name.toLowerCase()] = value;
  }
  let user: { username: string; password: string } | undefined;
  if (auth !== undefined) {
    const a = checkObject(`${WHERE}: "auth"`, auth);
    checkKeys(`${WHERE}: "auth"`, a, ['username', 'password']);
    if (typeof a.username !== 'string' || typeof a.password !== 'string') throw optionError(`${WHERE}: "auth" must be { username: string, password: string }.`);
    user = { username: a.username, password: a.password };
  } else if (url.username !== '') {
    // fetch refuses URLs with credentials, so they become the header the user meant.
    user = { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  }
  if (user !== undefined) {
    if ('authorization' in out) throw optionError(`${WHERE}: give "auth" (or credentials in the URL) or an "authorization" header, not both.`);
    out.authorization = `Basic ${Buffer.from(`${user.username}:${user.password}`, 'utf8').toString('base64')}`;
  }
  return out;
}

/**
 * A client for one Pushgateway group, for batch jobs and processes Prometheus cannot scrape.
 * Options are validated here; pushes render the registry with promhttp's text renderer.
 * @example
 * const gateway = createPushgateway({ gateway: 'http://127.0.0.1:9091', job: 'nightly-backup', registry });
 * await gateway.push();
 */
export function createPushgateway(options: PushgatewayOptions): Pushgateway {
  const o = checkObject(WHERE, options);
  checkKeys(WHERE, o, KEYS);
  const base = checkGateway(o.gateway);
  const { job, groupingKey } = checkGrouping(WHERE, o.job, o.groupingKey);
  const registry = (o.registry as Registry | undefined) ?? globalRegistry;
  if (typeof (registry as Partial<Registry>).getMetricsAsArray !== 'function') {
    throw optionError(`${WHERE}: "registry" must be a prom-client Registry, got ${describeValue(o.registry)}.`);
  }
  const headers = checkHeaders(o.headers, o.auth, base);
  const settings: SendSettings = {
    headers,
    timeoutMs: checkWhole('timeoutMs', o.timeoutMs, 5000, 1),
    retries: checkWhole('retries', o.retries, 2, 0),
    retryDelayMs: checkWhole('retryDelayMs', o.retryDelayMs, 500, 0),
  };
  if (o.onError !== undefined && typeof o.onError !== 'function') throw optionError(`${WHERE}: "onError" must be a function (error) => void.`);
  const onError = (o.onError as ((error: Error) => void) | undefined) ?? ((error: Error) => process.emitWarning(error));
  base.username = '';
  base.password = '';
  const url = `${base.origin}${base.pathname.replace(/\/+$/, '')}${groupPath(job, groupingKey)}`;
  const bodyHeaders = { ...headers, 'content-type': CONTENT_TYPE.text };

  async function upload(method: 'PUT' | 'POST'): Promise<void> {
    const body = await renderRegistry(registry, 'text');
    await send(method, url, body, { ...settings, headers: bodyHeaders });
  }

  const gateway: Pushgateway = {
    url,
    push: () => upload('PUT'),
    pushAdd: () => upload('POST'),
    delete: () => send('DELETE', url, undefined, settings),
    pushEvery: (intervalMs, everyOptions) => pushEvery(gateway, intervalMs, everyOptions, onError),
    pushAtExit: (exitOptions) => pushAtExit(gateway, exitOptions, onError),
  };
  return gateway;
}
