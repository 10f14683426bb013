import type { Service } from '@aws-sdk/client-ecs';
import type { Change, StepContext } from '../../engine/types.js';
import { EcsKitError } from '../../errors.js';
import { findServiceDeployment } from '../../rollout/service-deployment.js';
import { IN_FLIGHT, waitForServiceDeployment } from '../../rollout/strategy-wait.js';
import { revisionName, watchRollout } from '../../rollout/watch.js';
import { shiftsTraffic } from './deployment-config.js';
import type { Desired } from './desired.js';
import type { ServiceState } from './index.js';

type Ctx = StepContext<ServiceState>;

/**
 * Truthful re-runs: a service with nothing to change whose last rollout has not finished (it timed out, a pipeline
 * retried) or failed. The plan shows it as a change ("rollout"), and apply follows that rollout instead of saying
 * "No changes": it makes no mutating call, only waits, and fails the run when the rollout fails.
 */
export interface LiveRollout {
  /** The PRIMARY deployment (ECS DescribeServices deployments[]). */
  deploymentId?: string;
  taskDefinition: string;
  createdAt?: string;
  /** ECS marked the primary deployment FAILED and nothing replaced it: there is nothing left to wait for. */
  failed: boolean;
  summary: string;
}

/** The service's live rollout when it is still going, failing or short of tasks; undefined for a healthy service. */
export function liveRollout(service: Service): LiveRollout | undefined {
  const deployments = service.deployments ?? [];
  const primary = deployments.find((x) => x.status === 'PRIMARY');
  const desired = service.desiredCount ?? 0;
  const running = service.runningCount ?? 0;
  const failed = primary?.rolloutState === 'FAILED';
  // ECS API reference, Deployment.rolloutState: COMPLETED | FAILED | IN_PROGRESS; the old deployment stays ACTIVE until it drained.
  const going = primary?.rolloutState === 'IN_PROGRESS' || deployments.length > 1;
  // Fewer tasks than desired under a COMPLETED deployment is ECS replacing a task or the autoscaler scaling: not a rollout.
  const short = running < desired && primary?.rolloutState !== 'COMPLETED';
  if (!failed && !going && !short) return undefined;
  const state = failed ? 'failed' : going ? 'still rolling out' : 'short of tasks';
  const reason = failed && primary?.rolloutStateReason ? ` (${primary.rolloutStateReason})` : '';
  const taskDefinition = primary?.taskDefinition ?? service.taskDefinition ?? '';
  return {
    ...(primary?.id ? { deploymentId: primary.id } : {}),
    taskDefinition,
    ...(primary?.createdAt ? { createdAt: primary.createdAt.toISOString() } : {}),
    failed,
    summary: `the last rollout of ${revisionName(taskDefinition)} is ${state}${reason}: ${running}/${desired} tasks running`,
  };
}

/**
 * The live rollout at plan time: from DescribeServices, and for blue/green, linear and canary also from the service
 * deployment ECS still runs (through a bake the service's deployments[] can look settled). Read-only.
 */
export async function findLiveRollout(ctx: Ctx, service: Service, d: Desired): Promise<LiveRollout | undefined> {
  const live = liveRollout(service);
  if (live || !ctx.service || !shiftsTraffic(ctx.service)) return live;
  const arn = await findServiceDeployment(ctx, d.cluster, d.serviceName, undefined, IN_FLIGHT);
  if (!arn) return undefined;
  const taskDefinition = service.taskDefinition ?? d.taskDefinition;
  return {
    taskDefinition,
    failed: false,
    summary: `the last rollout of ${revisionName(taskDefinition)} is still in progress (service deployment ${arn.split('/').at(-1) ?? arn})`,
  };
}

/** How the plan shows it: the rollout as it is, and what the run will do about it. */
export function liveRolloutChange(live: LiveRollout): Change {
  return {
    field: 'rollout',
    before: live.summary,
    after: live.failed ? 'fails this run (fix it and deploy again)' : 'wait until complete',
  };
}

/** Apply for a plan whose only change is the live rollout: no AWS write, a truthful wait (or failure). */
export async function followLiveRollout(ctx: Ctx, d: Desired, current: ServiceState, live: LiveRollout): Promise<ServiceState> {
  if (live.failed) {
    throw new EcsKitError('rollout.unhealthy', `Service ${d.serviceName}: nothing to change, but ${live.summary}.`, {
      why: 'ECS stopped the rollout as failed and no later deployment replaced it, so the service is not running what it should.',
      fix: '`ecs-kit status` and `ecs-kit logs` show why the tasks fail; fix it and run `ecs-kit deploy` again (or `ecs-kit rollback`).',
    });
  }
  if (!ctx.options.wait) {
    ctx.progress(`nothing to change, but ${live.summary}; not waiting for it (--no-wait)`);
    return current;
  }
  ctx.progress(`nothing to change, but ${live.summary}: following it`);
  if (ctx.service && shiftsTraffic(ctx.service)) {
    const arn = await findServiceDeployment(ctx, d.cluster, d.serviceName, undefined, IN_FLIGHT);
    if (arn) {
      const target = { cluster: d.cluster, service: d.serviceName, taskDefinitionArn: live.taskDefinition, targetGroupArns: [] };
      await waitForServiceDeployment(ctx, target, { arn, ...(ctx.options.waitUntil ? { until: ctx.options.waitUntil } : {}) });
      return current;
    }
  }
  await watchRollout(ctx, {
    cluster: d.cluster,
    service: d.serviceName,
    taskDefinitionArn: live.taskDefinition,
    ...(live.deploymentId ? { deploymentId: live.deploymentId } : {}),
    ...(live.createdAt ? { since: new Date(live.createdAt) } : {}),
  });
  return current;
}
