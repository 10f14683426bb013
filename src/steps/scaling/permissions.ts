import type { PolicyContext } from '../../security/policy-context.js';
import { serviceLinkedRoles, unscoped, type Statement } from '../../security/statements.js';

export function scalingReads(): Statement[] {
  return [unscoped(['application-autoscaling:DescribeScalableTargets', 'application-autoscaling:DescribeScalingPolicies'])];
}

/** A scalable target (min/max) and a CPU target-tracking policy per service with autoscaling. */
export function scalingPermissions(ctx: PolicyContext): Statement[] {
  return [
    ...scalingReads(),
    // Application Auto Scaling cannot scope these to a resource.
    unscoped([
      'application-autoscaling:RegisterScalableTarget',
      'application-autoscaling:DeregisterScalableTarget',
      'application-autoscaling:PutScalingPolicy',
      'application-autoscaling:DeleteScalingPolicy',
      'application-autoscaling:TagResource',
    ]),
    {
      // Target tracking creates and deletes its CloudWatch alarms with the caller's permissions.
      Sid: 'AutoscalingAlarms',
      Effect: 'Allow',
      Action: ['cloudwatch:PutMetricAlarm', 'cloudwatch:DescribeAlarms', 'cloudwatch:DeleteAlarms'],
      Resource: ctx.arn('cloudwatch', 'alarm:TargetTracking-service/*'),
    },
    ...serviceLinkedRoles(ctx, ['ecsAutoScaling']),
    ...backlogAlarms(ctx),
  ];
}

/** A queue worker's backlog alarm (alarm.ts), named <app>-<env>-<service>-backlog and tagged; only configs with one get it. */
function backlogAlarms(ctx: PolicyContext): Statement[] {
  if (!Object.values(ctx.config.services).some((svc) => svc.autoscaling?.backlogPerTask !== undefined)) return [];
  return [
    {
      Sid: 'BacklogAlarms',
      Effect: 'Allow',
      Action: [
        'cloudwatch:PutMetricAlarm',
        'cloudwatch:DescribeAlarms',
        'cloudwatch:DeleteAlarms',
        'cloudwatch:ListTagsForResource',
        'cloudwatch:TagResource',
      ],
      Resource: ctx.arn('cloudwatch', `alarm:${ctx.names.prefix}-*-backlog`),
    },
  ];
}
