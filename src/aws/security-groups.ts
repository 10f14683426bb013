import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import type { ErrorCode } from '../engine/messages.js';
import type { Change, StepContext } from '../engine/types.js';
import { onceOptions } from './create-once-options.js';
import { deleteWithRetry, ignoreErrors } from './deletion.js';
import { tagSpec } from './ec2-tags.js';
import { untilVisible } from './ec2-visibility.js';
import { isAwsError } from './errors.js';
import { createOnce } from './idempotent.js';
import { notOwnedError, warnLeftInPlace } from './ownership.js';
import { describeRule, diffIngress, flattenIngress, toIpPermission, type IngressDiff, type IngressRule } from './security-group-rules.js';
import { isOwnedBy } from './tags.js';

/**
 * One security group's plan → apply → destroy, shared by the load balancer's group, the
 * per-service groups and the EC2 instances' group: found by its name in the VPC, created with
 * our tags, and its ingress changed rule by rule.
 */

async function findSecurityGroupByName(ctx: StepContext, vpcId: string, name: string): Promise<SecurityGroup | undefined> {
  const out = await ctx.aws.ec2().send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: 'vpc-id', Values: [vpcId] },
        { Name: 'group-name', Values: [name] },
      ],
    }),
  );
  return out.SecurityGroups?.find((g) => g.GroupName === name);
}

async function describeSecurityGroup(ctx: StepContext, groupId: string): Promise<SecurityGroup | undefined> {
  try {
    const out = await ctx.aws.ec2().send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
    return out.SecurityGroups?.[0];
  } catch (err) {
    if (isAwsError(err, 'InvalidGroup.NotFound', 'InvalidGroupId.NotFound', 'InvalidGroupId.Malformed')) return undefined;
    throw err;
  }
}

/** What a security-group plan read: the group (if any) and how its ingress differs from the wanted rules. */
export interface SecurityGroupPlan {
  groupId?: string;
  wanted: IngressRule[];
  diff: IngressDiff;
}

export async function planSecurityGroup(
  ctx: StepContext,
  opts: { vpcId: string; name: string; wanted: IngressRule[]; notOwnedCode: ErrorCode },
): Promise<{ plan: SecurityGroupPlan; changes: Change[] }> {
  const group = await findSecurityGroupByName(ctx, opts.vpcId, opts.name);
  if (!group) {
    const changes: Change[] = [{ field: 'securityGroup', after: opts.name }];
    if (opts.wanted.length) changes.push({ field: 'ingress', after: opts.wanted.map(describeRule) });
    return { plan: { wanted: opts.wanted, diff: { add: opts.wanted, remove: [] } }, changes };
  }
  if (!isOwnedBy(group.Tags, ctx.owner))
    throw notOwnedError(opts.notOwnedCode, `A security group named ${opts.name} in ${opts.vpcId}`, ctx.owner);
  const actual = flattenIngress(group.IpPermissions);
  const diff = diffIngress(actual, opts.wanted);
  const changes: Change[] = [];
  if (diff.add.length || diff.remove.length) {
    changes.push({ field: 'ingress', before: actual.map(describeRule), after: opts.wanted.map(describeRule) });
  }
  return { plan: { groupId: group.GroupId, wanted: opts.wanted, diff }, changes };
}

/** Create the group if the plan found none, then revoke/authorize only the differing rules. */
export async function applySecurityGroup(
  ctx: StepContext,
  plan: SecurityGroupPlan,
  opts: { vpcId: string; name: string; description: string; role: string },
): Promise<string> {
  const ec2 = ctx.aws.ec2();
  const id = plan.groupId ?? (await createSecurityGroup(ctx, opts));
  // A group made just now may not be visible to the next call yet (EC2's own example of eventual consistency).
  const call = <R>(fn: () => Promise<R>) => untilVisible(ctx, new Set(plan.groupId ? [] : [id]), [id], fn);
  // Revoke first so a port change never leaves both ports open at once.
  if (plan.diff.remove.length) {
    await call(() => ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: plan.diff.remove.map(toIpPermission) })));
  }
  if (plan.diff.add.length) {
    await call(() =>
      ec2
        .send(new AuthorizeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: plan.diff.add.map(toIpPermission) }))
        .catch(async (err: unknown) => {
          // A lost response: AWS added the rules and the SDK retry found them. The call is all-or-nothing,
          // so add them one by one, skipping those that exist.
          if (!isAwsError(err, 'InvalidPermission.Duplicate')) throw err;
          for (const p of plan.diff.add) {
            await ec2
              .send(new AuthorizeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: [toIpPermission(p)] }))
              .catch(ignoreErrors('InvalidPermission.Duplicate'));
          }
        }),
    );
  }
  return id;
}

async function createSecurityGroup(
  ctx: StepContext,
  opts: { vpcId: string; name: string; description: string; role: string },
): Promise<string> {
  ctx.progress(`creating security group ${opts.name}`);
  // No idempotency token; the name is unique per VPC, so a lost response is found by name.
  return createOnce({
    create: async () =>
      (
        await ctx.aws.once.ec2().send(
          new CreateSecurityGroupCommand({
            GroupName: opts.name,
            Description: opts.description,
            VpcId: opts.vpcId,
            TagSpecifications: tagSpec('security-group', ctx.owner, opts.role, opts.name),
          }),
        )
      ).GroupId!,
    find: async () => {
      const g = await findSecurityGroupByName(ctx, opts.vpcId, opts.name);
      return g && isOwnedBy(g.Tags, ctx.owner) ? g.GroupId : undefined;
    },
    alreadyExists: ['InvalidGroup.Duplicate'],
    ...onceOptions(ctx),
  });
}

/** Delete a security group we own; ENIs that still use it (ALB, tasks) take minutes to go. */
export async function destroySecurityGroup(ctx: StepContext, groupId: string, label: string): Promise<void> {
  const group = await describeSecurityGroup(ctx, groupId);
  if (!group) return;
  if (!isOwnedBy(group.Tags, ctx.owner)) {
    warnLeftInPlace(ctx, `${label} (${groupId})`);
    return;
  }
  await deleteWithRetry(ctx, () => ctx.aws.ec2().send(new DeleteSecurityGroupCommand({ GroupId: groupId })), {
    what: `${label} (${groupId})`,
    goneOn: ['InvalidGroup.NotFound', 'InvalidGroupId.NotFound'],
  });
}
