import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PendingDependency } from '../../../src/engine/types.js';
import { securityGroupStep } from '../../../src/steps/security-group/index.js';
import type { LoadBalancerState } from '../../../src/steps/load-balancer/index.js';
import type { NetworkState } from '../../../src/steps/network/index.js';
import { commandNames, strict } from '../../helpers/aws-mock.js';
import { OWNER_TAGS, config, stepContext } from '../../helpers/context.js';

const ec2 = mockClient(EC2Client);
beforeEach(() => {
  ec2.reset();
  strict(ec2);
});
afterEach(() => {
  vi.useRealTimers();
});

const awsError = (name: string) => Object.assign(new Error(name), { name });

const CONFIG = config(`
app: shop
services:
  web: { image: nginx, port: 8080 }
  worker: { image: busybox }
`);
const NETWORK = { vpcId: 'vpc-1', publicSubnetIds: ['subnet-1', 'subnet-2'] } as NetworkState;
const LB = { securityGroupId: 'sg-lb', loadBalancerArn: 'arn:lb', listenerArn: 'arn:l' } as LoadBalancerState;
const webTags = [
  ...OWNER_TAGS,
  { Key: 'ecs-kit:resource', Value: 'service-security-group:web' },
  { Key: 'Name', Value: 'shop-default-web' },
];

const ctxFor = (scope: string, cfg = CONFIG, deps: Record<string, object> = { network: NETWORK, 'load-balancer': LB }) =>
  stepContext(securityGroupStep, { scope, config: cfg, deps });

const fromLb = (port: number, extra = {}): IpPermission => ({
  IpProtocol: 'tcp',
  FromPort: port,
  ToPort: port,
  UserIdGroupPairs: [{ GroupId: 'sg-lb', UserId: '123456789012', ...extra }],
  IpRanges: [],
});

function existing(perms: IpPermission[], tags = webTags) {
  ec2
    .on(DescribeSecurityGroupsCommand)
    .resolves({ SecurityGroups: [{ GroupId: 'sg-web', GroupName: 'shop-default-web', VpcId: 'vpc-1', Tags: tags, IpPermissions: perms }] });
}

