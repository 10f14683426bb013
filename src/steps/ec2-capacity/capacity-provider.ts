import {
  CreateCapacityProviderCommand,
  DeleteCapacityProviderCommand,
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  PutClusterCapacityProvidersCommand,
  UpdateCapacityProviderCommand,
  type CapacityProvider,
  type CapacityProviderStrategyItem,
  type Cluster,
} from '@aws-sdk/client-ecs';
import { notOwnedError, warnLeftInPlace } from '../../aws/ownership.js';
import { onceOptions } from '../../aws/create-once-options.js';
import { isAwsError, messageIncludes } from '../../aws/errors.js';
import { createOnce } from '../../aws/idempotent.js';
import { retryWhile } from '../../aws/retry.js';
import { prepareServiceLinkedRole, retryWhileRoleIsNew } from '../../aws/service-linked-roles.js';
import { ecsTags, isOwnedBy } from '../../aws/tags.js';
import { strategyKey } from '../../capacity/strategy.js';
import type { Change, StepContext } from '../../engine/types.js';
import { EcsKitError } from '../../errors.js';
import { waitForDeletion } from './wait-for-deletion.js';

// ---------------------------------------------------------------------------------------
// The ECS capacity provider over the Auto Scaling group, and its place on the cluster (the cluster's default strategy).

/** What the plan found: the provider exists; `update` when its managed scaling differs from ours. */
export interface CapacityProviderPlan {
  arn: string;
  update: boolean;
}

const MANAGED_SCALING = { status: 'ENABLED' as const, targetCapacity: 100 };

/** An ACTIVE capacity provider; a deleted one stays listed as INACTIVE for a while. One name: one page. */
async function findCapacityProvider(ctx: StepContext, name: string): Promise<CapacityProvider | undefined> {
  const out = await ctx.aws.ecs().send(new DescribeCapacityProvidersCommand({ capacityProviders: [name], include: ['TAGS'] }));
  const cp = out.capacityProviders?.find((c) => c.name === name);
  return cp && cp.status !== 'INACTIVE' ? cp : undefined;
}

/** DescribeClusters does not page. */
async function describeCluster(ctx: StepContext, name: string): Promise<Cluster | undefined> {
  const out = await ctx.aws.ecs().send(new DescribeClustersCommand({ clusters: [name] }));
  const c = out.clusters?.[0];
  return c && c.status !== 'INACTIVE' ? c : undefined;
}

function wantedDefaultStrategy(cp: string): CapacityProviderStrategyItem[] {
  return [{ capacityProvider: cp, weight: 1, base: 0 }];
}

// ---------------------------------------------------------------------------------------
// Plan (reads only).

/** Adds the provider's changes; undefined when it does not exist yet. `asgArn`: the group the plan found, if any. */
export async function planCapacityProvider(
  ctx: StepContext,
  cpName: string,
  asgArn: string | undefined,
  changes: Change[],
): Promise<CapacityProviderPlan | undefined> {
  const cp = await findCapacityProvider(ctx, cpName);
  if (!cp) {
    changes.push({ field: 'capacityProvider', after: `${cpName} (managed scaling, target 100%)` });
    return undefined;
  }
  if (!isOwnedBy(cp.tags, ctx.owner)) throw notOwnedError('capacity.cp-not-owned', `An ECS capacity provider named ${cpName}`, ctx.owner);
  const p = cp.autoScalingGroupProvider;
  if (asgArn && p?.autoScalingGroupArn && p.autoScalingGroupArn !== asgArn) {
    throw new EcsKitError('capacity.cp-stale', `Capacity provider ${cpName} points at an Auto Scaling group that no longer exists.`, {
      why: 'A capacity provider cannot be moved to another Auto Scaling group; the group it was made for was deleted outside ecs-kit.',
      fix: 'Run `ecs-kit teardown` and deploy again.',
    });
  }
  const ms = p?.managedScaling;
  const update =
    (ms?.status !== undefined && ms.status !== 'ENABLED') ||
    (ms?.targetCapacity !== undefined && ms.targetCapacity !== 100) ||
    (p?.managedTerminationProtection !== undefined && p.managedTerminationProtection !== 'ENABLED');
  if (update) {
    changes.push({
      field: 'capacityProvider.managedScaling',
      before: { status: ms?.status, targetCapacity: ms?.targetCapacity, terminationProtection: p?.managedTerminationProtection },
      after: { status: 'ENABLED', targetCapacity: 100, terminationProtection: 'ENABLED' },
    });
  }
  return { arn: cp.capacityProviderArn ?? '', update };
}

/** True (and a change) when the provider is not on the cluster or is not its default strategy. */
export async function planClusterAttachment(ctx: StepContext, clusterName: string, cpName: string, changes: Change[]): Promise<boolean> {
  const cluster = await describeCluster(ctx, clusterName);
  const providers = cluster?.capacityProviders ?? [];
  const attach =
    !providers.includes(cpName) || strategyKey(cluster?.defaultCapacityProviderStrategy) !== strategyKey(wantedDefaultStrategy(cpName));
  if (attach)
    changes.push({ field: 'cluster.capacityProviders', before: providers, after: [...providers.filter((p) => p !== cpName), cpName] });
  return attach;
}

// ---------------------------------------------------------------------------------------
// Apply.

