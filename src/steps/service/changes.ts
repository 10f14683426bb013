import type { LoadBalancer, Service } from '@aws-sdk/client-ecs';
import { strategyKey } from '../../capacity/strategy.js';
import type { ServiceConfig } from '../../config/schema.js';
import type { Change } from '../../engine/types.js';
import type { Desired } from './desired.js';
import type { LiveRollout } from './live-rollout.js';
import { deploymentConfigChanges, loadBalancersDiffer } from './safe-rollout.js';
import { serviceConnectChange } from './service-connect.js';

/** Which parts of the service differ; apply sends only these (plus the task definition). */
export interface ServicePlanData {
  desired: Desired;
  changed: string[];
  /** desiredCount to send on update, when it needs changing at all. */
  desiredCount?: number;
  /** The service runs on a launch type (an older ecs-kit) and moves to a capacity provider strategy. */
  fromLaunchType?: boolean;
  /** The load balancer entries ECS has now (it swaps the two groups of blue/green, linear and canary). */
  live?: LoadBalancer[];
  /** Nothing to change, but the last rollout is still going or failed: apply only follows it (live-rollout.ts). */
  liveRollout?: LiveRollout;
}

const sorted = (xs: string[] | undefined) => [...(xs ?? [])].sort();
const sameSet = (a: string[] | undefined, b: string[] | undefined) => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));

function clamp(n: number, min: number, max: number): number {
  return Math.min(Math.max(n, min), max);
}

/** Collects the plan's changes and the fields apply must send for them. */
class ChangeList {
  readonly changes: Change[] = [];
  readonly changed: string[] = [];

  add(field: string, before: unknown, after: unknown): void {
    this.changes.push({ field, before, after });
    this.changed.push(field);
  }
}

/** What differs between the service as it runs and as it is wanted, in the order the plan shows it. */
export function serviceChanges(
  service: Service,
  d: Desired,
  svc: ServiceConfig,
  recordedServiceConnect?: string,
): { changes: Change[]; data: ServicePlanData } {
  const list = new ChangeList();
  if (service.taskDefinition !== d.taskDefinition) list.add('taskDefinition', service.taskDefinition, d.taskDefinition);
  const desiredCount = desiredCountToSend(service, d, svc);
  if (desiredCount !== undefined) list.add('desiredCount', service.desiredCount ?? 0, desiredCount);
  networkChanges(service, d, list);
  const fromLaunchType = capacityChange(service, d, list);
  if (loadBalancersDiffer(service.loadBalancers, d.loadBalancers)) {
    list.add('loadBalancers', service.loadBalancers ?? [], d.loadBalancers);
  }
  const connect = serviceConnectChange(service, d.serviceConnectConfiguration, recordedServiceConnect);
  if (connect) list.add(connect.field, connect.before, connect.after);
  const grace = service.healthCheckGracePeriodSeconds;
  if (d.healthCheckGracePeriodSeconds !== undefined && grace !== undefined && grace !== d.healthCheckGracePeriodSeconds) {
    list.add('healthCheckGracePeriodSeconds', grace, d.healthCheckGracePeriodSeconds);
  }
  if (Boolean(service.enableExecuteCommand) !== d.enableExecuteCommand)
    list.add('enableExecuteCommand', Boolean(service.enableExecuteCommand), d.enableExecuteCommand);
  if (service.deploymentConfiguration) {
    const dc = deploymentConfigChanges(service.deploymentConfiguration, d.deploymentConfiguration);
    if (dc.length) {
      list.changes.push(...dc);
      list.changed.push('deploymentConfiguration');
    }
  }
  const data: ServicePlanData = {
    desired: d,
    changed: list.changed,
    ...(desiredCount !== undefined ? { desiredCount } : {}),
    ...(fromLaunchType ? { fromLaunchType } : {}),
    ...(service.loadBalancers?.length ? { live: service.loadBalancers } : {}),
  };
  return { changes: list.changes, data };
}

function desiredCountToSend(service: Service, d: Desired, svc: ServiceConfig): number | undefined {
  const actualCount = service.desiredCount ?? 0;
  if (svc.autoscaling) {
    // The scaler owns desiredCount; only step in when it is outside the configured range.
    const { min, max } = svc.autoscaling;
    return actualCount < min || actualCount > max ? clamp(actualCount, min, max) : undefined;
  }
  return actualCount !== d.desiredCount ? d.desiredCount : undefined;
}

function networkChanges(service: Service, d: Desired, list: ChangeList): void {
  const vpc = service.networkConfiguration?.awsvpcConfiguration;
  const want = d.networkConfiguration?.awsvpcConfiguration;
  if (!vpc || !want) return;
  if (!sameSet(vpc.subnets, want.subnets)) list.add('subnets', sorted(vpc.subnets), sorted(want.subnets));
  if (!sameSet(vpc.securityGroups, want.securityGroups))
    list.add('securityGroups', sorted(vpc.securityGroups), sorted(want.securityGroups));
  if (vpc.assignPublicIp !== undefined && vpc.assignPublicIp !== want.assignPublicIp)
    list.add('assignPublicIp', vpc.assignPublicIp, want.assignPublicIp);
}

/** Adds a capacity change if any; true when the service moves from a launch type to a strategy. */
function capacityChange(service: Service, d: Desired, list: ChangeList): boolean {
  // launchType FARGATE and the FARGATE provider alone compare equal: an older service stays as it is.
  const actualStrategy = strategyKey(service.capacityProviderStrategy, service.launchType);
  const wantedStrategy = strategyKey(d.capacityProviderStrategy);
  if (actualStrategy === undefined || actualStrategy === wantedStrategy) return false;
  const fromLaunchType = !service.capacityProviderStrategy?.length;
  list.add('capacityProviderStrategy', fromLaunchType ? `launchType ${service.launchType}` : actualStrategy, wantedStrategy);
  return fromLaunchType;
}
