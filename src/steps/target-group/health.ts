import {
  DescribeTargetGroupAttributesCommand,
  ModifyTargetGroupAttributesCommand,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ServiceConfig } from '../../config/schema.js';
import { DEFAULT_DEREGISTRATION_DELAY } from '../../config/workloads.js';
import type { Change, StepContext } from '../../engine/types.js';

/** Health check and draining settings of a service's target group: what is wanted, and how a group differs from it. */

const HEALTH = { matcher: '200-399', intervalSeconds: 15, healthyThreshold: 2, unhealthyThreshold: 3 };
const DEREGISTRATION_DELAY = 'deregistration_delay.timeout_seconds';

/** The group's health check: ecs-kit's defaults, or the service's loadBalancerHealthCheck. */
function wantedHealth(svc: ServiceConfig) {
  const o = svc.loadBalancerHealthCheck;
  return {
    interval: o?.interval ?? HEALTH.intervalSeconds,
    healthy: o?.healthyThreshold ?? HEALTH.healthyThreshold,
    unhealthy: o?.unhealthyThreshold ?? HEALTH.unhealthyThreshold,
    timeout: o?.timeout,
  };
}

/**
 * The deregistration delay: 30 s unless the service says otherwise, not AWS's 300 s, which an image-only rollout
 * would wait out for every old task (ELB User Guide, "Deregistration delay").
 */
function delaySeconds(svc: ServiceConfig): string {
  return String(svc.loadBalancerHealthCheck?.deregistrationDelay ?? DEFAULT_DEREGISTRATION_DELAY);
}

export function healthSettings(svc: ServiceConfig) {
  const h = wantedHealth(svc);
  return {
    HealthCheckProtocol: 'HTTP' as const,
    HealthCheckPath: svc.healthCheckPath,
    Matcher: { HttpCode: HEALTH.matcher },
    HealthCheckIntervalSeconds: h.interval,
    HealthyThresholdCount: h.healthy,
    UnhealthyThresholdCount: h.unhealthy,
    ...(h.timeout !== undefined ? { HealthCheckTimeoutSeconds: h.timeout } : {}),
  };
}

export function healthChanges(tg: TargetGroup, svc: ServiceConfig): Change[] {
  const changes: Change[] = [];
  // Only fields the API returned are compared, so a partial response never looks like drift.
  const check = (field: string, before: unknown, after: unknown) => {
    if (before !== undefined && before !== after) changes.push({ field, before, after });
  };
  check('healthCheckPath', tg.HealthCheckPath, svc.healthCheckPath);
  check('healthCheckMatcher', tg.Matcher?.HttpCode, HEALTH.matcher);
  const h = wantedHealth(svc);
  check('healthCheckIntervalSeconds', tg.HealthCheckIntervalSeconds, h.interval);
  check('healthyThresholdCount', tg.HealthyThresholdCount, h.healthy);
  check('unhealthyThresholdCount', tg.UnhealthyThresholdCount, h.unhealthy);
  if (h.timeout !== undefined) check('healthCheckTimeoutSeconds', tg.HealthCheckTimeoutSeconds, h.timeout);
  return changes;
}

/** The change to the group's deregistration delay, if it has drifted. */
export async function deregistrationDelayChange(ctx: StepContext, targetGroupArn: string, svc: ServiceConfig): Promise<Change | undefined> {
  const attrs = (await ctx.aws.elbv2().send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: targetGroupArn }))).Attributes ?? [];
  const delay = attrs.find((a) => a.Key === DEREGISTRATION_DELAY)?.Value;
  const drift = delay !== undefined && delay !== delaySeconds(svc);
  return drift ? { field: DEREGISTRATION_DELAY, before: delay, after: delaySeconds(svc) } : undefined;
}

/** Faster rollouts: the default 300 s drain holds every deployment for five minutes. */
export async function setDeregistrationDelay(ctx: StepContext, targetGroupArn: string, svc: ServiceConfig): Promise<void> {
  const attribute = { Key: DEREGISTRATION_DELAY, Value: delaySeconds(svc) };
  await ctx.aws.elbv2().send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: targetGroupArn, Attributes: [attribute] }));
}
