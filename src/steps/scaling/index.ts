import {
  DeleteScalingPolicyCommand,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
  type ScalableTarget,
  type ScalingPolicy,
} from '@aws-sdk/client-application-auto-scaling';
import { isAwsError } from '../../aws/errors.js';
import { tagMap } from '../../aws/tags.js';
import { EcsKitError } from '../../errors.js';
import { after, type Change, type StepContext, type StepModule, type StepPlan } from '../../engine/types.js';
import { prepareServiceLinkedRole, retryWhileRoleIsNew } from '../../aws/service-linked-roles.js';
import { serviceStep, type ServiceState } from '../service/index.js';
import { scalingPermissions } from './permissions.js';

export interface ScalingState {
  resourceId: string;
  policyName: string;
  policyArn: string;
}

type Ctx = StepContext<ScalingState>;

const NAMESPACE = 'ecs' as const;
const DIMENSION = 'ecs:service:DesiredCount' as const;
const METRIC = 'ECSServiceAverageCPUUtilization' as const;
const COOLDOWN_SECONDS = 60;

interface Wanted {
  resourceId: string;
  policyName: string;
  min: number;
  max: number;
  targetCpu: number;
}

interface PlanData {
  wanted: Wanted;
  registerTarget: boolean;
  putPolicy: boolean;
}

export function resourceIdFor(service: Pick<ServiceState, 'clusterName' | 'serviceName'>): string {
  return `service/${service.clusterName}/${service.serviceName}`;
}

function wantedFor(ctx: Ctx): Wanted {
  const autoscaling = ctx.service?.autoscaling;
  if (!ctx.scope || !autoscaling)
    throw new EcsKitError('engine.step', `Step ${ctx.id} runs only for services with autoscaling configured.`);
  const service = ctx.dep(serviceStep, ctx.scope);
  const { min, max } = autoscaling;
  const targetCpu = autoscaling.targetCpu ?? 60;
  return { resourceId: resourceIdFor(service), policyName: ctx.names.scalingPolicy(ctx.scope), min, max, targetCpu };
}

async function findTarget(ctx: Ctx, resourceId: string): Promise<ScalableTarget | undefined> {
  const input = { ServiceNamespace: NAMESPACE, ResourceIds: [resourceId], ScalableDimension: DIMENSION };
  const out = await ctx.aws.autoscaling().send(new DescribeScalableTargetsCommand(input));
  return out.ScalableTargets?.find((t) => t.ResourceId === resourceId && t.ScalableDimension === DIMENSION);
}

async function findPolicy(ctx: Ctx, w: Wanted): Promise<ScalingPolicy | undefined> {
  const out = await ctx.aws.autoscaling().send(
    new DescribeScalingPoliciesCommand({
      ServiceNamespace: NAMESPACE,
      PolicyNames: [w.policyName],
      ResourceId: w.resourceId,
      ScalableDimension: DIMENSION,
    }),
  );
  return out.ScalingPolicies?.find((p) => p.PolicyName === w.policyName);
}

function policyChanges(policy: ScalingPolicy | undefined, w: Wanted): Change[] {
  if (!policy) return [{ field: 'scalingPolicy', after: w.policyName }];
  const cfg = policy.TargetTrackingScalingPolicyConfiguration;
  const changes: Change[] = [];
  if (policy.PolicyType !== 'TargetTrackingScaling')
    changes.push({ field: 'policyType', before: policy.PolicyType, after: 'TargetTrackingScaling' });
  if (cfg?.TargetValue !== w.targetCpu) changes.push({ field: 'targetCpu', before: cfg?.TargetValue, after: w.targetCpu });
  const metric = cfg?.PredefinedMetricSpecification?.PredefinedMetricType;
  if (metric !== METRIC) changes.push({ field: 'metric', before: metric, after: METRIC });
  // AWS omits cooldowns it was never given; only a returned value can differ.
  const cooldown = (field: string, actual: number | undefined) => {
    if (actual !== undefined && actual !== COOLDOWN_SECONDS) changes.push({ field, before: actual, after: COOLDOWN_SECONDS });
  };
  cooldown('scaleInCooldown', cfg?.ScaleInCooldown);
  cooldown('scaleOutCooldown', cfg?.ScaleOutCooldown);
  return changes;
}

