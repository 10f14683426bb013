import type { StepContext } from '../engine/types.js';
import { errorName, isAwsError } from './errors.js';
import { retryWhile } from './retry.js';

/**
 * Run a delete, retrying while AWS says something still uses the resource (ENIs of tasks, load
 * balancers and NAT gateways drain for minutes); "not found" counts as done. Bounded by
 * `destroyRetryMs`; every retry says what it waits for and for how long so far.
 */
export async function deleteWithRetry(
  ctx: StepContext,
  fn: () => Promise<unknown>,
  opts: { what: string; retryOn?: string[]; goneOn: string[] },
): Promise<void> {
  const retryOn = opts.retryOn ?? ['DependencyViolation'];
  const started = Date.now();
  try {
    await retryWhile(fn, (err) => isAwsError(err, ...retryOn), {
      timeoutMs: ctx.options.destroyRetryMs,
      signal: ctx.signal,
      onRetry: (err) => {
        const seconds = Math.round((Date.now() - started) / 1000);
        ctx.progress(`waiting for AWS to release ${opts.what} before deleting it (${errorName(err)}, ${seconds} s so far)`);
      },
    });
  } catch (err) {
    if (isAwsError(err, ...opts.goneOn)) return;
    throw err;
  }
}

/** For .catch(): swallow the named AWS errors (e.g. "already gone"), rethrow anything else. */
export function ignoreErrors(...names: string[]): (err: unknown) => void {
  return (err) => {
    if (!isAwsError(err, ...names)) throw err;
  };
}
