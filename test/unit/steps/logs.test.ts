import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  ListTagsForResourceCommand,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { logsStep } from '../../../src/steps/logs/index.js';
import { commandNames, strict } from '../../helpers/aws-mock.js';
import { config, stepContext } from '../../helpers/context.js';

const logs = mockClient(CloudWatchLogsClient);
beforeEach(() => {
  logs.reset();
  strict(logs);
});

const NAME = '/ecs/shop/default/web';
const ARN = `arn:aws:logs:us-east-1:123456789012:log-group:${NAME}`;
const group = (name = NAME, retention: { retentionInDays?: number } = { retentionInDays: 30 }) => ({
  logGroupName: name,
  arn: `arn:aws:logs:us-east-1:123456789012:log-group:${name}:*`,
  ...retention,
});
const OURS = { tags: { 'ecs-kit:app': 'shop', 'ecs-kit:env': 'default' } };
const ctxFor = (yaml?: string) => stepContext(logsStep, { scope: 'web', ...(yaml ? { config: config(yaml) } : {}) });

describe('logs step', () => {
  it('has one instance per service', () => {
    expect(logsStep.instances(config('app: shop\nservices: { web: { image: nginx }, api: { image: nginx } }'))).toEqual([
      { scope: 'web', dependsOn: [] },
      { scope: 'api', dependsOn: [] },
    ]);
  });

  it('creates a tagged log group with the configured retention', async () => {
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
    logs.on(CreateLogGroupCommand).resolves({});
    logs.on(PutRetentionPolicyCommand).resolves({});
    const ctx = ctxFor('app: shop\nservices: { web: { image: nginx, logRetentionDays: 14 } }');
    const plan = await logsStep.plan(ctx);
    expect(plan.action).toBe('create');
    expect(await logsStep.apply(ctx, plan)).toEqual({ logGroupName: NAME });
    expect(logs.commandCalls(CreateLogGroupCommand)[0]!.args[0].input).toEqual({
      logGroupName: NAME,
      tags: { 'ecs-kit:app': 'shop', 'ecs-kit:env': 'default' },
    });
    expect(logs.commandCalls(PutRetentionPolicyCommand)[0]!.args[0].input).toEqual({ logGroupName: NAME, retentionInDays: 14 });
  });

  it('matches the exact name, not another group that shares the prefix', async () => {
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [group(`${NAME}-old`)] });
    expect((await logsStep.plan(ctxFor())).action).toBe('create');
    expect(logs.commandCalls(DescribeLogGroupsCommand)[0]!.args[0].input).toEqual({ logGroupNamePrefix: NAME });
  });

  it('plans no change and makes only read calls when the group matches', async () => {
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [group()] });
    logs.on(ListTagsForResourceCommand).resolves(OURS);
    const plan = await logsStep.plan(ctxFor());
    expect(plan).toMatchObject({ action: 'noop', current: { logGroupName: NAME } });
    expect(commandNames(logs)).toEqual(['DescribeLogGroups', 'ListTagsForResource']);
    // the ARN without the ":*" that DescribeLogGroups appends
    expect(logs.commandCalls(ListTagsForResourceCommand)[0]!.args[0].input).toEqual({ resourceArn: ARN });
  });

  it('puts the retention back when it drifted (or was removed)', async () => {
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [group(NAME, {})] });
    logs.on(ListTagsForResourceCommand).resolves(OURS);
    logs.on(PutRetentionPolicyCommand).resolves({});
    const ctx = ctxFor();
    const plan = await logsStep.plan(ctx);
    expect(plan).toMatchObject({ action: 'update', changes: [{ field: 'retentionInDays', before: 'never expire', after: 30 }] });
    await logsStep.apply(ctx, plan);
    expect(commandNames(logs)).toEqual(['DescribeLogGroups', 'ListTagsForResource', 'PutRetentionPolicy']);
  });

  it('refuses to adopt a log group with the same name that ecs-kit did not create', async () => {
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [group()] });
    logs.on(ListTagsForResourceCommand).resolves({ tags: {} });
    await expect(logsStep.plan(ctxFor())).rejects.toThrow(/was not created by ecs-kit/);
  });

  it('takes over its own group when a retried create finds it already there', async () => {
    logs
      .on(DescribeLogGroupsCommand)
      .resolvesOnce({ logGroups: [] })
      .resolves({ logGroups: [group()] });
    logs.on(CreateLogGroupCommand).rejects(Object.assign(new Error('exists'), { name: 'ResourceAlreadyExistsException' }));
    logs.on(ListTagsForResourceCommand).resolves(OURS);
    logs.on(PutRetentionPolicyCommand).resolves({});
    const ctx = ctxFor();
    expect(await logsStep.apply(ctx, await logsStep.plan(ctx))).toEqual({ logGroupName: NAME });
  });

  it('deletes the group it owns, and treats an already-gone group as deleted', async () => {
    logs
      .on(DescribeLogGroupsCommand)
      .resolvesOnce({ logGroups: [group()] })
      .resolves({ logGroups: [] });
    logs.on(ListTagsForResourceCommand).resolves(OURS);
    logs.on(DeleteLogGroupCommand).resolves({});
    const ctx = ctxFor();
    await logsStep.destroy(ctx, { logGroupName: NAME });
    await logsStep.destroy(ctx, { logGroupName: NAME });
    expect(logs.commandCalls(DeleteLogGroupCommand)).toHaveLength(1);
    expect(logs.commandCalls(DeleteLogGroupCommand)[0]!.args[0].input).toEqual({ logGroupName: NAME });
  });

  it('treats ResourceNotFoundException on delete as deleted', async () => {
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [group()] });
    logs.on(ListTagsForResourceCommand).resolves(OURS);
    logs.on(DeleteLogGroupCommand).rejects(Object.assign(new Error('gone'), { name: 'ResourceNotFoundException' }));
    await expect(logsStep.destroy(ctxFor(), { logGroupName: NAME })).resolves.toBeUndefined();
  });

  it('leaves a log group alone at teardown when its tags say someone else owns it', async () => {
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [group()] });
    logs.on(ListTagsForResourceCommand).resolves({ tags: { 'ecs-kit:app': 'other', 'ecs-kit:env': 'default' } });
    const ctx = ctxFor();
    await logsStep.destroy(ctx, { logGroupName: NAME });
    expect(ctx.warningCodes).toEqual(['teardown.not-owned']);
    expect(commandNames(logs)).toEqual(['DescribeLogGroups', 'ListTagsForResource']);
  });
});
