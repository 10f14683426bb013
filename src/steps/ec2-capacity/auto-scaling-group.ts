import {
  CreateAutoScalingGroupCommand,
  DeleteAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  UpdateAutoScalingGroupCommand,
  type AutoScalingGroup,
  type CreateAutoScalingGroupCommandInput,
  type LaunchTemplateSpecification,
  type MixedInstancesPolicy,
  type UpdateAutoScalingGroupCommandInput,
} from '@aws-sdk/client-auto-scaling';
import { notOwnedError, warnLeftInPlace } from '../../aws/ownership.js';
import { onceOptions } from '../../aws/create-once-options.js';
import { isAwsError, messageIncludes } from '../../aws/errors.js';
import { createOnce } from '../../aws/idempotent.js';
import { isIamPropagation, isServiceLinkedRoleNotReady, retryPropagation } from '../../aws/propagation.js';
import { retryWhile } from '../../aws/retry.js';
import { prepareServiceLinkedRole } from '../../aws/service-linked-roles.js';
import { isOwnedBy, ownerTags } from '../../aws/tags.js';
import type { Change, StepContext } from '../../engine/types.js';
import { EcsKitError } from '../../errors.js';
import { ec2Settings } from './settings.js';
import { waitForDeletion } from './wait-for-deletion.js';

// ---------------------------------------------------------------------------------------
// The Auto Scaling group that runs the container instances (ECS managed scaling moves its desired count).

type AsgUpdate = Omit<UpdateAutoScalingGroupCommandInput, 'AutoScalingGroupName'>;

/** What the plan found: the group exists; `update` holds the fields that differ from the config. */
export interface AutoScalingGroupPlan {
  arn: string;
  update?: AsgUpdate;
}

/** Spot: every instance above the (zero) on-demand base is Spot, from the deepest pools. */
function mixedInstancesPolicy(launchTemplate: LaunchTemplateSpecification): MixedInstancesPolicy {
  return {
    LaunchTemplate: { LaunchTemplateSpecification: launchTemplate },
    InstancesDistribution: {
      OnDemandBaseCapacity: 0,
      OnDemandPercentageAboveBaseCapacity: 0,
      SpotAllocationStrategy: 'price-capacity-optimized',
    },
  };
}

/** One group by name: one page (MaxRecords defaults to 50). */
async function findAsg(ctx: StepContext, name: string): Promise<AutoScalingGroup | undefined> {
  const out = await ctx.aws.ec2AutoScaling().send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  return out.AutoScalingGroups?.find((g) => g.AutoScalingGroupName === name);
}

const asgTag = (ctx: StepContext, key: string, value: string) => ({
  Key: key,
  Value: value,
  PropagateAtLaunch: true,
  ResourceId: ctx.names.autoScalingGroup,
  ResourceType: 'auto-scaling-group',
});

// ---------------------------------------------------------------------------------------
// Plan (reads only).

/** Adds the group's changes; undefined when it does not exist yet. `ltId` is undefined while the launch template is new. */
export async function planAutoScalingGroup(
  ctx: StepContext,
  ltId: string | undefined,
  subnets: string[],
  changes: Change[],
): Promise<AutoScalingGroupPlan | undefined> {
  const n = ctx.names;
  const s = ec2Settings(ctx.config);
  const asg = await findAsg(ctx, n.autoScalingGroup);
  if (!asg) {
    changes.push({
      field: 'autoScalingGroup',
      after: `${n.autoScalingGroup} (min ${s.min}, max ${s.max}, desired ${s.desired}${s.spot ? ', Spot' : ''})`,
    });
    return undefined;
  }
  if (!isOwnedBy(asg.Tags, ctx.owner))
    throw notOwnedError('capacity.asg-not-owned', `An Auto Scaling group named ${n.autoScalingGroup}`, ctx.owner);
  if (asg.Status) {
    throw new EcsKitError('capacity.asg-deleting', `Auto Scaling group ${n.autoScalingGroup} is still being deleted (${asg.Status}).`, {
      why: 'An earlier teardown is still terminating its instances; a group with the same name cannot be created until it is gone.',
      fix: 'Wait a few minutes and deploy again.',
    });
  }
  return asgDrift(ctx, asg, ltId, subnets, changes);
}

