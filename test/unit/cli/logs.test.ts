import { CloudWatchLogsClient, FilterLogEventsCommand, ResourceNotFoundException } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { filterPattern, runLogs } from '../../../src/cli/commands/logs/index.js';
import { taskIdOf } from '../../../src/cli/commands/logs/read.js';
import { formatLog } from '../../../src/ui/format.js';
import { strict } from '../../helpers/aws-mock.js';
import { mockIdentity, sts, workdir, type Workdir } from './day2-fixture.js';

const logs = mockClient(CloudWatchLogsClient);
let w: Workdir;
beforeEach(() => {
  mockIdentity();
  logs.reset();
  strict(logs);
});
afterEach(() => w?.cleanup());

const TWO = 'app: shop\nservices:\n  web: { image: nginx, port: 80 }\n  worker: { image: busybox }\n';
const ev = (id: string, ts: number, stream: string, message: string) => ({ eventId: id, timestamp: ts, logStreamName: stream, message });

describe('logs', () => {
  it('interleaves the services in time order, each line with its task id, across pages', async () => {
    w = await workdir(TWO);
    logs
      .on(FilterLogEventsCommand, { logGroupName: '/ecs/shop/default/web' })
      .resolvesOnce({ events: [ev('w1', 1000, 'ecs/web/aaaa1111', 'web first\n')], nextToken: 'p2' })
      .resolves({ events: [ev('w2', 3000, 'ecs/web/bbbb2222', 'web third')] });
    logs
      .on(FilterLogEventsCommand, { logGroupName: '/ecs/shop/default/worker' })
      .resolves({ events: [ev('k1', 2000, 'ecs/worker/cccc3333', 'worker second')] });

    expect(await runLogs({ ...w.opts, sinceMs: 600_000, filter: 'ERROR 42' }, w.io, w.reporter)).toBe(0);
    const lines = w.reporter.ofType('log');
    expect(lines.map((l) => [l.service, l.taskId, l.message])).toEqual([
      ['web', 'aaaa1111', 'web first'],
      ['worker', 'cccc3333', 'worker second'],
      ['web', 'bbbb2222', 'web third'],
    ]);
    expect(lines[0]!.timestamp).toBe('1970-01-01T00:00:01.000Z');
    const first = logs.commandCalls(FilterLogEventsCommand)[0]!.args[0].input;
    expect(first.filterPattern).toBe('"ERROR 42"');
    expect(first.startTime).toBeGreaterThan(Date.now() - 600_000 - 5_000);
    expect(logs.commandCalls(FilterLogEventsCommand, { nextToken: 'p2' })).toHaveLength(1);
    expect(formatLog(lines[1]!)).toBe('1970-01-01T00:00:02.000Z worker/cccc3333 worker second');
  });

  it('--follow polls again, prints each line once, and stops cleanly when interrupted', async () => {
    w = await workdir();
    const controller = new AbortController();
    let polls = 0;
    logs.on(FilterLogEventsCommand).callsFake(async () => {
      polls++;
      if (polls === 1) return { events: [ev('a', 1000, 'ecs/web/t1', 'one')] };
      if (polls === 2) return { events: [ev('a', 1000, 'ecs/web/t1', 'one'), ev('b', 2000, 'ecs/web/t1', 'two')] };
      controller.abort();
      return { events: [ev('b', 2000, 'ecs/web/t1', 'two'), ev('c', 3000, 'ecs/web/t1', 'three')] };
    });
    expect(
      await runLogs({ ...w.opts, service: 'web', follow: true, sinceMs: 60_000, pollIntervalMs: 1 }, w.io, w.reporter, controller.signal),
    ).toBe(0);
    expect(w.reporter.ofType('log').map((l) => l.message)).toEqual(['one', 'two']);
    expect(polls).toBe(3);
  });

  it('a missing log group means "not deployed": exit 1 with the reason', async () => {
    w = await workdir();
    logs
      .on(FilterLogEventsCommand)
      .rejects(new ResourceNotFoundException({ message: 'The specified log group does not exist.', $metadata: {} }));
    await expect(runLogs({ ...w.opts, sinceMs: 60_000 }, w.io, w.reporter)).rejects.toMatchObject({ code: 'logs.no-group', exitCode: 1 });
  });

  it('an unknown service exits 2 before any AWS call', async () => {
    w = await workdir();
    await expect(runLogs({ ...w.opts, service: 'nope', sinceMs: 1 }, w.io, w.reporter)).rejects.toMatchObject({ exitCode: 2 });
    expect(sts.calls()).toHaveLength(0);
  });

  it('parses task ids and filter patterns', () => {
    expect(taskIdOf('ecs/web/0123456789abcdef')).toBe('0123456789abcdef');
    expect(filterPattern('timeout')).toBe('"timeout"');
    expect(filterPattern('{ $.level = "error" }')).toBe('{ $.level = "error" }');
    expect(filterPattern('?ERROR ?WARN')).toBe('?ERROR ?WARN');
    expect(filterPattern(undefined)).toBeUndefined();
  });
});
