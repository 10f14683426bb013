import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  PutRolePolicyCommand,
  ListRoleTagsCommand,
  RemoveRoleFromInstanceProfileCommand,
  UpdateAssumeRolePolicyCommand,
  paginateListAttachedRolePolicies,
  paginateListInstanceProfilesForRole,
  paginateListRolePolicies,
  waitUntilRoleExists,
  type IAMClient,
  type Role,
  type Tag,
} from '@aws-sdk/client-iam';
import { partitionOf } from '../../aws/partition.js';
import { isAwsError } from '../../aws/errors.js';
import { retryWhile } from '../../aws/retry.js';
import { isOwnedBy, ownerTags } from '../../aws/tags.js';
import type { Config } from '../../config/schema.js';
import type { Change, StepContext, StepModule, StepPlan } from '../../engine/types.js';
import { EcsKitError } from '../../errors.js';

import type { PolicyDocument } from '../../security/refs.js';
import { taskRolePolicy } from '../../security/refs.js';
import { executionPolicyFor, secretsDependencies, type SecretsState } from '../secrets/index.js';

export interface RoleState {
  roleName: string;
  roleArn: string;
  /** Name of the inline policy ecs-kit put on the role, if any. */
  inlinePolicy?: string;
}

/** The one inline policy ecs-kit manages on its roles (secrets access, or the config's task-role statements). */
export const INLINE_POLICY_NAME = 'ecs-kit';

async function getInlinePolicy(iam: IAMClient, role: string): Promise<unknown | undefined> {
  try {
    const out = await iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: INLINE_POLICY_NAME }));
    return parsePolicyDocument(out.PolicyDocument);
  } catch (err) {
    if (isAwsError(err, 'NoSuchEntityException', 'NoSuchEntity')) return undefined;
    throw err;
  }
}

type Ctx = StepContext<RoleState>;

/**
 * What the role steps record. `changedAt`: when this role was last created or changed. IAM takes
 * seconds to make such a change usable, so the service step tells the rollout watcher not to count
 * task launches that fail on it in the meantime (real-aws.md #21).
 */
export interface RoleStepState extends RoleState {
  changedAt?: string;
}


export function executionPolicyArn(region: string): string {
  return `arn:${partitionOf(region)}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy`;
}

/**
 * Only ECS tasks of this account may assume the role; aws:SourceAccount stops another
 * account from getting ECS to act with it (the confused-deputy problem).
 */
export function trustPolicy(account: string): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'ecs-tasks.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': account } },
      },
    ],
  };
}

/**
 * A policy document in a canonical form: keys sorted, one-element lists reduced to the
 * element, lists sorted. IAM accepts "Action": "x" and ["x"] alike, and may reorder.
 */
