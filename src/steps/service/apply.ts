import { createHash } from 'node:crypto';
import {
  CreateServiceCommand,
  UpdateServiceCommand,
  type CreateServiceCommandInput,
  type LoadBalancer,
  type UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import { isAwsError, messageIncludes } from '../../aws/errors.js';
import { retryWhileRoleIsNew } from '../../aws/service-linked-roles.js';
import { ecsTags } from '../../aws/tags.js';
import type { StepContext, StepPlan } from '../../engine/types.js';
import { EcsKitError } from '../../errors.js';
import type { ServicePlanData } from './changes.js';
import { stateOf, type Desired } from './desired.js';
import type { ServiceState } from './index.js';
import { afterRollout, waitForRollout } from './rollout.js';
import { forUpdate } from './deployment-config.js';
import { alignWithLive } from './safe-rollout.js';
import { serviceConnectRequest } from './service-connect.js';

type Ctx = StepContext<ServiceState>;

/** Deterministic so a retried CreateService cannot start a second service (max 36 chars). */
function createToken(d: Desired): string {
  return createHash('sha256').update(`${d.cluster}/${d.serviceName}/${d.taskDefinition}`).digest('hex').slice(0, 36);
}

export async function createService(ctx: Ctx, d: Desired, since: Date): Promise<ServiceState> {
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
    ...(d.enableExecuteCommand ? { enableExecuteCommand: true } : {}),
    ...(d.serviceConnectConfiguration ? { serviceConnectConfiguration: d.serviceConnectConfiguration } : {}),
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
  const out = await retryWhileRoleIsNew(ctx, 'ecs', () => ctx.aws.ecs().send(new CreateServiceCommand(input)));
  const state = stateOf(out.service, d);
  // Recorded before the wait: a failed or interrupted rollout must not orphan the service.
  await ctx.record(state);
  const settled = await waitForRollout(ctx, d, state, { since, started: out.service });
  if (!settled.rollout) await afterRollout(ctx, d, true);
  return settled;
}

export async function updateService(
  ctx: Ctx,
  plan: StepPlan<ServiceState, ServicePlanData>,
  d: Desired,
  since: Date,
): Promise<ServiceState> {
  const data = plan.data;
  const changed = new Set(data?.changed ?? []);
  const input = updateInput(d, changed, data?.desiredCount, plan.data?.live);
  ctx.progress(`updating service ${d.serviceName}: ${plan.changes.map((c) => c.field).join(', ')}`);
  const out = await ctx.aws
    .ecs()
    .send(new UpdateServiceCommand(input))
    .catch((err: unknown) => {
      throw (data?.fromLaunchType && launchTypeSwitchRefused(err, d)) || err;
    });
  const state = stateOf(out.service, d, plan.current?.serviceArn);
  await ctx.record(state);
  // What ran before this update is what a failed rollout goes back to.
  const settled = await waitForRollout(ctx, d, state, { since, started: out.service, previous: plan.current?.taskDefinitionArn });
  if (!settled.rollout) await afterRollout(ctx, d, changed.has('loadBalancers'));
  return settled;
}

/** The UpdateService request: the task definition, plus only the fields the plan found changed. */
function updateInput(
  d: Desired,
  changed: Set<string>,
  desiredCount: number | undefined,
  live: LoadBalancer[] | undefined,
): UpdateServiceCommandInput {
  const input: UpdateServiceCommandInput = { cluster: d.cluster, service: d.serviceName, taskDefinition: d.taskDefinition };
  if (desiredCount !== undefined) input.desiredCount = desiredCount;
  if (changed.has('subnets') || changed.has('securityGroups') || changed.has('assignPublicIp'))
    input.networkConfiguration = d.networkConfiguration;
  if (changed.has('capacityProviderStrategy')) {
    // ECS requires a new deployment to move tasks to other capacity.
    input.capacityProviderStrategy = d.capacityProviderStrategy;
    input.forceNewDeployment = true;
  }
  if (changed.has('loadBalancers')) {
    // An empty list detaches the service from its target groups. The live group stays the live one.
    input.loadBalancers = alignWithLive(d.loadBalancers, live);
    if (d.healthCheckGracePeriodSeconds !== undefined) input.healthCheckGracePeriodSeconds = d.healthCheckGracePeriodSeconds;
  }
  if (changed.has('healthCheckGracePeriodSeconds')) input.healthCheckGracePeriodSeconds = d.healthCheckGracePeriodSeconds;
  if (changed.has('deploymentConfiguration')) input.deploymentConfiguration = forUpdate(d.deploymentConfiguration);
  if (changed.has('enableExecuteCommand')) {
    input.enableExecuteCommand = d.enableExecuteCommand;
    // ECS Exec only reaches tasks started after the change (UpdateService enableExecuteCommand): start new ones.
    input.forceNewDeployment = true;
  }
  if (changed.has('serviceConnectConfiguration')) input.serviceConnectConfiguration = serviceConnectRequest(d.serviceConnectConfiguration);
  return input;
}

/**
 * A service ecs-kit created with launchType FARGATE (before capacity providers) moving to a strategy.
 * ECS does this in place with a forced new deployment (its error says so: "When switching from launch
 * type to capacity provider strategy on an existing service … you must force a new deployment",
 * pipe-cd/pipecd#6385), but the UpdateService docs do not list it; if ECS refuses, explain instead of
 * deleting and recreating the service, which would take it offline.
 */
function launchTypeSwitchRefused(err: unknown, d: Desired): EcsKitError | undefined {
  if (!isAwsError(err, 'InvalidParameterException') || !(messageIncludes(err, 'launch type') || messageIncludes(err, 'capacity provider')))
    return undefined;
  return new EcsKitError(
    'service.launch-type',
    `ECS refused to move service ${d.serviceName} from the FARGATE launch type to a capacity provider strategy.`,
    {
      why: `The service was created with launchType FARGATE by an earlier ecs-kit; ECS says: ${(err as Error).message}`,
      fix:
        'Keep capacity: fargate (no change needed), or recreate the service: ' +
        `\`aws ecs delete-service --cluster ${d.cluster} --service ${d.serviceName} --force\`, ` +
        'wait until it is INACTIVE, then run `ecs-kit deploy` (the service is down in between).',
      cause: err,
    },
  );
}