export const scalingStep: StepModule<ScalingState, PlanData> = {
  kind: 'scaling',
  title: (scope) => `Autoscaling (${scope})`,
  resourceKinds: ['application-autoscaling:scalable-target'],
  permissions: scalingPermissions,
  instances: (config) =>
    Object.entries(config.services)
      .filter(([, svc]) => svc.autoscaling !== undefined)
      .map(([name]) => ({ scope: name, dependsOn: [after(serviceStep, name)] })),

  async plan(ctx): Promise<StepPlan<ScalingState, PlanData>> {
    const w = wantedFor(ctx);
    const target = await findTarget(ctx, w.resourceId);
    if (!target) {
      return {
        action: 'create',
        changes: [
          { field: 'scalableTarget', after: `${w.min}–${w.max} tasks` },
          { field: 'scalingPolicy', after: `${w.policyName} (CPU ${w.targetCpu}%)` },
        ],
        data: { wanted: w, registerTarget: true, putPolicy: true },
      };
    }
    const changes: Change[] = [];
    if (target.MinCapacity !== w.min) changes.push({ field: 'minCapacity', before: target.MinCapacity, after: w.min });
    if (target.MaxCapacity !== w.max) changes.push({ field: 'maxCapacity', before: target.MaxCapacity, after: w.max });
    const registerTarget = changes.length > 0;
    const policy = await findPolicy(ctx, w);
    const pc = policyChanges(policy, w);
    changes.push(...pc);
    const current: ScalingState = { resourceId: w.resourceId, policyName: w.policyName, policyArn: policy?.PolicyARN ?? '' };
    const data: PlanData = { wanted: w, registerTarget, putPolicy: pc.length > 0 };
    return { action: changes.length ? 'update' : 'noop', changes, current, data };
  },

  async apply(ctx, plan): Promise<ScalingState> {
    const aas = ctx.aws.autoscaling();
    const data = plan.data ?? { wanted: wantedFor(ctx), registerTarget: true, putPolicy: true };
    const w = data.wanted;
    const ids = { ServiceNamespace: NAMESPACE, ResourceId: w.resourceId, ScalableDimension: DIMENSION };
    if (data.registerTarget) {
      ctx.progress(`scaling between ${w.min} and ${w.max} tasks`);
      const first = plan.action === 'create';
      // The first target of an account relies on AWSServiceRoleForApplicationAutoScaling_ECSService, which
      // may not exist yet or not be assumable for seconds ("Unable to assume IAM role", aws-cdk#4108).
      if (first) await prepareServiceLinkedRole(ctx, 'ecsAutoScaling');
      // Tags can only be set when the target is first registered; later calls update capacity only.
      const input = { ...ids, MinCapacity: w.min, MaxCapacity: w.max, ...(first ? { Tags: tagMap(ctx.owner) } : {}) };
      const register = () => aas.send(new RegisterScalableTargetCommand(input));
      // RegisterScalableTarget creates or updates, so repeating it is safe.
      await (first ? retryWhileRoleIsNew(ctx, 'ecsAutoScaling', register) : register());
    }
    let policyArn = plan.current?.policyArn ?? '';
    if (data.putPolicy) {
      ctx.progress(`target tracking at ${w.targetCpu}% average CPU`);
      const out = await aas.send(
        new PutScalingPolicyCommand({
          ...ids,
          PolicyName: w.policyName,
          PolicyType: 'TargetTrackingScaling',
          TargetTrackingScalingPolicyConfiguration: {
            TargetValue: w.targetCpu,
            PredefinedMetricSpecification: { PredefinedMetricType: METRIC },
            ScaleInCooldown: COOLDOWN_SECONDS,
            ScaleOutCooldown: COOLDOWN_SECONDS,
          },
        }),
      );
      policyArn = out.PolicyARN ?? policyArn;
    }
    return { resourceId: w.resourceId, policyName: w.policyName, policyArn };
  },

  // The scalable target belongs to a service whose tags the service step verified; its
  // resource id is derived from that service, so the manifest entry is proof enough.
  async destroy(ctx, state): Promise<void> {
    const aas = ctx.aws.autoscaling();
    const ids = { ServiceNamespace: NAMESPACE, ResourceId: state.resourceId, ScalableDimension: DIMENSION };
    const ignoreGone = (err: unknown) => {
      if (isAwsError(err, 'ObjectNotFoundException')) return;
      throw err;
    };
    // The retry of a delete whose response was lost may be refused with an error other than
    // ObjectNotFound: if a describe shows it gone, the delete did its job.
    const goneIf = (gone: () => Promise<boolean>) => async (err: unknown) => {
      if (!(await gone().catch(() => false))) throw err;
    };
    await aas
      .send(new DeleteScalingPolicyCommand({ ...ids, PolicyName: state.policyName }))
      .catch(ignoreGone)
      .catch(
        goneIf(async () => {
          const input = { ServiceNamespace: NAMESPACE, ResourceId: state.resourceId, PolicyNames: [state.policyName] };
          const left = await aas.send(new DescribeScalingPoliciesCommand(input));
          return !left.ScalingPolicies?.length;
        }),
      );
    await aas
      .send(new DeregisterScalableTargetCommand(ids))
      .catch(ignoreGone)
      .catch(
        goneIf(async () => {
          const input = { ServiceNamespace: NAMESPACE, ResourceIds: [state.resourceId], ScalableDimension: DIMENSION };
          const left = await aas.send(new DescribeScalableTargetsCommand(input));
          return !left.ScalableTargets?.length;
        }),
      );
  },
};
