import { errorName, isAwsError, NETWORK_ERROR_CODES } from './errors.js';
import { sleep } from './retry.js';

/**
 * Creates that carry no idempotency token. If such a call reaches AWS but its response is
 * lost (reset, timeout, a 5xx from a proxy), an SDK retry makes a second copy or fails with
 * "already exists". So the call is sent on a client that never retries (`ctx.aws.once.*`),
 * and this module does the retrying: after an unknown outcome it first looks the resource up
 * by its ecs-kit tags or deterministic name and adopts what it finds.
 */

const TRANSIENT_NAMES = [
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'ServerException',
];

type ErrLike = Error & { code?: string; cause?: { code?: string }; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };

/** Throttling: AWS did not run the call, but a retry later will. */
export function isThrottling(err: unknown): boolean {
  return /Throttl|RequestLimitExceeded|TooManyRequests|SlowDown|RequestThrottled/.test(errorName(err));
}

/**
 * True when the call may or may not have happened in AWS and trying again later can work:
 * network errors, timeouts, 5xx and throttling. Client errors (4xx) and user aborts are not.
 */
export function isUnknownOutcome(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as ErrLike;
  if (e.name === 'AbortError') return false;
  if (isThrottling(err)) return true;
  const code = e.code ?? e.cause?.code;
  if (code && NETWORK_ERROR_CODES.includes(code)) return true;
  if (TRANSIENT_NAMES.includes(errorName(err))) return true;
  if (/socket hang up|ECONNRESET|network|timed? ?out/i.test(e.message ?? '') && !e.$metadata?.httpStatusCode) return true;
  const status = e.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}

export interface CreateOnceOptions<T> {
  /** The create, on a no-retry client (`ctx.aws.once.*`). */
  create: () => Promise<T>;
  /** Looks the resource up by its ecs-kit tags or deterministic name; undefined when absent. */
  find: () => Promise<T | undefined>;
  /** Errors meaning "it already exists" (e.g. InvalidGroup.Duplicate): adopt what `find` returns. */
  alreadyExists?: string[];
  /** Create attempts after network errors, timeouts and 5xx (default 5). */
  attempts?: number;
  /** First backoff delay after those; doubles per attempt up to maxDelayMs. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Create attempts while throttled (default twice `attempts`, 1 when `attempts` is 1). */
  throttleAttempts?: number;
  /** Throttling backoff like the SDK's: from 1 s, doubling, capped at 20 s (jittered). */
  throttleDelayMs?: number;
  throttleMaxDelayMs?: number;
  /**
   * After an outcome that may have created it, how long a lookup that finds nothing is repeated
   * before "absent" is believed (default 8 s): Describe* calls are eventually consistent.
   */
  lookupWaitMs?: number;
  signal?: AbortSignal;
  /** Told when a copy made by an earlier attempt is adopted (for a progress message). */
  onAdopt?: (found: T) => void;
}

/** Half the capped exponential delay plus up to the other half at random ("equal jitter"). */
function jittered(base: number, cap: number, retry: number): number {
  const d = Math.min(cap, base * 2 ** (retry - 1));
  return Math.floor(d / 2 + Math.random() * (d / 2));
}

/**
 * Look the resource up; if it is not there, look again with backoff for up to `waitMs`. EC2's
 * Describe* may not list a resource for seconds after its create ran ("Eventual consistency in
 * the Amazon EC2 API", https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html),
 * and concluding "absent" too early after a lost response makes a second VPC, gateway or address.
 */
async function findPatiently<T>(opts: CreateOnceOptions<T>, waitMs: number): Promise<T | undefined> {
  const deadline = Date.now() + waitMs;
  let delay = 1_000;
  for (;;) {
    const found = await opts.find();
    if (found !== undefined || Date.now() + delay > deadline) return found;
    await sleep(delay, opts.signal);
    delay = Math.min(delay * 2, 4_000);
  }
}

/**
 * Run a non-idempotent create so that a lost response never makes a second copy: on an
 * unknown outcome, wait (backoff), look the resource up (patiently) and adopt it if there,
 * otherwise create again. Throttling (AWS ran nothing) backs off like the SDK and needs no
 * lookup. Bounded by `attempts` and `throttleAttempts`.
 */
export async function createOnce<T>(opts: CreateOnceOptions<T>): Promise<T> {
  const attempts = Math.max(1, opts.attempts ?? 5);
  const throttleAttempts = Math.max(1, opts.throttleAttempts ?? (attempts > 1 ? attempts * 2 : 1));
  const lookupWaitMs = opts.lookupWaitMs ?? 8_000;
  let failures = 0;
  let throttles = 0;
  let uncertain = false;
  const adopt = (found: T): T => {
    opts.onAdopt?.(found);
    return found;
  };
  for (;;) {
    // An earlier attempt may have created it: look before creating again.
    if (uncertain) {
      const found = await findPatiently(opts, lookupWaitMs);
      if (found !== undefined) return adopt(found);
    }
    try {
      return await opts.create();
    } catch (err) {
      if (opts.alreadyExists?.length && isAwsError(err, ...opts.alreadyExists)) {
        const found = await findPatiently(opts, lookupWaitMs);
        if (found !== undefined) return adopt(found);
        throw err;
      }
      if (!isUnknownOutcome(err)) throw err;
      const throttled = isThrottling(err);
      if (throttled) throttles++;
      else failures++;
      // Throttling means AWS did not run it; anything else may have.
      uncertain = uncertain || !throttled;
      if (throttled ? throttles >= throttleAttempts : failures >= attempts) {
        // A last look: the final attempt may itself have succeeded in AWS.
        const found = await (uncertain ? findPatiently(opts, lookupWaitMs) : opts.find()).catch(() => undefined);
        if (found !== undefined) return found;
        throw err;
      }
      const wait = throttled
        ? jittered(opts.throttleDelayMs ?? 1_000, opts.throttleMaxDelayMs ?? 20_000, throttles)
        : jittered(2 * (opts.initialDelayMs ?? 200), 2 * (opts.maxDelayMs ?? 5_000), failures);
      await sleep(wait, opts.signal);
    }
  }
}

/**
 * For a call that the SDK retries (attach, associate, authorize): an "already done" error on
 * the retry of a call whose first response was lost is success, once `verify` confirms the
 * wanted state really holds. Use as `.catch(alreadyDone([...], verify))`.
 */
export function alreadyDone(names: string[], verify: () => Promise<boolean>): (err: unknown) => Promise<void> {
  return async (err) => {
    if (!isAwsError(err, ...names)) throw err;
    if (!(await verify())) throw err;
  };
}