export async function ensureCapacityProvider(
  ctx: StepContext,
  planned: CapacityProviderPlan | undefined,
  cpName: string,
  asgArn: string,
): Promise<void> {
  if (planned) {
    if (planned.update) {
      const autoScalingGroupProvider = { managedScaling: MANAGED_SCALING, managedTerminationProtection: 'ENABLED' as const };
      await ctx.aws.ecs().send(new UpdateCapacityProviderCommand({ name: cpName, autoScalingGroupProvider }));
    }
    return;
  }
  ctx.progress(`creating capacity provider ${cpName}`);
  // "ECS Service Linked Role does not exist" in a fresh account (terraform-aws-modules/terraform-aws-ecs#26): make the
  // role first, and retry while it propagates (inside `create`, so createOnce still looks up after a lost response).
  await prepareServiceLinkedRole(ctx, 'ecs');
  const input = {
    name: cpName,
    autoScalingGroupProvider: {
      autoScalingGroupArn: asgArn,
      managedScaling: MANAGED_SCALING,
      managedTerminationProtection: 'ENABLED' as const,
    },
    tags: ecsTags(ctx.owner),
  };
  await createOnce({
    create: async () => {
      const send = () => ctx.aws.once.ecs().send(new CreateCapacityProviderCommand(input));
      return void (await retryWhileRoleIsNew(ctx, 'ecs', send));
    },
    find: async () => {
      const cp = await findCapacityProvider(ctx, cpName);
      return cp && isOwnedBy(cp.tags, ctx.owner) ? cp : undefined;
    },
    // ECS reports a duplicate name as a ClientException; only a provider tagged as ours is adopted.
    alreadyExists: ['ClientException'],
    ...onceOptions(ctx),
  });
}

/** Puts the provider on the cluster as its default strategy. */
export async function attachToCluster(ctx: StepContext, clusterName: string, cpName: string): Promise<void> {
  // Re-read: the cluster step may have just added the Fargate providers; keep every one.
  const cluster = await describeCluster(ctx, clusterName);
  const providers = [...(cluster?.capacityProviders ?? []).filter((p) => p !== cpName), cpName];
  ctx.progress(`attaching ${cpName} to cluster ${clusterName}`);
  const input = { cluster: clusterName, capacityProviders: providers, defaultCapacityProviderStrategy: wantedDefaultStrategy(cpName) };
  await retryWhile(
    () => ctx.aws.ecs().send(new PutClusterCapacityProvidersCommand(input)),
    (err) => isAwsError(err, 'UpdateInProgressException'),
    { timeoutMs: ctx.options.timeoutMs, signal: ctx.signal },
  );
}

// ---------------------------------------------------------------------------------------
// Teardown: detach from the cluster, then delete the provider.

export async function detachFromCluster(ctx: StepContext, clusterName: string, cpName: string): Promise<void> {
  const cluster = await describeCluster(ctx, clusterName).catch((err) => {
    if (isAwsError(err, 'ClusterNotFoundException')) return undefined;
    throw err;
  });
  if (!cluster?.capacityProviders?.includes(cpName)) return;
  ctx.progress(`detaching ${cpName} from cluster ${clusterName}`);
  const input = {
    cluster: clusterName,
    capacityProviders: cluster.capacityProviders.filter((p) => p !== cpName),
    defaultCapacityProviderStrategy: (cluster.defaultCapacityProviderStrategy ?? []).filter((x) => x.capacityProvider !== cpName),
  };
  await retryWhile(
    () => ctx.aws.ecs().send(new PutClusterCapacityProvidersCommand(input)),
    // Tasks still placed by the provider keep it "in use" until ECS has stopped them.
    (err) => isAwsError(err, 'ResourceInUseException', 'UpdateInProgressException'),
    {
      timeoutMs: ctx.options.destroyRetryMs,
      signal: ctx.signal,
      onRetry: () => ctx.progress(`waiting for tasks to stop before detaching ${cpName}`),
    },
  ).catch((err) => {
    if (!isAwsError(err, 'ClusterNotFoundException')) throw err;
  });
}

/** Deletes the provider and waits until ECS has: the Auto Scaling group may only go once the provider has let go of it. */
export async function destroyCapacityProvider(ctx: StepContext, cpName: string): Promise<void> {
  const cp = await findCapacityProvider(ctx, cpName);
  if (!cp) return;
  if (!isOwnedBy(cp.tags, ctx.owner)) {
    warnLeftInPlace(ctx, `capacity provider ${cpName}`);
    return;
  }
  if (cp.updateStatus !== 'DELETE_IN_PROGRESS') {
    ctx.progress(`deleting capacity provider ${cpName}`);
    await retryWhile(
      () => ctx.aws.ecs().send(new DeleteCapacityProviderCommand({ capacityProvider: cpName })),
      (err) => isAwsError(err, 'ResourceInUseException', 'UpdateInProgressException'),
      { timeoutMs: ctx.options.destroyRetryMs, signal: ctx.signal },
    ).catch((err) => {
      // Already gone (a concurrent or earlier teardown got there first).
      if (!(isAwsError(err, 'ClientException') && messageIncludes(err, 'not found'))) throw err;
    });
  }
  await waitForDeletion(
    ctx,
    async () => {
      const left = await findCapacityProvider(ctx, cpName);
      if (left?.updateStatus === 'DELETE_FAILED') {
        const reason = left.updateStatusReason ?? 'no reason given';
        throw new EcsKitError('capacity.cp-delete-failed', `ECS could not delete capacity provider ${cpName}: ${reason}.`, {
          fix: 'Fix the cause above (usually a service or task still using it) and run the teardown again.',
        });
      }
      return !left;
    },
    `capacity provider ${cpName} to be deleted`,
  );
}
