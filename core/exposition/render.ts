import type { Registry } from 'prom-client';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { Collector } from '../store/registry.js';
import { RENDER } from '../store/registry.js';
import { RENDER_MERGED } from '../store/types.js';
import { describeValue, optionError } from '../errors.js';
import type { Format, MetricObject, TextFormat } from './format.js';
import { defaultLabelsOf } from './default-labels.js';
import { CONTENT_TYPE, renderMetricObject } from './format.js';
import { CHUNK, createSlicer } from './slice.js';
import { delimitFamily, typeOf } from './protobuf/family.js';
import { encodeMetricObject } from './protobuf/metric-object.js';

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

export { acceptsGzip, negotiate } from './negotiate.js';

/**
 * Renders every metric of a registry as chunks of bytes (UTF-8 text, or protobuf). Each chunk is
 * encoded while it is rendered, so the work stays in the slice that produced it: joining one large
 * string at the end would flatten megabytes in a single block. Long renders yield to the event
 * loop every few milliseconds. Rejects when a collector fails.
 */
async function renderChunks(registry: Registry, format: Format, signal?: AbortSignal): Promise<Uint8Array[]> {
  const metrics = registry.getMetricsAsArray() as unknown as Array<
    Partial<Collector> & { get(): MetricObject | Promise<MetricObject>; name: string; [RENDER_MERGED]?: (format: Format, defaults: Readonly<Record<string, string>>, signal?: AbortSignal) => Promise<Buffer[]> }
  >;
  // Read at every scrape: labels set after the metrics were created apply too.
  const defaults = defaultLabelsOf(registry);
  // In multi-process mode one collector renders the whole registry, merged with the other processes.
  for (const metric of metrics) {
    const merged = metric[RENDER_MERGED];
    if (merged !== undefined) {
      const parts = await merged.call(metric, format, defaults, signal);
      if (format === 'openmetrics') parts.push(Buffer.from('# EOF\n'));
      return parts;
    }
  }
  const parts: Uint8Array[] = [];
  // Nobody waits for this render any more (every scrape sharing it timed out): it stops at its next pause.
  const slicer = createSlicer(signal);
  const pause = async (): Promise<void> => {
    if (slicer.overdue()) await slicer.pause();
  };
  for (const metric of metrics) {
    const render = metric[RENDER];
    if (render !== undefined) {
      const size = metric.size!();
      // A protobuf family is delimited by the length of all its metrics, known after its last chunk.
      const chunks = format === 'protobuf' ? [] : parts;
      for (let from = 0; from < size; from += CHUNK) {
        const chunk = render.call(metric, format, from, Math.min(from + CHUNK, size), defaults);
        if (chunk.length > 0) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
        await pause();
      }
      if (format === 'protobuf') parts.push(...delimitFamily(metric.name, metric.help!, typeOf(metric.type!), chunks));
    } else {
      let object: MetricObject;
      try {
        object = await metric.get();
      } catch (error) {
        throw new Error(`collecting "${metric.name}" failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      if (format === 'protobuf') parts.push(...encodeMetricObject(object, defaults));
      else parts.push(Buffer.from(renderMetricObject(object, format, defaults)));
      await pause();
    }
  }
  if (format === 'openmetrics') parts.push(Buffer.from('# EOF\n'));
  return parts;
}

/**
 * Renders every metric of a registry in one of the text formats. Rejects when a collector fails.
 * Protobuf is binary: scrapes get it from `respond()` or `expose()`, as bytes.
 */
export async function renderRegistry(registry: Registry, format: TextFormat): Promise<string> {
  if (format !== 'text' && format !== 'openmetrics') {
    throw optionError(`renderRegistry: "format" must be "text" or "openmetrics", got ${describeValue(format)}; protobuf is bytes, which respond() and expose() answer scrapes with.`);
  }
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
