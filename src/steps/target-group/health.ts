import {
  DescribeTargetGroupAttributesCommand,
  ModifyTargetGroupAttributesCommand,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ServiceConfig } from '../../config/schema.js';
import type { Change, StepContext } from '../../engine/types.js';

/** Health check and draining settings of a service's target group: what is wanted, and how a group differs from it. */

const HEALTH = { matcher: '200-399', intervalSeconds: 15, healthyThreshold: 2, unhealthyThreshold: 3 };
const DEREGISTRATION_DELAY_SECONDS = '30';
const DEREGISTRATION_DELAY = 'deregistration_delay.timeout_seconds';

export function healthSettings(svc: ServiceConfig) {
  return {
    HealthCheckProtocol: 'HTTP' as const,
    HealthCheckPath: svc.healthCheckPath,
    Matcher: { HttpCode: HEALTH.matcher },
    HealthCheckIntervalSeconds: HEALTH.intervalSeconds,
    HealthyThresholdCount: HEALTH.healthyThreshold,
    UnhealthyThresholdCount: HEALTH.unhealthyThreshold,
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
  check('healthCheckIntervalSeconds', tg.HealthCheckIntervalSeconds, HEALTH.intervalSeconds);
  check('healthyThresholdCount', tg.HealthyThresholdCount, HEALTH.healthyThreshold);
  check('unhealthyThresholdCount', tg.UnhealthyThresholdCount, HEALTH.unhealthyThreshold);
  return changes;
}

/** The change to the group's deregistration delay, if it has drifted. */
export async function deregistrationDelayChange(ctx: StepContext, targetGroupArn: string): Promise<Change | undefined> {
  const attrs = (await ctx.aws.elbv2().send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: targetGroupArn }))).Attributes ?? [];
  const delay = attrs.find((a) => a.Key === DEREGISTRATION_DELAY)?.Value;
  const drift = delay !== undefined && delay !== DEREGISTRATION_DELAY_SECONDS;
  return drift ? { field: DEREGISTRATION_DELAY, before: delay, after: DEREGISTRATION_DELAY_SECONDS } : undefined;
}

/** Faster rollouts: the default 300 s drain holds every deployment for five minutes. */
export async function setDeregistrationDelay(ctx: StepContext, targetGroupArn: string): Promise<void> {
  const attribute = { Key: DEREGISTRATION_DELAY, Value: DEREGISTRATION_DELAY_SECONDS };
  await ctx.aws.elbv2().send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: targetGroupArn, Attributes: [attribute] }));
}
