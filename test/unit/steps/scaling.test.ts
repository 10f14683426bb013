import {
  ApplicationAutoScalingClient,
  DeleteScalingPolicyCommand,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
  type ScalingPolicy,
} from '@aws-sdk/client-application-auto-scaling';
import { CreateServiceLinkedRoleCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PendingDependency } from '../../../src/engine/types.js';
import { scalingStep } from '../../../src/steps/scaling/index.js';
import { commandNames, strict } from '../../helpers/aws-mock.js';
import { config, stepContext } from '../../helpers/context.js';

const aas = mockClient(ApplicationAutoScalingClient);
const iam = mockClient(IAMClient);
beforeEach(() => {
  aas.reset();
  strict(aas);
  iam.reset();
  strict(iam);
  iam.on(GetRoleCommand).resolves({
    Role: {
      RoleName: 'AWSServiceRoleForApplicationAutoScaling_ECSService',
      Arn: 'arn:slr',
      Path: '/',
      RoleId: 'x',
      CreateDate: new Date(),
    },
  });
});
afterEach(() => {
  vi.useRealTimers();
});

const YAML = 'app: shop\nservices: { web: { image: nginx, port: 80, desiredCount: 2, autoscaling: { min: 1, max: 4, targetCpu: 50 } } }';
const RESOURCE = 'service/shop-default/web';
const POLICY_ARN =
  'arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:abc:resource/ecs/service/shop-default/web:policyName/shop-default-web-cpu';
const IDS = { ServiceNamespace: 'ecs', ResourceId: RESOURCE, ScalableDimension: 'ecs:service:DesiredCount' };

const ctxFor = (yaml = YAML) =>
  stepContext(scalingStep, {
    scope: 'web',
    config: config(yaml),
    deps: { 'service:web': { clusterName: 'shop-default', serviceName: 'web', serviceArn: 'arn:svc', taskDefinitionArn: 'arn:td' } },
  });

const target = (min = 1, max = 4) =>
  ({ ScalableTargets: [{ ...IDS, MinCapacity: min, MaxCapacity: max, RoleARN: 'arn:role', CreationTime: new Date() }] }) as never;
const policy = (over: Partial<NonNullable<ScalingPolicy['TargetTrackingScalingPolicyConfiguration']>> = {}) =>
  ({
    ScalingPolicies: [
      {
        ...IDS,
        PolicyARN: POLICY_ARN,
        PolicyName: 'shop-default-web-cpu',
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: {
          TargetValue: 50,
          PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
          ScaleInCooldown: 60,
          ScaleOutCooldown: 60,
          ...over,
        },
        CreationTime: new Date(),
      },
    ],
  }) as never;
const notFound = () => Object.assign(new Error('gone'), { name: 'ObjectNotFoundException' });

