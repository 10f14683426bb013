import type { Reporter } from '../engine/events.js';
import type { ManifestStore } from '../engine/manifest.js';

/**
 * First Ctrl-C: stop starting new steps and let running ones finish, so the manifest
 * records what they created. Second Ctrl-C: leave now (the next run resumes).
 */
export function onInterrupt(controller: AbortController, reporter: Reporter, store: ManifestStore): () => void {
  let count = 0;
  const handler = () => {
    count++;
    if (count === 1) {
      reporter.emit({
        type: 'warn',
        code: 'run.interrupted',
        message: 'Interrupted: finishing the steps in progress, then stopping. Press Ctrl-C again to quit at once.',
      });
      controller.abort(new Error('interrupted'));
      return;
    }
    store.releaseLockSync();
    reporter.close();
    process.exit(130);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
