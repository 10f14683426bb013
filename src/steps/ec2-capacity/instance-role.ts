import {
  AddRoleToInstanceProfileCommand,
  AttachRolePolicyCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  DetachRolePolicyCommand,
  GetInstanceProfileCommand,
  GetRoleCommand,
  paginateListAttachedRolePolicies,
  paginateListInstanceProfileTags,
  paginateListInstanceProfilesForRole,
  paginateListRoleTags,
  RemoveRoleFromInstanceProfileCommand,
  waitUntilInstanceProfileExists,
  waitUntilRoleExists,
  type InstanceProfile,
  type Role,
} from '@aws-sdk/client-iam';
import { notOwnedError, warnLeftInPlace } from '../../aws/ownership.js';
import { onceOptions } from '../../aws/create-once-options.js';
import { isAwsError } from '../../aws/errors.js';
import { alreadyDone, createOnce } from '../../aws/idempotent.js';
import { partitionOf } from '../../aws/partition.js';
import { retryWhile } from '../../aws/retry.js';
import { isOwnedBy, ownerTags } from '../../aws/tags.js';
import type { Change, StepContext } from '../../engine/types.js';

// ---------------------------------------------------------------------------------------
// The instance role and its instance profile: the ECS agent on each container instance acts with them.

/** What the plan found: the role exists; `attach` when the ECS managed policy is not attached to it. */
export interface InstanceRolePlan {
  arn: string;
  attach: boolean;
}

/** What the plan found: the profile exists; `addRole` when it does not hold the instance role. */
export interface InstanceProfilePlan {
  arn: string;
  addRole: boolean;
}

function instanceTrustPolicy(): Record<string, unknown> {
  return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
}

function instancePolicyArn(region: string): string {
  return `arn:${partitionOf(region)}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role`;
}

const ALREADY_EXISTS = ['EntityAlreadyExists', 'EntityAlreadyExistsException'];

const ignoreGone = (err: unknown) => {
  if (!isAwsError(err, 'NoSuchEntityException', 'NoSuchEntity')) throw err;
};

// ---------------------------------------------------------------------------------------
// Reads.

async function getRole(ctx: StepContext, name: string): Promise<Role | undefined> {
  try {
    return (await ctx.aws.iam().send(new GetRoleCommand({ RoleName: name }))).Role;
  } catch (err) {
    if (isAwsError(err, 'NoSuchEntityException', 'NoSuchEntity')) return undefined;
    throw err;
  }
}

// IAM lists page (IsTruncated/Marker) and "might return fewer than MaxItems even when there are more" (IAM API
// reference, e.g. ListAttachedRolePolicies): every IAM list here follows its paginator to the end.
async function all<P, T>(pages: AsyncIterable<P>, items: (page: P) => T[] | undefined): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(...(items(page) ?? []));
  return out;
}

async function roleOwned(ctx: StepContext, role: Role): Promise<boolean> {
  const tags = role.Tags ?? (await all(paginateListRoleTags({ client: ctx.aws.iam() }, { RoleName: role.RoleName }), (p) => p.Tags));
  return isOwnedBy(tags, ctx.owner);
}

async function getInstanceProfile(ctx: StepContext, name: string): Promise<InstanceProfile | undefined> {
  try {
    return (await ctx.aws.iam().send(new GetInstanceProfileCommand({ InstanceProfileName: name }))).InstanceProfile;
  } catch (err) {
    if (isAwsError(err, 'NoSuchEntityException', 'NoSuchEntity')) return undefined;
    throw err;
  }
}

async function profileOwned(ctx: StepContext, profile: InstanceProfile): Promise<boolean> {
  const pages = paginateListInstanceProfileTags({ client: ctx.aws.iam() }, { InstanceProfileName: profile.InstanceProfileName });
  const tags = profile.Tags ?? (await all(pages, (p) => p.Tags));
  return isOwnedBy(tags, ctx.owner);
}

// ---------------------------------------------------------------------------------------
// Plan (reads only): each adds its changes and returns undefined when the resource is missing.

export async function planInstanceRole(ctx: StepContext, changes: Change[]): Promise<InstanceRolePlan | undefined> {
  const n = ctx.names;
  const role = await getRole(ctx, n.instanceRole);
  if (!role) {
    changes.push({ field: 'instanceRole', after: `${n.instanceRole} (AmazonEC2ContainerServiceforEC2Role)` });
    return undefined;
  }
  if (!(await roleOwned(ctx, role))) throw notOwnedError('capacity.role-not-owned', `An IAM role named ${n.instanceRole}`, ctx.owner);
  const attached = await all(
    paginateListAttachedRolePolicies({ client: ctx.aws.iam() }, { RoleName: n.instanceRole }),
    (p) => p.AttachedPolicies,
  );
  const attach = !attached.some((p) => p.PolicyArn === instancePolicyArn(ctx.region));
  if (attach) changes.push({ field: 'instanceRole.managedPolicies', after: [instancePolicyArn(ctx.region)] });
  return { arn: role.Arn ?? '', attach };
}

export async function planInstanceProfile(ctx: StepContext, changes: Change[]): Promise<InstanceProfilePlan | undefined> {
  const n = ctx.names;
  const profile = await getInstanceProfile(ctx, n.instanceProfile);
  if (!profile) {
    changes.push({ field: 'instanceProfile', after: n.instanceProfile });
    return undefined;
  }
  if (!(await profileOwned(ctx, profile)))
    throw notOwnedError('capacity.profile-not-owned', `An instance profile named ${n.instanceProfile}`, ctx.owner);
  const addRole = !(profile.Roles ?? []).some((r) => r.RoleName === n.instanceRole);
  if (addRole)
    changes.push({ field: 'instanceProfile.role', before: (profile.Roles ?? []).map((r) => r.RoleName), after: [n.instanceRole] });
  return { arn: profile.Arn ?? '', addRole };
}

