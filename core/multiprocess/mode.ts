import type { Registry } from 'prom-client';
import { register as globalRegistry } from 'prom-client';
import { peekArena } from '../store/registry.js';
import { inIpcMode } from './ipc/worker.js';
import { MULTIPROC_DIR_ENV } from './options.js';
import { storeFor } from './store.js';

/** How a registry shares its metrics with the app's other processes. */
export type SharedMode = 'directory' | 'ipc';

/**
 * The multi-process mode a registry's exposition merges, or will merge: the global registry
 * without metrics yet enters directory mode at its first metric when `PROMETHEUS_MULTIPROC_DIR`
 * is set. `undefined` when the registry shows this process alone.
 */
export function sharedModeOf(registry: Registry): SharedMode | undefined {
  if (inIpcMode(registry)) return 'ipc';
  if (storeFor(registry) !== undefined) return 'directory';
  const arena = peekArena(registry);
  if (arena !== undefined) return arena.shared ? 'directory' : undefined;
  return registry === globalRegistry && (process.env[MULTIPROC_DIR_ENV] ?? '').trim() !== '' ? 'directory' : undefined;
}
