import { describe, expect, it, vi } from 'vitest';
import { CHECKS, runChecks } from '../../../src/doctor/index.js';
import type { DoctorCheck } from '../../../src/doctor/types.js';
import type { CheckResult } from '../../../src/engine/events.js';
import { PlainReporter, TtyReporter } from '../../../src/ui/index.js';
import { Capture } from '../ui/streams.js';
import { ACCOUNT, awsError, doctorContext } from './fixture.js';

const ARN = `arn:aws:iam::${ACCOUNT}:user/ci`;
const check = (name: string, run: DoctorCheck['run'], needsIdentity = true): DoctorCheck => ({ name, needsIdentity, run });

describe('runChecks', () => {
  it('runs the eight checks in a fixed order', () => {
    expect(CHECKS.map((c) => c.name)).toEqual([
      'credentials',
      'region',
      'service-linked-roles',
      'quotas',
      'fargate-zones',
      'certificate',
      'secrets',
      'image-architecture',
    ]);
  });

  it('reports each check as it ends, counts statuses, and calls onIdentity once the account is known', async () => {
    const ctx = doctorContext(undefined, { identity: false });
    const seen: CheckResult[] = [];
    const onIdentity = vi.fn(async () => {});
    const summary = await runChecks(ctx, (r) => seen.push(r), {
      onIdentity,
      checks: [
        check('login', async (c) => ((c.identity = { account: ACCOUNT, arn: 'arn' }), { status: 'ok', message: 'in' }), false),
        check('a', async () => ({ status: 'warn', message: 'hm', fix: 'do x' })),
        check('b', async () => ({ status: 'skip', message: 'n/a' })),
      ],
    });
    expect(seen.map((r) => [r.name, r.status])).toEqual([
      ['login', 'ok'],
      ['a', 'warn'],
      ['b', 'skip'],
    ]);
    expect(summary).toEqual({ ok: 1, warn: 1, fail: 0, skip: 1 });
    expect(onIdentity).toHaveBeenCalledTimes(1);
    expect(onIdentity).toHaveBeenCalledWith(ACCOUNT);
  });

  it('skips the checks that need the account when credentials failed', async () => {
    const run = vi.fn(async () => ({ status: 'ok' as const, message: '' }));
    const seen: CheckResult[] = [];
    await runChecks(doctorContext(undefined, { identity: false }), (r) => seen.push(r), {
      checks: [check('needs', run), check('free', run, false)],
    });
    expect(seen[0]).toEqual({ name: 'needs', status: 'skip', message: 'needs working AWS credentials (see credentials)' });
    expect(seen[1]!.status).toBe('ok');
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('a missing read permission is a warning; any other error a failure, explained; the next checks still run', async () => {
    const seen: CheckResult[] = [];
    const summary = await runChecks(doctorContext(), (r) => seen.push(r), {
      checks: [
        check('denied', async () =>
          Promise.reject(awsError('AccessDeniedException', `User: ${ARN} is not authorized to perform: servicequotas:GetServiceQuota`)),
        ),
        check('broken', async () => Promise.reject(awsError('ServiceUnavailable', 'try later'))),
        check('fine', async () => ({ status: 'ok', message: 'yes' })),
      ],
    });
    expect(seen[0]).toMatchObject({
      status: 'warn',
      message: expect.stringMatching(/^could not check: AccessDeniedException: .*servicequotas:GetServiceQuota/),
    });
    expect(seen[1]).toMatchObject({ status: 'fail', message: 'could not check: ServiceUnavailable: try later' });
    expect(summary).toEqual({ ok: 1, warn: 1, fail: 1, skip: 0 });
  });
});

describe('how checks print', () => {
  const NOW = () => new Date('2026-01-01T00:00:00.000Z');
  const events = [
    {
      type: 'check' as const,
      name: 'credentials',
      status: 'ok' as const,
      message: 'account 123456789012 as arn:aws:iam::123456789012:user/ci',
    },
    {
      type: 'check' as const,
      name: 'quotas',
      status: 'fail' as const,
      message: 'a deploy would exceed a quota',
      details: ['VPCs per Region: 5 of 5 used'],
      fix: 'Delete unused ones.',
    },
    { type: 'check.summary' as const, ok: 1, warn: 0, fail: 1, skip: 0, durationMs: 10, calls: 3, mutatingCalls: 0 },
  ];

  it('plain: OK/FAIL labels, details and the fix indented under the check, on stdout', () => {
    const stdout = new Capture();
    const stderr = new Capture();
    const r = new PlainReporter({ verbose: false, stdout, stderr, now: NOW });
    for (const e of events) r.emit(e);
    expect(stdout.lines.map((l) => l.slice(25))).toEqual([
      'OK   credentials          account 123456789012 as arn:aws:iam::123456789012:user/ci',
      'FAIL quotas               a deploy would exceed a quota',
      '                          VPCs per Region: 5 of 5 used',
      '                          Fix: Delete unused ones.',
      'Doctor: 1 ok, 0 warnings, 1 failed, 0 skipped. Fix the failed checks before deploying. (read-only: 3 AWS calls, 0 changing anything)',
    ]);
    expect(stderr.text).toBe('');
  });

  it('terminal: ✔/✖ marks', () => {
    const stdout = new Capture({ isTTY: true });
    const spinner = () => ({ text: '', isSpinning: false, start() {}, stop() {}, clear() {}, render() {} });
    const r = new TtyReporter({ verbose: false, stdout, stderr: new Capture(), color: false, spinner });
    for (const e of events) r.emit(e);
    expect(stdout.lines[0]).toBe('✔ credentials          account 123456789012 as arn:aws:iam::123456789012:user/ci');
    expect(stdout.lines[1]).toBe('✖ quotas               a deploy would exceed a quota');
    expect(stdout.lines[2]).toBe('                       VPCs per Region: 5 of 5 used');
  });
});
