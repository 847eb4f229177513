import type { Registry } from 'prom-client';

const kept = new WeakMap<Registry, object>();

/**
 * Registers the collector that renders a shared registry's whole exposition, and registers it
 * again whenever the registry is cleared (`register.clear()`, as test suites and hot reloads do).
 * The registry stays shared after a clear (its metrics created afresh still record into the
 * directory or go to the primary), so without it the exposition would render nothing at all.
 * prom-client offers no hook, so the registry's own `clear` is wrapped, once.
 */
export function registerSurvivingClear(registry: Registry, collector: object): void {
  const wrapped = kept.has(registry);
  kept.set(registry, collector);
  registry.registerMetric(collector as never);
  if (wrapped) return;
  const clear = registry.clear;
  registry.clear = function clearKeepingMerged(this: Registry) {
    clear.call(this);
    registry.registerMetric(kept.get(registry) as never);
  };
}
