import type { PolicyContext } from '../../security/policy-context.js';
import { ownEcs, serviceLinkedRoles, unscoped, watchRollout, type Statement } from '../../security/statements.js';

/** The ECS service, and the rollout it starts: watched to the end, rolled back and diagnosed on failure. */
export function servicePermissions(ctx: PolicyContext): Statement[] {
  return [
    ownEcs(ctx, ['ecs:CreateService', 'ecs:UpdateService', 'ecs:DeleteService', 'ecs:DescribeServices', 'ecs:TagResource']),
    // A new load balancer is waited to `active` before the service's URL is printed.
    unscoped(['elasticloadbalancing:DescribeLoadBalancers']),
    ...watchRollout(ctx),
    ...serviceLinkedRoles(ctx, ['ecs']),
  ];
}
