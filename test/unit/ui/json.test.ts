import { describe, expect, it } from 'vitest';
import { createReporter } from '../../../src/ui/index.js';
import { DEPLOY, FAILURE } from './events.js';
import { Capture } from './streams.js';

function run(verbose: boolean) {
  const stdout = new Capture();
  const stderr = new Capture();
  const r = createReporter('json', { verbose, stdout, stderr, color: true });
  for (const e of [...DEPLOY, ...FAILURE]) r.emit(e);
  r.close();
  return { stdout, stderr };
}

describe('json reporter', () => {
  it('writes one JSON object per line on stdout, each the event plus an ISO time, and nothing else anywhere', () => {
    const { stdout, stderr } = run(true);
    expect(stderr.text).toBe('');
    expect(stdout.text.endsWith('\n')).toBe(true);
    const lines = stdout.text.slice(0, -1).split('\n');
    expect(lines).toHaveLength(DEPLOY.length + FAILURE.length);
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const e of events) expect(new Date(e.time as string).toISOString()).toBe(e.time);
    expect(events.map(({ time: _t, ...rest }) => rest)).toEqual([...DEPLOY, ...FAILURE]);
  });

  it('includes aws.call events only when verbose', () => {
    const quiet = run(false).stdout.lines.map((l) => JSON.parse(l) as { type: string });
    expect(quiet.some((e) => e.type === 'aws.call')).toBe(false);
    expect(quiet).toHaveLength(DEPLOY.length + FAILURE.length - 1);
    const verbose = run(true).stdout.lines.map((l) => JSON.parse(l) as { type: string });
    expect(verbose.filter((e) => e.type === 'aws.call')).toHaveLength(1);
  });

  it('keeps error why/fix as fields', () => {
    const errors = run(false)
      .stdout.lines.map((l) => JSON.parse(l))
      .filter((e) => e.type === 'error');
    expect(errors).toEqual([expect.objectContaining({ code: 'aws.access-denied', why: expect.any(String), fix: expect.any(String) })]);
  });

  it('prints the stable code of every warn, info, error and step.failed event', () => {
    const stdout = new Capture();
    const r = createReporter('json', { verbose: false, stdout, stderr: new Capture(), color: false });
    const error = { code: 'lock.held' as const, message: 'Another ecs-kit run holds the lock.' };
    r.emit({ type: 'info', code: 'deploy.adopting', message: 'Adopting 1 existing step(s) found by tags: cluster.' });
    r.emit({ type: 'warn', code: 'teardown.not-owned', step: 'cluster', message: 'Left cluster shop-default in place.' });
    r.emit({ type: 'step.failed', step: 'cluster', title: 'ECS cluster', error });
    r.emit({ type: 'error', ...error });
    const events = stdout.lines.map((l) => JSON.parse(l) as { type: string; code?: string; error?: { code: string } });
    expect(events.map((e) => [e.type, e.code ?? e.error?.code])).toEqual([
      ['info', 'deploy.adopting'],
      ['warn', 'teardown.not-owned'],
      ['step.failed', 'lock.held'],
      ['error', 'lock.held'],
    ]);
  });
});
