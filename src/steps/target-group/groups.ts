import { createHash } from 'node:crypto';
import {
  CreateTargetGroupCommand,
  DeleteTargetGroupCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ModifyTargetGroupCommand,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { onceOptions } from '../../aws/create-once-options.js';
import { deleteWithRetry, ignoreErrors } from '../../aws/deletion.js';
import { isAwsError } from '../../aws/errors.js';
import { createOnce } from '../../aws/idempotent.js';
import { ELB_NOT_FOUND, elbTags, findOwnedElb } from '../../aws/elb-ownership.js';
import { notOwnedError, warnLeftInPlace } from '../../aws/ownership.js';
import { isOwnedBy, ownerTags } from '../../aws/tags.js';
import type { ServiceConfig } from '../../config/schema.js';
import type { StepContext } from '../../engine/types.js';
import { EcsKitError } from '../../errors.js';
import { healthSettings, setDeregistrationDelay } from './health.js';
import type { TargetGroupStepState } from './index.js';

/**
 * A service's target group: found by name (or by the name a replacement got), created, and
 * deleted; groups the step replaced are kept until nothing uses them any more.
 */

type Ctx = StepContext<TargetGroupStepState>;
export type PortService = ServiceConfig & { port: number };

/** A group ecs-kit replaced; it is deleted once no service and no rule use it. */
export interface RetiredTargetGroup {
  targetGroupArn: string;
  targetGroupName: string;
}

/** The group plan found and how its mutable settings drifted. */
export interface PlannedTargetGroup {
  arn: string;
  name: string;
  healthDrift: boolean;
  attributeDrift: boolean;
}

/** Port, protocol, target type and VPC: fixed when a target group is created. */
export interface FixedFields {
  port: number;
  protocol: string;
  targetType: string;
  vpcId: string;
}

/** Bridge-mode tasks are reached at instance:dynamic port; every other task has its own IP. */
export function targetTypeFor(svc: Pick<ServiceConfig, 'capacity' | 'networkMode'>): 'ip' | 'instance' {
  return svc.capacity === 'ec2' && svc.networkMode === 'bridge' ? 'instance' : 'ip';
}

/**
 * The name of a replacement group. A group's fixed fields cannot change and its name is unique,
 * so the new one gets a name of its own (a hash of the fixed fields) and both can exist while
 * the service moves over; the same fields always give the same name, so a retry adopts it.
 * Target group names: at most 32 letters, digits and hyphens, not starting or ending with one.
 */
export function replacementName(base: string, f: FixedFields): string {
  const hash = createHash('sha256').update(`${base}|${f.protocol}:${f.port}|${f.targetType}|${f.vpcId}`).digest('hex').slice(0, 6);
  return `${base.slice(0, 32 - 7).replace(/-+$/, '')}-${hash}`;
}

async function findTargetGroup(ctx: Ctx, name: string): Promise<TargetGroup | undefined> {
  return findOwnedElb(
    ctx,
    async () => (await ctx.aws.elbv2().send(new DescribeTargetGroupsCommand({ Names: [name] }))).TargetGroups?.[0],
    (tg) => tg.TargetGroupArn,
    () => notOwnedError('target-group.not-owned', `A target group named ${name}`, ctx.owner),
  );
}

/**
 * The group the service uses: the one the manifest names, else one under the base name, else one
 * a replacement made for exactly these fixed fields (found again after a lost manifest). With a
 * manifest, the first look finds it: a deploy that changes nothing makes one call, as before.
 */
export async function locateTargetGroup(ctx: Ctx, fixed: FixedFields, retired: RetiredTargetGroup[]): Promise<TargetGroup | undefined> {
  const base = ctx.names.targetGroup(ctx.scope!);
  const candidates = [
    ...new Set([ctx.previous?.targetGroupName, base, replacementName(base, fixed)].filter((n): n is string => Boolean(n))),
  ];
  for (const name of candidates) {
    if (retired.some((r) => r.targetGroupName === name)) continue;
    const tg = await findTargetGroup(ctx, name);
    if (tg) return tg;
  }
  return undefined;
}

/**
 * Groups an earlier deploy replaced and could not delete yet (it did not wait for the rollout, or
 * failed before the service moved): gone ones are forgotten; one with no registered target is
 * deleted now; one that still has targets (a service still sends it tasks) is kept for later.
 */
export async function retiredStillThere(
  ctx: Ctx,
): Promise<{ all: RetiredTargetGroup[]; keep: RetiredTargetGroup[]; remove: RetiredTargetGroup[] }> {
  const all = ctx.previous?.retired ?? [];
  const keep: RetiredTargetGroup[] = [];
  const remove: RetiredTargetGroup[] = [];
  for (const r of all) {
    const there = await ctx.aws
      .elbv2()
      .send(new DescribeTargetGroupsCommand({ TargetGroupArns: [r.targetGroupArn] }))
      .then((o) => (o.TargetGroups?.length ?? 0) > 0)
      .catch(ignoreErrors(...ELB_NOT_FOUND));
    if (!there) continue;
    const targets =
      (await ctx.aws.elbv2().send(new DescribeTargetHealthCommand({ TargetGroupArn: r.targetGroupArn }))).TargetHealthDescriptions ?? [];
    (targets.length ? keep : remove).push(r);
  }
  return { all, keep, remove };
}

async function createTargetGroup(ctx: Ctx, name: string, svc: PortService, vpcId: string): Promise<string> {
  // A retry after a lost response can meet DuplicateTargetGroupName: adopt ours by name.
  return createOnce({
    create: async () =>
      (
        await ctx.aws.once.elbv2().send(
          new CreateTargetGroupCommand({
            Name: name,
            Protocol: 'HTTP',
            Port: svc.port,
            VpcId: vpcId,
            TargetType: targetTypeFor(svc),
            ...healthSettings(svc),
            Tags: ownerTags(ctx.owner, 'target-group'),
          }),
        )
      ).TargetGroups![0]!.TargetGroupArn!,
    find: async () => {
      const found = await ctx.aws
        .elbv2()
        .send(new DescribeTargetGroupsCommand({ Names: [name] }))
        .catch(ignoreErrors(...ELB_NOT_FOUND));
      const tgArn = found?.TargetGroups?.[0]?.TargetGroupArn;
      return tgArn && isOwnedBy(await elbTags(ctx, tgArn), ctx.owner) ? tgArn : undefined;
    },
    alreadyExists: ['DuplicateTargetGroupNameException', 'DuplicateTargetGroupName'],
    ...onceOptions(ctx),
  });
}

/** Create the group when plan found none (or it is being replaced), else fix what drifted; returns its ARN. */
export async function ensureTargetGroup(
  ctx: Ctx,
  planned: PlannedTargetGroup | undefined,
  name: string,
  svc: PortService,
  vpcId: string,
): Promise<string> {
  let arn: string;
  if (!planned?.arn) {
    ctx.progress(`creating target group ${name}`);
    arn = await createTargetGroup(ctx, name, svc, vpcId);
  } else {
    arn = planned.arn;
    if (planned.healthDrift) await ctx.aws.elbv2().send(new ModifyTargetGroupCommand({ TargetGroupArn: arn, ...healthSettings(svc) }));
  }
  if (!planned || planned.attributeDrift) await setDeregistrationDelay(ctx, arn, svc);
  return arn;
}

/**
 * Delete a group this step replaced, once nothing uses it: one attempt, no waiting. Still in use
 * (a rule, or the service not moved yet) → false, and a later deploy tries again.
 */
export async function deleteRetiredTargetGroup(ctx: StepContext, r: RetiredTargetGroup): Promise<boolean> {
  ctx.progress(`deleting target group ${r.targetGroupName}, which was replaced`);
  try {
    await deleteTargetGroup(ctx, r.targetGroupArn, r.targetGroupName, false);
    return true;
  } catch (err) {
    if (!isAwsError(err, 'ResourceInUseException', 'ResourceInUse')) throw err;
    ctx.warn(
      'target-group.delete-deferred',
      `Target group ${r.targetGroupName} was replaced but is still in use; the next deploy deletes it.`,
    );
    return false;
  }
}

export async function deleteTargetGroup(ctx: StepContext, arn: string, name: string, retry = true): Promise<void> {
  let exists: boolean;
  try {
    exists = ((await ctx.aws.elbv2().send(new DescribeTargetGroupsCommand({ TargetGroupArns: [arn] }))).TargetGroups?.length ?? 0) > 0;
  } catch (err) {
    if (!isAwsError(err, ...ELB_NOT_FOUND)) throw err;
    exists = false;
  }
  if (!exists) return;
  const tags = await elbTags(ctx, arn);
  if (!tags) return;
  if (!isOwnedBy(tags, ctx.owner)) {
    warnLeftInPlace(ctx, `target group ${name}`);
    return;
  }
  if (!retry) {
    await ctx.aws
      .elbv2()
      .send(new DeleteTargetGroupCommand({ TargetGroupArn: arn }))
      .catch(ignoreErrors(...ELB_NOT_FOUND));
    return;
  }
  try {
    await deleteWithRetry(ctx, () => ctx.aws.elbv2().send(new DeleteTargetGroupCommand({ TargetGroupArn: arn })), {
      what: `target group ${name}`,
      retryOn: ['ResourceInUseException', 'ResourceInUse'],
      goneOn: ELB_NOT_FOUND,
    });
  } catch (err) {
    if (!isAwsError(err, 'ResourceInUseException', 'ResourceInUse')) throw err;
    throw new EcsKitError('target-group.in-use', `Target group ${name} is still in use and could not be deleted.`, {
      why: 'A listener rule still points at it.',
      fix: 'Run `ecs-kit teardown` and deploy again, or wait for the service to release the group and re-run the command.',
      cause: err,
    });
  }
}
