import { describe, expect, it } from 'vitest';
import { formatAwsCall, formatDuration, formatError, formatPlan, formatRunDone, formatValue, makeStyle } from '../../../src/ui/format.js';
import { PLAN } from './events.js';
import { ANSI } from './streams.js';

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [850, '850ms'],
    [1000, '1s'],
    [1050, '1.0s'],
    [12_345, '12.3s'],
    [59_999, '59.9s'],
    [60_000, '1m'],
    [15 * 60_000, '15m'],
    [125_000, '2m 05s'],
    [3_720_000, '1h 02m'],
  ])('%d ms → %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});

describe('formatValue', () => {
  it('prints scalars plainly, objects as compact JSON, and shortens long values', () => {
    expect(formatValue(undefined)).toBe('(none)');
    expect(formatValue('')).toBe('""');
    expect(formatValue(2)).toBe('2');
    expect(formatValue({ a: [1, 2] })).toBe('{"a":[1,2]}');
    const long = formatValue('x'.repeat(200));
    expect(long.length).toBe(80);
    expect(long.endsWith('…')).toBe(true);
  });
});

describe('formatPlan', () => {
  it('lists steps with action symbols, update/replace fields and the summary line', () => {
    const lines = formatPlan(PLAN, { verbose: false });
    expect(lines).toEqual([
      '  + ECS cluster',
      '  ~ Service web',
      '      desiredCount: 1 → 2',
      '      environment variable API_KEY: changed (value not shown)',
      '  + Load balancer',
      '  ± Task definition web',
      '      image: nginx:1.26 → nginx:1.27',
      '  - Old thing',
      'Plan: 2 to create, 1 to update, 1 to replace, 1 to delete.',
    ]);
  });

  it('shows unchanged steps only when verbose', () => {
    expect(formatPlan(PLAN, { verbose: false }).some((l) => l.includes('Network'))).toBe(false);
    expect(formatPlan(PLAN, { verbose: true })).toContain('    Network (no change)');
  });

  it('uses color only when asked', () => {
    expect(formatPlan(PLAN, { verbose: false, style: makeStyle(false) }).join('\n')).not.toMatch(ANSI);
    expect(formatPlan(PLAN, { verbose: false, style: makeStyle(true) }).join('\n')).toMatch(ANSI);
  });
});

describe('formatError', () => {
  it('prints the message, then Why and Fix', () => {
    expect(formatError({ message: 'it broke', why: 'because', fix: 'do this' }, { prefix: 'Error: ' })).toEqual([
      'Error: it broke',
      '  Why: because',
      '  Fix: do this',
    ]);
  });

  it('keeps multi-line messages (config problem lists) and skips missing parts', () => {
    expect(formatError({ message: 'ecs-kit.yml is not valid:\n  - app: is required' })).toEqual([
      'ecs-kit.yml is not valid:',
      '    - app: is required',
    ]);
  });
});

describe('run.done and aws.call lines', () => {
  it('says exactly that nothing changed', () => {
    expect(
      formatRunDone({ type: 'run.done', command: 'deploy', outcome: 'no-changes', durationMs: 900, mutatingCalls: 0, calls: 20 }),
    ).toBe('No changes. AWS already matches ecs-kit.yml.');
  });

  it('summarizes an applied deploy and an empty teardown', () => {
    expect(formatRunDone({ type: 'run.done', command: 'deploy', outcome: 'applied', durationMs: 65_000, mutatingCalls: 1, calls: 2 })).toBe(
      'Deployed in 1m 05s: 2 AWS calls, 1 of them changing something.',
    );
    expect(formatRunDone({ type: 'run.done', command: 'teardown', outcome: 'empty', durationMs: 10, mutatingCalls: 0, calls: 1 })).toMatch(
      /^Nothing to tear down/,
    );
  });

  it('marks writes and failures in AWS call traces', () => {
    expect(formatAwsCall({ service: 'ECS', operation: 'CreateCluster', mutating: true, durationMs: 120, ok: true })).toBe(
      'aws ECS.CreateCluster (write) 120ms',
    );
    expect(
      formatAwsCall({ service: 'EC2', operation: 'DescribeVpcs', mutating: false, durationMs: 1500, ok: false, errorName: 'Throttling' }),
    ).toBe('aws EC2.DescribeVpcs 1.5s failed: Throttling');
  });
});
