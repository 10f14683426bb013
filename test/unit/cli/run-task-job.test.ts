import { GetScheduleCommand, ResourceNotFoundException, SchedulerClient } from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../../src/aws/clients.js';
import { scheduledJob } from '../../../src/cli/commands/run-task/job.js';
import { namesFor } from '../../../src/config/names.js';
import { strict } from '../../helpers/aws-mock.js';

const scheduler = mockClient(SchedulerClient);
beforeEach(() => {
  scheduler.reset();
  strict(scheduler);
});

const run = { aws: new AwsClients({ region: 'us-east-1', maxAttempts: 1 }), names: namesFor('shop', 'default') };
const TD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/shop-default-nightly:3';

describe('run-task <job>', () => {
  it('runs what the schedule runs: its revision, capacity and network', async () => {
    scheduler.on(GetScheduleCommand, { GroupName: 'shop-default', Name: 'nightly' }).resolves({
      ScheduleExpression: 'rate(1 hour)',
      Target: {
        Arn: 'arn:cluster',
        RoleArn: 'arn:role',
        EcsParameters: {
          TaskDefinitionArn: TD,
          PlatformVersion: 'LATEST',
          CapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
          NetworkConfiguration: { awsvpcConfiguration: { Subnets: ['subnet-a'], SecurityGroups: ['sg-job'], AssignPublicIp: 'ENABLED' } },
        },
      },
    });
    expect(await scheduledJob(run, 'nightly')).toEqual({
      serviceName: 'nightly',
      taskDefinition: TD,
      platformVersion: 'LATEST',
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1, base: undefined }],
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-a'], securityGroups: ['sg-job'], assignPublicIp: 'ENABLED' } },
    });
  });

  it('a job whose schedule is not deployed is run-task.no-job, with the fix', async () => {
    scheduler.on(GetScheduleCommand).rejects(new ResourceNotFoundException({ message: 'no', Message: 'no', $metadata: {} }));
    await expect(scheduledJob(run, 'nightly')).rejects.toMatchObject({ code: 'run-task.no-job', fix: 'Run ecs-kit deploy first.' });
  });
});
