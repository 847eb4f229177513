import { markExitHook } from '../../exit-hooks.js';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Runs `cleanup` (synchronous) when the process ends gracefully: on a normal exit, and on SIGTERM or
 * SIGINT, which node:cluster and PM2 send to stop a worker. The signal listener is prepended and
 * removes itself, so whatever else listens sees the signal as if promhttp were not there; when
 * nothing else does, the signal is raised again and the process ends as it would have without us.
 * Returns a function that removes the hooks.
 */
export function onGracefulExit(cleanup: () => void): () => void {
  let done = false;
  const run = (): void => {
    if (done) return;
    done = true;
    cleanup();
  };
  const listeners = SIGNALS.map((signal) => {
    const listener = markExitHook(function promhttpCleanupOnSignal(): void {
      remove();
      run();
      // Any listener left (the app's, or pushAtExit's, which exits once it has pushed) decides how the process ends.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
    process.prependListener(signal, listener);
    return [signal, listener] as const;
  });
  process.once('exit', run);
  function remove(): void {
    for (const [signal, listener] of listeners) process.off(signal, listener);
    process.off('exit', run);
  }
  return remove;
}