describe('scaling step', () => {
  it('has one instance per service with autoscaling, after that service', () => {
    const cfg = config(
      'app: shop\nservices: { web: { image: nginx, port: 80, autoscaling: { min: 1, max: 2 } }, worker: { image: busybox } }',
    );
    expect(scalingStep.instances(cfg)).toEqual([{ scope: 'web', dependsOn: ['service:web'] }]);
  });

  it('waits for the service while planning a fresh environment', async () => {
    const ctx = stepContext(scalingStep, { scope: 'web', config: config(YAML) });
    await expect(scalingStep.plan(ctx)).rejects.toBeInstanceOf(PendingDependency);
  });

  it('registers a tagged scalable target and a CPU target-tracking policy', async () => {
    aas.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
    aas.on(RegisterScalableTargetCommand).resolves({});
    aas.on(PutScalingPolicyCommand).resolves({ PolicyARN: POLICY_ARN });
    const ctx = ctxFor();
    const plan = await scalingStep.plan(ctx);
    expect(plan.action).toBe('create');
    const state = await scalingStep.apply(ctx, plan);
    expect(state).toEqual({ resourceId: RESOURCE, policyName: 'shop-default-web-cpu', policyArn: POLICY_ARN });
    expect(aas.commandCalls(RegisterScalableTargetCommand)[0]!.args[0].input).toEqual({
      ...IDS,
      MinCapacity: 1,
      MaxCapacity: 4,
      Tags: { 'ecs-kit:app': 'shop', 'ecs-kit:env': 'default' },
    });
    expect(aas.commandCalls(PutScalingPolicyCommand)[0]!.args[0].input).toEqual({
      ...IDS,
      PolicyName: 'shop-default-web-cpu',
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: 50,
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        ScaleInCooldown: 60,
        ScaleOutCooldown: 60,
      },
    });
    expect(commandNames(aas)).toEqual(['DescribeScalableTargets', 'RegisterScalableTarget', 'PutScalingPolicy']);
    expect(iam.commandCalls(GetRoleCommand)[0]!.args[0].input).toEqual({ RoleName: 'AWSServiceRoleForApplicationAutoScaling_ECSService' });
  });

  it('creates the Application Auto Scaling service-linked role first, and retries the first target while it cannot be assumed yet', async () => {
    vi.useFakeTimers();
    iam.on(GetRoleCommand).rejects(Object.assign(new Error('no role'), { name: 'NoSuchEntityException' }));
    iam.on(CreateServiceLinkedRoleCommand).resolves({});
    aas.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
    // The text AWS returns while the new role propagates (aws-samples/amazon-bedrock-samples#253).
    const notYet = Object.assign(
      new Error(
        'Unable to assume IAM role: arn:aws:iam::123456789012:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService',
      ),
      { name: 'ValidationException' },
    );
    aas.on(RegisterScalableTargetCommand).rejectsOnce(notYet).resolves({});
    aas.on(PutScalingPolicyCommand).resolves({ PolicyARN: POLICY_ARN });
    const ctx = ctxFor();
    ctx.options.propagationRetryMs = 60_000;
    const p = scalingStep.apply(ctx, await scalingStep.plan(ctx));
    await vi.advanceTimersByTimeAsync(1_500);
    expect((await p).policyArn).toBe(POLICY_ARN);
    expect(iam.commandCalls(CreateServiceLinkedRoleCommand)[0]!.args[0].input).toEqual({
      AWSServiceName: 'ecs.application-autoscaling.amazonaws.com',
    });
    expect(commandNames(aas)).toEqual(['DescribeScalableTargets', 'RegisterScalableTarget', 'RegisterScalableTarget', 'PutScalingPolicy']);
  });

  it('plans no change, with only describe calls, when target and policy match', async () => {
    aas.on(DescribeScalableTargetsCommand).resolves(target());
    aas.on(DescribeScalingPoliciesCommand).resolves(policy());
    const plan = await scalingStep.plan(ctxFor());
    expect(plan.action).toBe('noop');
    expect(plan.current).toEqual({ resourceId: RESOURCE, policyName: 'shop-default-web-cpu', policyArn: POLICY_ARN });
    expect(commandNames(aas)).toEqual(['DescribeScalableTargets', 'DescribeScalingPolicies']);
    expect(aas.commandCalls(DescribeScalableTargetsCommand)[0]!.args[0].input).toEqual({
      ServiceNamespace: 'ecs',
      ResourceIds: [RESOURCE],
      ScalableDimension: 'ecs:service:DesiredCount',
    });
  });

  it('does not treat cooldowns the API leaves out as drift', async () => {
    aas.on(DescribeScalableTargetsCommand).resolves(target());
    aas.on(DescribeScalingPoliciesCommand).resolves(policy({ ScaleInCooldown: undefined, ScaleOutCooldown: undefined }));
    expect((await scalingStep.plan(ctxFor())).action).toBe('noop');
  });

  it('re-registers only the target when min/max change', async () => {
    aas.on(DescribeScalableTargetsCommand).resolves(target(2, 4));
    aas.on(DescribeScalingPoliciesCommand).resolves(policy());
    aas.on(RegisterScalableTargetCommand).resolves({});
    const ctx = ctxFor();
    const plan = await scalingStep.plan(ctx);
    expect(plan).toMatchObject({ action: 'update', changes: [{ field: 'minCapacity', before: 2, after: 1 }] });
    const state = await scalingStep.apply(ctx, plan);
    expect(state.policyArn).toBe(POLICY_ARN);
    expect(commandNames(aas)).toEqual(['DescribeScalableTargets', 'DescribeScalingPolicies', 'RegisterScalableTarget']);
    // the role was needed (and made) for the first target only
    expect(commandNames(iam)).toEqual([]);
    // tags can only be given at creation
    expect(aas.commandCalls(RegisterScalableTargetCommand)[0]!.args[0].input).toEqual({ ...IDS, MinCapacity: 1, MaxCapacity: 4 });
  });

  it('re-puts only the policy when the CPU target or cooldowns change', async () => {
    aas.on(DescribeScalableTargetsCommand).resolves(target());
    aas.on(DescribeScalingPoliciesCommand).resolves(policy({ TargetValue: 70, ScaleInCooldown: 300 }));
    aas.on(PutScalingPolicyCommand).resolves({ PolicyARN: POLICY_ARN });
    const ctx = ctxFor();
    const plan = await scalingStep.plan(ctx);
    expect(plan.changes).toEqual([
      { field: 'targetCpu', before: 70, after: 50 },
      { field: 'scaleInCooldown', before: 300, after: 60 },
    ]);
    await scalingStep.apply(ctx, plan);
    expect(commandNames(aas)).toEqual(['DescribeScalableTargets', 'DescribeScalingPolicies', 'PutScalingPolicy']);
  });

  it('puts the policy back when it was deleted out of band', async () => {
    aas.on(DescribeScalableTargetsCommand).resolves(target());
    aas.on(DescribeScalingPoliciesCommand).resolves({ ScalingPolicies: [] });
    aas.on(PutScalingPolicyCommand).resolves({ PolicyARN: POLICY_ARN });
    const ctx = ctxFor();
    const plan = await scalingStep.plan(ctx);
    expect(plan.action).toBe('update');
    expect((await scalingStep.apply(ctx, plan)).policyArn).toBe(POLICY_ARN);
  });

  const state = { resourceId: RESOURCE, policyName: 'shop-default-web-cpu', policyArn: POLICY_ARN };

  it('deletes the policy, then deregisters the target', async () => {
    aas.on(DeleteScalingPolicyCommand).resolves({});
    aas.on(DeregisterScalableTargetCommand).resolves({});
    await scalingStep.destroy(ctxFor(), state);
    expect(commandNames(aas)).toEqual(['DeleteScalingPolicy', 'DeregisterScalableTarget']);
    expect(aas.commandCalls(DeleteScalingPolicyCommand)[0]!.args[0].input).toEqual({ ...IDS, PolicyName: 'shop-default-web-cpu' });
    expect(aas.commandCalls(DeregisterScalableTargetCommand)[0]!.args[0].input).toEqual(IDS);
  });

  it('treats an already-deleted policy and target as deleted', async () => {
    aas.on(DeleteScalingPolicyCommand).rejects(notFound());
    aas.on(DeregisterScalableTargetCommand).rejects(notFound());
    await expect(scalingStep.destroy(ctxFor(), state)).resolves.toBeUndefined();
  });

  it('surfaces other errors at teardown', async () => {
    aas.on(DeleteScalingPolicyCommand).rejects(Object.assign(new Error('nope'), { name: 'AccessDeniedException' }));
    await expect(scalingStep.destroy(ctxFor(), state)).rejects.toThrow('nope');
  });
});
