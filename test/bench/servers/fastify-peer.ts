import type { FastifyPluginCallback } from 'fastify';
import fastifyMetricsModule from 'fastify-metrics';

/**
 * fastify-metrics' plugin. It is CommonJS with the plugin on `exports.default`, so an ES import
 * gets the exports object; Fastify would load it too, but its types would not.
 */
export const fastifyPeer = (fastifyMetricsModule as unknown as { default: FastifyPluginCallback<{ endpoint?: string; defaultMetrics?: { enabled: boolean } }> }).default;
