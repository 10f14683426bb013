import type { ErrorCode } from '../engine/messages.js';
import { EcsKitError } from '../errors.js';
import { sleep } from './retry.js';

/**
 * The one way ecs-kit waits for AWS to finish something (a NAT gateway available or deleted, a load balancer active or
 * deleted, a service drained, an Auto Scaling group gone): look at once, then after a short delay that grows to a low
 * cap, so the wait ends within a few seconds of the resource being ready. The SDK's waiters back off to 15–120 s
 * between looks and overshoot a 1–5 minute wait by as much. Bounded by the run's --timeout (deploy) or destroyRetryMs
 * (teardown); the progress line says what it waits for and for how long so far.
 */

export interface Pace {
  /** Delay before the second look. */
  firstMs: number;
  /** Each delay is the last one times this… */
  factor: number;
  /** …up to this. */
  maxMs: number;
}

/**
 * About 30 looks a minute per wait at most, never more than 2 s late: far below the read rate limits (EC2's
 * non-mutating actions refill at 20 tokens a second per account and region, with buckets of 100:
 * https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html; ELB and ECS are of the same order).
 */
export const DEFAULT_PACE: Pace = { firstMs: 1_000, factor: 1.5, maxMs: 2_000 };

/** How often the progress line repeats while nothing changes. */
const REPORT_EVERY_MS = 15_000;

export interface WaitOptions<T> {
  /** What is awaited, completing "waiting for …": "NAT gateway nat-1 to become available". */
  what: string;
  /** One look: the result once done, undefined while not yet. Errors end the wait (the check decides what is transient). */
  check: () => Promise<T | undefined>;
  timeoutMs: number;
  signal?: AbortSignal;
  progress?: (message: string) => void;
  pace?: Partial<Pace>;
  /** The error's code when the time is up (default aws.wait-timeout), and what to do about it. */
  timeoutCode?: ErrorCode;
  why?: string;
  fix?: string;
}

/** The wait ran out of time; `what` says for what. */
export class WaitTimeoutError extends EcsKitError {
  constructor(
    code: ErrorCode,
    readonly what: string,
    readonly waitedMs: number,
    opts: { why?: string; fix?: string },
  ) {
    super(code, `Timed out after ${elapsed(waitedMs)} waiting for ${what}.`, {
      why: opts.why ?? 'AWS had not finished it yet.',
      fix: opts.fix ?? 'Run the command again: it resumes where it stopped (a longer --timeout waits longer).',
    });
    this.name = 'WaitTimeoutError';
  }
}

/** "7 s", "2 min 5 s". */
export function elapsed(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
}

/** The delays between looks for a pace: firstMs, ×factor each time, capped at maxMs. */
export function delays(pace: Pace, count: number): number[] {
  const out: number[] = [];
  let d = pace.firstMs;
  for (let i = 0; i < count; i++) {
    out.push(d);
    d = Math.min(d * pace.factor, pace.maxMs);
  }
  return out;
}

/** Look until `check` returns a result; throws WaitTimeoutError after `timeoutMs`. */
export async function waitFor<T>(o: WaitOptions<T>): Promise<T> {
  const pace = { ...DEFAULT_PACE, ...o.pace };
  const started = Date.now();
  let delay = Math.min(pace.firstMs, pace.maxMs);
  let reported = -Infinity;
  for (;;) {
    const result = await o.check();
    if (result !== undefined) return result;
    const spent = Date.now() - started;
    if (spent >= o.timeoutMs) throw new WaitTimeoutError(o.timeoutCode ?? 'aws.wait-timeout', o.what, spent, o);
    if (spent - reported >= REPORT_EVERY_MS) {
      o.progress?.(`waiting for ${o.what} (${elapsed(spent)} so far)`);
      reported = spent;
    }
    await sleep(Math.max(1, Math.min(delay, o.timeoutMs - spent)), o.signal);
    delay = Math.min(delay * pace.factor, pace.maxMs);
  }
}
