import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
  waitUntilRoleExists,
  type IAMClient,
  type Role,
} from '@aws-sdk/client-iam';
import { isAwsError } from '../../aws/errors.js';
import { warnLeftInPlace } from '../../aws/ownership.js';
import { retryWhile } from '../../aws/retry.js';
import { isOwnedBy, ownerTags } from '../../aws/tags.js';
import type { Config } from '../../config/schema.js';
import type { Change, StepContext, StepModule, StepPlan } from '../../engine/types.js';
import { EcsKitError } from '../../errors.js';
import type { PolicyDocument } from '../../security/refs.js';
import type { RoleState } from './index.js';
import { attachedPolicies, emptyRole, getInlinePolicy, getRole, ignoreGone, roleTags } from './iam.js';
import { INLINE_POLICY_NAME, parsePolicyDocument, samePolicy, trustPolicy } from './policy.js';

/** What plan found to change (everything, for a new role); apply does exactly that. */
export interface RolePlanData {
  trust: boolean;
  attach: string[];
  detach: string[];
  /** Put this inline policy, or delete ours (null). Absent: leave it. */
  inline?: PolicyDocument | null;
}

type Ctx = StepContext<RoleState>;
type RolePlan = StepPlan<RoleState, RolePlanData>;

/** What sets one role step apart from the other (execution role, task role); plan, apply and destroy are shared. */
export interface RoleSpec {
  kind: string;
  title(scope?: string): string;
  instances(config: Config): { scope?: string; dependsOn: string[] }[];
  name(ctx: Ctx): string;
  description(ctx: Ctx): string;
  policies(ctx: Ctx): string[];
  /** The inline policy the role should have; undefined for none. */
  inlinePolicy?(ctx: Ctx): PolicyDocument | undefined;
  /** Who may assume the role; default: ECS tasks of this account (trustPolicy). */
  trust?(ctx: Ctx): Record<string, unknown>;
}

const trustOf = (spec: RoleSpec, ctx: Ctx) => spec.trust?.(ctx) ?? trustPolicy(ctx.account);

export function roleStep(spec: RoleSpec): StepModule<RoleState, RolePlanData> {
  return {
    kind: spec.kind,
    title: spec.title,
    instances: spec.instances,
    plan: (ctx) => planRole(spec, ctx),
    apply: (ctx, plan) => applyRole(spec, ctx, plan),
    destroy: destroyRole,
  };
}

/** The plan of a role that exists, filled in part by part. */
interface ExistingRolePlan {
  current: RoleState;
  changes: Change[];
  data: RolePlanData;
}

async function planRole(spec: RoleSpec, ctx: Ctx): Promise<RolePlan> {
  const iam = ctx.aws.iam();
  const name = spec.name(ctx);
  const wanted = spec.policies(ctx);
  const wantedInline = spec.inlinePolicy?.(ctx);
  const role = await getRole(iam, name);
  if (!role) {
    const changes: Change[] = [{ field: 'role', after: name }];
    if (wanted.length) changes.push({ field: 'managedPolicies', after: wanted });
    if (wantedInline) changes.push({ field: `inlinePolicy.${INLINE_POLICY_NAME}`, after: wantedInline });
    return {
      action: 'create',
      changes,
      data: { trust: true, attach: wanted, detach: [], ...(wantedInline ? { inline: wantedInline } : {}) },
    };
  }
  if (!isOwnedBy(await roleTags(iam, role), ctx.owner)) {
    throw new EcsKitError(
      'role.not-owned',
      `An IAM role named ${name} already exists and was not created by ecs-kit for ${ctx.owner.app}/${ctx.owner.env}.`,
      {
        why: 'ecs-kit only manages resources it created, so it will not adopt or change this role.',
        fix: 'Choose another app name or --env, or delete that role yourself.',
      },
    );
  }
  // Kept as recorded, so a deploy that changes nothing leaves the manifest entry as it is.
  const changedAt = ctx.previous?.changedAt;
  const plan: ExistingRolePlan = {
    current: { roleName: role.RoleName ?? name, roleArn: role.Arn ?? '', ...(changedAt ? { changedAt } : {}) },
    changes: [],
    data: { trust: false, attach: [], detach: [] },
  };
  planTrust(trustOf(spec, ctx), role, plan);
  await planManagedPolicies(iam, name, wanted, plan);
  // Read the inline policy only when one is wanted or we put one before: a role with
  // neither keeps its plan to the calls above.
  if (wantedInline || ctx.previous?.inlinePolicy) await planInlinePolicy(iam, name, wantedInline, plan);
  return { action: plan.changes.length ? 'update' : 'noop', ...plan };
}