describe('security-group step', () => {
  it('has one instance per service; public ones wait for the load balancer', () => {
    expect(securityGroupStep.instances(CONFIG)).toEqual([
      { scope: 'web', dependsOn: ['network', 'load-balancer'] },
      { scope: 'worker', dependsOn: ['network'] },
    ]);
  });

  it('creates a group that admits the service port only from the load balancer group', async () => {
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
    ec2.on(CreateSecurityGroupCommand).resolves({ GroupId: 'sg-web' });
    ec2.on(AuthorizeSecurityGroupIngressCommand).resolves({ Return: true });
    const ctx = ctxFor('web');
    const plan = await securityGroupStep.plan(ctx);
    expect(plan).toMatchObject({
      action: 'create',
      changes: [
        { field: 'securityGroup', after: 'shop-default-web' },
        { field: 'ingress', after: ['tcp 8080 from sg-lb'] },
      ],
    });
    expect(await securityGroupStep.apply(ctx, plan)).toEqual({ groupId: 'sg-web' });

    expect(ec2.commandCalls(DescribeSecurityGroupsCommand)[0]!.args[0].input.Filters).toEqual([
      { Name: 'vpc-id', Values: ['vpc-1'] },
      { Name: 'group-name', Values: ['shop-default-web'] },
    ]);
    expect(ec2.commandCalls(CreateSecurityGroupCommand)[0]!.args[0].input).toMatchObject({
      GroupName: 'shop-default-web',
      VpcId: 'vpc-1',
      TagSpecifications: [{ ResourceType: 'security-group', Tags: webTags }],
    });
    const perms = ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)[0]!.args[0].input.IpPermissions!;
    expect(perms).toEqual([
      {
        IpProtocol: 'tcp',
        FromPort: 8080,
        ToPort: 8080,
        UserIdGroupPairs: [{ GroupId: 'sg-lb', Description: 'from the ecs-kit load balancer' }],
      },
    ]);
    expect(JSON.stringify(perms)).not.toContain('0.0.0.0/0');
  });

  it('creates a worker group with no ingress and without needing the load balancer', async () => {
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
    ec2.on(CreateSecurityGroupCommand).resolves({ GroupId: 'sg-worker' });
    const ctx = ctxFor('worker', CONFIG, { network: NETWORK });
    const plan = await securityGroupStep.plan(ctx);
    expect(plan.changes).toEqual([{ field: 'securityGroup', after: 'shop-default-worker' }]);
    await securityGroupStep.apply(ctx, plan);
    expect(commandNames(ec2)).toEqual(['DescribeSecurityGroups', 'CreateSecurityGroup']);
  });

  it('waits for the network and for the load balancer group', async () => {
    await expect(securityGroupStep.plan(ctxFor('web', CONFIG, {}))).rejects.toBeInstanceOf(PendingDependency);
    await expect(securityGroupStep.plan(ctxFor('web', CONFIG, { network: NETWORK }))).rejects.toMatchObject({
      dependency: 'load-balancer',
    });
    await expect(
      securityGroupStep.plan(ctxFor('web', CONFIG, { network: NETWORK, 'load-balancer': { ...LB, securityGroupId: '' } })),
    ).rejects.toBeInstanceOf(PendingDependency);
    expect(commandNames(ec2)).toEqual([]);
  });

  it('plans no change for matching rules, even with a duplicated group-pair rule', async () => {
    existing([{ ...fromLb(8080), UserIdGroupPairs: [{ GroupId: 'sg-lb', Description: 'x' }, { GroupId: 'sg-lb' }] }]);
    const plan = await securityGroupStep.plan(ctxFor('web'));
    expect(plan).toMatchObject({ action: 'noop', changes: [], current: { groupId: 'sg-web' } });
    expect(commandNames(ec2)).toEqual(['DescribeSecurityGroups']);
  });

  it('treats "6" and "tcp" as the same protocol', async () => {
    existing([{ ...fromLb(8080), IpProtocol: '6' }]);
    expect((await securityGroupStep.plan(ctxFor('web'))).action).toBe('noop');
  });

  it('on a port change revokes the old rule before authorizing the new one', async () => {
    existing([fromLb(80, { Description: 'from the ecs-kit load balancer' })]);
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
    ec2.on(AuthorizeSecurityGroupIngressCommand).resolves({ Return: true });
    const ctx = ctxFor('web');
    const plan = await securityGroupStep.plan(ctx);
    expect(plan).toMatchObject({
      action: 'update',
      changes: [{ field: 'ingress', before: ['tcp 80 from sg-lb'], after: ['tcp 8080 from sg-lb'] }],
    });
    ec2.resetHistory();
    expect(await securityGroupStep.apply(ctx, plan)).toEqual({ groupId: 'sg-web' });
    expect(commandNames(ec2)).toEqual(['RevokeSecurityGroupIngress', 'AuthorizeSecurityGroupIngress']);
    expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand)[0]!.args[0].input).toEqual({
      GroupId: 'sg-web',
      IpPermissions: [
        {
          IpProtocol: 'tcp',
          FromPort: 80,
          ToPort: 80,
          UserIdGroupPairs: [{ GroupId: 'sg-lb', Description: 'from the ecs-kit load balancer' }],
        },
      ],
    });
    expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)[0]!.args[0].input.IpPermissions![0]).toMatchObject({
      FromPort: 8080,
      ToPort: 8080,
    });
  });

  it('revokes a rule that opens the service to the internet, and all ingress of a worker', async () => {
    existing([fromLb(8080), { IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }]);
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
    const ctx = ctxFor('web');
    const plan = await securityGroupStep.plan(ctx);
    ec2.resetHistory();
    await securityGroupStep.apply(ctx, plan);
    expect(commandNames(ec2)).toEqual(['RevokeSecurityGroupIngress']);
    expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand)[0]!.args[0].input.IpPermissions).toEqual([
      { IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
    ]);

    // A service that lost its port becomes a worker: nothing may reach it.
    existing([fromLb(8080), { IpProtocol: '-1', IpRanges: [{ CidrIp: '10.0.0.0/16' }] }]);
    const workerCtx = ctxFor('web', config('app: shop\nservices: { web: { image: nginx } }'), { network: NETWORK });
    const workerPlan = await securityGroupStep.plan(workerCtx);
    expect(workerPlan.changes).toEqual([{ field: 'ingress', before: ['tcp 8080 from sg-lb', 'all traffic from 10.0.0.0/16'], after: [] }]);
  });

  it('refuses to adopt a group with our name that ecs-kit did not create', async () => {
    existing([], [{ Key: 'Name', Value: 'shop-default-web' }]);
    await expect(securityGroupStep.plan(ctxFor('web'))).rejects.toThrow(/security group named shop-default-web .*not created by ecs-kit/);
  });
});

