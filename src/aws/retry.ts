/** Waiting helpers: cancellable sleep, and bounded retry of transient AWS errors with backoff. */

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    // Remove the listener when the timer fires, or long waits pile up listeners on one signal.
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Retry an operation while AWS reports a transient dependency (ENIs still attached, load
 * balancer draining). Bounded by `timeoutMs`; then the last error is rethrown.
 */
export async function retryWhile<T>(
  fn: () => Promise<T>,
  isTransient: (err: unknown) => boolean,
  opts: {
    timeoutMs?: number;
    initialDelayMs?: number;
    maxDelayMs?: number;
    onRetry?: (err: unknown, attempt: number) => void;
    signal?: AbortSignal;
  } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 5 * 60_000);
  let delay = opts.initialDelayMs ?? 2_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransient(err) || Date.now() + delay > deadline) throw err;
      opts.onRetry?.(err, attempt);
      await sleep(delay, opts.signal);
      delay = Math.min(delay * 2, opts.maxDelayMs ?? 15_000);
    }
  }
}
