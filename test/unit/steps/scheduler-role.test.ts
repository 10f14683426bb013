import { CreateRoleCommand, GetRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { schedulerRoleStep } from '../../../src/steps/scheduler-role/index.js';
import { strict } from '../../helpers/aws-mock.js';
import { OWNER_TAGS, config, stepContext } from '../../helpers/context.js';

const iam = mockClient(IAMClient);
beforeEach(() => {
  iam.reset();
  strict(iam);
});
afterEach(() => {
  vi.useRealTimers();
});

const YAML = `app: shop
services:
  web: { image: nginx, port: 80 }
  nightly: { image: jobs:1, schedule: "cron(0 3 * * ? *)" }
  hourly: { image: jobs:1, schedule: "rate(1 hour)" }
`;
const ROLE_ARN = (name: string) => `arn:aws:iam::123456789012:role/ecs-kit/shop/default/${name}`;
const notFound = () => Object.assign(new Error('The role cannot be found.'), { name: 'NoSuchEntityException' });
const deps = {
  'execution-role': { roleName: 'shop-default-execution', roleArn: ROLE_ARN('shop-default-execution') },
  'task-role:nightly': { roleName: 'shop-default-nightly-task', roleArn: ROLE_ARN('shop-default-nightly-task') },
  'task-role:hourly': { roleName: 'shop-default-hourly-task', roleArn: ROLE_ARN('shop-default-hourly-task') },
  'schedule-group': {
    groupName: 'shop-default',
    groupArn: 'arn:g',
    deadLetterQueueUrl: 'https://sqs/x',
    deadLetterQueueArn: 'arn:aws:sqs:us-east-1:123456789012:shop-default-schedules-dlq',
  },
};

describe('scheduler role step', () => {
  it('has one role per scheduled job', () => {
    expect(schedulerRoleStep.instances(config(YAML)).map((i) => [i.scope, i.dependsOn])).toEqual([
      ['nightly', ['execution-role', 'schedule-group', 'task-role:nightly']],
      ['hourly', ['execution-role', 'schedule-group', 'task-role:hourly']],
    ]);
  });

  it('trusts only EventBridge Scheduler of this account; may run only its job’s family and pass only its two roles', async () => {
    const name = 'shop-default-nightly-scheduler';
    const created = { RoleName: name, RoleId: 'AROA1', Path: '/ecs-kit/shop/default/', Arn: ROLE_ARN(name), CreateDate: new Date() };
    iam
      .on(GetRoleCommand)
      .rejectsOnce(notFound())
      .resolves({ Role: { ...created, Tags: OWNER_TAGS } });
    iam.on(CreateRoleCommand).resolves({ Role: created });
    iam.on(PutRolePolicyCommand).resolves({});
    const ctx = stepContext(schedulerRoleStep, { scope: 'nightly', config: config(YAML), deps });
    const plan = await schedulerRoleStep.plan(ctx);
    expect(plan.action).toBe('create');
    await schedulerRoleStep.apply(ctx, plan);

    const create = iam.commandCalls(CreateRoleCommand)[0]!.args[0].input;
    expect(create.RoleName).toBe(name);
    expect(JSON.parse(create.AssumeRolePolicyDocument!)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
        },
      ],
    });
    const policy = JSON.parse(iam.commandCalls(PutRolePolicyCommand)[0]!.args[0].input.PolicyDocument!) as {
      Statement: { Action: string[]; Resource: string | string[]; Condition?: unknown }[];
    };
    expect(policy.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: ['ecs:RunTask'],
        Resource: ['arn:aws:ecs:us-east-1:123456789012:task-definition/shop-default-nightly:*'],
        Condition: { ArnEquals: { 'ecs:cluster': 'arn:aws:ecs:us-east-1:123456789012:cluster/shop-default' } },
      },
      {
        Effect: 'Allow',
        Action: ['iam:PassRole'],
        Resource: [ROLE_ARN('shop-default-execution'), ROLE_ARN('shop-default-nightly-task')],
        Condition: { StringLike: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      },
      { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: 'arn:aws:sqs:us-east-1:123456789012:shop-default-schedules-dlq' },
    ]);
  });
});
