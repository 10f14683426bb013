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
import { runsAsService } from '../../config/services.js';
import { loadBalancerStep } from '../load-balancer/index.js';
import { queueStep } from '../queue/index.js';
import { targetGroupStep } from '../target-group/index.js';
import { alarmChanges, backlogAlarm, deleteAlarm, findAlarm, putAlarm } from './alarm.js';
import { policyChanges, requestsLabel, wantedPolicies, type WantedPolicy } from './policies.js';
import { scalingPermissions } from './permissions.js';

export interface ScalingState {
  resourceId: string;
  /** The first policy (CPU when there is one); more in extraPolicies. */
  policyName: string;
  policyArn: string;
  extraPolicies?: string[];
  /** The CloudWatch alarm of a queue worker's backlog policy. */
  alarmName?: string;
}

type Ctx = StepContext<ScalingState>;

const NAMESPACE = 'ecs' as const;
const DIMENSION = 'ecs:service:DesiredCount' as const;

interface Wanted {
  resourceId: string;
  min: number;
  max: number;
  policies: WantedPolicy[];
  /** The backlog alarm and the queue it watches. */
  alarm?: { name: string; queueName: string };
}

interface PlanData {
  wanted: Wanted;
  registerTarget: boolean;
  /** Names of the wanted policies to put. */
  put: string[];
  /** Policies (and an alarm) ecs-kit made earlier that the config no longer wants. */
  remove: string[];
  removeAlarm?: string;
  putAlarm: boolean;
  /** Policy name → ARN of the ones that exist. */
  arns: Record<string, string>;
  alarmExists: boolean;
}

export function resourceIdFor(service: Pick<ServiceState, 'clusterName' | 'serviceName'>): string {
  return `service/${service.clusterName}/${service.serviceName}`;
}

function wantedFor(ctx: Ctx): Wanted {
  const svc = ctx.service;
  const autoscaling = svc?.autoscaling;
  if (!ctx.scope || !svc || !autoscaling)
    throw new EcsKitError('engine.step', `Step ${ctx.id} runs only for services with autoscaling configured.`);
  const scope = ctx.scope;
  const service = ctx.dep(serviceStep, scope);
  const label =
    autoscaling.requestsPerTarget !== undefined
      ? requestsLabel(ctx.dep(loadBalancerStep).loadBalancerArn, ctx.dep(targetGroupStep, scope).targetGroupArn)
      : undefined;
  const policies = wantedPolicies(
    svc,
    { policy: (m) => (m === 'cpu' ? ctx.names.scalingPolicy(scope) : ctx.names.scalingPolicyFor(scope, m)) },
    {
      ...(label ? { requestsLabel: label } : {}),
    },
  );
  const queueName = autoscaling.backlogPerTask !== undefined ? queueNameOf(ctx.dep(queueStep, scope).queueUrl) : undefined;
  return {
    resourceId: resourceIdFor(service),
    min: autoscaling.min,
    max: autoscaling.max,
    policies,
    ...(queueName ? { alarm: { name: ctx.names.backlogAlarm(scope), queueName } } : {}),
  };
}

const queueNameOf = (url: string) => url.slice(url.lastIndexOf('/') + 1);

async function findTarget(ctx: Ctx, resourceId: string): Promise<ScalableTarget | undefined> {
  const input = { ServiceNamespace: NAMESPACE, ResourceIds: [resourceId], ScalableDimension: DIMENSION };
  const out = await ctx.aws.autoscaling().send(new DescribeScalableTargetsCommand(input));
  return out.ScalableTargets?.find((t) => t.ResourceId === resourceId && t.ScalableDimension === DIMENSION);
}

async function findPolicies(ctx: Ctx, resourceId: string, names: string[]): Promise<Map<string, ScalingPolicy>> {
  const out = await ctx.aws.autoscaling().send(
    new DescribeScalingPoliciesCommand({
      ServiceNamespace: NAMESPACE,
      PolicyNames: names,
      ResourceId: resourceId,
      ScalableDimension: DIMENSION,
    }),
  );
  return new Map((out.ScalingPolicies ?? []).filter((p) => p.PolicyName && names.includes(p.PolicyName)).map((p) => [p.PolicyName!, p]));
}

/** The policies (and alarm) an earlier deploy recorded. */
function recordedPolicies(previous: ScalingState | undefined): string[] {
  return previous ? [previous.policyName, ...(previous.extraPolicies ?? [])] : [];
}

