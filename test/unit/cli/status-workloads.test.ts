import { DescribeTasksCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { GetScheduleCommand, ResourceNotFoundException, SchedulerClient } from '@aws-sdk/client-scheduler';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../../src/aws/clients.js';
import { internalUrl, jobStatus, queueStatus } from '../../../src/cli/commands/status/workloads.js';
import { parseConfigText } from '../../../src/config/load.js';
import { namesFor } from '../../../src/config/names.js';
import { formatStatus } from '../../../src/ui/format.js';
import { strict } from '../../helpers/aws-mock.js';

const ecs = mockClient(ECSClient);
const scheduler = mockClient(SchedulerClient);
const sqs = mockClient(SQSClient);
beforeEach(() => {
  for (const m of [ecs, scheduler, sqs]) m.reset();
  strict(ecs);
  strict(scheduler);
  strict(sqs);
});

const run = { aws: new AwsClients({ region: 'us-east-1', maxAttempts: 1 }), names: namesFor('shop', 'default') };
const TASK = (id: string) => `arn:aws:ecs:us-east-1:123456789012:task/shop-default/${id}`;
const TD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/shop-default-nightly:4';

describe('status of a scheduled job', () => {
  it('shows the expression, time zone, next run and the last runs, newest first, with their exit codes', async () => {
    scheduler.on(GetScheduleCommand, { GroupName: 'shop-default', Name: 'nightly' }).resolves({
      ScheduleExpression: 'cron(0 3 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      State: 'ENABLED',
      Target: { Arn: 'x', RoleArn: 'y', EcsParameters: { TaskDefinitionArn: TD } },
    });
    ecs
      .on(ListTasksCommand, { cluster: 'shop-default', family: 'shop-default-nightly', desiredStatus: 'RUNNING' })
      .resolves({ taskArns: [] });
    ecs
      .on(ListTasksCommand, { cluster: 'shop-default', family: 'shop-default-nightly', desiredStatus: 'STOPPED' })
      .resolves({ taskArns: [TASK('aaa'), TASK('bbb')] });
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        {
          taskArn: TASK('aaa'),
          lastStatus: 'STOPPED',
          startedAt: new Date('2026-11-30T02:00:05Z'),
          stoppedAt: new Date('2026-11-30T02:01:00Z'),
          containers: [{ name: 'nightly', exitCode: 0 }],
        },
        {
          taskArn: TASK('bbb'),
          lastStatus: 'STOPPED',
          startedAt: new Date('2026-12-01T02:00:05Z'),
          stoppedAt: new Date('2026-12-01T02:00:30Z'),
          stoppedReason: 'Essential container in task exited',
          containers: [{ name: 'nightly', exitCode: 3 }],
        },
      ],
    });
    const s = await jobStatus(run, 'nightly', 'shop-default');
    expect(s).toMatchObject({
      exists: true,
      schedule: {
        expression: 'cron(0 3 * * ? *)',
        timezone: 'Europe/Berlin',
        state: 'ENABLED',
        taskDefinition: 'shop-default-nightly:4',
        // 03:00 in Berlin is 02:00 UTC in winter, 01:00 in summer.
        nextRun: expect.stringMatching(/T0[12]:00:00\.000Z$/),
        lastRuns: [
          { taskId: 'bbb', lastStatus: 'STOPPED', exitCode: 3, reason: 'Essential container in task exited' },
          { taskId: 'aaa', lastStatus: 'STOPPED', exitCode: 0 },
        ],
      },
    });
    const text = formatStatus({ type: 'status', app: 'shop', env: 'default', services: [s] }).join('\n');
    expect(text).toContain('nightly: scheduled cron(0 3 * * ? *) (Europe/Berlin)');
    expect(text).toMatch(/run bbb stopped exit 3 .* — Essential container in task exited/);
    expect(text).toMatch(/run aaa stopped exit 0/);
    expect(text).toMatch(/next run: \d{4}-\d\d-\d\dT0[12]:00:00/);
  });

  it('a job whose schedule is not deployed does not exist', async () => {
    scheduler.on(GetScheduleCommand).rejects(new ResourceNotFoundException({ message: 'not found', Message: 'not found', $metadata: {} }));
    expect(await jobStatus(run, 'nightly', 'shop-default')).toMatchObject({ service: 'nightly', exists: false });
  });
});

describe('status of a queue worker and an internal service', () => {
  it('counts waiting, in-flight and dead-lettered messages', async () => {
    sqs.on(GetQueueUrlCommand).callsFake((i: { QueueName: string }) => ({ QueueUrl: `https://sqs/${i.QueueName}` }));
    sqs.on(GetQueueAttributesCommand, { QueueUrl: 'https://sqs/shop-default-jobs' }).resolves({
      Attributes: { ApproximateNumberOfMessages: '12', ApproximateNumberOfMessagesNotVisible: '3' },
    });
    sqs.on(GetQueueAttributesCommand, { QueueUrl: 'https://sqs/shop-default-jobs-dlq' }).resolves({
      Attributes: { ApproximateNumberOfMessages: '2', ApproximateNumberOfMessagesNotVisible: '0' },
    });
    expect(await queueStatus(run, 'jobs')).toEqual({ name: 'shop-default-jobs', visible: 12, inFlight: 3, deadLetters: 2 });
  });

  it('an internal service is reached at http://<service>:<port>; a public one has no internal URL', () => {
    const c = parseConfigText('app: shop\nservices:\n  web: { image: x, port: 80 }\n  api: { image: y, port: 8080, internal: true }\n');
    expect(internalUrl('api', c.services.api)).toBe('http://api:8080');
    expect(internalUrl('web', c.services.web)).toBeUndefined();
  });
});
