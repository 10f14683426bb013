import { createHash } from 'node:crypto';
import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  UpdateServiceCommand,
  waitUntilServicesInactive,
  type CreateServiceCommandInput,
  type DeploymentConfiguration,
  type CapacityProviderStrategyItem,
  type LoadBalancer,
  type NetworkConfiguration,
  type Service,
  type UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import { isAwsError, messageIncludes } from '../../aws/errors.js';
import { ecsTags, isOwnedBy } from '../../aws/tags.js';
import type { ServiceConfig } from '../../config/schema.js';
import { EcsKitError } from '../../errors.js';
import type { Change, StepContext, StepModule, StepPlan } from '../../engine/types.js';
import { RolloutError, watchRollout } from '../../rollout/watch.js';
import { capacityProviderName, capacityStrategyFor, strategyKey } from '../../capacity/strategy.js';
import { taskPlacement } from '../network/index.js';
import { retryWhileRoleIsNew } from '../../aws/service-linked-roles.js';
import { deleteReplacedTargetGroups, iamGraceUntil, waitForLoadBalancer } from './support.js';
import type { ClusterState, LoadBalancerState, NetworkState, SecurityGroupState, TargetGroupState, TaskDefinitionState } from '../states.js';

export interface ServiceState {
  clusterName: string;
  serviceName: string;
  serviceArn: string;
  taskDefinitionArn: string;
  url?: string;
}

type Ctx = StepContext<ServiceState>;

interface Desired {
  cluster: string;
  serviceName: string;
  taskDefinition: string;
  desiredCount: number;
  /** Absent in bridge mode (EC2 only): tasks share the instance's network. */
  networkConfiguration?: NetworkConfiguration & { awsvpcConfiguration: { subnets: string[]; securityGroups: string[]; assignPublicIp: 'ENABLED' | 'DISABLED' } };
  /** Always a strategy (plain Fargate is the FARGATE provider), never a launch type: see desiredFor. */
  capacityProviderStrategy: CapacityProviderStrategyItem[];
  loadBalancers: LoadBalancer[];
  healthCheckGracePeriodSeconds?: number;
  deploymentConfiguration: DeploymentConfiguration;
  url?: string;
}

/** Which parts of the service differ; apply sends only these (plus the task definition). */
interface PlanData {
  desired: Desired;
  changed: string[];
  /** desiredCount to send on update, when it needs changing at all. */
  desiredCount?: number;
  /** The service runs on a launch type (an older ecs-kit) and moves to a capacity provider strategy. */
  fromLaunchType?: boolean;
}

const GONE = ['ServiceNotFoundException', 'ClusterNotFoundException', 'ServiceNotActiveException'];

function serviceConfig(ctx: Ctx): ServiceConfig {
  if (!ctx.service || !ctx.scope) throw new EcsKitError('engine.step', `Step ${ctx.id} needs the service's configuration.`);
  return ctx.service;
}