function stateFor(w: Wanted, arns: Record<string, string>): ScalingState {
  const [first, ...rest] = w.policies;
  return {
    resourceId: w.resourceId,
    policyName: first?.name ?? '',
    policyArn: (first && arns[first.name]) ?? '',
    ...(rest.length ? { extraPolicies: rest.map((p) => p.name) } : {}),
    ...(w.alarm ? { alarmName: w.alarm.name } : {}),
  };
}

function planCreate(w: Wanted): StepPlan<ScalingState, PlanData> {
  const changes: Change[] = [
    { field: 'scalableTarget', after: `${w.min}–${w.max} tasks` },
    ...w.policies.map((p) => ({ field: 'scalingPolicy', after: p.describe })),
    ...(w.alarm ? [{ field: 'backlogAlarm', after: `${w.alarm.name} (visible messages in ${w.alarm.queueName})` }] : []),
  ];
  const data: PlanData = {
    wanted: w,
    registerTarget: true,
    put: w.policies.map((p) => p.name),
    remove: [],
    putAlarm: Boolean(w.alarm),
    arns: {},
    alarmExists: false,
  };
  return { action: 'create', changes, data };
}

/** The scaling policies and the backlog alarm: what to put, what to remove. */
async function planPolicies(ctx: Ctx, w: Wanted, data: PlanData, changes: Change[]): Promise<void> {
  const wantedNames = w.policies.map((p) => p.name);
  const stale = recordedPolicies(ctx.previous).filter((n) => !wantedNames.includes(n));
  const existing = await findPolicies(ctx, w.resourceId, [...wantedNames, ...stale]);
  for (const p of w.policies) {
    const arn = existing.get(p.name)?.PolicyARN;
    if (arn) data.arns[p.name] = arn;
    const pc = policyChanges(existing.get(p.name), p);
    if (pc.length) data.put.push(p.name);
    changes.push(...pc);
  }
  for (const name of stale.filter((n) => existing.has(n))) {
    data.remove.push(name);
    changes.push({ field: 'scalingPolicy', before: name, after: undefined });
  }
  const recordedAlarm = ctx.previous?.alarmName;
  if (recordedAlarm && recordedAlarm !== w.alarm?.name) {
    data.removeAlarm = recordedAlarm;
    changes.push({ field: 'backlogAlarm', before: recordedAlarm, after: undefined });
  }
  if (!w.alarm) return;
  const alarm = await findAlarm(ctx, w.alarm.name);
  data.alarmExists = alarm !== undefined;
  const backlog = w.policies.find((p) => p.metric === 'backlog')!;
  const ac = alarmChanges(alarm, backlogAlarm(w.alarm.name, w.alarm.queueName, data.arns[backlog.name] ?? ''));
  data.putAlarm = ac.length > 0 || data.put.includes(backlog.name);
  changes.push(...ac);
}

