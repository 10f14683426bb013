import type { PolicyContext } from '../../security/policy-context.js';
import type { Statement } from '../../security/statements.js';
import { queuePermissions } from '../queue/permissions.js';

/** The schedule group of this app/env (EventBridge Scheduler ARN: schedule-group/<name>). */
export function ownScheduleGroup(ctx: PolicyContext, actions: string[]): Statement {
  return {
    Sid: 'OwnScheduleGroup',
    Effect: 'Allow',
    Action: actions,
    Resource: ctx.arn('scheduler', `schedule-group/${ctx.names.scheduleGroup}`),
  };
}

/** The schedule group (created tagged, deleted with what is left in it) and the scheduler's dead-letter queue. */
export function scheduleGroupPermissions(ctx: PolicyContext): Statement[] {
  return [
    ownScheduleGroup(ctx, [
      'scheduler:GetScheduleGroup',
      'scheduler:CreateScheduleGroup',
      'scheduler:DeleteScheduleGroup',
      'scheduler:TagResource',
      'scheduler:ListTagsForResource',
    ]),
    ...queuePermissions(ctx),
  ];
}
