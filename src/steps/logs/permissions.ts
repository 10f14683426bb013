import type { PolicyContext } from '../../security/policy-context.js';
import { ownLogGroups, unscoped, type Statement } from '../../security/statements.js';

/** One log group per service, tagged, with the configured retention. */
export function logsPermissions(ctx: PolicyContext): Statement[] {
  return [
    unscoped(['logs:DescribeLogGroups']),
    ownLogGroups(ctx, [
      'logs:CreateLogGroup',
      'logs:DeleteLogGroup',
      'logs:PutRetentionPolicy',
      'logs:TagResource',
      'logs:ListTagsForResource',
    ]),
  ];
}