function desiredFor(ctx: Ctx): Desired {
  const svc = serviceConfig(ctx);
  const scope = ctx.scope!;
  const cluster = ctx.dep<ClusterState>('cluster').clusterName;
  const network = ctx.dep<NetworkState>('network');
  const taskDefinition = ctx.dep<TaskDefinitionState>(`task-definition:${scope}`).taskDefinitionArn;
  const sg = ctx.dep<SecurityGroupState>(`security-group:${scope}`);
  // Learning profile: tasks sit in public subnets and need a public IP to pull images.
  // Production / your own VPC: private subnets, no public IP, outbound through NAT.
  const placement = taskPlacement(network);
  // EC2 tasks never get a public IP (AWS rejects it); the instance pulls their images.
  const assignPublicIp = svc.capacity === 'ec2' ? 'DISABLED' : placement.assignPublicIp;
  // Plain Fargate runs on the FARGATE capacity provider rather than launchType FARGATE: a service
  // created with a launch type cannot later be moved to FARGATE_SPOT or a mixed strategy (UpdateService
  // lists only provider ↔ provider and EC2 → Fargate provider transitions), while provider ↔ provider
  // updates are always valid. The cluster has the Fargate providers attached (cluster.ts), which is all
  // a strategy needs: no default strategy required (ECS API, CreateCluster capacityProviders: the Fargate
  // providers "only need to be associated with a cluster to be used"; the default applies when none is given).
  const strategy = capacityStrategyFor(svc, capacityProviderName(ctx.names)) ?? [{ capacityProvider: 'FARGATE', weight: 1 }];
  const desired: Desired = {
    cluster,
    serviceName: ctx.names.service(scope),
    taskDefinition,
    desiredCount: svc.desiredCount,
    ...(svc.networkMode === 'bridge'
      ? {}
      : { networkConfiguration: { awsvpcConfiguration: { subnets: placement.subnets, securityGroups: [sg.groupId], assignPublicIp } } }),
    capacityProviderStrategy: strategy,
    loadBalancers: [],
    deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true }, maximumPercent: 200, minimumHealthyPercent: 100 },
  };
  if (svc.port !== undefined) {
    const lb = ctx.dep<LoadBalancerState>('load-balancer');
    const tg = ctx.dep<TargetGroupState>(`target-group:${scope}`);
    desired.loadBalancers = [{ targetGroupArn: tg.targetGroupArn, containerName: scope, containerPort: svc.port }];
    desired.healthCheckGracePeriodSeconds = 60;
    desired.url = `${lb.httpsListenerArn ? 'https' : 'http'}://${lb.dnsName}${svc.path === '/' ? '/' : svc.path}`;
  }
  return desired;
}

async function describe(ctx: Ctx, cluster: string, name: string): Promise<Service | undefined> {
  try {
    const out = await ctx.aws.ecs().send(new DescribeServicesCommand({ cluster, services: [name], include: ['TAGS'] }));
    const service = out.services?.[0];
    return service && service.status !== 'INACTIVE' ? service : undefined;
  } catch (err) {
    if (isAwsError(err, 'ClusterNotFoundException')) return undefined;
    throw err;
  }
}

const sorted = (xs: string[] | undefined) => [...(xs ?? [])].sort();
const sameSet = (a: string[] | undefined, b: string[] | undefined) => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));
const lbKey = (lbs: LoadBalancer[] | undefined) =>
  (lbs ?? []).map((l) => `${l.targetGroupArn ?? l.loadBalancerName ?? ''}|${l.containerName ?? ''}|${l.containerPort ?? ''}`).sort();

function clamp(n: number, min: number, max: number): number {
  return Math.min(Math.max(n, min), max);
}

/** Only fields the API actually returned are compared, so an API that omits one is not "drift". */
function deploymentConfigChanges(actual: DeploymentConfiguration, wanted: DeploymentConfiguration): Change[] {
  const changes: Change[] = [];
  const cb = actual.deploymentCircuitBreaker;
  if (cb && (cb.enable !== wanted.deploymentCircuitBreaker?.enable || cb.rollback !== wanted.deploymentCircuitBreaker?.rollback)) {
    changes.push({ field: 'deploymentCircuitBreaker', before: { enable: cb.enable, rollback: cb.rollback }, after: wanted.deploymentCircuitBreaker });
  }
  if (actual.maximumPercent !== undefined && actual.maximumPercent !== wanted.maximumPercent) {
    changes.push({ field: 'maximumPercent', before: actual.maximumPercent, after: wanted.maximumPercent });
  }
  if (actual.minimumHealthyPercent !== undefined && actual.minimumHealthyPercent !== wanted.minimumHealthyPercent) {
    changes.push({ field: 'minimumHealthyPercent', before: actual.minimumHealthyPercent, after: wanted.minimumHealthyPercent });
  }
  return changes;
}

