import type { PolicyContext } from '../../security/policy-context.js';
import { unscoped, type Statement } from '../../security/statements.js';
import { createLoadBalancing, ownLoadBalancing } from '../load-balancer/permissions.js';

export function targetGroupReads(): Statement[] {
  return [
    unscoped([
      'elasticloadbalancing:DescribeTargetGroups',
      'elasticloadbalancing:DescribeTargetGroupAttributes',
      'elasticloadbalancing:DescribeTargetHealth',
      'elasticloadbalancing:DescribeRules',
      'elasticloadbalancing:DescribeTags',
    ]),
  ];
}

/** Per public service: an IP (or instance) target group and the listener rule for its path. */
export function targetGroupPermissions(ctx: PolicyContext): Statement[] {
  return [
    ...targetGroupReads(),
    createLoadBalancing(ctx, ['elasticloadbalancing:CreateTargetGroup', 'elasticloadbalancing:AddTags']),
    ownLoadBalancing(ctx, [
      'elasticloadbalancing:ModifyTargetGroup',
      'elasticloadbalancing:ModifyTargetGroupAttributes',
      'elasticloadbalancing:DeleteTargetGroup',
      'elasticloadbalancing:CreateRule',
      'elasticloadbalancing:ModifyRule',
      'elasticloadbalancing:SetRulePriorities',
      'elasticloadbalancing:DeleteRule',
      'elasticloadbalancing:AddTags',
    ]),
  ];
}