// ---------------------------------------------------------------------------------------
// Apply: create what is missing, change only what the plan found.

/** The role (created when missing, and given the ECS managed policy); returns its ARN. */
export async function ensureInstanceRole(ctx: StepContext, planned: InstanceRolePlan | undefined): Promise<string> {
  const n = ctx.names;
  const iam = ctx.aws.iam();
  let roleArn = planned?.arn;
  if (!planned) {
    ctx.progress(`creating instance role ${n.instanceRole}`);
    const input = {
      RoleName: n.instanceRole,
      Path: n.rolePath,
      AssumeRolePolicyDocument: JSON.stringify(instanceTrustPolicy()),
      Description: `ecs-kit: ECS container instances of ${ctx.owner.app}/${ctx.owner.env}`,
      Tags: ownerTags(ctx.owner),
    };
    // No idempotency token: after a lost response, find the role by name (and our tags) instead of failing.
    roleArn = await createOnce({
      create: async () => (await ctx.aws.once.iam().send(new CreateRoleCommand(input))).Role?.Arn ?? '',
      find: async () => {
        const role = await getRole(ctx, n.instanceRole);
        return role && (await roleOwned(ctx, role)) ? (role.Arn ?? '') : undefined;
      },
      alreadyExists: ALREADY_EXISTS,
      ...onceOptions(ctx),
    });
    await waitUntilRoleExists({ client: iam, maxWaitTime: 60, abortSignal: ctx.signal }, { RoleName: n.instanceRole });
  }
  if (!planned || planned.attach)
    await iam.send(new AttachRolePolicyCommand({ RoleName: n.instanceRole, PolicyArn: instancePolicyArn(ctx.region) }));
  return roleArn ?? '';
}

/** The instance profile (created when missing), holding the instance role; returns its ARN. */
export async function ensureInstanceProfile(ctx: StepContext, planned: InstanceProfilePlan | undefined): Promise<string> {
  const n = ctx.names;
  const iam = ctx.aws.iam();
  let profileArn = planned?.arn;
  if (!planned) {
    ctx.progress(`creating instance profile ${n.instanceProfile}`);
    const input = { InstanceProfileName: n.instanceProfile, Path: n.rolePath, Tags: ownerTags(ctx.owner) };
    profileArn = await createOnce({
      create: async () => (await ctx.aws.once.iam().send(new CreateInstanceProfileCommand(input))).InstanceProfile?.Arn ?? '',
      find: async () => {
        const profile = await getInstanceProfile(ctx, n.instanceProfile);
        return profile && (await profileOwned(ctx, profile)) ? (profile.Arn ?? '') : undefined;
      },
      alreadyExists: ALREADY_EXISTS,
      ...onceOptions(ctx),
    });
  }
  if (!planned || planned.addRole) {
    // A profile holds one role: on a retried call whose first response was lost, IAM says the quota is reached.
    await iam
      .send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: n.instanceProfile, RoleName: n.instanceRole }))
      .catch(
        alreadyDone(['LimitExceeded', 'LimitExceededException'], async () =>
          Boolean((await getInstanceProfile(ctx, n.instanceProfile))?.Roles?.some((r) => r.RoleName === n.instanceRole)),
        ),
      );
    // IAM is eventually consistent: instances launched with a brand-new profile can fail to start.
    await waitUntilInstanceProfileExists(
      { client: iam, maxWaitTime: 60, abortSignal: ctx.signal },
      { InstanceProfileName: n.instanceProfile },
    );
  }
  return profileArn ?? '';
}

// ---------------------------------------------------------------------------------------
// Teardown: the profile first (it holds the role), then the role.

export async function destroyInstanceProfile(ctx: StepContext, name: string): Promise<void> {
  const iam = ctx.aws.iam();
  const profile = await getInstanceProfile(ctx, name);
  if (!profile) return;
  if (!(await profileOwned(ctx, profile))) {
    warnLeftInPlace(ctx, `instance profile ${name}`);
    return;
  }
  for (const r of profile.Roles ?? []) {
    await iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: name, RoleName: r.RoleName })).catch(ignoreGone);
  }
  await iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: name })).catch(ignoreGone);
}

export async function destroyInstanceRole(ctx: StepContext, name: string): Promise<void> {
  const iam = ctx.aws.iam();
  const role = await getRole(ctx, name);
  if (!role) return;
  if (!(await roleOwned(ctx, role))) {
    warnLeftInPlace(ctx, `IAM role ${name}`);
    return;
  }
  try {
    // Every page is read before the first change (changing a list while paging it can skip entries).
    const attached = await all(paginateListAttachedRolePolicies({ client: iam }, { RoleName: name }), (p) => p.AttachedPolicies);
    for (const p of attached) {
      await iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: p.PolicyArn })).catch(ignoreGone);
    }
    // Another profile (e.g. added by hand) would make DeleteRole fail with DeleteConflict.
    const profiles = await all(paginateListInstanceProfilesForRole({ client: iam }, { RoleName: name }), (p) => p.InstanceProfiles);
    for (const p of profiles) {
      await iam
        .send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: p.InstanceProfileName, RoleName: name }))
        .catch(ignoreGone);
    }
    await retryWhile(
      () => iam.send(new DeleteRoleCommand({ RoleName: name })),
      (err) => isAwsError(err, 'DeleteConflictException', 'DeleteConflict', 'ConcurrentModificationException'),
      { timeoutMs: ctx.options.destroyRetryMs, signal: ctx.signal, onRetry: () => ctx.progress(`waiting for IAM to release ${name}`) },
    );
  } catch (err) {
    ignoreGone(err);
  }
}
