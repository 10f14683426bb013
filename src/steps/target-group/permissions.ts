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
      'elasticloadbalancing:DescribeListeners',
      'elasticloadbalancing:DescribeTags',
    ]),
  ];
}

/** Per public service: an IP (or instance) target group and the listener rule for its path (and a test listener). */
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
      // deployment.testPort: the test listener of a blue-green, linear or canary service.
      'elasticloadbalancing:CreateListener',
      'elasticloadbalancing:ModifyListener',
      'elasticloadbalancing:DeleteListener',
      'elasticloadbalancing:AddTags',
    ]),
  ];
}
