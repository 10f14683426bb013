import { describe, expect, it } from 'vitest';
import { createReporter } from '../../../src/ui/index.js';
import { TtyReporter, type SpinnerLike } from '../../../src/ui/tty.js';
import { DEPLOY, FAILURE, PLAN } from './events.js';
import { ANSI, Capture } from './streams.js';

/** Records what the reporter does to its spinner, and writes nothing itself. */
class FakeSpinner implements SpinnerLike {
  text = '';
  isSpinning = false;
  log: string[] = [];
  start() {
    this.isSpinning = true;
    this.log.push(`start:${this.text}`);
  }
  stop() {
    this.isSpinning = false;
    this.log.push('stop');
  }
  clear() {
    this.log.push('clear');
  }
  render() {
    this.log.push('render');
  }
}

function setup(opts: { verbose?: boolean; color?: boolean; spinner?: boolean } = {}) {
  const stdout = new Capture();
  const stderr = new Capture();
  const spinner = new FakeSpinner();
  const r = new TtyReporter({
    verbose: opts.verbose ?? false,
    stdout,
    stderr,
    color: opts.color ?? false,
    ...(opts.spinner === false ? {} : { spinner: () => spinner }),
  });
  return { r, stdout, stderr, spinner };
}

describe('tty reporter', () => {
  it('is what createReporter builds for tty mode', () => {
    expect(createReporter('tty', { verbose: false, stdout: new Capture(), stderr: new Capture() })).toBeInstanceOf(TtyReporter);
  });

  it('spins while a step runs, shows its progress, and prints a ✔ line when it finishes', () => {
    const { r, stderr, spinner } = setup();
    r.emit({ type: 'step.start', step: 'cluster', title: 'ECS cluster', action: 'create' });
    expect(spinner.isSpinning).toBe(true);
    expect(spinner.text).toBe('Creating ECS cluster');
    r.emit({ type: 'step.progress', step: 'cluster', message: 'waiting for ACTIVE' });
    expect(spinner.text).toBe('Creating ECS cluster — waiting for ACTIVE');
    expect(stderr.text).toBe(''); // progress lives in the spinner, not in the scrollback
    r.emit({ type: 'step.done', step: 'cluster', title: 'ECS cluster', action: 'create', durationMs: 3200 });
    expect(spinner.isSpinning).toBe(false);
    expect(stderr.lines).toEqual(['✔ Created ECS cluster (3.2s)']);
  });

  it('names every running step when several run at once, and keeps spinning until the last finishes', () => {
    const { r, stderr, spinner } = setup();
    r.emit({ type: 'step.start', step: 'cluster', title: 'ECS cluster', action: 'create' });
    r.emit({ type: 'step.start', step: 'network', title: 'Network', action: 'create' });
    r.emit({ type: 'step.start', step: 'role', title: 'Execution role', action: 'update' });
    expect(spinner.text).toBe('3 steps running: ECS cluster, Network, Execution role');
    r.emit({ type: 'step.progress', step: 'network', message: 'creating subnets' });
    expect(spinner.text).toBe('Network: creating subnets (also running: ECS cluster, Execution role)');
    r.emit({ type: 'step.done', step: 'network', title: 'Network', action: 'create', durationMs: 500 });
    expect(spinner.text).toBe('2 steps running: ECS cluster, Execution role');
    r.emit({ type: 'step.done', step: 'cluster', title: 'ECS cluster', action: 'create', durationMs: 1500 });
    expect(spinner.text).toBe('Updating Execution role');
    expect(spinner.isSpinning).toBe(true);
    r.emit({ type: 'step.done', step: 'role', title: 'Execution role', action: 'update', durationMs: 2500 });
    expect(spinner.isSpinning).toBe(false);
    expect(stderr.lines).toEqual(['✔ Created Network (500ms)', '✔ Created ECS cluster (1.5s)', '✔ Updated Execution role (2.5s)']);
  });

  it('lifts the spinner off its line before printing and draws it again after', () => {
    const { r, spinner } = setup();
    r.emit({ type: 'step.start', step: 'cluster', title: 'ECS cluster', action: 'create' });
    spinner.log = [];
    r.emit({ type: 'warn', code: 'load-balancer.http-only', step: 'cluster', message: 'careful' });
    expect(spinner.log).toEqual(['clear', 'render']);
  });

  it('shortens spinner text to the terminal width', () => {
    const stderr = new Capture({ columns: 30 });
    const spinner = new FakeSpinner();
    const r = new TtyReporter({ verbose: false, stdout: new Capture(), stderr, color: false, spinner: () => spinner });
    r.emit({ type: 'step.start', step: 's', title: 'A step with a very long title indeed', action: 'create' });
    expect(spinner.text.length).toBe(27);
    expect(spinner.text.endsWith('…')).toBe(true);
  });

  it('waits for a spinner that loads asynchronously (ora is imported lazily)', async () => {
    const spinner = new FakeSpinner();
    const stderr = new Capture();
    const r = new TtyReporter({ verbose: false, stdout: new Capture(), stderr, color: false, spinner: async () => spinner });
    r.emit({ type: 'step.start', step: 'cluster', title: 'ECS cluster', action: 'create' });
    expect(stderr.text).toBe('');
    await Promise.resolve();
    await Promise.resolve();
    expect(spinner.isSpinning).toBe(true);
    expect(spinner.text).toBe('Creating ECS cluster');
    r.close();
    expect(spinner.isSpinning).toBe(false);
  });

  it('without a terminal, prints step starts and progress as lines instead of spinning', () => {
    const { r, stderr } = setup({ spinner: false });
    for (const e of DEPLOY) r.emit(e);
    r.close();
    expect(stderr.lines).toEqual([
      'Deploying shop (env default) in us-east-1, account 123456789012',
      'Creating ECS cluster…',
      '  ECS cluster: waiting for ACTIVE',
      '✔ Created ECS cluster (3.2s)',
      '⚠ ECS cluster: something odd',
    ]);
  });

  it('puts the plan, outputs and result on stdout', () => {
    const { r, stdout } = setup({ spinner: false });
    for (const e of DEPLOY) r.emit(e);
    expect(stdout.lines).toEqual([
      '  + ECS cluster',
      '  ~ Service web',
      '      desiredCount: 1 → 2',
      '      environment variable API_KEY: changed (value not shown)',
      '  + Load balancer',
      '  ± Task definition web',
      '      image: nginx:1.26 → nginx:1.27',
      '  - Old thing',
      'Plan: 2 to create, 1 to update, 1 to replace, 1 to delete.',
      'url: http://shop-default-123.us-east-1.elb.amazonaws.com/',
      'Deployed in 1m 05s: 60 AWS calls, 14 of them changing something.',
    ]);
  });

  it('shows unchanged plan steps and aws.call traces only when verbose', () => {
    const quiet = setup();
    const loud = setup({ verbose: true });
    for (const e of DEPLOY) {
      quiet.r.emit(e);
      loud.r.emit(e);
    }
    expect(quiet.stdout.text).not.toContain('Network');
    expect(quiet.stderr.text).not.toContain('CreateCluster');
    expect(loud.stdout.text).toContain('Network (no change)');
    expect(loud.stderr.text).toContain('aws ECS.CreateCluster (write) 120ms');
  });

  it('prints a failed step with Why and Fix, stops spinning, and does not repeat the same final error', () => {
    const { r, stdout, stderr, spinner } = setup();
    for (const e of FAILURE) r.emit(e);
    expect(spinner.isSpinning).toBe(false);
    expect(stdout.text).toBe('');
    expect(stderr.lines).toEqual([
      '✖ Load balancer failed: creating Load balancer failed: access denied',
      '  Why: Your IAM user may not call elasticloadbalancing:CreateLoadBalancer.',
      '  Fix: Attach the policy in README "Permissions".',
      'Failed after 4s.',
    ]);
  });

  it('prints a standalone error with Why and Fix', () => {
    const { r, stderr } = setup();
    r.emit({
      type: 'error',
      code: 'aws.credentials',
      message: 'No AWS credentials.',
      why: 'Nothing configured.',
      fix: 'Run aws configure.',
    });
    expect(stderr.lines).toEqual(['✖ No AWS credentials.', '  Why: Nothing configured.', '  Fix: Run aws configure.']);
  });

  it('uses color only when enabled', () => {
    const plain = setup({ color: false });
    const colored = setup({ color: true });
    for (const e of [...DEPLOY, ...FAILURE]) {
      plain.r.emit(e);
      colored.r.emit(e);
    }
    expect(plain.stdout.text + plain.stderr.text).not.toMatch(ANSI);
    expect(colored.stdout.text).toMatch(ANSI);
    expect(colored.stderr.text).toMatch(ANSI);
  });

  it('prints "No changes" when AWS already matches', () => {
    const { r, stdout } = setup();
    r.emit({ ...PLAN, steps: [], summary: { create: 0, update: 0, replace: 0, delete: 0, noop: 6 } });
    r.emit({ type: 'run.done', command: 'deploy', outcome: 'no-changes', durationMs: 700, mutatingCalls: 0, calls: 14 });
    expect(stdout.lines).toEqual([
      'Plan: 0 to create, 0 to update, 0 to replace, 0 to delete.',
      'No changes. AWS already matches ecs-kit.yml.',
    ]);
  });
});

describe('tty reporter on a terminal that reports 0 columns', () => {
  it('prints lines instead of starting a spinner (ora would clear lines forever)', () => {
    const stderr = new Capture({ isTTY: true, columns: 0 });
    const r = new TtyReporter({ verbose: false, stdout: new Capture(), stderr, color: false });
    r.emit({ type: 'step.start', step: 'cluster', title: 'ECS cluster', action: 'create' });
    r.close();
    expect(stderr.lines).toEqual(['Creating ECS cluster…']);
  });
});