function asgDrift(
  ctx: StepContext,
  asg: AutoScalingGroup,
  ltId: string | undefined,
  subnets: string[],
  changes: Change[],
): AutoScalingGroupPlan {
  const s = ec2Settings(ctx.config);
  const update: AsgUpdate = {};
  const add = (field: string, before: unknown, after: unknown) => changes.push({ field: `autoScalingGroup.${field}`, before, after });
  if (asg.MinSize !== undefined && asg.MinSize !== s.min) {
    update.MinSize = s.min;
    add('min', asg.MinSize, s.min);
  }
  if (asg.MaxSize !== undefined && asg.MaxSize !== s.max) {
    update.MaxSize = s.max;
    add('max', asg.MaxSize, s.max);
  }
  // ECS managed scaling moves the desired count between min and max; step in only outside that range.
  const desired = asg.DesiredCapacity;
  if (desired !== undefined && (desired < s.min || desired > s.max)) {
    update.DesiredCapacity = Math.min(Math.max(desired, s.min), s.max);
    add('desired', desired, update.DesiredCapacity);
  }
  const actualSubnets = (asg.VPCZoneIdentifier ?? '').split(',').filter(Boolean).sort();
  if (asg.VPCZoneIdentifier !== undefined && actualSubnets.join(',') !== [...subnets].sort().join(',')) {
    update.VPCZoneIdentifier = subnets.join(',');
    add('subnets', actualSubnets, [...subnets].sort());
  }
  if (asg.NewInstancesProtectedFromScaleIn === false) {
    update.NewInstancesProtectedFromScaleIn = true;
    add('newInstancesProtectedFromScaleIn', false, true);
  }
  const spec: LaunchTemplateSpecification = { LaunchTemplateId: ltId, Version: '$Latest' };
  const actualSpec = asg.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification ?? asg.LaunchTemplate;
  const spot = asg.MixedInstancesPolicy !== undefined;
  const specDrift =
    !ltId || actualSpec?.LaunchTemplateId !== ltId || (actualSpec?.Version !== undefined && actualSpec.Version !== '$Latest');
  if (spot !== s.spot || specDrift) {
    if (s.spot) update.MixedInstancesPolicy = mixedInstancesPolicy(spec);
    else update.LaunchTemplate = spec;
    if (spot !== s.spot) add('spot', spot, s.spot);
    else add('launchTemplate', actualSpec?.LaunchTemplateId, `${ltId ?? '(new)'} $Latest`);
  }
  return { arn: asg.AutoScalingGroupARN ?? '', ...(Object.keys(update).length ? { update } : {}) };
}

// ---------------------------------------------------------------------------------------
// Apply.

/**
 * Auto Scaling validates the launch template's instance profile, and rejects one IAM has not propagated yet:
 * "ValidationError: You must use a valid fully-formed launch template. Value (…) for parameter iamInstanceProfile.arn
 * is invalid. Invalid IAM Instance Profile ARN", for up to a couple of minutes after the profile (or its role) was
 * made, although GetInstanceProfile already finds it (hashicorp/terraform-provider-aws#5217, fixed by a retry in
 * #5633; #40088 for updates). A service-linked role made just now is retried the same way (RaJiska/terraform-aws-fck-nat#85).
 */
function untilProfileUsable<T>(ctx: StepContext, send: () => Promise<T>): Promise<T> {
  return retryPropagation(
    ctx,
    `instance profile ${ctx.names.instanceProfile}`,
    send,
    (err) => isIamPropagation(err) || isServiceLinkedRoleNotReady(err),
  );
}

/** Creates the group when the plan found none, else applies the drift it found; returns the group's ARN. */
export async function ensureAutoScalingGroup(
  ctx: StepContext,
  planned: AutoScalingGroupPlan | undefined,
  spec: LaunchTemplateSpecification,
  subnets: string[],
): Promise<string> {
  if (!planned) return createAsg(ctx, spec, subnets);
  if (planned.update) await updateAsg(ctx, planned.update, spec);
  return planned.arn;
}

