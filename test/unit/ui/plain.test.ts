import { describe, expect, it } from 'vitest';
import { createReporter } from '../../../src/ui/index.js';
import { PlainReporter } from '../../../src/ui/plain.js';
import { DEPLOY, FAILURE, PLAN } from './events.js';
import { ANSI, Capture } from './streams.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z /;

function run(events: typeof DEPLOY, verbose = false) {
  const stdout = new Capture();
  const stderr = new Capture();
  const r = createReporter('plain', { verbose, stdout, stderr, color: true });
  for (const e of events) r.emit(e);
  r.close();
  return { stdout, stderr };
}

describe('plain reporter', () => {
  it('is what createReporter builds for plain mode', () => {
    expect(createReporter('plain', { verbose: false, stdout: new Capture(), stderr: new Capture() })).toBeInstanceOf(PlainReporter);
  });

  it('stamps every line with an ISO-8601 time and never writes ANSI codes, even when color is asked for', () => {
    const { stdout, stderr } = run([...DEPLOY, ...FAILURE], true);
    const all = [...stdout.lines, ...stderr.lines];
    expect(all.length).toBeGreaterThan(10);
    for (const line of all) expect(line).toMatch(ISO);
    expect(stdout.text + stderr.text).not.toMatch(ANSI);
  });

  it('uses the injected clock', () => {
    const stdout = new Capture();
    const r = new PlainReporter({ verbose: false, stdout, stderr: new Capture(), now: () => new Date('2026-01-02T03:04:05.678Z') });
    r.emit({ type: 'output', name: 'url', value: 'http://x/' });
    expect(stdout.text).toBe('2026-01-02T03:04:05.678Z url: http://x/\n');
  });

  it('puts the plan, outputs and the result on stdout; progress and warnings on stderr', () => {
    const { stdout, stderr } = run(DEPLOY);
    const out = stdout.lines.map((l) => l.replace(ISO, ''));
    const err = stderr.lines.map((l) => l.replace(ISO, ''));
    expect(out).toEqual([
      ...[
        '  + ECS cluster',
        '  ~ Service web',
        '      desiredCount: 1 → 2',
        '      environment variable API_KEY: changed (value not shown)',
        '  + Load balancer',
        '  ± Task definition web',
        '      image: nginx:1.26 → nginx:1.27',
        '  - Old thing',
        'Plan: 2 to create, 1 to update, 1 to replace, 1 to delete.',
      ],
      'url: http://shop-default-123.us-east-1.elb.amazonaws.com/',
      'Deployed in 1m 05s: 60 AWS calls, 14 of them changing something.',
    ]);
    expect(err).toEqual([
      'Deploying shop (env default) in us-east-1, account 123456789012',
      'Creating ECS cluster…',
      'ECS cluster: waiting for ACTIVE',
      'Created ECS cluster (3.2s)',
      'WARNING ECS cluster: something odd',
    ]);
  });

  it('shows aws.call traces only when verbose', () => {
    expect(run(DEPLOY, false).stderr.text).not.toContain('CreateCluster');
    expect(run(DEPLOY, true).stderr.text).toContain('aws ECS.CreateCluster (write) 120ms');
  });

  it('prints errors with Why and Fix on stderr, once even when the final error repeats the step failure', () => {
    const { stdout, stderr } = run(FAILURE);
    expect(stdout.text).toBe('');
    const err = stderr.lines.map((l) => l.replace(ISO, ''));
    expect(err).toEqual([
      'Creating Load balancer…',
      'FAILED Load balancer: creating Load balancer failed: access denied',
      '  Why: Your IAM user may not call elasticloadbalancing:CreateLoadBalancer.',
      '  Fix: Attach the policy in README "Permissions".',
      'Failed after 4s.',
    ]);
  });

  it('prints an error that no step reported', () => {
    const { stderr } = run([
      { type: 'error', code: 'config.invalid', message: 'ecs-kit.yml is not valid:\n  - app: is required', fix: 'Edit it.' },
    ]);
    expect(stderr.lines.map((l) => l.replace(ISO, ''))).toEqual([
      'ERROR ecs-kit.yml is not valid:',
      '    - app: is required',
      '  Fix: Edit it.',
    ]);
  });

  it('says when there is nothing to change', () => {
    const { stdout } = run([
      { ...PLAN, steps: [PLAN.steps[0]!], summary: { create: 0, update: 0, replace: 0, delete: 0, noop: 1 } },
      { type: 'run.done', command: 'deploy', outcome: 'no-changes', durationMs: 800, mutatingCalls: 0, calls: 12 },
    ]);
    expect(stdout.lines.map((l) => l.replace(ISO, ''))).toEqual([
      'Plan: 0 to create, 0 to update, 0 to replace, 0 to delete.',
      'No changes. AWS already matches ecs-kit.yml.',
    ]);
  });
});
