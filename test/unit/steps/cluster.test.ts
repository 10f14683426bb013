import {
  CreateClusterCommand,
  DeleteClusterCommand,
  DescribeClustersCommand,
  ECSClient,
  PutClusterCapacityProvidersCommand,
  UpdateClusterSettingsCommand,
} from '@aws-sdk/client-ecs';
import { CreateServiceLinkedRoleCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { clusterStep } from '../../../src/steps/cluster/index.js';
import { commandNames, strict } from '../../helpers/aws-mock.js';
import { OWNER_TAGS_ECS, config, stepContext } from '../../helpers/context.js';

const ecs = mockClient(ECSClient);
const iam = mockClient(IAMClient);
beforeEach(() => {
  ecs.reset();
  strict(ecs);
  iam.reset();
  strict(iam);
  iam
    .on(GetRoleCommand)
    .resolves({ Role: { RoleName: 'AWSServiceRoleForECS', Arn: 'arn:slr', Path: '/', RoleId: 'x', CreateDate: new Date() } });
});
afterEach(() => {
  vi.useRealTimers();
});

const awsError = (name: string, message = name) => Object.assign(new Error(message), { name });
const SLR_NOT_READY =
  'CreateCluster Invalid Request: Unable to assume the service linked role. Please verify that the ECS service linked role exists.';

const existing = (insights = 'disabled', tags = OWNER_TAGS_ECS) => ({
  clusters: [
    {
      clusterName: 'shop-default',
      clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/shop-default',
      status: 'ACTIVE',
      tags,
      settings: [{ name: 'containerInsights' as const, value: insights }],
    },
  ],
});

describe('cluster step', () => {
  it('creates a tagged cluster when none exists', async () => {
    ecs.on(DescribeClustersCommand).resolves({ clusters: [], failures: [{ reason: 'MISSING' }] });
    ecs.on(CreateClusterCommand).resolves({ cluster: { clusterName: 'shop-default', clusterArn: 'arn:c' } });
    const ctx = stepContext(clusterStep);
    const plan = await clusterStep.plan(ctx);
    expect(plan.action).toBe('create');
    const state = await clusterStep.apply(ctx, plan);
    expect(state).toEqual({ clusterName: 'shop-default', clusterArn: 'arn:c' });
    const input = ecs.commandCalls(CreateClusterCommand)[0]!.args[0].input;
    expect(input.clusterName).toBe('shop-default');
    expect(input.tags).toEqual(OWNER_TAGS_ECS);
    expect(input.settings).toEqual([{ name: 'containerInsights', value: 'disabled' }]);
    expect(commandNames(iam)).toEqual(['GetRole']);
  });

  it('creates the ECS service-linked role in a fresh account, and retries CreateCluster while ECS cannot assume it yet', async () => {
    vi.useFakeTimers();
    iam.on(GetRoleCommand).rejects(awsError('NoSuchEntityException'));
    iam.on(CreateServiceLinkedRoleCommand).resolves({});
    ecs
      .on(CreateClusterCommand)
      .rejectsOnce(awsError('InvalidParameterException', SLR_NOT_READY))
      .resolves({ cluster: { clusterName: 'shop-default', clusterArn: 'arn:c' } });
    const ctx = stepContext(clusterStep);
    ctx.options.propagationRetryMs = 60_000;
    const p = clusterStep.apply(ctx, { action: 'create', changes: [] });
    await vi.advanceTimersByTimeAsync(1_500);
    expect(await p).toEqual({ clusterName: 'shop-default', clusterArn: 'arn:c' });
    expect(iam.commandCalls(CreateServiceLinkedRoleCommand)[0]!.args[0].input).toEqual({ AWSServiceName: 'ecs.amazonaws.com' });
    expect(ecs.commandCalls(CreateClusterCommand)).toHaveLength(2);
    expect(ctx.messages.join('\n')).toMatch(/created the service-linked role AWSServiceRoleForECS/);
  });

  it('never repeats CreateCluster on any other error (a repeat may reset an existing cluster)', async () => {
    ecs.on(CreateClusterCommand).rejects(awsError('InvalidParameterException', 'bad settings'));
    const ctx = stepContext(clusterStep);
    ctx.options.propagationRetryMs = 60_000;
    await expect(clusterStep.apply(ctx, { action: 'create', changes: [] })).rejects.toThrow('bad settings');
    expect(ecs.commandCalls(CreateClusterCommand)).toHaveLength(1);
  });

  it('still creates the cluster when the deployer may not read service-linked roles', async () => {
    iam.on(GetRoleCommand).rejects(awsError('AccessDenied'));
    ecs.on(CreateClusterCommand).resolves({ cluster: { clusterName: 'shop-default', clusterArn: 'arn:c' } });
    const ctx = stepContext(clusterStep);
    expect(await clusterStep.apply(ctx, { action: 'create', changes: [] })).toEqual({ clusterName: 'shop-default', clusterArn: 'arn:c' });
    expect(ctx.messages.join('\n')).toMatch(/could not check the service-linked role AWSServiceRoleForECS/);
  });

  it('attaches the Fargate providers to an older cluster without them: every Fargate service uses the FARGATE provider', async () => {
    ecs
      .on(DescribeClustersCommand)
      .resolves({ clusters: [{ ...existing().clusters[0]!, capacityProviders: [], defaultCapacityProviderStrategy: [] }] });
    ecs.on(PutClusterCapacityProvidersCommand).resolves({});
    const ctx = stepContext(clusterStep);
    const plan = await clusterStep.plan(ctx);
    expect(plan).toMatchObject({
      action: 'update',
      changes: [{ field: 'capacityProviders', before: [], after: ['FARGATE', 'FARGATE_SPOT'] }],
    });
    await clusterStep.apply(ctx, plan);
    expect(ecs.commandCalls(PutClusterCapacityProvidersCommand)[0]!.args[0].input).toEqual({
      cluster: 'shop-default',
      capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
      defaultCapacityProviderStrategy: [],
    });
    expect(commandNames(iam)).toEqual([]);
  });

  it('leaves the providers alone for EC2-only configs, and when the answer does not list them', async () => {
    ecs
      .on(DescribeClustersCommand)
      .resolvesOnce({ clusters: [{ ...existing().clusters[0]!, capacityProviders: ['shop-default-ec2'] }] })
      .resolves(existing());
    const ec2Only = config('app: shop\nec2: { instanceType: t3.small }\nservices: { web: { image: nginx, port: 80, capacity: ec2 } }');
    expect((await clusterStep.plan(stepContext(clusterStep, { config: ec2Only }))).action).toBe('noop');
    expect((await clusterStep.plan(stepContext(clusterStep))).action).toBe('noop');
  });

  it('plans no change and makes only a describe call when the cluster matches', async () => {
    ecs.on(DescribeClustersCommand).resolves(existing());
    const plan = await clusterStep.plan(stepContext(clusterStep));
    expect(plan.action).toBe('noop');
    expect(plan.current?.clusterName).toBe('shop-default');
    expect(commandNames(ecs)).toEqual(['DescribeClusters']);
  });

  it('treats an INACTIVE cluster as missing', async () => {
    ecs.on(DescribeClustersCommand).resolves({ clusters: [{ clusterName: 'shop-default', status: 'INACTIVE' }] });
    expect((await clusterStep.plan(stepContext(clusterStep))).action).toBe('create');
  });

  it('updates Container Insights when the config changes it', async () => {
    ecs.on(DescribeClustersCommand).resolves(existing('disabled'));
    ecs.on(UpdateClusterSettingsCommand).resolves({});
    const ctx = stepContext(clusterStep, {
      config: config('app: shop\ncluster: { containerInsights: true }\nservices: { web: { image: nginx, port: 80 } }'),
    });
    const plan = await clusterStep.plan(ctx);
    expect(plan).toMatchObject({ action: 'update', changes: [{ field: 'containerInsights', before: 'disabled', after: 'enabled' }] });
    await clusterStep.apply(ctx, plan);
    expect(ecs.commandCalls(UpdateClusterSettingsCommand)[0]!.args[0].input.settings).toEqual([
      { name: 'containerInsights', value: 'enabled' },
    ]);
  });

  it('refuses to adopt a cluster with the same name that ecs-kit did not create', async () => {
    ecs.on(DescribeClustersCommand).resolves(existing('disabled', []));
    await expect(clusterStep.plan(stepContext(clusterStep))).rejects.toThrow(/was not created by ecs-kit/);
  });

  it('deletes the cluster it owns, and treats an already-gone cluster as deleted', async () => {
    ecs.on(DescribeClustersCommand).resolvesOnce(existing()).resolves({ clusters: [] });
    ecs.on(DeleteClusterCommand).resolves({});
    const ctx = stepContext(clusterStep);
    await clusterStep.destroy(ctx, { clusterName: 'shop-default', clusterArn: 'arn:c' });
    await clusterStep.destroy(ctx, { clusterName: 'shop-default', clusterArn: 'arn:c' });
    expect(ecs.commandCalls(DeleteClusterCommand)).toHaveLength(1);
  });

  it('leaves a cluster alone at teardown when its tags say someone else owns it', async () => {
    ecs.on(DescribeClustersCommand).resolves(existing('disabled', [{ key: 'ecs-kit:app', value: 'other' }]));
    const ctx = stepContext(clusterStep);
    await clusterStep.destroy(ctx, { clusterName: 'shop-default', clusterArn: 'arn:c' });
    expect(ctx.warningCodes).toEqual(['teardown.not-owned']);
    expect(commandNames(ecs)).toEqual(['DescribeClusters']);
  });

  it('retries while services still drain, then deletes', async () => {
    ecs.on(DescribeClustersCommand).resolves(existing());
    ecs
      .on(DeleteClusterCommand)
      .rejectsOnce(Object.assign(new Error('services'), { name: 'ClusterContainsServicesException' }))
      .resolves({});
    const ctx = stepContext(clusterStep);
    ctx.options.destroyRetryMs = 60_000;
    // first retry delay is 2s; keep the test fast by shrinking it through fake timers
    const { vi } = await import('vitest');
    vi.useFakeTimers();
    const p = clusterStep.destroy(ctx, { clusterName: 'shop-default', clusterArn: 'arn:c' });
    await vi.advanceTimersByTimeAsync(2_500);
    await p;
    vi.useRealTimers();
    expect(ecs.commandCalls(DeleteClusterCommand)).toHaveLength(2);
  });
});
