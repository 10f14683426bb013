import { hasInternalServices, isPublic, runsAsService } from '../../config/services.js';
import { membersSecurityGroupStep } from '../members-security-group/index.js';
import { namespaceStep } from '../namespace/index.js';
import { DeleteServiceCommand, DescribeServicesCommand, UpdateServiceCommand, type Service } from '@aws-sdk/client-ecs';
import { isAwsError } from '../../aws/errors.js';
import { WaitTimeoutError, elapsed, waitFor } from '../../aws/poll.js';
import { warnLeftInPlace } from '../../aws/ownership.js';
import { isOwnedBy } from '../../aws/tags.js';
import { EcsKitError } from '../../errors.js';
import { after, type StepContext, type StepModule, type StepPlan } from '../../engine/types.js';
import { clusterStep } from '../cluster/index.js';
import { ec2CapacityStep } from '../ec2-capacity/index.js';
import { loadBalancerStep } from '../load-balancer/index.js';
import { afterNat, networkStep } from '../network/index.js';
import { executionRoleStep, taskRoleStep } from '../roles/index.js';
import { securityGroupStep } from '../security-group/index.js';
import { targetGroupStep } from '../target-group/index.js';
import { taskDefinitionStep } from '../task-definition/index.js';
import { createService, updateService } from './apply.js';
import { serviceChanges, type ServicePlanData } from './changes.js';
import { desiredFor, serviceConfig, stateOf } from './desired.js';
import { findLiveRollout, followLiveRollout, liveRolloutChange } from './live-rollout.js';
import { servicePermissions } from './permissions.js';
import { safeRolloutDependencies } from './safe-rollout.js';

export interface ServiceState {
  clusterName: string;
  serviceName: string;
  serviceArn: string;
  taskDefinitionArn: string;
  url?: string;
  /** Set when the last deploy left a blue/green, linear or canary rollout going: paused at a hook, or at --wait-until. */
  rollout?: { outcome: 'paused' | 'reached'; stage: string; deploymentArn: string };
  /** The Service Connect configuration ecs-kit last sent (service-connect.ts), for APIs that do not report it. */
  serviceConnect?: string;
}

type Ctx = StepContext<ServiceState>;

const GONE = ['ServiceNotFoundException', 'ClusterNotFoundException', 'ServiceNotActiveException'];

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

export const serviceStep: StepModule<ServiceState, ServicePlanData> = {
  kind: 'service',
  title: (scope) => `ECS service (${scope})`,
  resourceKinds: ['ecs:service'],
  permissions: servicePermissions,
  instances: (config) =>
    Object.entries(config.services)
      .filter(([, svc]) => runsAsService(svc))
      .map(([name, svc]) => ({
        scope: name,
        dependsOn: [
          after(clusterStep),
          after(networkStep),
          after(taskDefinitionStep, name),
          // Read for when they last changed: IAM-propagation stops do not count in the rollout just after.
          after(executionRoleStep),
          after(taskRoleStep, name),
          after(securityGroupStep, name),
          ...(isPublic(svc) ? [after(loadBalancerStep), after(targetGroupStep, name)] : []),
          // The EC2 capacity provider must be on the cluster before a service can use it.
          ...(svc.capacity === 'ec2' ? [after(ec2CapacityStep)] : []),
          // Service Connect: the namespace, and the group internal services admit (service-connect.ts).
          ...(hasInternalServices(config) ? [after(namespaceStep), after(membersSecurityGroupStep)] : []),
          ...safeRolloutDependencies(name, svc),
        ],
        // Tasks in private subnets pull images and ship logs through the NAT gateways: started only once they route.
        ...afterNat(config),
      })),

  async plan(ctx): Promise<StepPlan<ServiceState, ServicePlanData>> {
    const svc = serviceConfig(ctx);
    const d = desiredFor(ctx);
    const service = await describe(ctx, d.cluster, d.serviceName);
    if (!service) {
      return { action: 'create', changes: [{ field: 'service', after: d.serviceName }], data: { desired: d, changed: [] } };
    }
    if (!isOwnedBy(service.tags, ctx.owner)) {
      throw new EcsKitError(
        'service.not-owned',
        `An ECS service named ${d.serviceName} already exists in cluster ${d.cluster} and was not created by ecs-kit for ${ctx.owner.app}/${ctx.owner.env}.`,
        {
          why: 'ecs-kit only manages resources it created, so it will not adopt or change this service.',
          fix: 'Rename the service in your config, or delete that service yourself.',
        },
      );
    }
    if (service.status === 'DRAINING') {
      throw new EcsKitError(
        'service.draining',
        `Service ${d.serviceName} in cluster ${d.cluster} is still being deleted (DRAINING) from an earlier teardown.`,
        {
          why: 'ECS cannot create a service with the same name until the old one has stopped its tasks and become INACTIVE.',
          fix: 'Wait a few minutes and run the deploy again.',
        },
      );
    }
    const { changes, data } = serviceChanges(service, d, svc, ctx.previous?.serviceConnect);
    const current = stateOf(service, { ...d, taskDefinition: service.taskDefinition ?? d.taskDefinition });
    // "No changes" only for a service that is also healthy: otherwise the run follows (or reports) its live rollout.
    const live = changes.length ? undefined : await findLiveRollout(ctx, service, d);
    if (live) return { action: 'update', changes: [liveRolloutChange(live)], current, data: { ...data, liveRollout: live } };
    return { action: changes.length ? 'update' : 'noop', changes, current, data };
  },

  async apply(ctx, plan): Promise<ServiceState> {
    const d = plan.data?.desired ?? desiredFor(ctx);
    if (plan.data?.liveRollout && plan.current) return followLiveRollout(ctx, d, plan.current, plan.data.liveRollout);
    const since = new Date(Date.now() - 10_000); // allow for clock skew against ECS event times
    return plan.action === 'create' ? createService(ctx, d, since) : updateService(ctx, plan, d, since);
  },

  async destroy(ctx, state): Promise<void> {
    const ecs = ctx.aws.ecs();
    const { clusterName: cluster, serviceName } = state;
    const service = await describe(ctx, cluster, serviceName);
    if (!service) return;
    if (!isOwnedBy(service.tags, ctx.owner)) {
      warnLeftInPlace(ctx, `service ${serviceName} in cluster ${cluster}`);
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
    await waitUntilDrained(ctx, cluster, serviceName);
  },

  outputs(state) {
    return state.url ? { [`url.${state.serviceName}`]: state.url } : {};
  },
};

async function waitUntilDrained(ctx: Ctx, cluster: string, serviceName: string): Promise<void> {
  let last: Service | undefined;
  try {
    await waitFor({
      what: `service ${serviceName} to finish draining`,
      // INACTIVE, or gone: describe() answers undefined for both.
      check: async () => {
        last = await describe(ctx, cluster, serviceName).catch((e) => {
          if (isAwsError(e, ...GONE)) return undefined;
          throw e;
        });
        return last ? undefined : true;
      },
      timeoutMs: ctx.options.destroyRetryMs,
      signal: ctx.signal,
      progress: (m) => ctx.progress(m),
    });
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    throw new EcsKitError(
      'service.delete-timeout',
      `Service ${serviceName} in cluster ${cluster} was still ${last?.status ?? 'draining'} after ${elapsed(err.waitedMs)}.`,
      {
        why: `ECS is still stopping its tasks (${last?.runningCount ?? 0} running).`,
        fix: 'Run the teardown again in a few minutes; it resumes where it stopped.',
        cause: err,
      },
    );
  }
}