describe('security-group apply: EC2 eventual consistency (#16)', () => {
  it('retries InvalidGroup.NotFound on the group it just created, with a progress line', async () => {
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
    ec2.on(CreateSecurityGroupCommand).resolves({ GroupId: 'sg-web' });
    ec2
      .on(AuthorizeSecurityGroupIngressCommand)
      .rejectsOnce(awsError('InvalidGroup.NotFound'))
      .rejectsOnce(awsError('InvalidGroupId.NotFound'))
      .resolves({ Return: true });
    vi.useFakeTimers();
    const ctx = ctxFor('web');
    ctx.options.propagationRetryMs = 60_000;
    const plan = await securityGroupStep.plan(ctx);
    const p = securityGroupStep.apply(ctx, plan);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await p).toEqual({ groupId: 'sg-web' });
    expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)).toHaveLength(3);
    expect(ctx.messages).toContain('waiting for AWS to make sg-web visible (eventual consistency)');
  });

  it('does not retry when the group was read from AWS: then "not found" means it is gone', async () => {
    existing([fromLb(80)]);
    ec2.on(RevokeSecurityGroupIngressCommand).rejects(awsError('InvalidGroup.NotFound'));
    const ctx = ctxFor('web');
    ctx.options.propagationRetryMs = 60_000;
    const plan = await securityGroupStep.plan(ctx);
    await expect(securityGroupStep.apply(ctx, plan)).rejects.toThrow('InvalidGroup.NotFound');
    expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand)).toHaveLength(1);
  });
});

describe('security-group destroy', () => {
  it('deletes the group it owns', async () => {
    existing([]);
    ec2.on(DeleteSecurityGroupCommand).resolves({});
    await securityGroupStep.destroy(ctxFor('web'), { groupId: 'sg-web' });
    expect(ec2.commandCalls(DescribeSecurityGroupsCommand)[0]!.args[0].input).toEqual({ GroupIds: ['sg-web'] });
    expect(ec2.commandCalls(DeleteSecurityGroupCommand)[0]!.args[0].input).toEqual({ GroupId: 'sg-web' });
  });

  it('treats an already-deleted group as deleted', async () => {
    ec2.on(DescribeSecurityGroupsCommand).rejects(awsError('InvalidGroup.NotFound'));
    await securityGroupStep.destroy(ctxFor('web'), { groupId: 'sg-web' });
    expect(commandNames(ec2)).toEqual(['DescribeSecurityGroups']);
  });

  it('leaves a group whose tags say someone else owns it', async () => {
    existing(
      [],
      [
        { Key: 'ecs-kit:app', Value: 'other' },
        { Key: 'ecs-kit:env', Value: 'default' },
      ],
    );
    const ctx = ctxFor('web');
    await securityGroupStep.destroy(ctx, { groupId: 'sg-web' });
    expect(ctx.warningCodes).toEqual(['teardown.not-owned']);
    expect(ctx.warnings[0]).toContain('security group of service web (sg-web)');
    expect(commandNames(ec2)).toEqual(['DescribeSecurityGroups']);
  });

  it('retries while task ENIs still use the group, and counts a NotFound on delete as done', async () => {
    existing([]);
    ec2.on(DeleteSecurityGroupCommand).rejectsOnce(awsError('DependencyViolation')).rejects(awsError('InvalidGroup.NotFound'));
    vi.useFakeTimers();
    const ctx = ctxFor('web');
    ctx.options.destroyRetryMs = 60_000;
    const p = securityGroupStep.destroy(ctx, { groupId: 'sg-web' });
    await vi.advanceTimersByTimeAsync(2_500);
    await p;
    expect(ec2.commandCalls(DeleteSecurityGroupCommand)).toHaveLength(2);
    expect(ctx.messages).toEqual([
      expect.stringMatching(
        /^waiting for AWS to release security group of service web \(sg-web\) before deleting it \(DependencyViolation, 0 s so far\)$/,
      ),
    ]);
  });

  it('gives up after destroyRetryMs with the dependency error, having said what it waits for', async () => {
    existing([]);
    ec2.on(DeleteSecurityGroupCommand).rejects(awsError('DependencyViolation'));
    vi.useFakeTimers();
    const ctx = ctxFor('web');
    ctx.options.destroyRetryMs = 20_000;
    const p = securityGroupStep.destroy(ctx, { groupId: 'sg-web' });
    const assertion = expect(p).rejects.toThrow('DependencyViolation');
    await vi.advanceTimersByTimeAsync(60_000);
    await assertion;
    // Tries at 0, 2, 6 and 14 s; another 16 s would pass the 20 s bound.
    expect(ec2.commandCalls(DeleteSecurityGroupCommand)).toHaveLength(4);
    expect(ctx.messages).toHaveLength(3);
    expect(ctx.messages.at(-1)).toMatch(/DependencyViolation, 6 s so far\)$/);
  });
});