async function createAsg(ctx: StepContext, spec: LaunchTemplateSpecification, subnets: string[]): Promise<string> {
  const n = ctx.names;
  const s = ec2Settings(ctx.config);
  ctx.progress(`creating Auto Scaling group ${n.autoScalingGroup}`);
  const input: CreateAutoScalingGroupCommandInput = {
    AutoScalingGroupName: n.autoScalingGroup,
    MinSize: s.min,
    MaxSize: s.max,
    DesiredCapacity: s.desired,
    VPCZoneIdentifier: subnets.join(','),
    ...(s.spot ? { MixedInstancesPolicy: mixedInstancesPolicy(spec) } : { LaunchTemplate: spec }),
    // ECS managed termination protection only scales in instances with no tasks; it needs this.
    NewInstancesProtectedFromScaleIn: true,
    Tags: [
      ...ownerTags(ctx.owner, 'auto-scaling-group').map((t) => asgTag(ctx, t.Key, t.Value)),
      asgTag(ctx, 'Name', n.autoScalingGroup),
      asgTag(ctx, 'AmazonECSManaged', 'true'),
    ],
  };
  // A fresh account has no Auto Scaling service-linked role; the first group would make it and then race it.
  await prepareServiceLinkedRole(ctx, 'ec2AutoScaling');
  // CreateAutoScalingGroup has no idempotency token and returns nothing: find it by name and tags. The
  // propagation retry sits inside `create`, so a lost response is still looked up, never sent twice blind.
  return createOnce({
    create: async () => {
      await untilProfileUsable(ctx, () => ctx.aws.once.ec2AutoScaling().send(new CreateAutoScalingGroupCommand(input)));
      return (await findAsg(ctx, n.autoScalingGroup))?.AutoScalingGroupARN ?? '';
    },
    find: async () => {
      const asg = await findAsg(ctx, n.autoScalingGroup);
      return asg && isOwnedBy(asg.Tags, ctx.owner) ? (asg.AutoScalingGroupARN ?? '') : undefined;
    },
    alreadyExists: ['AlreadyExists', 'AlreadyExistsFault'],
    ...onceOptions(ctx),
  });
}

async function updateAsg(ctx: StepContext, planned: AsgUpdate, spec: LaunchTemplateSpecification): Promise<void> {
  // The plan may not have known the template id yet (a template created just now).
  const update = { ...planned };
  if (update.LaunchTemplate) update.LaunchTemplate = spec;
  if (update.MixedInstancesPolicy) update.MixedInstancesPolicy = mixedInstancesPolicy(spec);
  ctx.progress(`updating Auto Scaling group ${ctx.names.autoScalingGroup}`);
  const input = { AutoScalingGroupName: ctx.names.autoScalingGroup, ...update };
  await untilProfileUsable(ctx, () => ctx.aws.ec2AutoScaling().send(new UpdateAutoScalingGroupCommand(input)));
}

// ---------------------------------------------------------------------------------------
// Teardown.

const ASG_GONE = (err: unknown) => isAwsError(err, 'ValidationError') && messageIncludes(err, 'not found');

/** Scales the group to 0 and force-deletes it, then waits until its instances are terminated and it is gone. */
export async function destroyAutoScalingGroup(ctx: StepContext, name: string): Promise<void> {
  const client = ctx.aws.ec2AutoScaling();
  const asg = await findAsg(ctx, name);
  if (!asg) return;
  if (!isOwnedBy(asg.Tags, ctx.owner)) {
    warnLeftInPlace(ctx, `Auto Scaling group ${name}`);
    return;
  }
  if (!asg.Status) {
    try {
      if (asg.MinSize || asg.MaxSize || asg.DesiredCapacity) {
        ctx.progress(`scaling Auto Scaling group ${name} to 0`);
        await client.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: name, MinSize: 0, MaxSize: 0, DesiredCapacity: 0 }));
      }
      // Force: the instances are protected from scale-in (managed termination protection).
      ctx.progress(`deleting Auto Scaling group ${name} and its instances`);
      await retryWhile(
        () => client.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: name, ForceDelete: true })),
        (err) => isAwsError(err, 'ScalingActivityInProgress', 'ResourceInUse'),
        { timeoutMs: ctx.options.destroyRetryMs, signal: ctx.signal },
      );
    } catch (err) {
      if (!ASG_GONE(err)) throw err;
      return;
    }
  }
  await waitForDeletion(ctx, async () => !(await findAsg(ctx, name)), `Auto Scaling group ${name} to terminate its instances`);
}
