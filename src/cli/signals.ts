import type { Reporter } from '../engine/events.js';
import type { ManifestStore } from '../engine/manifest.js';

/** How long a second Ctrl-C waits for the lock to be released before it exits anyway. */
const RELEASE_GRACE_MS = 5000;

/**
 * One Ctrl-C can arrive twice: the terminal sends SIGINT to the whole foreground process group, and `npx` / `npm exec`
 * forward the SIGINT they got to their child as well. Signals this close together are one keypress.
 */
export const SAME_KEYPRESS_MS = 1_000;

export interface InterruptOptions {
  /**
   * For commands with nothing to finish (logs --follow): the first Ctrl-C just stops them, quietly, and they exit 0 as
   * documented; a later one exits 0 at once.
   */
  stopQuietly?: boolean;
  /** Injectable for tests. */
  now?: () => number;
  exit?: (code: number) => void;
}

/**
 * First Ctrl-C: stop starting new steps and let running ones finish, so the manifest
 * records what they created. Second Ctrl-C: leave now (the next run resumes).
 */
export function onInterrupt(controller: AbortController, reporter: Reporter, store: ManifestStore, o: InterruptOptions = {}): () => void {
  const now = o.now ?? Date.now;
  const exit = o.exit ?? ((code: number) => process.exit(code));
  let first: number | undefined;
  const handler = () => {
    const at = now();
    if (first !== undefined && at - first < SAME_KEYPRESS_MS) return;
    if (first === undefined) {
      first = at;
      if (!o.stopQuietly) {
        reporter.emit({
          type: 'warn',
          code: 'run.interrupted',
          message: 'Interrupted: finishing the steps in progress, then stopping. Press Ctrl-C again to quit at once.',
        });
      }
      controller.abort(new Error('interrupted'));
      return;
    }
    // Leave now, but not holding the lock: the shared (S3) lock needs one request, given a few seconds at most.
    let left = false;
    const leave = () => {
      if (left) return;
      left = true;
      reporter.close();
      exit(o.stopQuietly ? 0 : 130);
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
