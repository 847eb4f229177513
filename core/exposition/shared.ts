import type { Registry } from 'prom-client';
import type { Format } from './format.js';
import type { Exposition, ExposeRequest, ExpositionBytes } from './render.js';
import { acceptsGzip, negotiate, renderExposition } from './render.js';

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

/**
 * The exposition of `registry` in `format`, gzipped or not, shared by every scrape that asks for
 * the same while it is being rendered: fifty concurrent scrapes cost one render and one copy of
 * the bytes. A scrape sees the values of a moment between its arrival and its answer, as with a
 * render of its own. With `signal`, the caller may stop waiting (rejects with `ScrapeAbandoned`);
 * once nobody waits, the render stops at its next slice.
 */
export function sharedExposition(registry: Registry, format: Format, gzip: boolean, signal?: AbortSignal): Promise<ExpositionBytes> {
  let byKey = underWay.get(registry);
  if (byKey === undefined) underWay.set(registry, (byKey = new Map()));
  const key = gzip ? `${format}+gzip` : format;
  let render = byKey.get(key);
  // An abandoned render is stopping: a scrape arriving now gets one of its own.
  if (render === undefined || render.controller.signal.aborted) {
    const controller = new AbortController();
    const bytes = renderExposition(registry, format, gzip, controller.signal);
    const started: Render = { bytes, controller, waiting: 0 };
    const forget = (): void => {
      if (byKey.get(key) === started) byKey.delete(key);
    };
    bytes.then(forget, forget);
    byKey.set(key, (render = started));
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
 * string unless it is gzipped.
 */
export async function expose(registry: Registry, request: ExposeRequest = {}): Promise<Exposition> {
  const exposition = await exposeBytes(registry, request);
  return exposition.contentEncoding === undefined && typeof exposition.body !== 'string' ? { ...exposition, body: exposition.body.toString() } : exposition;
}