function planTrust(wantedTrust: Record<string, unknown>, role: Role, plan: ExistingRolePlan): void {
  const actualTrust = parsePolicyDocument(role.AssumeRolePolicyDocument);
  if (samePolicy(actualTrust, wantedTrust)) return;
  plan.data.trust = true;
  plan.changes.push({ field: 'assumeRolePolicy', before: actualTrust, after: wantedTrust });
}

async function planManagedPolicies(iam: IAMClient, name: string, wanted: string[], plan: ExistingRolePlan): Promise<void> {
  const attached = await attachedPolicies(iam, name);
  plan.data.attach = wanted.filter((a) => !attached.includes(a));
  plan.data.detach = attached.filter((a) => !wanted.includes(a));
  if (plan.data.attach.length || plan.data.detach.length) {
    plan.changes.push({ field: 'managedPolicies', before: [...attached].sort(), after: [...wanted].sort() });
  }
}

async function planInlinePolicy(
  iam: IAMClient,
  name: string,
  wantedInline: PolicyDocument | undefined,
  plan: ExistingRolePlan,
): Promise<void> {
  const actualInline = await getInlinePolicy(iam, name);
  const field = `inlinePolicy.${INLINE_POLICY_NAME}`;
  if (wantedInline && !samePolicy(actualInline, wantedInline)) {
    plan.data.inline = wantedInline;
    plan.changes.push({ field, before: actualInline, after: wantedInline });
  } else if (!wantedInline && actualInline !== undefined) {
    plan.data.inline = null;
    plan.changes.push({ field, before: actualInline, after: undefined });
  }
  if (wantedInline && actualInline !== undefined) plan.current.inlinePolicy = INLINE_POLICY_NAME;
}

async function applyRole(spec: RoleSpec, ctx: Ctx, plan: RolePlan): Promise<RoleState> {
  const iam = ctx.aws.iam();
  const name = spec.name(ctx);
  // Role plans always carry their data.
  const data = plan.data!;
  let state: RoleState;
  if (plan.action === 'create') {
    state = await createRole(spec, ctx, name);
  } else {
    state = plan.current!;
    if (data.trust) {
      ctx.progress(`updating the trust policy of ${name}`);
      await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: JSON.stringify(trustOf(spec, ctx)) }));
    }
  }
  for (const arn of data.attach) {
    ctx.progress(`attaching ${arn.split('/').pop()} to ${name}`);
    await iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: arn }));
  }
  for (const arn of data.detach) {
    ctx.progress(`detaching ${arn.split('/').pop()} from ${name}`);
    await iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: arn })).catch(ignoreGone);
  }
  state = await applyInlinePolicy(ctx, name, data.inline, state);
  // apply runs only to create or change the role: tasks may not be able to use it for a few seconds.
  return { ...state, changedAt: new Date().toISOString() };
}

async function createRole(spec: RoleSpec, ctx: Ctx, name: string): Promise<RoleState> {
  const iam = ctx.aws.iam();
  const document = JSON.stringify(trustOf(spec, ctx));
  let state: RoleState;
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
  return state;
}

/** Put or remove ecs-kit's inline policy as planned; the state says whether the role has it. */
async function applyInlinePolicy(ctx: Ctx, name: string, inline: RolePlanData['inline'], state: RoleState): Promise<RoleState> {
  const iam = ctx.aws.iam();
  if (inline) {
    ctx.progress(`setting the inline policy of ${name}`);
    await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: INLINE_POLICY_NAME, PolicyDocument: JSON.stringify(inline) }));
    return { ...state, inlinePolicy: INLINE_POLICY_NAME };
  }
  if (inline === null) {
    ctx.progress(`removing the inline policy of ${name}`);
    await iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: INLINE_POLICY_NAME })).catch(ignoreGone);
    const { inlinePolicy: _gone, ...rest } = state;
    return rest;
  }
  return state;
}

async function destroyRole(ctx: Ctx, state: RoleState): Promise<void> {
  const iam = ctx.aws.iam();
  const name = state.roleName;
  const role = await getRole(iam, name);
  if (!role) return;
  if (!isOwnedBy(await roleTags(iam, role), ctx.owner)) {
    warnLeftInPlace(ctx, `IAM role ${name}`);
    return;
  }
  try {
    await emptyRole(iam, name);
    await retryWhile(
      () => iam.send(new DeleteRoleCommand({ RoleName: name })),
      (err) => isAwsError(err, 'DeleteConflictException', 'DeleteConflict', 'ConcurrentModificationException', 'ConcurrentModification'),
      { timeoutMs: ctx.options.destroyRetryMs, signal: ctx.signal, onRetry: () => ctx.progress(`waiting for IAM to release ${name}`) },
    );
  } catch (err) {
    ignoreGone(err);
  }
}
