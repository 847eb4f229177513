import type { Registry } from 'prom-client';
import type { Format } from './format.js';
import { CONTENT_TYPE } from './format.js';
import type { Exposition, ExposeRequest, ExpositionBytes } from './render.js';
import { acceptsGzip, negotiate } from './negotiate.js';
import { renderExposition } from './render.js';

/** A render under way, and how many scrapes still wait for it. */
interface Render {
  readonly bytes: Promise<ExpositionBytes>;
  readonly controller: AbortController;
  waiting: number;
}

/** Renders under way by registry, then by format and encoding. */
const underWay = new WeakMap<Registry, Map<string, Render>>();

/** Thrown to a scrape that stopped waiting (its deadline passed) before the shared render ended. */
export class ScrapeAbandoned extends Error {}

const keyOf = (format: Format, gzip: boolean): string => (gzip ? `${format}+gzip` : format);

/** Whether a scrape for `format` and `gzip` would join a render under way rather than start one. */
export function renderUnderWay(registry: Registry, format: Format, gzip: boolean): boolean {
  const render = underWay.get(registry)?.get(keyOf(format, gzip));
  return render !== undefined && !render.controller.signal.aborted;
}

/**
 * The exposition of `registry` in `format`, gzipped or not, shared by every scrape that asks for
 * the same while it is being rendered: fifty concurrent scrapes cost one render and one copy of
 * the bytes. So a scrape that joins a render under way gets the values that render read, which
 * began before the scrape arrived: values at most one render older than its arrival (a scrape
 * that starts a render sees those of a moment between its arrival and its answer). With `signal`,
 * the caller may stop waiting (rejects with `ScrapeAbandoned`); once nobody waits, the render
 * stops at its next slice. `started`, when given, learns of a render this call starts, with a
 * promise that settles when it has stopped, finished or not.
 */
export function sharedExposition(registry: Registry, format: Format, gzip: boolean, signal?: AbortSignal, started?: (stopped: Promise<unknown>) => void): Promise<ExpositionBytes> {
  let byKey = underWay.get(registry);
  if (byKey === undefined) underWay.set(registry, (byKey = new Map()));
  const key = keyOf(format, gzip);
  let render = byKey.get(key);
  // An abandoned render is stopping: a scrape arriving now gets one of its own.
  if (render === undefined || render.controller.signal.aborted) {
    const controller = new AbortController();
    const bytes = renderExposition(registry, format, gzip, controller.signal);
    started?.(bytes.catch(() => undefined));
    const begun: Render = { bytes, controller, waiting: 0 };
    const forget = (): void => {
      if (byKey.get(key) === begun) byKey.delete(key);
    };
    bytes.then(forget, forget);
    byKey.set(key, (render = begun));
  }
  const shared = render;
  shared.waiting++;
  if (signal === undefined) return shared.bytes.finally(() => void shared.waiting--);
  return new Promise<ExpositionBytes>((resolve, reject) => {
    let done = false;
    const leave = (): void => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', abandon);
      shared.waiting--;
    };
    const abandon = (): void => {
      leave();
      if (shared.waiting === 0) shared.controller.abort();
      reject(new ScrapeAbandoned('the scrape stopped waiting for its render'));
    };
    if (signal.aborted) return abandon();
    signal.addEventListener('abort', abandon);
    shared.bytes.then(
      (bytes) => {
        if (done) return;
        leave();
        resolve(bytes);
      },
      (error: unknown) => {
        if (done) return;
        leave();
        reject(error);
      },
    );
  });
}

/**
 * The scrape answer with the body as bytes, which is what an HTTP response sends: no string of the
 * whole exposition is ever built. Scrapes that ask for the same format and encoding while one is
 * being rendered share its bytes. Never rejects.
 */
export function exposeBytes(registry: Registry, request: ExposeRequest = {}): Promise<ExpositionBytes> {
  return sharedExposition(registry, negotiate(request.accept), acceptsGzip(request.acceptEncoding));
}

/**
 * Renders a registry for a scraper: negotiates the format, compresses when allowed, and turns a
 * failing collector into a 500 with a plain-text reason instead of a rejection. The body is a
 * string unless it is gzipped or protobuf.
 */
export async function expose(registry: Registry, request: ExposeRequest = {}): Promise<Exposition> {
  const exposition = await exposeBytes(registry, request);
  const text = exposition.contentEncoding === undefined && exposition.contentType !== CONTENT_TYPE.protobuf;
  return text && typeof exposition.body !== 'string' ? { ...exposition, body: exposition.body.toString() } : exposition;
}
