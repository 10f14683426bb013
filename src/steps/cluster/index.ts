import {
  CreateClusterCommand,
  DeleteClusterCommand,
  DescribeClustersCommand,
  PutClusterCapacityProvidersCommand,
  UpdateClusterSettingsCommand,
  type CapacityProviderStrategyItem,
  type Cluster,
} from '@aws-sdk/client-ecs';
import { isAwsError } from '../../aws/errors.js';
import { warnLeftInPlace } from '../../aws/ownership.js';
import { retryWhile } from '../../aws/retry.js';
import { ecsTags, isOwnedBy } from '../../aws/tags.js';
import { EcsKitError } from '../../errors.js';
import type { Change, StepContext, StepModule, StepPlan } from '../../engine/types.js';
import { prepareServiceLinkedRole, retryWhileRoleIsNew } from '../../aws/service-linked-roles.js';
import { FARGATE_PROVIDERS } from '../../capacity/strategy.js';
import { clusterPermissions } from './permissions.js';

export interface ClusterState {
  clusterName: string;
  clusterArn: string;
}

/** What the plan read for apply: the provider list to put (existing + missing Fargate ones) and the strategy to keep. */
interface ClusterPlanData {
  providers: string[];
  addProviders: boolean;
  defaultStrategy: CapacityProviderStrategyItem[];
}

type Ctx = StepContext<ClusterState>;

async function describe(ctx: Ctx, name: string): Promise<Cluster | undefined> {
  const out = await ctx.aws.ecs().send(new DescribeClustersCommand({ clusters: [name], include: ['TAGS', 'SETTINGS'] }));
  const cluster = out.clusters?.[0];
  return cluster && cluster.status !== 'INACTIVE' ? cluster : undefined;
}

/**
 * Every new cluster gets the Fargate providers (the EC2 provider is attached by the capacity step).
 * Every Fargate service is created with a FARGATE / FARGATE_SPOT capacity provider strategy
 * (the service step), and a strategy may only name providers attached to the cluster (ECS API,
 * CapacityProviderStrategyItem). Clusters from before providers lack them: attach them once.
 */
function needsFargateProviders(ctx: Ctx): boolean {
  return Object.values(ctx.config?.services ?? {}).some((s) => s.capacity !== 'ec2');
}

/** DeleteCluster refuses while services, tasks or instances are still draining: retried until they are gone. */
const STILL_IN_USE = [
  'ClusterContainsServicesException',
  'ClusterContainsTasksException',
  'ClusterContainsContainerInstancesException',
  'UpdateInProgressException',
  'ResourceInUseException',
];

function insightsValue(ctx: Ctx): 'enabled' | 'disabled' {
  return ctx.config?.cluster.containerInsights ? 'enabled' : 'disabled';
}

export const clusterStep: StepModule<ClusterState, ClusterPlanData> = {
  kind: 'cluster',
  title: () => 'ECS cluster',
  resourceKinds: ['ecs:cluster'],
  permissions: clusterPermissions,
  instances: () => [{ dependsOn: [] }],

  async plan(ctx): Promise<StepPlan<ClusterState, ClusterPlanData>> {
    const name = ctx.names.cluster;
    const cluster = await describe(ctx, name);
    if (!cluster) return { action: 'create', changes: [{ field: 'cluster', after: name }] };
    if (!isOwnedBy(cluster.tags, ctx.owner)) {
      const message = `An ECS cluster named ${name} already exists and was not created by ecs-kit for ${ctx.owner.app}/${ctx.owner.env}.`;
      throw new EcsKitError('cluster.not-owned', message, {
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
    // Providers are only ever added here (others, e.g. the EC2 one, belong to other steps).
    // Only a list the API returned can lack a provider (an answer without the field says nothing).
    const providers = cluster.capacityProviders ?? [];
    const missing = cluster.capacityProviders && needsFargateProviders(ctx) ? FARGATE_PROVIDERS.filter((p) => !providers.includes(p)) : [];
    if (missing.length) changes.push({ field: 'capacityProviders', before: providers, after: [...providers, ...missing] });
    return {
      action: changes.length ? 'update' : 'noop',
      changes,
      current,
      data: {
        providers: [...providers, ...missing],
        addProviders: missing.length > 0,
        defaultStrategy: cluster.defaultCapacityProviderStrategy ?? [],
      },
    };
  },

  async apply(ctx, plan): Promise<ClusterState> {
    const ecs = ctx.aws.ecs();
    const settings = [{ name: 'containerInsights' as const, value: insightsValue(ctx) }];
    if (plan.action === 'create') {
      // A fresh account has no AWSServiceRoleForECS; CreateCluster then fails with "Unable to assume
      // the service linked role" and creates nothing (cloudformation-coverage-roadmap#818), so it is
      // safe to repeat until the role works. Never on other errors: a repeated CreateCluster may reset the cluster.
      await prepareServiceLinkedRole(ctx, 'ecs');
      const input = { clusterName: ctx.names.cluster, settings, capacityProviders: [...FARGATE_PROVIDERS], tags: ecsTags(ctx.owner) };
      const out = await retryWhileRoleIsNew(ctx, 'ecs', () => ecs.send(new CreateClusterCommand(input)));
      return { clusterName: out.cluster?.clusterName ?? ctx.names.cluster, clusterArn: out.cluster?.clusterArn ?? '' };
    }
    if (plan.changes.some((c) => c.field === 'containerInsights')) {
      await ecs.send(new UpdateClusterSettingsCommand({ cluster: ctx.names.cluster, settings }));
    }
    const data = plan.data;
    if (data?.addProviders) {
      // Never CreateCluster again for this: a repeated CreateCluster may reset the cluster.
      const input = {
        cluster: ctx.names.cluster,
        capacityProviders: data.providers,
        defaultCapacityProviderStrategy: data.defaultStrategy,
      };
      await ecs.send(new PutClusterCapacityProvidersCommand(input));
    }
    return plan.current!;
  },

  async destroy(ctx, state): Promise<void> {
    const cluster = await describe(ctx, state.clusterName);
    if (!cluster) return;
    if (!isOwnedBy(cluster.tags, ctx.owner)) {
      warnLeftInPlace(ctx, `cluster ${state.clusterName}`);
      return;
    }
    await retryWhile(
      () => ctx.aws.ecs().send(new DeleteClusterCommand({ cluster: state.clusterName })),
      (err) => isAwsError(err, ...STILL_IN_USE),
      {
        timeoutMs: ctx.options.destroyRetryMs,
        signal: ctx.signal,
        onRetry: () => ctx.progress('waiting for services and tasks to drain before deleting the cluster'),
      },
    ).catch((err) => {
      if (isAwsError(err, 'ClusterNotFoundException')) return;
      throw err;
    });
  },
};