/** Deterministic so a retried CreateService cannot start a second service (max 36 chars). */
export function createToken(d: Desired): string {
  return createHash('sha256').update(`${d.cluster}/${d.serviceName}/${d.taskDefinition}`).digest('hex').slice(0, 36);
}

function stateOf(service: Service | undefined, d: Desired, fallbackArn = ''): ServiceState {
  return {
    clusterName: d.cluster,
    serviceName: service?.serviceName ?? d.serviceName,
    serviceArn: service?.serviceArn ?? fallbackArn,
    taskDefinitionArn: d.taskDefinition,
    ...(d.url ? { url: d.url } : {}),
  };
}

/**
 * The deployment a Create/UpdateService started: the PRIMARY one in its response, when that runs
 * our revision. An API that leaves deployments[] stale gets none, and the wait follows the revision.
 */
export function startedDeployment(service: Service | undefined, taskDefinition: string): string | undefined {
  const primary = service?.deployments?.find((x) => x.status === 'PRIMARY');
  return primary?.taskDefinition === taskDefinition ? primary.id : undefined;
}

async function waitForRollout(ctx: Ctx, d: Desired, since: Date, state: ServiceState, started: Service | undefined, previous?: string): Promise<void> {
  if (!ctx.options.wait) return;
  const deploymentId = startedDeployment(started, d.taskDefinition);
  const graceUntil = iamGraceUntil(ctx);
  try {
    await watchRollout(ctx, {
      cluster: d.cluster,
      service: d.serviceName,
      taskDefinitionArn: d.taskDefinition,
      since,
      ...(deploymentId ? { deploymentId } : {}),
      ...(previous ? { previousTaskDefinitionArn: previous } : {}),
      ...(graceUntil ? { iamGraceUntil: graceUntil } : {}),
    });
  } catch (err) {
    // The manifest says what the service runs: after a rollback that is the earlier revision.
    if (err instanceof RolloutError && err.rolledBackTo) await ctx.record({ ...state, taskDefinitionArn: err.rolledBackTo });
    throw err;
  }
}

/** After the rollout: a new load balancer must be active before its URL is printed; replaced target groups can go. */
async function afterRollout(ctx: Ctx, d: Desired, movedLoadBalancers: boolean): Promise<void> {
  if (!movedLoadBalancers || !d.url) return;
  const lb = ctx.dep<LoadBalancerState>('load-balancer');
  await waitForLoadBalancer(ctx, lb.loadBalancerArn, lb.loadBalancerName);
  // Without the wait the old tasks may still be draining from them: a later deploy deletes them.
  if (ctx.options.wait) await deleteReplacedTargetGroups(ctx, ctx.scope!, d.loadBalancers.map((l) => l.targetGroupArn ?? ''));
}

/**
 * A service ecs-kit created with launchType FARGATE (before capacity providers) moving to a strategy.
 * ECS does this in place with a forced new deployment (its error says so: "When switching from launch
 * type to capacity provider strategy on an existing service … you must force a new deployment",
 * pipe-cd/pipecd#6385), but the UpdateService docs do not list it; if ECS refuses, explain instead of
 * deleting and recreating the service, which would take it offline.
 */
function launchTypeSwitchRefused(err: unknown, d: Desired): EcsKitError | undefined {
  if (!isAwsError(err, 'InvalidParameterException') || !(messageIncludes(err, 'launch type') || messageIncludes(err, 'capacity provider'))) return undefined;
  return new EcsKitError('service.launch-type', `ECS refused to move service ${d.serviceName} from the FARGATE launch type to a capacity provider strategy.`, {
    why: `The service was created with launchType FARGATE by an earlier ecs-kit; ECS says: ${(err as Error).message}`,
    fix:
      `Keep capacity: fargate (no change needed), or recreate the service: \`aws ecs delete-service --cluster ${d.cluster} --service ${d.serviceName} --force\`, ` +
      'wait until it is INACTIVE, then run `ecs-kit deploy` (the service is down in between).',
    cause: err,
  });
}

