import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  GetScheduleGroupCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { RETRY_POLICY, scheduleStep } from '../../../src/steps/schedule/index.js';
import { commandNames, strict } from '../../helpers/aws-mock.js';
import { OWNER_TAGS, config, stepContext } from '../../helpers/context.js';

const scheduler = mockClient(SchedulerClient);
beforeEach(() => {
  scheduler.reset();
  strict(scheduler);
});

const YAML = `app: shop
services:
  web: { image: nginx, port: 80 }
  nightly: { image: jobs:1, schedule: "cron(0 3 * * ? *)", timezone: Europe/Berlin }
`;
const ACCOUNT = '123456789012';
const CLUSTER = `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/shop-default`;
const TD = (rev: number) => `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/shop-default-nightly:${rev}`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/ecs-kit/shop/default/shop-default-nightly-scheduler`;
const DLQ = `arn:aws:sqs:us-east-1:${ACCOUNT}:shop-default-schedules-dlq`;
const GROUP_ARN = `arn:aws:scheduler:us-east-1:${ACCOUNT}:schedule-group/shop-default`;

const deps = (rev = 1) => ({
  cluster: { clusterName: 'shop-default', clusterArn: CLUSTER },
  network: {
    vpcId: 'vpc-1',
    cidr: '10.0.0.0/16',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    publicSubnetIds: ['subnet-a', 'subnet-b'],
    internetGatewayId: 'igw-1',
    publicRouteTableId: 'rtb-1',
  },
  'task-definition:nightly': { family: 'shop-default-nightly', taskDefinitionArn: TD(rev), revision: rev },
  'security-group:nightly': { groupId: 'sg-job' },
  'schedule-group': { groupName: 'shop-default', groupArn: GROUP_ARN, deadLetterQueueUrl: 'https://sqs/x', deadLetterQueueArn: DLQ },
  'scheduler-role:nightly': { roleName: 'shop-default-nightly-scheduler', roleArn: ROLE },
});
const ctxFor = (rev = 1) => stepContext(scheduleStep, { scope: 'nightly', config: config(YAML), deps: deps(rev) });

/** GetSchedule's answer for a schedule created from `input`. */
const asRead = (input: CreateScheduleCommandInput) => ({
  Arn: `arn:aws:scheduler:us-east-1:${ACCOUNT}:schedule/shop-default/nightly`,
  ...input,
  CreationDate: new Date('2026-11-01T00:00:00Z'),
});

describe('schedule step', () => {
  it('has one instance per scheduled job, after its task definition, group and own scheduler role', () => {
    const [one, ...rest] = scheduleStep.instances(config(YAML));
    expect(rest).toEqual([]);
    expect(one!.scope).toBe('nightly');
    expect(one!.dependsOn).toEqual(expect.arrayContaining(['task-definition:nightly', 'schedule-group', 'scheduler-role:nightly']));
  });

  it('creates a schedule that runs the job on the cluster, with its network, retries and dead-letter queue', async () => {
    scheduler.on(GetScheduleCommand).rejects(new ResourceNotFoundException({ message: 'no', Message: 'no', $metadata: {} }));
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:s' });
    const ctx = ctxFor();
    const plan = await scheduleStep.plan(ctx);
    expect(plan).toMatchObject({ action: 'create', changes: [{ field: 'schedule', after: 'cron(0 3 * * ? *) (Europe/Berlin)' }] });
    expect(await scheduleStep.apply(ctx, plan)).toEqual({
      groupName: 'shop-default',
      scheduleName: 'nightly',
      scheduleArn: 'arn:s',
      taskDefinitionArn: TD(1),
    });
    const sent = scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input;
    expect(sent).toMatchObject({
      Name: 'nightly',
      GroupName: 'shop-default',
      ScheduleExpression: 'cron(0 3 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: CLUSTER,
        RoleArn: ROLE,
        RetryPolicy: RETRY_POLICY,
        DeadLetterConfig: { Arn: DLQ },
        EcsParameters: {
          TaskDefinitionArn: TD(1),
          TaskCount: 1,
          CapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
          NetworkConfiguration: {
            awsvpcConfiguration: { Subnets: ['subnet-a', 'subnet-b'], SecurityGroups: ['sg-job'], AssignPublicIp: 'ENABLED' },
          },
        },
      },
    });
    expect(sent.ClientToken).toBeUndefined();
  });

  it('a create whose response was lost (ConflictException) becomes an update to the config', async () => {
    scheduler.on(GetScheduleCommand).rejects(new ResourceNotFoundException({ message: 'no', Message: 'no', $metadata: {} }));
    scheduler.on(CreateScheduleCommand).rejects(new ConflictException({ message: 'exists', Message: 'exists', $metadata: {} }));
    scheduler.on(UpdateScheduleCommand).resolves({ ScheduleArn: 'arn:s' });
    const ctx = ctxFor();
    await scheduleStep.apply(ctx, await scheduleStep.plan(ctx));
    expect(commandNames(scheduler)).toEqual(['GetSchedule', 'CreateSchedule', 'UpdateSchedule']);
  });

  it('plans no change with one read when the schedule matches, and an update naming the new revision when not', async () => {
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:s' });
    scheduler.on(GetScheduleCommand).rejects(new ResourceNotFoundException({ message: 'no', Message: 'no', $metadata: {} }));
    const first = ctxFor(1);
    await scheduleStep.apply(first, await scheduleStep.plan(first));
    const definition = scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input;

    scheduler.reset();
    strict(scheduler);
    scheduler.on(GetScheduleCommand).resolves(asRead(definition));
    expect(await scheduleStep.plan(ctxFor(1))).toMatchObject({ action: 'noop', changes: [] });
    expect(commandNames(scheduler)).toEqual(['GetSchedule']);

    scheduler.on(UpdateScheduleCommand).resolves({ ScheduleArn: 'arn:s' });
    const next = ctxFor(2);
    const plan = await scheduleStep.plan(next);
    expect(plan).toMatchObject({ action: 'update', changes: [{ field: 'taskDefinition', before: TD(1), after: TD(2) }] });
    expect((await scheduleStep.apply(next, plan)).taskDefinitionArn).toBe(TD(2));
    expect(scheduler.commandCalls(UpdateScheduleCommand)[0]!.args[0].input.Target?.EcsParameters?.TaskDefinitionArn).toBe(TD(2));
  });

  it('deletes the schedule when its group is ours, and leaves it when the group is another app’s', async () => {
    const state = { groupName: 'shop-default', scheduleName: 'nightly', scheduleArn: 'arn:s', taskDefinitionArn: TD(1) };
    scheduler.on(GetScheduleGroupCommand).resolves({ Arn: GROUP_ARN, State: 'ACTIVE' });
    scheduler.on(ListTagsForResourceCommand).resolves({ Tags: OWNER_TAGS });
    scheduler.on(DeleteScheduleCommand).resolves({});
    await scheduleStep.destroy(ctxFor(), state);
    expect(scheduler.commandCalls(DeleteScheduleCommand)[0]!.args[0].input).toEqual({ GroupName: 'shop-default', Name: 'nightly' });

    scheduler.reset();
    strict(scheduler);
    scheduler.on(GetScheduleGroupCommand).resolves({ Arn: GROUP_ARN, State: 'ACTIVE' });
    scheduler.on(ListTagsForResourceCommand).resolves({ Tags: [{ Key: 'ecs-kit:app', Value: 'other' }] });
    const ctx = ctxFor();
    await scheduleStep.destroy(ctx, state);
    expect(commandNames(scheduler)).not.toContain('DeleteSchedule');
    expect(ctx.warnings.join('\n')).toContain('nightly');
  });
});