export function canonicalPolicy(value: unknown): unknown {
  if (Array.isArray(value)) {
    if (value.length === 1) return canonicalPolicy(value[0]);
    return value.map(canonicalPolicy).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonicalPolicy((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** GetRole returns the trust policy URL-encoded. */
export function parsePolicyDocument(raw: string | undefined): unknown {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    try {
      return JSON.parse(decodeURIComponent(raw));
    } catch {
      return raw;
    }
  }
}

async function getRole(iam: IAMClient, name: string): Promise<Role | undefined> {
  try {
    return (await iam.send(new GetRoleCommand({ RoleName: name }))).Role;
  } catch (err) {
    if (isAwsError(err, 'NoSuchEntityException', 'NoSuchEntity')) return undefined;
    throw err;
  }
}

async function roleTags(iam: IAMClient, role: Role): Promise<Tag[]> {
  if (role.Tags) return role.Tags;
  const tags: Tag[] = [];
  let marker: string | undefined;
  do {
    const out = await iam.send(new ListRoleTagsCommand({ RoleName: role.RoleName, Marker: marker }));
    tags.push(...(out.Tags ?? []));
    marker = out.IsTruncated ? out.Marker : undefined;
  } while (marker);
  return tags;
}

async function attachedPolicies(iam: IAMClient, name: string): Promise<string[]> {
  const arns: string[] = [];
  for await (const page of paginateListAttachedRolePolicies({ client: iam }, { RoleName: name })) {
    for (const p of page.AttachedPolicies ?? []) if (p.PolicyArn) arns.push(p.PolicyArn);
  }
  return arns;
}

interface RoleData {
  trust: boolean;
  attach: string[];
  detach: string[];
  /** Put this inline policy, or delete ours (null). Absent: leave it. */
  inline?: PolicyDocument | null;
}

interface RoleSpec {
  kind: string;
  title(scope?: string): string;
  instances(config: Config): { scope?: string; dependsOn: string[] }[];
  name(ctx: Ctx): string;
  description(ctx: Ctx): string;
  policies(ctx: Ctx): string[];
  /** The inline policy the role should have; undefined for none. */
  inlinePolicy?(ctx: Ctx): PolicyDocument | undefined;
}

function roleStep(spec: RoleSpec): StepModule<RoleState> {
  return {
    kind: spec.kind,
    title: spec.title,
    instances: spec.instances,

    async plan(ctx): Promise<StepPlan<RoleState>> {
      const iam = ctx.aws.iam();
      const name = spec.name(ctx);
      const wanted = spec.policies(ctx);
      const wantedInline = spec.inlinePolicy?.(ctx);
      const role = await getRole(iam, name);
      if (!role) {
        const changes: Change[] = [{ field: 'role', after: name }];
        if (wanted.length) changes.push({ field: 'managedPolicies', after: wanted });
        if (wantedInline) changes.push({ field: `inlinePolicy.${INLINE_POLICY_NAME}`, after: wantedInline });
        return { action: 'create', changes, data: { trust: true, attach: wanted, detach: [], ...(wantedInline ? { inline: wantedInline } : {}) } satisfies RoleData };
      }
      if (!isOwnedBy(await roleTags(iam, role), ctx.owner)) {
        throw new EcsKitError('role.not-owned', `An IAM role named ${name} already exists and was not created by ecs-kit for ${ctx.owner.app}/${ctx.owner.env}.`, {
          why: 'ecs-kit only manages resources it created, so it will not adopt or change this role.',
          fix: 'Choose another app name or --env, or delete that role yourself.',
        });
      }
      // Kept as recorded, so a deploy that changes nothing leaves the manifest entry as it is.
      const changedAt = (ctx.previous as RoleStepState | undefined)?.changedAt;
      const current: RoleStepState = { roleName: role.RoleName ?? name, roleArn: role.Arn ?? '', ...(changedAt ? { changedAt } : {}) };
      const changes: Change[] = [];
      const data: RoleData = { trust: false, attach: [], detach: [] };

      const actualTrust = parsePolicyDocument(role.AssumeRolePolicyDocument);
      const wantedTrust = trustPolicy(ctx.account);
      if (JSON.stringify(canonicalPolicy(actualTrust)) !== JSON.stringify(canonicalPolicy(wantedTrust))) {
        data.trust = true;
        changes.push({ field: 'assumeRolePolicy', before: actualTrust, after: wantedTrust });
      }

      const attached = await attachedPolicies(iam, name);
      data.attach = wanted.filter((a) => !attached.includes(a));
      data.detach = attached.filter((a) => !wanted.includes(a));
      if (data.attach.length || data.detach.length) changes.push({ field: 'managedPolicies', before: [...attached].sort(), after: [...wanted].sort() });

      // Read the inline policy only when one is wanted or we put one before: a role with
      // neither keeps its plan to the calls above.
      if (wantedInline || ctx.previous?.inlinePolicy) {
        const actualInline = await getInlinePolicy(iam, name);
        if (wantedInline && JSON.stringify(canonicalPolicy(actualInline)) !== JSON.stringify(canonicalPolicy(wantedInline))) {
          data.inline = wantedInline;
          changes.push({ field: `inlinePolicy.${INLINE_POLICY_NAME}`, before: actualInline, after: wantedInline });
        } else if (!wantedInline && actualInline !== undefined) {
          data.inline = null;
          changes.push({ field: `inlinePolicy.${INLINE_POLICY_NAME}`, before: actualInline, after: undefined });
        }
        if (wantedInline && actualInline !== undefined) current.inlinePolicy = INLINE_POLICY_NAME;
      }

      return { action: changes.length ? 'update' : 'noop', changes, current, data };
    },

    async apply(ctx, plan): Promise<RoleState> {
      const iam = ctx.aws.iam();
      const name = spec.name(ctx);
      const data = plan.data as RoleData;
      const document = JSON.stringify(trustPolicy(ctx.account));
      let state = plan.current;

      if (plan.action === 'create') {
        try {
          const out = await iam.send(
            new CreateRoleCommand({
              RoleName: name,
              Path: ctx.names.rolePath,
              AssumeRolePolicyDocument: document,
              Description: spec.description(ctx),
              Tags: ownerTags(ctx.owner),
            }),
          );
          state = { roleName: out.Role?.RoleName ?? name, roleArn: out.Role?.Arn ?? '' };
        } catch (err) {
          // A retried create after a lost response: take it only if the tags say it is ours.
          if (!isAwsError(err, 'EntityAlreadyExistsException', 'EntityAlreadyExists')) throw err;
          const role = await getRole(iam, name);
          if (!role || !isOwnedBy(await roleTags(iam, role), ctx.owner)) throw err;
          state = { roleName: role.RoleName ?? name, roleArn: role.Arn ?? '' };
          await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: document }));
        }
        // IAM is eventually consistent: attaching to (or ECS using) a role right after creation can fail.
        await waitUntilRoleExists({ client: iam, maxWaitTime: 60, abortSignal: ctx.signal }, { RoleName: name });
      } else if (data.trust) {
        ctx.progress(`updating the trust policy of ${name}`);
        await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: document }));
      }

      for (const arn of data.attach) {
        ctx.progress(`attaching ${arn.split('/').pop()} to ${name}`);
        await iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: arn }));
      }
      for (const arn of data.detach) {
        ctx.progress(`detaching ${arn.split('/').pop()} from ${name}`);
        await iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: arn })).catch(ignoreGone);
      }
      if (data.inline) {
        ctx.progress(`setting the inline policy of ${name}`);
        await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: INLINE_POLICY_NAME, PolicyDocument: JSON.stringify(data.inline) }));
        state = { ...state!, inlinePolicy: INLINE_POLICY_NAME };
      } else if (data.inline === null) {
        ctx.progress(`removing the inline policy of ${name}`);
        await iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: INLINE_POLICY_NAME })).catch(ignoreGone);
        const { inlinePolicy: _gone, ...rest } = state!;
        state = rest;
      } else if (plan.current?.inlinePolicy) {
        state = { ...state!, inlinePolicy: plan.current.inlinePolicy };
      }
      // apply runs only to create or change the role: tasks may not be able to use it for a few seconds.
      const changed: RoleStepState = { ...state!, changedAt: new Date().toISOString() };
      return changed;
    },

    async destroy(ctx, state): Promise<void> {
      const iam = ctx.aws.iam();
      const name = state.roleName;
      const role = await getRole(iam, name);
      if (!role) return;
      if (!isOwnedBy(await roleTags(iam, role), ctx.owner)) {
        ctx.warn(`Left IAM role ${name} in place: its tags do not say ecs-kit created it for this app/env.`);
        return;
      }
      try {
        // DeleteRole refuses while anything is still attached, so empty it first.
        for (const arn of await attachedPolicies(iam, name)) {
          await iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: arn })).catch(ignoreGone);
        }
        for await (const page of paginateListRolePolicies({ client: iam }, { RoleName: name })) {
          for (const policy of page.PolicyNames ?? []) {
            await iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: policy })).catch(ignoreGone);
          }
        }
        for await (const page of paginateListInstanceProfilesForRole({ client: iam }, { RoleName: name })) {
          for (const profile of page.InstanceProfiles ?? []) {
            await iam.send(new RemoveRoleFromInstanceProfileCommand({ RoleName: name, InstanceProfileName: profile.InstanceProfileName })).catch(ignoreGone);
          }
        }
        await retryWhile(
          () => iam.send(new DeleteRoleCommand({ RoleName: name })),
          (err) => isAwsError(err, 'DeleteConflictException', 'DeleteConflict', 'ConcurrentModificationException', 'ConcurrentModification'),
          { timeoutMs: ctx.options.destroyRetryMs, signal: ctx.signal, onRetry: () => ctx.progress(`waiting for IAM to release ${name}`) },
        );
      } catch (err) {
        ignoreGone(err);
      }
    },
  };
}

