import type { PolicyContext } from '../../security/policy-context.js';
import { ownEcs, ownServiceDeployments, serviceLinkedRoles, unscoped, watchRollout, type Statement } from '../../security/statements.js';

/** The ECS service, and the rollout it starts: watched to the end, rolled back and diagnosed on failure. */
export function servicePermissions(ctx: PolicyContext): Statement[] {
  return [
    ownEcs(ctx, ['ecs:CreateService', 'ecs:UpdateService', 'ecs:DeleteService', 'ecs:DescribeServices', 'ecs:TagResource']),
    // A new load balancer is waited to `active` before the service's URL is printed.
    unscoped(['elasticloadbalancing:DescribeLoadBalancers']),
    ...watchRollout(ctx),
    // Blue/green, linear and canary rollouts are followed through their service deployment (src/rollout/strategy-wait.ts).
    ownServiceDeployments(ctx, ['ecs:ListServiceDeployments', 'ecs:DescribeServiceDeployments']),
    ...serviceLinkedRoles(ctx, ['ecs']),
  ];
}
