import { CreateSecurityGroupCommand, CreateVpcCommand, DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { CreateCapacityProviderCommand, CreateServiceCommand, RegisterTaskDefinitionCommand, RunTaskCommand } from '@aws-sdk/client-ecs';
import { CreateLoadBalancerCommand, CreateRuleCommand, CreateTargetGroupCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateInstanceProfileCommand, CreateRoleCommand } from '@aws-sdk/client-iam';
import { CreateLogGroupCommand, DescribeLogGroupsCommand, PutRetentionPolicyCommand } from '@aws-sdk/client-cloudwatch-logs';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { CreateScheduleCommand, CreateScheduleGroupCommand } from '@aws-sdk/client-scheduler';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startMoto, type Moto } from './harness/moto.js';
import { hitTable } from './harness/strict/hits.js';
import { startStrictProxy, type StrictOptions, type StrictProxy } from './harness/strict/proxy.js';
import { ruleIds, RULES } from './harness/strict/registry.js';
import { failure, sdk, type Sdk } from './harness/strict/sdk.js';

/**
 * Self-tests of the strict AWS layer (names, shapes, recording, switches), driven with plain SDK
 * clients, not the CLI: each rule refuses with the error name and text AWS uses, and valid
 * requests still reach moto. Timing and state rules: strict-layer-state.test.ts.
 */
