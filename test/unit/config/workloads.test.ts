import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { nextRun, scheduleExpressionProblem } from '../../../src/config/schedule.js';
import { ConfigError } from '../../../src/errors.js';

const cfg = (service: string) => `app: shop\nservices:\n  web: { image: x, port: 80 }\n  job: ${service}\n`;

function problems(text: string): string {
  try {
    parseConfigText(text);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.join('\n');
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('schedule expressions (EventBridge Scheduler)', () => {
  it.each([
    'cron(0 3 * * ? *)',
    'cron(0/15 8-17 ? * MON-FRI *)',
    'cron(0 12 L * ? 2027)',
    'cron(0 9 ? * 2#1 *)',
    'rate(1 hour)',
    'rate(15 minutes)',
    'at(2027-01-31T03:00:00)',
  ])('accepts %s', (e) => expect(scheduleExpressionProblem(e)).toBeUndefined());
  it.each([
    ['cron(0 3 * * *)', '6 fields'],
    ['cron(0 3 * * * *)', 'exactly one of day-of-month'],
    ['cron(0 25 * * ? *)', 'hours field "25"'],
    ['cron(61 3 * * ? *)', 'minutes field'],
    ['rate(1 hours)', 'singular'],
    ['rate(5 minute)', 'plural'],
    ['rate(0 minutes)', 'at least 1'],
    ['every day', 'is not a schedule expression'],
    ['at(2027-13-40T03:00:00)', 'not a valid date'],
  ])('refuses %s', (e, why) => expect(scheduleExpressionProblem(e)).toContain(why));

  it('a bad schedule or time zone exits before any call, naming the field', () => {
    expect(problems(cfg('{ image: x, schedule: "cron(0 3 * * *)" }'))).toContain(
      'services.job.schedule: "cron(0 3 * * *)" a cron expression has 6 fields',
    );
    expect(problems(cfg('{ image: x, schedule: "rate(1 hour)", timezone: Mars/Base }'))).toContain('services.job.timezone');
    expect(problems(cfg('{ image: x, timezone: UTC }'))).toContain('services.job.timezone: is the time zone of a schedule');
    expect(problems(cfg('{ image: x, port: 80, schedule: "rate(1 hour)" }'))).toContain('services.job.port: a scheduled job');
  });

  it('next run: cron in the time zone (AWS counts days of the week from 1 = Sunday), rate from creation', () => {
    const now = new Date('2026-12-01T12:00:00Z');
    expect(nextRun('cron(0 3 * * ? *)', { timezone: 'Europe/Berlin', now })?.toISOString()).toBe('2026-12-02T02:00:00.000Z');
    // 2 = Monday: the first Monday after Tue 1 Dec 2026 is 7 Dec.
    expect(nextRun('cron(0 9 ? * 2 *)', { now })?.toISOString()).toBe('2026-12-07T09:00:00.000Z');
    expect(nextRun('cron(0 9 ? * MON *)', { now })?.toISOString()).toBe('2026-12-07T09:00:00.000Z');
    expect(nextRun('rate(1 hour)', { createdAt: new Date('2026-12-01T10:30:00Z'), now })?.toISOString()).toBe('2026-12-01T12:30:00.000Z');
    expect(nextRun('at(2027-01-31T03:00:00)', { timezone: 'UTC', now })?.toISOString()).toBe('2027-01-31T03:00:00.000Z');
    expect(nextRun('at(2020-01-31T03:00:00)', { now })).toBeUndefined();
  });
});

describe('workload fields', () => {
  it('queue, sidecars, health checks, stopTimeout and ephemeral storage parse with their defaults', () => {
    const c = parseConfigText(
      cfg(
        '{ image: x, queue: {}, autoscaling: { min: 0, max: 10, backlogPerTask: 100 }, stopTimeout: 60, ephemeralStorage: 50, ' +
          'sidecars: { otel: { image: otel:1 } }, healthCheck: { command: ["CMD-SHELL", "true"] } }',
      ),
    );
    const job = c.services.job!;
    expect(job.queue).toEqual({ visibilityTimeout: 30, maxReceives: 5 });
    expect(job.autoscaling).toEqual({ min: 0, max: 10, backlogPerTask: 100 });
    expect(job.sidecars.otel).toEqual({ image: 'otel:1', essential: false, environment: {} });
    expect(job.healthCheck).toEqual({ command: ['CMD-SHELL', 'true'], interval: 30, timeout: 5, retries: 3, startPeriod: 0 });
    expect(c.services.web!.autoscaling).toBeUndefined();
  });

  it.each([
    ['{ image: x, queue: { visibilityTimeout: 50000 } }', 'services.job.queue.visibilityTimeout: 50000 must be between 0 and 43200'],
    ['{ image: x, queue: { maxReceives: 0 } }', 'services.job.queue.maxReceives: 0 must be between 1 and 1000'],
    [
      '{ image: x, autoscaling: { min: 0, max: 2, backlogPerTask: 10 } }',
      'services.job.autoscaling.backlogPerTask: scales on the messages',
    ],
    ['{ image: x, autoscaling: { min: 1, max: 2, requestsPerTarget: 10 } }', 'services.job.autoscaling.requestsPerTarget'],
    ['{ image: x, internal: true }', 'services.job.internal: an internal service is called at'],
    ['{ image: x, port: 80, internal: true, loadBalancerHealthCheck: {} }', 'services.job.loadBalancerHealthCheck'],
    [
      '{ image: x, port: 81, path: /j, loadBalancerHealthCheck: { interval: 10, timeout: 10 } }',
      'services.job.loadBalancerHealthCheck.timeout',
    ],
    ['{ image: x, healthCheck: { command: ["curl"] } }', 'services.job.healthCheck.command'],
    ['{ image: x, queue: {}, environment: { QUEUE_URL: y } }', 'services.job.environment.QUEUE_URL'],
    ['{ image: x, sidecars: { job: { image: y } } }', 'services.job.sidecars.job'],
    ['{ image: x, ephemeralStorage: 10 }', 'services.job.ephemeralStorage: 10 must be between 21 and 200'],
    ['{ image: x, stopTimeout: 500 }', 'services.job.stopTimeout: 500 must be between 2 and 120'],
  ])('%s is refused', (svc, message) => expect(problems(cfg(svc))).toContain(message));
});
