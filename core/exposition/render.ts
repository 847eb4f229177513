import type { Registry } from 'prom-client';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { Collector } from '../store/registry.js';
import { RENDER } from '../store/registry.js';
import { RENDER_MERGED } from '../store/types.js';
import type { Format, MetricObject } from './format.js';
import { defaultLabelsOf } from './default-labels.js';
import { CONTENT_TYPE, renderMetricObject } from './format.js';
import { CHUNK, createSlicer } from './slice.js';

const gzipAsync = promisify(gzip);

/** A rendered scrape, ready for any runtime's response object. */
export interface Exposition {
  /** 200, or 500 when a collector failed (the body then says which and why). */
  status: number;
  contentType: string;
  /** `gzip` when the body is compressed. */
  contentEncoding?: 'gzip';
  body: string | Uint8Array;
}

/** Options for rendering one scrape. */
export interface ExposeRequest {
  /** The scraper's `Accept` header. */
  accept?: string | null;
  /** The scraper's `Accept-Encoding` header. */
  acceptEncoding?: string | null;
}

/** The q-value of the first media range in `header` that `match` accepts, or -1. */
function quality(header: string, match: (range: string) => boolean): number {
  let best = -1;
  for (const part of header.split(',')) {
    const [range = '', ...params] = part.split(';');
    if (!match(range.trim().toLowerCase())) continue;
    let q = 1;
    for (const p of params) {
      const [k, val] = p.split('=');
      if (k?.trim() === 'q') q = Number(val) || 0;
    }
    best = Math.max(best, q);
  }
  return best;
}

/** OpenMetrics when the scraper asks for it at least as much as for the text format. */
export function negotiate(accept: string | null | undefined): Format {
  if (!accept || !accept.includes('openmetrics')) return 'text';
  const om = quality(accept, (r) => r === 'application/openmetrics-text');
  const text = quality(accept, (r) => r === 'text/plain' || r === '*/*' || r === 'text/*');
  return om > 0 && om >= text ? 'openmetrics' : 'text';
}

export function acceptsGzip(acceptEncoding: string | null | undefined): boolean {
  return !!acceptEncoding && quality(acceptEncoding, (r) => r === 'gzip' || r === '*') > 0;
}

/**
 * Renders every metric of a registry as UTF-8 chunks. Each chunk is encoded while it is rendered,
 * so the work stays in the slice that produced it: joining one large string at the end would
 * flatten megabytes in a single block. Long renders yield to the event loop every few
 * milliseconds. Rejects when a collector fails.
 */
async function renderChunks(registry: Registry, format: Format, signal?: AbortSignal): Promise<Buffer[]> {
  const metrics = registry.getMetricsAsArray() as unknown as Array<
    Partial<Collector> & { get(): MetricObject | Promise<MetricObject>; name: string; [RENDER_MERGED]?: (format: Format, defaults: Readonly<Record<string, string>>) => Promise<Buffer[]> }
  >;
  // Read at every scrape: labels set after the metrics were created apply too.
  const defaults = defaultLabelsOf(registry);
  // In multi-process mode one collector renders the whole registry, merged with the other processes.
  for (const metric of metrics) {
    const merged = metric[RENDER_MERGED];
    if (merged !== undefined) {
      const parts = await merged.call(metric, format, defaults);
      if (format === 'openmetrics') parts.push(Buffer.from('# EOF\n'));
      return parts;
    }
  }
  const parts: Buffer[] = [];
  const slicer = createSlicer();
  const pause = async (): Promise<void> => {
    if (slicer.overdue()) {
      await slicer.pause();
      // Nobody waits for this render any more (every scrape sharing it timed out): stop here.
      signal?.throwIfAborted();
    }
  };
  for (const metric of metrics) {
    const render = metric[RENDER];
    if (render !== undefined) {
      const size = metric.size!();
      for (let from = 0; from < size; from += CHUNK) {
        const chunk = render.call(metric, format, from, Math.min(from + CHUNK, size), defaults);
        if (chunk !== '') parts.push(Buffer.from(chunk));
        await pause();
      }
    } else {
      let object: MetricObject;
      try {
        object = await metric.get();
      } catch (error) {
        throw new Error(`collecting "${metric.name}" failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      parts.push(Buffer.from(renderMetricObject(object, format, defaults)));
      await pause();
    }
  }
  if (format === 'openmetrics') parts.push(Buffer.from('# EOF\n'));
  return parts;
}

/** Renders every metric of a registry in the given format. Rejects when a collector fails. */
export async function renderRegistry(registry: Registry, format: Format): Promise<string> {
  return Buffer.concat(await renderChunks(registry, format)).toString();
}

/** An exposition as bytes, the form every scrape answer is built from. */
export type ExpositionBytes = Exposition & { body: Buffer | string };

/**
 * Renders one exposition: `format`, gzipped when `gzip`. Never rejects, except with `signal`'s
 * reason once it aborts.
 */
export async function renderExposition(registry: Registry, format: Format, gzip: boolean, signal?: AbortSignal): Promise<ExpositionBytes> {
  let body: Buffer;
  try {
    body = Buffer.concat(await renderChunks(registry, format, signal));
  } catch (error) {
    if (signal?.aborted) throw error;
    return {
      status: 500,
      contentType: 'text/plain; charset=utf-8',
      body: `promhttp: ${error instanceof Error ? error.message : String(error)}\n`,
    };
  }
  if (gzip) return { status: 200, contentType: CONTENT_TYPE[format], contentEncoding: 'gzip', body: await gzipAsync(body) };
  return { status: 200, contentType: CONTENT_TYPE[format], body };
}
