import type { PolicyContext } from '../../security/policy-context.js';
import { unscoped, type Statement } from '../../security/statements.js';

/** ecs-kit's rollback alarms, named ecs-kit/<app>/<env>/…: created and tagged, checked for their tags, deleted. */
export function alarmPermissions(ctx: PolicyContext): Statement[] {
  return [
    unscoped(['cloudwatch:DescribeAlarms']),
    {
      Sid: 'OwnAlarms',
      Effect: 'Allow',
      Action: ['cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms', 'cloudwatch:TagResource', 'cloudwatch:ListTagsForResource'],
      Resource: ctx.arn('cloudwatch', `alarm:ecs-kit/${ctx.app}/${ctx.env}/*`),
    },
  ];
}
