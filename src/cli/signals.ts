import type { Reporter } from '../engine/events.js';
import type { ManifestStore } from '../engine/manifest.js';

/** How long a second Ctrl-C waits for the lock to be released before it exits anyway. */
const RELEASE_GRACE_MS = 5000;

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
    // Leave now, but not holding the lock: the shared (S3) lock needs one request, given a few seconds at most.
    const leave = () => {
      reporter.close();
      process.exit(130);
    };
    setTimeout(leave, RELEASE_GRACE_MS).unref();
    store.releaseLock().then(leave, leave);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
