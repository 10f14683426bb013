import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_PACE, WaitTimeoutError, delays, elapsed, waitFor } from '../../../src/aws/poll.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('waitFor: the pace of every wait for AWS', () => {
  it('looks at once, then after 1 s, growing by half to at most 2 s: never more than 2 s late', () => {
    expect(delays(DEFAULT_PACE, 6)).toEqual([1_000, 1_500, 2_000, 2_000, 2_000, 2_000]);
  });

  it('ends within one delay of the resource being ready (a 20 s NAT gateway is seen by 22 s, not at 30+ s)', async () => {
    vi.useFakeTimers();
    const start = Date.now();
    const looks: number[] = [];
    const p = waitFor({
      what: 'NAT gateway nat-1 to become available',
      check: async () => {
        looks.push(Date.now() - start);
        return Date.now() - start >= 20_000 ? 'available' : undefined;
      },
      timeoutMs: 600_000,
    });
    await vi.advanceTimersByTimeAsync(30_000);
    await expect(p).resolves.toBe('available');
    expect(looks[0]).toBe(0);
    expect(looks.at(-1)! - 20_000).toBeLessThanOrEqual(DEFAULT_PACE.maxMs);
    // The SDK waiter (minDelay 5, maxDelay 15, exponential with jitter) would have looked about 4 times; this looks often.
    expect(looks.length).toBeGreaterThan(8);
  });

  it('says what it waits for and for how long so far, on the first wait and every 15 s, not on every look', async () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    const p = waitFor({
      what: 'load balancer lb to be deleted',
      check: async () => undefined,
      timeoutMs: 40_000,
      progress: (m) => lines.push(m),
    });
    const caught = p.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(41_000);
    expect(lines).toEqual([
      'waiting for load balancer lb to be deleted (0 s so far)',
      expect.stringMatching(/^waiting for load balancer lb to be deleted \(1[5-8] s so far\)$/),
      expect.stringMatching(/^waiting for load balancer lb to be deleted \(3[0-3] s so far\)$/),
    ]);
    const err = (await caught) as WaitTimeoutError;
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect(err.code).toBe('aws.wait-timeout');
    expect(err.message).toBe('Timed out after 40 s waiting for load balancer lb to be deleted.');
  });

  it('is bounded by timeoutMs: the last look is at the deadline, not a full delay after it', async () => {
    vi.useFakeTimers();
    const start = Date.now();
    const looks: number[] = [];
    const p = waitFor({
      what: 'x',
      check: async () => void looks.push(Date.now() - start),
      timeoutMs: 2_000,
      timeoutCode: 'capacity.delete-timeout',
    }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(((await p) as WaitTimeoutError).code).toBe('capacity.delete-timeout');
    expect(looks).toEqual([0, 1_000, 2_000]);
  });

  it('stops when the run is interrupted, and passes on errors the check does not treat as "not yet"', async () => {
    const ac = new AbortController();
    const p = waitFor({ what: 'x', check: async () => undefined, timeoutMs: 60_000, signal: ac.signal });
    ac.abort(new Error('interrupted'));
    await expect(p).rejects.toThrow('interrupted');
    await expect(
      waitFor({
        what: 'x',
        check: async () => {
          throw new Error('AccessDenied');
        },
        timeoutMs: 1_000,
      }),
    ).rejects.toThrow('AccessDenied');
  });

  it('formats elapsed time as people read it', () => {
    expect([elapsed(400), elapsed(59_400), elapsed(60_000), elapsed(125_000)]).toEqual(['0 s', '59 s', '1 min', '2 min 5 s']);
  });
});