export const scalingStep: StepModule<ScalingState, PlanData> = {
  kind: 'scaling',
  title: (scope) => `Autoscaling (${scope})`,
  resourceKinds: ['application-autoscaling:scalable-target', 'cloudwatch:alarm'],
  permissions: scalingPermissions,
  instances: (config) =>
    Object.entries(config.services)
      .filter(([, svc]) => svc.autoscaling !== undefined && runsAsService(svc))
      .map(([name, svc]) => ({
        scope: name,
        dependsOn: [
          after(serviceStep, name),
          ...(svc.autoscaling?.requestsPerTarget !== undefined ? [after(loadBalancerStep), after(targetGroupStep, name)] : []),
          ...(svc.autoscaling?.backlogPerTask !== undefined ? [after(queueStep, name)] : []),
        ],
      })),

  async plan(ctx): Promise<StepPlan<ScalingState, PlanData>> {
    const w = wantedFor(ctx);
    const target = await findTarget(ctx, w.resourceId);
    if (!target) return planCreate(w);
    const changes: Change[] = [];
    if (target.MinCapacity !== w.min) changes.push({ field: 'minCapacity', before: target.MinCapacity, after: w.min });
    if (target.MaxCapacity !== w.max) changes.push({ field: 'maxCapacity', before: target.MaxCapacity, after: w.max });
    const data: PlanData = {
      wanted: w,
      registerTarget: changes.length > 0,
      put: [],
      remove: [],
      putAlarm: false,
      arns: {},
      alarmExists: false,
    };
    await planPolicies(ctx, w, data, changes);
    return { action: changes.length ? 'update' : 'noop', changes, current: stateFor(w, data.arns), data };
  },

  async apply(ctx, plan): Promise<ScalingState> {
    const data = plan.data ?? planCreate(wantedFor(ctx)).data!;
    const w = data.wanted;
    if (data.registerTarget) await registerTarget(ctx, w, plan.action === 'create');
    const arns = { ...data.arns };
    for (const p of w.policies.filter((x) => data.put.includes(x.name))) arns[p.name] = await putPolicy(ctx, w, p);
    const backlog = w.policies.find((p) => p.metric === 'backlog');
    if (w.alarm && backlog && data.putAlarm) {
      ctx.progress(`alarm ${w.alarm.name} on the backlog of ${w.alarm.queueName}`);
      await putAlarm(ctx, backlogAlarm(w.alarm.name, w.alarm.queueName, arns[backlog.name] ?? ''), !data.alarmExists);
    }
    if (data.removeAlarm) await deleteAlarm(ctx, data.removeAlarm);
    for (const name of data.remove) await deletePolicy(ctx, w.resourceId, name);
    return stateFor(w, arns);
  },

  // The scalable target belongs to a service whose tags the service step verified; its
  // resource id is derived from that service, so the manifest entry is proof enough.
  async destroy(ctx, state): Promise<void> {
    if (state.alarmName) await deleteAlarm(ctx, state.alarmName);
    for (const name of recordedPolicies(state)) await deletePolicy(ctx, state.resourceId, name);
    const aas = ctx.aws.autoscaling();
    const ids = { ServiceNamespace: NAMESPACE, ResourceId: state.resourceId, ScalableDimension: DIMENSION };
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

const ignoreGone = (err: unknown) => {
  if (isAwsError(err, 'ObjectNotFoundException')) return;
  throw err;
};

/** The retry of a delete whose response was lost may be refused with an error other than ObjectNotFound: if a describe shows it gone, the delete did its job. */
const goneIf = (gone: () => Promise<boolean>) => async (err: unknown) => {
  if (!(await gone().catch(() => false))) throw err;
};

async function registerTarget(ctx: Ctx, w: Wanted, first: boolean): Promise<void> {
  ctx.progress(`scaling between ${w.min} and ${w.max} tasks`);
  const ids = { ServiceNamespace: NAMESPACE, ResourceId: w.resourceId, ScalableDimension: DIMENSION };
  // The first target of an account relies on AWSServiceRoleForApplicationAutoScaling_ECSService, which
  // may not exist yet or not be assumable for seconds ("Unable to assume IAM role", aws-cdk#4108).
  if (first) await prepareServiceLinkedRole(ctx, 'ecsAutoScaling');
  // Tags can only be set when the target is first registered; later calls update capacity only.
  const input = { ...ids, MinCapacity: w.min, MaxCapacity: w.max, ...(first ? { Tags: tagMap(ctx.owner) } : {}) };
  const register = () => ctx.aws.autoscaling().send(new RegisterScalableTargetCommand(input));
  // RegisterScalableTarget creates or updates, so repeating it is safe.
  await (first ? retryWhileRoleIsNew(ctx, 'ecsAutoScaling', register) : register());
}

async function putPolicy(ctx: Ctx, w: Wanted, p: WantedPolicy): Promise<string> {
  ctx.progress(`scaling policy ${p.describe}`);
  const ids = { ServiceNamespace: NAMESPACE, ResourceId: w.resourceId, ScalableDimension: DIMENSION };
  const out = await ctx.aws.autoscaling().send(new PutScalingPolicyCommand({ ...ids, PolicyName: p.name, ...p.body }));
  return out.PolicyARN ?? '';
}

async function deletePolicy(ctx: Ctx, resourceId: string, name: string): Promise<void> {
  const aas = ctx.aws.autoscaling();
  const ids = { ServiceNamespace: NAMESPACE, ResourceId: resourceId, ScalableDimension: DIMENSION };
  await aas
    .send(new DeleteScalingPolicyCommand({ ...ids, PolicyName: name }))
    .catch(ignoreGone)
    .catch(
      goneIf(async () => {
        const input = { ServiceNamespace: NAMESPACE, ResourceId: resourceId, PolicyNames: [name] };
        const left = await aas.send(new DescribeScalingPoliciesCommand(input));
        return !left.ScalingPolicies?.length;
      }),
    );
}