function ignoreGone(err: unknown): void {
  if (isAwsError(err, 'NoSuchEntityException', 'NoSuchEntity')) return;
  throw err;
}

const perService = (config: Config) => Object.keys(config.services).map((scope) => ({ scope, dependsOn: [] as string[] }));

export const executionRoleStep: StepModule<RoleState> = roleStep({
  kind: 'execution-role',
  title: () => 'Task execution role',
  // It reads the services' secrets, so it waits for their preflight (which changes nothing).
  instances: (config) => [{ dependsOn: secretsDependencies(config) }],
  name: (ctx) => ctx.names.executionRole,
  description: (ctx) => `ecs-kit: lets ECS pull images and write logs for ${ctx.owner.app}/${ctx.owner.env}`,
  policies: (ctx) => [executionPolicyArn(ctx.region)],
  inlinePolicy: (ctx) => (ctx.config ? executionPolicyFor(secretsDependencies(ctx.config).map((id) => ctx.dep<SecretsState>(id))) : undefined),
});

export const taskRoleStep: StepModule<RoleState> = roleStep({
  kind: 'task-role',
  title: (scope) => `Task role (${scope})`,
  instances: perService,
  name: (ctx) => ctx.names.taskRole(ctx.scope!),
  description: (ctx) => `ecs-kit: the identity of ${ctx.scope} tasks in ${ctx.owner.app}/${ctx.owner.env}`,
  // Least privilege: no permissions until the config grants some.
  policies: (ctx) => [...(ctx.service?.taskRole?.managedPolicies ?? [])],
  inlinePolicy: (ctx) => taskRolePolicy(ctx.service?.taskRole?.statements),
});
