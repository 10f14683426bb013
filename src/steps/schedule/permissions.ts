import { isScheduled } from '../../config/services.js';
import type { PolicyContext } from '../../security/policy-context.js';
import type { Statement } from '../../security/statements.js';
import { ownScheduleGroup } from '../schedule-group/permissions.js';

/**
 * A schedule per scheduled job in the app/env's group (ARN schedule/<group>/<name>), whose ownership is read from the
 * group's tags, and passing each job's scheduler role to EventBridge Scheduler (CreateSchedule/UpdateSchedule need it).
 */
export function schedulePermissions(ctx: PolicyContext): Statement[] {
  const jobs = Object.entries(ctx.config.services)
    .filter(([, svc]) => isScheduled(svc))
    .map(([name]) => name);
  return [
    {
      Sid: 'OwnSchedules',
      Effect: 'Allow',
      Action: ['scheduler:GetSchedule', 'scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule'],
      Resource: ctx.arn('scheduler', `schedule/${ctx.names.scheduleGroup}/*`),
    },
    ownScheduleGroup(ctx, ['scheduler:GetScheduleGroup', 'scheduler:ListTagsForResource']),
    {
      Sid: 'PassSchedulerRole',
      Effect: 'Allow',
      Action: ['iam:PassRole'],
      Resource: jobs.map((job) => ctx.iamArn(`role${ctx.names.rolePath}${ctx.names.schedulerRole(job)}`)),
      Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    },
  ];
}