describe('strict layer: names, shapes, recording', () => {
  let moto: Moto;
  let direct: Sdk;
  const statement = { Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' };
  const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [statement] });

  beforeAll(async () => {
    moto = await startMoto();
    direct = sdk(moto.endpoint);
  });
  afterAll(async () => {
    await moto?.stop();
  });

  async function layer(opts: StrictOptions = {}): Promise<{ proxy: StrictProxy; aws: Sdk }> {
    const proxy = await startStrictProxy(moto.endpoint, { label: 'strict-layer self-test', ...opts });
    onTestFinished(() => proxy.stop());
    return { proxy, aws: sdk(proxy.endpoint) };
  }

  it('every rule has an id, a description and a source', () => {
    for (const r of RULES) {
      expect(r.id, JSON.stringify(r)).toMatch(/^[a-z0-9-]+\.[a-z0-9-]+$/);
      expect(r.description.length, r.id).toBeGreaterThan(10);
      expect(r.source, r.id).toMatch(/^https:\/\//);
      expect(Boolean(r.check ?? r.rewrite), r.id).toBe(true);
    }
    expect(hitTable([{ label: 'x', hits: { 'ec2.security-group-name': 2 } }])).toMatch(/ec2\.security-group-name\s+2\s+x\s+Security group/);
  });

  it('ELBv2 names: ALB (≤32, charset, hyphens, no "internal-") and target group', async () => {
    const { aws, proxy } = await layer({ only: ['elbv2.load-balancer-name', 'elbv2.target-group-name'] });
    const lb = (Name: string) => failure(aws.elb.send(new CreateLoadBalancerCommand({ Name, Subnets: ['subnet-1'] })));
    const internal = await lb('internal-tools-prod');
    expect(internal).toMatchObject({
      name: 'ValidationError',
      message: "The load balancer name 'internal-tools-prod' cannot begin with 'internal-'",
    });
    expect(await lb('a'.repeat(33))).toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining("cannot be longer than '32' characters"),
    });
    expect((await lb('shop-')).message).toMatch(/cannot begin or end with a hyphen/);
    expect((await lb('shop_prod')).message).toMatch(/only alphanumeric characters and hyphens/);
    const tg = await failure(aws.elb.send(new CreateTargetGroupCommand({ Name: '-web', Protocol: 'HTTP', Port: 80, VpcId: 'vpc-1' })));
    expect(tg).toMatchObject({ name: 'ValidationError', message: "The target group name '-web' cannot begin or end with a hyphen" });
    expect(tg.$metadata?.httpStatusCode).toBe(400);
    expect(proxy.hits['elbv2.load-balancer-name']).toBe(4);
    expect(proxy.hits['elbv2.target-group-name']).toBe(1);
  });

  it('security group names must not start with sg-; a valid one reaches moto', async () => {
    const { aws } = await layer({ only: ['ec2.security-group-name'] });
    const vpc = (await direct.ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }))).Vpc!.VpcId!;
    const err = await failure(aws.ec2.send(new CreateSecurityGroupCommand({ GroupName: 'sg-shop-lb', Description: 'x', VpcId: vpc })));
    expect(err).toMatchObject({
      name: 'InvalidParameterValue',
      message: 'Value (sg-shop-lb) for parameter GroupName is invalid. Group names may not be in the format sg-*.',
    });
    const ok = await aws.ec2.send(new CreateSecurityGroupCommand({ GroupName: 'shop-lb', Description: 'x', VpcId: vpc }));
    expect(ok.GroupId).toMatch(/^sg-/);
    const groups = await direct.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc] }] }));
    const names = groups.SecurityGroups!.map((g) => g.GroupName);
    expect(names).toContain('shop-lb');
    expect(names).not.toContain('sg-shop-lb');
  });

  it('IAM role (≤64, [\\w+=,.@-]) and instance profile (≤128) names', async () => {
    const { aws } = await layer({ only: ['iam.role-name', 'iam.instance-profile-name'] });
    const long = await failure(aws.iam.send(new CreateRoleCommand({ RoleName: 'r'.repeat(65), AssumeRolePolicyDocument: TRUST })));
    const lengthRule = "at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64";
    expect(long).toMatchObject({ name: 'ValidationError', message: expect.stringContaining(lengthRule) });
    const role = (RoleName: string, Path?: string) =>
      failure(aws.iam.send(new CreateRoleCommand({ RoleName, Path, AssumeRolePolicyDocument: TRUST })));
    expect((await role('shop web')).message).toMatch(/regular expression pattern/);
    expect((await role('ok', 'ecs-kit')).message).toMatch(/at 'path'/);
    const profile = await failure(aws.iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'p'.repeat(129) })));
    expect(profile.message).toMatch(/at 'instanceProfileName'.*less than or equal to 128/);
    const ok = await aws.iam.send(
      new CreateRoleCommand({ RoleName: 'r'.repeat(64), Path: '/ecs-kit/shop/', AssumeRolePolicyDocument: TRUST }),
    );
    expect(ok.Role?.RoleName).toHaveLength(64);
  });

  it('capacity provider names must not start with aws, ecs or fargate (any case)', async () => {
    const { aws } = await layer({ only: ['ecs.capacity-provider-name'] });
    for (const name of ['ecs-shop-ec2', 'Fargate-x', 'AWSome']) {
      const input = { name, autoScalingGroupProvider: { autoScalingGroupArn: 'arn:aws:autoscaling:x' } };
      const err = await failure(aws.ecs.send(new CreateCapacityProviderCommand(input)));
      expect(err, name).toMatchObject({
        name: 'ClientException',
        message: expect.stringContaining('The name cannot be prefixed with "aws", "ecs", or "fargate"'),
      });
    }
  });

  it('SSM parameter names: no aws/ssm prefix on the first segment, any case', async () => {
    const { aws } = await layer({ only: ['ssm.parameter-name'] });
    for (const Name of ['/awsome/default/TOKEN', 'SSM-thing', '/ssm/x']) {
      const err = await failure(aws.ssm.send(new PutParameterCommand({ Name, Value: 'v', Type: 'SecureString' })));
      expect(err, Name).toMatchObject({
        name: 'ValidationException',
        message: expect.stringContaining('can\'t be prefixed with "aws" or "ssm"'),
      });
    }
    await aws.ssm.send(new PutParameterCommand({ Name: '/shop/default/TOKEN', Value: 'v', Type: 'SecureString' }));
  });

  it('path-pattern values ≤128 characters', async () => {
    const { aws } = await layer({ only: ['elbv2.path-pattern-length'] });
    const err = await failure(
      aws.elb.send(
        new CreateRuleCommand({
          ListenerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/x/1/2',
          Priority: 1,
          Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: [`/${'a'.repeat(126)}/*`] } }],
          Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }],
        }),
      ),
    );
    expect(err).toMatchObject({ name: 'ValidationError', message: expect.stringContaining('cannot be longer than 128 characters') });
  });

  it('log retention in the allowed set, log group name charset; refused calls never reach moto', async () => {
    const { aws } = await layer({ only: ['logs.retention', 'logs.group-name'] });
    const bad = await failure(aws.logs.send(new CreateLogGroupCommand({ logGroupName: 'bad name!' })));
    expect(bad).toMatchObject({ name: 'InvalidParameterException', message: expect.stringContaining('regular expression pattern') });
    await aws.logs.send(new CreateLogGroupCommand({ logGroupName: '/ecs/strict/web' }));
    const ret = await failure(aws.logs.send(new PutRetentionPolicyCommand({ logGroupName: '/ecs/strict/web', retentionInDays: 31 })));
    expect(ret).toMatchObject({ name: 'InvalidParameterException', message: expect.stringContaining("Value '31' at 'retentionInDays'") });
    await aws.logs.send(new PutRetentionPolicyCommand({ logGroupName: '/ecs/strict/web', retentionInDays: 30 }));
    const groups = (await direct.logs.send(new DescribeLogGroupsCommand({}))).logGroups!;
    expect(groups.map((g) => g.logGroupName)).not.toContain('bad name!');
    expect(groups.find((g) => g.logGroupName === '/ecs/strict/web')?.retentionInDays).toBe(30);
  });

  it('RunTask startedBy charset, clientToken lengths, launchType with a strategy', async () => {
    const { aws } = await layer({ only: ['ecs.run-task-started-by', 'ecs.client-token', 'ecs.launch-type-and-strategy'] });
    const run = (extra: object) => failure(aws.ecs.send(new RunTaskCommand({ cluster: 'c', taskDefinition: 'td:1', ...extra })));
    const startedBy = await run({ startedBy: 'ecs-kit run-task' });
    expect(startedBy).toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining("startedBy 'ecs-kit run-task' is invalid"),
    });
    expect((await run({ clientToken: 't'.repeat(65) })).message).toMatch(/up to 64 ASCII characters/);
    const svc = (extra: object) =>
      failure(aws.ecs.send(new CreateServiceCommand({ cluster: 'c', serviceName: 's', taskDefinition: 'td:1', ...extra })));
    expect((await svc({ clientToken: 't'.repeat(37) })).message).toMatch(/up to 36 ASCII characters/);
    expect(await svc({ launchType: 'FARGATE', capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] })).toMatchObject(
      {
        name: 'InvalidParameterException',
        message: 'Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.',
      },
    );
  });

  it('Fargate task definitions: valid cpu/memory pair, task-level sizes, awsvpc', async () => {
    const { aws } = await layer({ only: ['ecs.fargate-task-definition'] });
    const td = (extra: object) =>
      aws.ecs.send(
        new RegisterTaskDefinitionCommand({
          family: 'strict-td',
          requiresCompatibilities: ['FARGATE'],
          networkMode: 'awsvpc',
          cpu: '256',
          memory: '512',
          containerDefinitions: [{ name: 'web', image: 'nginx' }],
          ...extra,
        }),
      );
    expect(await failure(td({ memory: '4096' }))).toMatchObject({
      name: 'ClientException',
      message:
        'No Fargate configuration exists for given values: 256 CPU, 4096 memory. See the Amazon ECS documentation for the valid values.',
    });
    expect((await failure(td({ cpu: undefined }))).message).toBe("Fargate requires that 'cpu' be defined at the task level.");
    expect((await failure(td({ networkMode: 'bridge' }))).message).toMatch(/must use the awsvpc network mode/);
    expect((await td({ cpu: '1 vCPU', memory: '3 GB' })).taskDefinition?.revision).toBe(1);
    expect((await td({ cpu: '16384', memory: '122880' })).taskDefinition?.revision).toBe(2);
  });

  it('Scheduler expressions and names, SQS queue names (what moto accepts and AWS does not)', async () => {
    const { aws, proxy } = await layer({ only: ['scheduler.schedule-expression', 'scheduler.name', 'sqs.queue-name'] });
    const target = { Arn: 'arn:aws:ecs:us-east-1:123456789012:cluster/shop', RoleArn: 'arn:aws:iam::123456789012:role/x' };
    const schedule = (ScheduleExpression: string, Name = 'nightly', Target: typeof target | { Arn: string } = target) =>
      aws.scheduler.send(
        new CreateScheduleCommand({ Name, ScheduleExpression, FlexibleTimeWindow: { Mode: 'OFF' }, Target: Target as typeof target }),
      );
    // Five-field cron (Unix style), both day fields set, and a unit AWS does not have.
    for (const bad of ['cron(0 3 * * *)', 'cron(0 3 * * MON *)', 'rate(1 week)']) {
      expect(await failure(schedule(bad)), bad).toMatchObject({
        name: 'ValidationException',
        message: `Invalid Schedule Expression ${bad}.`,
      });
    }
    expect((await failure(schedule('rate(1 day)', 'shop/nightly'))).message).toMatch(/failed to satisfy constraint/);
    expect((await failure(schedule('rate(1 day)', 'nightly', { Arn: target.Arn }))).message).toBe('Target Arn and RoleArn are required.');
    expect((await failure(aws.scheduler.send(new CreateScheduleGroupCommand({ Name: 'a'.repeat(65) })))).name).toBe('ValidationException');
    const queue = (QueueName: string) => aws.sqs.send(new CreateQueueCommand({ QueueName }));
    expect(await failure(queue('shop.jobs'))).toMatchObject({ name: 'InvalidParameterValue' });
    expect((await failure(queue('q'.repeat(81)))).name).toBe('InvalidParameterValue');
    expect((await queue('shop-default-jobs')).QueueUrl).toMatch(/shop-default-jobs$/);
    expect(proxy.hits).toMatchObject({ 'scheduler.schedule-expression': 3, 'scheduler.name': 3, 'sqs.queue-name': 2 });
  });

  it('records every call (refused ones too) with what was sent, and which rule answered', async () => {
    const { aws, proxy } = await layer();
    await failure(aws.ecs.send(new RunTaskCommand({ cluster: 'c', taskDefinition: 'td:1', startedBy: 'a b', launchType: 'FARGATE' })));
    await aws.logs.send(new DescribeLogGroupsCommand({}));
    expect(proxy.calls).toEqual([
      { service: 'ecs', operation: 'RunTask', mutating: true },
      { service: 'logs', operation: 'DescribeLogGroups', mutating: false },
    ]);
    expect(proxy.sentOf('RunTask')).toEqual([
      expect.objectContaining({
        params: expect.objectContaining({ launchType: 'FARGATE', startedBy: 'a b' }),
        answeredBy: 'ecs.run-task-started-by',
        error: 'InvalidParameterException',
      }),
    ]);
    proxy.clear();
    expect(proxy.calls).toEqual([]);
    expect(proxy.sent).toEqual([]);
    expect(proxy.hits['ecs.run-task-started-by']).toBe(1);
  });

  it('a rule switched off (by option or ECS_KIT_STRICT_OFF) lets the call through to moto; unknown ids fail loudly', async () => {
    const { aws, proxy } = await layer({ off: ['logs.retention'] });
    expect(proxy.enabled.has('logs.retention')).toBe(false);
    await aws.logs.send(new CreateLogGroupCommand({ logGroupName: '/ecs/strict/off' }));
    await aws.logs.send(new PutRetentionPolicyCommand({ logGroupName: '/ecs/strict/off', retentionInDays: 31 })); // moto accepts it
    process.env.ECS_KIT_STRICT_OFF = 'logs.group-name';
    try {
      const { proxy: p2 } = await layer();
      expect([...p2.enabled]).toEqual(ruleIds().filter((id) => id !== 'logs.group-name'));
      process.env.ECS_KIT_STRICT_OFF = 'all';
      const { proxy: p3 } = await layer();
      expect(p3.enabled.size).toBe(0);
    } finally {
      delete process.env.ECS_KIT_STRICT_OFF;
    }
    await expect(startStrictProxy(moto.endpoint, { off: ['no.such-rule'] })).rejects.toThrow(/unknown rule id\(s\) in off.*no\.such-rule/);
  });
});
