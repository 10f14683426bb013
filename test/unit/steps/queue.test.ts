import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueueTagsCommand,
  QueueDoesNotExist,
  SQSClient,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { queueStep } from '../../../src/steps/queue/index.js';
import { commandNames, strict } from '../../helpers/aws-mock.js';
import { config, stepContext } from '../../helpers/context.js';

const sqs = mockClient(SQSClient);
beforeEach(() => {
  sqs.reset();
  strict(sqs);
});

const YAML = `app: shop
services:
  web: { image: nginx, port: 80 }
  jobs: { image: jobs:1, queue: { visibilityTimeout: 60, maxReceives: 4 } }
`;
const URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/';
const ARN = 'arn:aws:sqs:us-east-1:123456789012:';
const OURS = { Tags: { 'ecs-kit:app': 'shop', 'ecs-kit:env': 'default' } };
const ctxFor = () => stepContext(queueStep, { scope: 'jobs', config: config(YAML) });
const gone = () => new QueueDoesNotExist({ message: 'The specified queue does not exist.', $metadata: {} });

/** A queue and its DLQ as they are after a deploy of YAML. */
function existing(overrides: Record<string, string> = {}) {
  sqs.on(GetQueueUrlCommand, { QueueName: 'shop-default-jobs' }).resolves({ QueueUrl: `${URL}shop-default-jobs` });
  sqs.on(GetQueueUrlCommand, { QueueName: 'shop-default-jobs-dlq' }).resolves({ QueueUrl: `${URL}shop-default-jobs-dlq` });
  sqs.on(ListQueueTagsCommand).resolves(OURS);
  sqs.on(GetQueueAttributesCommand, { QueueUrl: `${URL}shop-default-jobs-dlq` }).resolves({
    Attributes: { QueueArn: `${ARN}shop-default-jobs-dlq`, SqsManagedSseEnabled: 'true', MessageRetentionPeriod: '1209600' },
  });
  sqs.on(GetQueueAttributesCommand, { QueueUrl: `${URL}shop-default-jobs` }).resolves({
    Attributes: {
      QueueArn: `${ARN}shop-default-jobs`,
      SqsManagedSseEnabled: 'true',
      VisibilityTimeout: '60',
      RedrivePolicy: `{"maxReceiveCount":"4","deadLetterTargetArn":"${ARN}shop-default-jobs-dlq"}`,
      ...overrides,
    },
  });
}

describe('queue step', () => {
  it('has an instance only for services with a queue', () => {
    expect(queueStep.instances(config(YAML))).toEqual([{ scope: 'jobs', dependsOn: [] }]);
  });

  it('creates the dead-letter queue, then the encrypted, tagged queue whose redrive policy names it', async () => {
    sqs.on(GetQueueUrlCommand).rejects(gone());
    sqs.on(CreateQueueCommand).callsFake((input: { QueueName: string }) => ({ QueueUrl: `${URL}${input.QueueName}` }));
    sqs.on(GetQueueAttributesCommand).callsFake((input: { QueueUrl: string }) => ({
      Attributes: { QueueArn: `${ARN}${input.QueueUrl.slice(URL.length)}` },
    }));
    const ctx = ctxFor();
    const plan = await queueStep.plan(ctx);
    expect(plan.action).toBe('create');
    expect(await queueStep.apply(ctx, plan)).toEqual({
      queueUrl: `${URL}shop-default-jobs`,
      queueArn: `${ARN}shop-default-jobs`,
      deadLetterQueueUrl: `${URL}shop-default-jobs-dlq`,
      deadLetterQueueArn: `${ARN}shop-default-jobs-dlq`,
    });
    const created = sqs.commandCalls(CreateQueueCommand).map((c) => c.args[0].input);
    const tags = { 'ecs-kit:app': 'shop', 'ecs-kit:env': 'default' };
    expect(created).toEqual([
      { QueueName: 'shop-default-jobs-dlq', Attributes: { SqsManagedSseEnabled: 'true', MessageRetentionPeriod: '1209600' }, tags },
      {
        QueueName: 'shop-default-jobs',
        Attributes: {
          SqsManagedSseEnabled: 'true',
          VisibilityTimeout: '60',
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: `${ARN}shop-default-jobs-dlq`, maxReceiveCount: 4 }),
        },
        tags,
      },
    ]);
  });

  it('plans no change with read calls only when both queues match (the redrive policy compared parsed)', async () => {
    existing();
    const plan = await queueStep.plan(ctxFor());
    expect(plan).toMatchObject({ action: 'noop', changes: [], current: { queueUrl: `${URL}shop-default-jobs` } });
    expect(commandNames(sqs).every((n) => n.startsWith('Get') || n.startsWith('List'))).toBe(true);
  });

  it('sets only the attribute that drifted', async () => {
    existing({ VisibilityTimeout: '30' });
    sqs.on(SetQueueAttributesCommand).resolves({});
    const ctx = ctxFor();
    const plan = await queueStep.plan(ctx);
    expect(plan).toMatchObject({ action: 'update', changes: [{ field: 'queue.VisibilityTimeout', before: '30', after: '60' }] });
    await queueStep.apply(ctx, plan);
    expect(sqs.commandCalls(SetQueueAttributesCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: `${URL}shop-default-jobs`, Attributes: { VisibilityTimeout: '60' } },
    ]);
  });

  it('refuses a queue of that name another app owns', async () => {
    sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: `${URL}shop-default-jobs-dlq` });
    sqs.on(ListQueueTagsCommand).resolves({ Tags: { 'ecs-kit:app': 'other', 'ecs-kit:env': 'default' } });
    await expect(queueStep.plan(ctxFor())).rejects.toMatchObject({ code: 'queue.not-owned' });
  });

  it('deletes both queues; one already gone counts as deleted', async () => {
    sqs.on(GetQueueUrlCommand, { QueueName: 'shop-default-jobs' }).resolves({ QueueUrl: `${URL}shop-default-jobs` });
    sqs.on(GetQueueUrlCommand, { QueueName: 'shop-default-jobs-dlq' }).rejects(gone());
    sqs.on(ListQueueTagsCommand).resolves(OURS);
    sqs.on(DeleteQueueCommand).resolves({});
    await queueStep.destroy(ctxFor(), {
      queueUrl: `${URL}shop-default-jobs`,
      queueArn: `${ARN}shop-default-jobs`,
      deadLetterQueueUrl: `${URL}shop-default-jobs-dlq`,
      deadLetterQueueArn: `${ARN}shop-default-jobs-dlq`,
    });
    expect(sqs.commandCalls(DeleteQueueCommand).map((c) => c.args[0].input)).toEqual([{ QueueUrl: `${URL}shop-default-jobs` }]);
  });
});
