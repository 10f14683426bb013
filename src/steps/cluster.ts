import {
  CreateClusterCommand,
  DeleteClusterCommand,
  DescribeClustersCommand,
  UpdateClusterSettingsCommand,
  type Cluster,
} from '@aws-sdk/client-ecs';
import { isAwsError, retryWhile } from '../aws/errors.js';
import { ecsTags, isOwnedBy } from '../aws/tags.js';
import { EcsKitError } from '../errors.js';
import type { Change, StepContext, StepModule, StepPlan } from '../engine/types.js';

export interface ClusterState {
  clusterName: string;
  clusterArn: string;
}

type Ctx = StepContext<ClusterState>;

async function describe(ctx: Ctx, name: string): Promise<Cluster | undefined> {
  const out = await ctx.aws.ecs().send(new DescribeClustersCommand({ clusters: [name], include: ['TAGS', 'SETTINGS'] }));
  const cluster = out.clusters?.[0];
  return cluster && cluster.status !== 'INACTIVE' ? cluster : undefined;
}

function insightsValue(ctx: Ctx): 'enabled' | 'disabled' {
  return ctx.config?.cluster.containerInsights ? 'enabled' : 'disabled';
}

export const clusterStep: StepModule<ClusterState> = {
  kind: 'cluster',
  title: () => 'ECS cluster',
  instances: () => [{ dependsOn: [] }],

  async plan(ctx): Promise<StepPlan<ClusterState>> {
    const name = ctx.names.cluster;
    const cluster = await describe(ctx, name);
    if (!cluster) return { action: 'create', changes: [{ field: 'cluster', after: name }] };
    if (!isOwnedBy(cluster.tags, ctx.owner)) {
      throw new EcsKitError('cluster.not-owned', `An ECS cluster named ${name} already exists and was not created by ecs-kit for ${ctx.owner.app}/${ctx.owner.env}.`, {
        why: 'ecs-kit only manages resources it created, so it will not adopt or change this cluster.',
        fix: 'Choose another app name or --env, or delete that cluster yourself.',
      });
    }
    const current = { clusterName: cluster.clusterName ?? name, clusterArn: cluster.clusterArn ?? '' };
    const changes: Change[] = [];
    const actual = cluster.settings?.find((s) => s.name === 'containerInsights')?.value ?? 'disabled';
    const wanted = insightsValue(ctx);
    // "enhanced" counts as on: the user (or a later ecs-kit) chose more observability, not less.
    const actualOn = actual !== 'disabled';
    if (actualOn !== (wanted === 'enabled')) changes.push({ field: 'containerInsights', before: actual, after: wanted });
    return { action: changes.length ? 'update' : 'noop', changes, current };
  },

  async apply(ctx, plan): Promise<ClusterState> {
    const ecs = ctx.aws.ecs();
    const settings = [{ name: 'containerInsights' as const, value: insightsValue(ctx) }];
    if (plan.action === 'create') {
      const out = await ecs.send(new CreateClusterCommand({ clusterName: ctx.names.cluster, settings, tags: ecsTags(ctx.owner) }));
      return { clusterName: out.cluster?.clusterName ?? ctx.names.cluster, clusterArn: out.cluster?.clusterArn ?? '' };
    }
    await ecs.send(new UpdateClusterSettingsCommand({ cluster: ctx.names.cluster, settings }));
    return plan.current!;
  },

  async destroy(ctx, state): Promise<void> {
    const cluster = await describe(ctx, state.clusterName);
    if (!cluster) return;
    if (!isOwnedBy(cluster.tags, ctx.owner)) {
      ctx.warn(`Left cluster ${state.clusterName} in place: its tags do not say ecs-kit created it for this app/env.`);
      return;
    }
    await retryWhile(
      () => ctx.aws.ecs().send(new DeleteClusterCommand({ cluster: state.clusterName })),
      (err) => isAwsError(err, 'ClusterContainsServicesException', 'ClusterContainsTasksException', 'UpdateInProgressException', 'ResourceInUseException'),
      { timeoutMs: ctx.options.destroyRetryMs, signal: ctx.signal, onRetry: () => ctx.progress('waiting for services and tasks to drain before deleting the cluster') },
    ).catch((err) => {
      if (isAwsError(err, 'ClusterNotFoundException')) return;
      throw err;
    });
  },
};