export const serviceStep: StepModule<ServiceState> = {
  kind: 'service',
  title: (scope) => `ECS service (${scope})`,
  instances: (config) =>
    Object.entries(config.services).map(([name, svc]) => ({
      scope: name,
      dependsOn: [
        'cluster',
        'network',
        `task-definition:${name}`,
        // Read for when they last changed: IAM-propagation stops do not count in the rollout just after.
        'execution-role',
        `task-role:${name}`,
        `security-group:${name}`,
        ...(svc.port !== undefined ? ['load-balancer', `target-group:${name}`] : []),
        // The EC2 capacity provider must be on the cluster before a service can use it.
        ...(svc.capacity === 'ec2' ? ['capacity'] : []),
      ],
    })),

  async plan(ctx): Promise<StepPlan<ServiceState>> {
    const svc = serviceConfig(ctx);
    const d = desiredFor(ctx);
    const service = await describe(ctx, d.cluster, d.serviceName);
    if (!service) {
      return { action: 'create', changes: [{ field: 'service', after: d.serviceName }], data: { desired: d, changed: [] } satisfies PlanData };
    }
    if (!isOwnedBy(service.tags, ctx.owner)) {
      throw new EcsKitError('service.not-owned', `An ECS service named ${d.serviceName} already exists in cluster ${d.cluster} and was not created by ecs-kit for ${ctx.owner.app}/${ctx.owner.env}.`, {
        why: 'ecs-kit only manages resources it created, so it will not adopt or change this service.',
        fix: 'Rename the service in your config, or delete that service yourself.',
      });
    }
    if (service.status === 'DRAINING') {
      throw new EcsKitError('service.draining', `Service ${d.serviceName} in cluster ${d.cluster} is still being deleted (DRAINING) from an earlier teardown.`, {
        why: 'ECS cannot create a service with the same name until the old one has stopped its tasks and become INACTIVE.',
        fix: 'Wait a few minutes and run the deploy again.',
      });
    }

    const changes: Change[] = [];
    const changed: string[] = [];
    const add = (field: string, before: unknown, after: unknown) => {
      changes.push({ field, before, after });
      changed.push(field);
    };

    if (service.taskDefinition !== d.taskDefinition) add('taskDefinition', service.taskDefinition, d.taskDefinition);

    let desiredCount: number | undefined;
    const actualCount = service.desiredCount ?? 0;
    if (svc.autoscaling) {
      // The scaler owns desiredCount; only step in when it is outside the configured range.
      const { min, max } = svc.autoscaling;
      if (actualCount < min || actualCount > max) desiredCount = clamp(actualCount, min, max);
    } else if (actualCount !== d.desiredCount) {
      desiredCount = d.desiredCount;
    }
    if (desiredCount !== undefined) add('desiredCount', actualCount, desiredCount);

    const vpc = service.networkConfiguration?.awsvpcConfiguration;
    const want = d.networkConfiguration?.awsvpcConfiguration;
    if (vpc && want) {
      if (!sameSet(vpc.subnets, want.subnets)) add('subnets', sorted(vpc.subnets), sorted(want.subnets));
      if (!sameSet(vpc.securityGroups, want.securityGroups)) add('securityGroups', sorted(vpc.securityGroups), sorted(want.securityGroups));
      if (vpc.assignPublicIp !== undefined && vpc.assignPublicIp !== want.assignPublicIp) add('assignPublicIp', vpc.assignPublicIp, want.assignPublicIp);
    }
    // launchType FARGATE and the FARGATE provider alone compare equal: an older service stays as it is.
    const actualStrategy = strategyKey(service.capacityProviderStrategy, service.launchType);
    const wantedStrategy = strategyKey(d.capacityProviderStrategy);
    const fromLaunchType = actualStrategy !== undefined && actualStrategy !== wantedStrategy && !service.capacityProviderStrategy?.length;
    if (actualStrategy !== undefined && actualStrategy !== wantedStrategy) {
      add('capacityProviderStrategy', fromLaunchType ? `launchType ${service.launchType}` : actualStrategy, wantedStrategy);
    }
    if (JSON.stringify(lbKey(service.loadBalancers)) !== JSON.stringify(lbKey(d.loadBalancers))) {
      add('loadBalancers', service.loadBalancers ?? [], d.loadBalancers);
    }
    if (d.healthCheckGracePeriodSeconds !== undefined && service.healthCheckGracePeriodSeconds !== undefined && service.healthCheckGracePeriodSeconds !== d.healthCheckGracePeriodSeconds) {
      add('healthCheckGracePeriodSeconds', service.healthCheckGracePeriodSeconds, d.healthCheckGracePeriodSeconds);
    }
    if (service.deploymentConfiguration) {
      const dc = deploymentConfigChanges(service.deploymentConfiguration, d.deploymentConfiguration);
      if (dc.length) {
        changes.push(...dc);
        changed.push('deploymentConfiguration');
      }
    }

    const current = stateOf(service, { ...d, taskDefinition: service.taskDefinition ?? d.taskDefinition });
    const data: PlanData = { desired: d, changed, ...(desiredCount !== undefined ? { desiredCount } : {}), ...(fromLaunchType ? { fromLaunchType } : {}) };
    return { action: changes.length ? 'update' : 'noop', changes, current, data };
  },

  async apply(ctx, plan): Promise<ServiceState> {
    const ecs = ctx.aws.ecs();
    const data = plan.data as PlanData | undefined;
    const d = data?.desired ?? desiredFor(ctx);
    const since = new Date(Date.now() - 10_000); // allow for clock skew against ECS event times

    if (plan.action === 'create') {
      const input: CreateServiceCommandInput = {
        cluster: d.cluster,
        serviceName: d.serviceName,
        taskDefinition: d.taskDefinition,
        desiredCount: d.desiredCount,
        // A capacity provider strategy, never a launch type (AWS refuses both): see desiredFor.
        capacityProviderStrategy: d.capacityProviderStrategy,
        ...(ctx.service?.capacity === 'ec2' ? {} : { platformVersion: 'LATEST' }),
        ...(d.networkConfiguration ? { networkConfiguration: d.networkConfiguration } : {}),
        deploymentConfiguration: d.deploymentConfiguration,
        propagateTags: 'SERVICE',
        enableECSManagedTags: true,
        tags: ecsTags(ctx.owner),
        clientToken: createToken(d),
      };
      if (d.loadBalancers.length) {
        input.loadBalancers = d.loadBalancers;
        input.healthCheckGracePeriodSeconds = d.healthCheckGracePeriodSeconds;
      }
      ctx.progress(`creating service ${d.serviceName} with ${d.desiredCount} task(s)`);
      // In a fresh account ECS can refuse while its service-linked role is new. The client token
      // makes a repeat safe: it returns the service the first call made, never a second one.
      const out = await retryWhileRoleIsNew(ctx, 'ecs', () => ecs.send(new CreateServiceCommand(input)));
      const state = stateOf(out.service, d);
      // Recorded before the wait: a failed or interrupted rollout must not orphan the service.
      await ctx.record(state);
      await waitForRollout(ctx, d, since, state, out.service);
      await afterRollout(ctx, d, true);
      return state;
    }

    const changed = new Set(data?.changed ?? []);
    const input: UpdateServiceCommandInput = { cluster: d.cluster, service: d.serviceName, taskDefinition: d.taskDefinition };
    if (data?.desiredCount !== undefined) input.desiredCount = data.desiredCount;
    if (changed.has('subnets') || changed.has('securityGroups') || changed.has('assignPublicIp')) input.networkConfiguration = d.networkConfiguration;
    if (changed.has('capacityProviderStrategy')) {
      // ECS requires a new deployment to move tasks to other capacity.
      input.capacityProviderStrategy = d.capacityProviderStrategy;
      input.forceNewDeployment = true;
    }
    if (changed.has('loadBalancers')) {
      // An empty list detaches the service from its target groups.
      input.loadBalancers = d.loadBalancers;
      if (d.healthCheckGracePeriodSeconds !== undefined) input.healthCheckGracePeriodSeconds = d.healthCheckGracePeriodSeconds;
    }
    if (changed.has('healthCheckGracePeriodSeconds')) input.healthCheckGracePeriodSeconds = d.healthCheckGracePeriodSeconds;
    if (changed.has('deploymentConfiguration')) input.deploymentConfiguration = d.deploymentConfiguration;
    ctx.progress(`updating service ${d.serviceName}: ${plan.changes.map((c) => c.field).join(', ')}`);
    const out = await ecs.send(new UpdateServiceCommand(input)).catch((err: unknown) => {
      throw (data?.fromLaunchType && launchTypeSwitchRefused(err, d)) || err;
    });
    const state = stateOf(out.service, d, plan.current?.serviceArn);
    await ctx.record(state);
    // What ran before this update is what a failed rollout goes back to.
    await waitForRollout(ctx, d, since, state, out.service, plan.current?.taskDefinitionArn);
    await afterRollout(ctx, d, changed.has('loadBalancers'));
    return state;
  },

  async destroy(ctx, state): Promise<void> {
    const ecs = ctx.aws.ecs();
    const { clusterName: cluster, serviceName } = state;
    const service = await describe(ctx, cluster, serviceName);
    if (!service) return;
    if (!isOwnedBy(service.tags, ctx.owner)) {
      ctx.warn(`Left service ${serviceName} in cluster ${cluster} in place: its tags do not say ecs-kit created it for this app/env.`);
      return;
    }
    try {
      if (service.status === 'ACTIVE' && (service.desiredCount ?? 0) > 0) {
        ctx.progress(`scaling service ${serviceName} to 0 tasks`);
        await ecs.send(new UpdateServiceCommand({ cluster, service: serviceName, desiredCount: 0 }));
      }
      if (service.status !== 'DRAINING') await ecs.send(new DeleteServiceCommand({ cluster, service: serviceName, force: true }));
    } catch (err) {
      if (isAwsError(err, ...GONE)) return;
      throw err;
    }

    ctx.progress(`waiting for service ${serviceName} to finish draining`);
    const maxWaitTime = Math.max(1, ctx.options.destroyRetryMs / 1000);
    // The waiter requires maxWaitTime > minDelay; short bounds (tests) poll faster.
    const minDelay = Math.min(5, maxWaitTime / 2);
    try {
      await waitUntilServicesInactive(
        { client: ecs, maxWaitTime, minDelay, maxDelay: Math.max(minDelay, 30), abortSignal: ctx.signal },
        { cluster, services: [serviceName] },
      );
    } catch (err) {
      // The waiter gives up on "MISSING" (long gone) and retries through errors until its
      // deadline, so ask once more before calling it a failure.
      const after = await describe(ctx, cluster, serviceName).catch((e) => {
        if (isAwsError(e, ...GONE)) return undefined;
        throw e;
      });
      if (!after) return;
      throw new EcsKitError('service.delete-timeout', `Service ${serviceName} in cluster ${cluster} was still ${after.status ?? 'draining'} after ${Math.round(maxWaitTime)}s.`, {
        why: `ECS is still stopping its tasks (${after.runningCount ?? 0} running).`,
        fix: 'Run the teardown again in a few minutes; it resumes where it stopped.',
        cause: err,
      });
    }
  },

  outputs(state) {
    return state.url ? { [`url.${state.serviceName}`]: state.url } : {};
  },
};
