import {
  ContinueServiceDeploymentCommand,
  StopServiceDeploymentCommand,
  type ServiceDeployment,
  type ServiceDeploymentStatus,
} from '@aws-sdk/client-ecs';
import { EcsKitError } from '../errors.js';
import { awaitingHook, describeServiceDeployment, findServiceDeployment } from './service-deployment.js';
import type { RolloutContext } from './watch.js';

/**
 * Acting on a service deployment in flight: go on from a PAUSE hook (ContinueServiceDeployment CONTINUE), roll back at
 * one (ContinueServiceDeployment ROLLBACK), or roll back one that is not paused (StopServiceDeployment ROLLBACK). ECS API
 * reference: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContinueServiceDeployment.html and
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopServiceDeployment.html.
 */

const GOING: ServiceDeploymentStatus[] = ['PENDING', 'IN_PROGRESS'];

export interface InFlight {
  arn: string;
  deployment: ServiceDeployment;
  /** The PAUSE hook it waits at, if it does. */
  hookId?: string;
}

/** The service's deployment that is still going, if any. */
export async function inFlight(ctx: Pick<RolloutContext, 'aws'>, cluster: string, service: string): Promise<InFlight | undefined> {
  const arn = await findServiceDeployment(ctx, cluster, service, undefined, GOING);
  const deployment = arn ? await describeServiceDeployment(ctx, arn) : undefined;
  if (!arn || !deployment || !GOING.includes(deployment.status ?? 'PENDING')) return undefined;
  const hookId = awaitingHook(deployment);
  return { arn, deployment, ...(hookId ? { hookId } : {}) };
}

/** `ecs-kit continue`: the paused deployment goes on to its next stage. */
export async function continuePaused(ctx: RolloutContext, cluster: string, service: string): Promise<InFlight> {
  const found = await inFlight(ctx, cluster, service);
  if (!found?.hookId) {
    throw new EcsKitError(
      'continue.nothing-paused',
      found
        ? `The rollout of ${service} is at ${found.deployment.lifecycleStage ?? 'an early stage'} and is not waiting at a pause hook.`
        : `Service ${service} has no rollout in progress.`,
      {
        why: 'ContinueServiceDeployment acts only on a lifecycle hook that awaits an action.',
        fix: found ? '`ecs-kit status` shows where it is; run `ecs-kit continue` once it pauses.' : 'Nothing to continue.',
      },
    );
  }
  ctx.progress(`continuing from ${found.deployment.lifecycleStage ?? 'the pause hook'}`);
  await ctx.aws
    .ecs()
    .send(new ContinueServiceDeploymentCommand({ serviceDeploymentArn: found.arn, hookId: found.hookId, action: 'CONTINUE' }));
  return found;
}

/** `ecs-kit abort` (and `rollback` during a bake): the deployment in flight rolls back to the revision before it. */
export async function rollBackInFlight(ctx: RolloutContext, found: InFlight): Promise<void> {
  if (found.hookId) {
    ctx.progress(`rolling back at the pause hook (${found.deployment.lifecycleStage ?? 'paused'})`);
    await ctx.aws
      .ecs()
      .send(new ContinueServiceDeploymentCommand({ serviceDeploymentArn: found.arn, hookId: found.hookId, action: 'ROLLBACK' }));
    return;
  }
  ctx.progress(`stopping the deployment at ${found.deployment.lifecycleStage ?? 'its current stage'} and rolling back`);
  await ctx.aws.ecs().send(new StopServiceDeploymentCommand({ serviceDeploymentArn: found.arn, stopType: 'ROLLBACK' }));
}

export function nothingToAbort(service: string): EcsKitError {
  return new EcsKitError('abort.nothing-in-flight', `Service ${service} has no rollout in progress to abort.`, {
    why: 'Its last service deployment has already finished (or there is none).',
    fix: 'To go back to the revision before, run `ecs-kit rollback`.',
  });
}
