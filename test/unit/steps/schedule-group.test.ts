import {
  ConflictException,
  CreateScheduleGroupCommand,
  DeleteScheduleGroupCommand,
  GetScheduleGroupCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueueTagsCommand,
  QueueDoesNotExist,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { scheduleGroupStep } from '../../../src/steps/schedule-group/index.js';
import { commandNames, strict } from '../../helpers/aws-mock.js';
import { OWNER_TAGS, config, stepContext } from '../../helpers/context.js';

const scheduler = mockClient(SchedulerClient);
const sqs = mockClient(SQSClient);
beforeEach(() => {
  scheduler.reset();
  strict(scheduler);
  sqs.reset();
  strict(sqs);
});

const YAML = 'app: shop\nservices:\n  nightly: { image: jobs:1, schedule: "rate(1 hour)" }\n';
const GROUP_ARN = 'arn:aws:scheduler:us-east-1:123456789012:schedule-group/shop-default';
const DLQ_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/shop-default-schedules-dlq';
const DLQ_ARN = 'arn:aws:sqs:us-east-1:123456789012:shop-default-schedules-dlq';
const notFound = () => new ResourceNotFoundException({ message: 'no', Message: 'no', $metadata: {} });
const ctxFor = () => stepContext(scheduleGroupStep, { config: config(YAML) });
const STATE = { groupName: 'shop-default', groupArn: GROUP_ARN, deadLetterQueueUrl: DLQ_URL, deadLetterQueueArn: DLQ_ARN };

describe('schedule group step', () => {
  it('exists only with a scheduled job', () => {
    expect(scheduleGroupStep.instances(config(YAML))).toEqual([{ dependsOn: [] }]);
    expect(scheduleGroupStep.instances(config('app: shop\nservices:\n  web: { image: x, port: 80 }\n'))).toEqual([]);
  });

  it('creates the tagged group and the encrypted dead-letter queue', async () => {
    scheduler.on(GetScheduleGroupCommand).rejects(notFound());
    scheduler.on(CreateScheduleGroupCommand).resolves({ ScheduleGroupArn: GROUP_ARN });
    sqs.on(GetQueueUrlCommand).rejects(new QueueDoesNotExist({ message: 'no', $metadata: {} }));
    sqs.on(CreateQueueCommand).resolves({ QueueUrl: DLQ_URL });
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { QueueArn: DLQ_ARN } });
    const ctx = ctxFor();
    const plan = await scheduleGroupStep.plan(ctx);
    expect(plan.action).toBe('create');
    expect(await scheduleGroupStep.apply(ctx, plan)).toEqual(STATE);
    expect(scheduler.commandCalls(CreateScheduleGroupCommand)[0]!.args[0].input).toEqual({ Name: 'shop-default', Tags: OWNER_TAGS });
    expect(sqs.commandCalls(CreateQueueCommand)[0]!.args[0].input).toMatchObject({
      QueueName: 'shop-default-schedules-dlq',
      Attributes: { SqsManagedSseEnabled: 'true' },
    });
  });

  it('a create whose response was lost adopts the group it made', async () => {
    scheduler.on(GetScheduleGroupCommand).rejectsOnce(notFound()).resolves({ Arn: GROUP_ARN, State: 'ACTIVE' });
    scheduler.on(ListTagsForResourceCommand).resolves({ Tags: OWNER_TAGS });
    scheduler.on(CreateScheduleGroupCommand).rejects(new ConflictException({ message: 'exists', Message: 'exists', $metadata: {} }));
    sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: DLQ_URL });
    sqs.on(ListQueueTagsCommand).resolves({ Tags: { 'ecs-kit:app': 'shop', 'ecs-kit:env': 'default' } });
    sqs
      .on(GetQueueAttributesCommand)
      .resolves({ Attributes: { QueueArn: DLQ_ARN, SqsManagedSseEnabled: 'true', MessageRetentionPeriod: '1209600' } });
    const ctx = ctxFor();
    expect(await scheduleGroupStep.apply(ctx, await scheduleGroupStep.plan(ctx))).toEqual(STATE);
  });

  it('refuses a group of that name another app owns', async () => {
    scheduler.on(GetScheduleGroupCommand).resolves({ Arn: GROUP_ARN, State: 'ACTIVE' });
    scheduler.on(ListTagsForResourceCommand).resolves({ Tags: [{ Key: 'ecs-kit:app', Value: 'other' }] });
    await expect(scheduleGroupStep.plan(ctxFor())).rejects.toMatchObject({ code: 'schedule.not-owned' });
  });

  it('deletes the group (and with it any schedule left in it), then the dead-letter queue', async () => {
    scheduler.on(GetScheduleGroupCommand).resolves({ Arn: GROUP_ARN, State: 'ACTIVE' });
    scheduler.on(ListTagsForResourceCommand).resolves({ Tags: OWNER_TAGS });
    scheduler.on(DeleteScheduleGroupCommand).resolves({});
    sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: DLQ_URL });
    sqs.on(ListQueueTagsCommand).resolves({ Tags: { 'ecs-kit:app': 'shop', 'ecs-kit:env': 'default' } });
    sqs.on(DeleteQueueCommand).resolves({});
    await scheduleGroupStep.destroy(ctxFor(), STATE);
    expect(commandNames(scheduler)).toEqual(['GetScheduleGroup', 'ListTagsForResource', 'DeleteScheduleGroup']);
    expect(sqs.commandCalls(DeleteQueueCommand)[0]!.args[0].input).toEqual({ QueueUrl: DLQ_URL });
  });
});
