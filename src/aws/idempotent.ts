import { errorName, isAwsError, sleep } from './errors.js';

/**
 * Creates that carry no idempotency token. If such a call reaches AWS but its response is
 * lost (reset, timeout, a 5xx from a proxy), an SDK retry makes a second copy or fails with
 * "already exists". So the call is sent on a client that never retries (`ctx.aws.once.*`),
 * and this module does the retrying: after an unknown outcome it first looks the resource up
 * by its ecs-kit tags or deterministic name and adopts what it finds.
 */

const NETWORK_CODES = ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET'];
const TRANSIENT_NAMES = ['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ServiceUnavailable', 'ServiceUnavailableException', 'InternalError', 'InternalFailure', 'InternalServerError', 'ServerException'];

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
  if (code && NETWORK_CODES.includes(code)) return true;
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
  /** Total create attempts (default 5). */
  attempts?: number;
  /** First backoff delay; doubles per attempt up to maxDelayMs. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  signal?: AbortSignal;
  /** Told when a copy made by an earlier attempt is adopted (for a progress message). */
  onAdopt?: (found: T) => void;
}

/**
 * Run a non-idempotent create so that a lost response never makes a second copy: on an
 * unknown outcome, wait (backoff; also gives eventually-consistent Describe* calls time), look
 * the resource up and adopt it if there, otherwise create again. Bounded by `attempts`.
 */
export async function createOnce<T>(opts: CreateOnceOptions<T>): Promise<T> {
  const attempts = Math.max(1, opts.attempts ?? 5);
  let delay = opts.initialDelayMs ?? 200;
  let uncertain = false;
  for (let attempt = 1; ; attempt++) {
    // An earlier attempt may have created it: look before creating again.
    if (uncertain) {
      const found = await opts.find();
      if (found !== undefined) {
        opts.onAdopt?.(found);
        return found;
      }
    }
    try {
      return await opts.create();
    } catch (err) {
      if (opts.alreadyExists?.length && isAwsError(err, ...opts.alreadyExists)) {
        const found = await opts.find();
        if (found !== undefined) {
          opts.onAdopt?.(found);
          return found;
        }
        throw err;
      }
      if (!isUnknownOutcome(err) || attempt >= attempts) {
        // A last look: the final attempt may itself have succeeded in AWS.
        if (isUnknownOutcome(err)) {
          const found = await opts.find().catch(() => undefined);
          if (found !== undefined) return found;
        }
        throw err;
      }
      // Throttling means AWS did not run it; anything else may have.
      uncertain = uncertain || !isThrottling(err);
      await sleep(delay + Math.floor(Math.random() * delay), opts.signal);
      delay = Math.min(delay * 2, opts.maxDelayMs ?? 5_000);
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
