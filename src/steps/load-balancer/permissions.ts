import { isPublic } from '../../config/services.js';
import { shiftsTraffic } from '../service/deployment-config.js';
import type { PolicyContext } from '../../security/policy-context.js';
import { securityGroupGrants, serviceLinkedRoles, unscoped, type Statement } from '../../security/statements.js';

/** The target groups of the services behind the load balancer (the target-group step creates them). */
function targetGroupArns(ctx: PolicyContext): string[] {
  const publicServices = ctx.services.filter((s) => isPublic(ctx.config.services[s]!));
  // Blue/green, linear and canary services have a second (alternate) group.
  const names = publicServices.flatMap((s) =>
    shiftsTraffic(ctx.config.services[s]!) ? [ctx.names.targetGroup(s), ctx.names.alternateTargetGroup(s)] : [ctx.names.targetGroup(s)],
  );
  return names.map((n) => ctx.arn('elasticloadbalancing', `targetgroup/${n}/*`));
}

/** Creating the load balancer and the target groups, by the names ecs-kit gives them. */
export function createLoadBalancing(ctx: PolicyContext, actions: string[]): Statement {
  const lb = ctx.arn('elasticloadbalancing', `loadbalancer/app/${ctx.names.loadBalancer}/*`);
  return { Sid: 'LoadBalancerCreate', Effect: 'Allow', Action: actions, Resource: [lb, ...targetGroupArns(ctx)] };
}

/** The load balancer with its listeners and rules, and the target groups. */
export function ownLoadBalancing(ctx: PolicyContext, actions: string[]): Statement {
  const lb = ctx.names.loadBalancer;
  const arns = [`loadbalancer/app/${lb}/*`, `listener/app/${lb}/*`, `listener-rule/app/${lb}/*`].map((r) =>
    ctx.arn('elasticloadbalancing', r),
  );
  return { Sid: 'OwnLoadBalancer', Effect: 'Allow', Action: actions, Resource: [...arns, ...targetGroupArns(ctx)] };
}

export function loadBalancerReads(): Statement[] {
  return [
    unscoped(['elasticloadbalancing:DescribeLoadBalancers', 'elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeTags']),
  ];
}

/** The shared ALB in the public subnets, its security group, and the HTTP (and HTTPS) listeners. */
export function loadBalancerPermissions(ctx: PolicyContext): Statement[] {
  return [
    ...loadBalancerReads(),
    ...securityGroupGrants(ctx),
    createLoadBalancing(ctx, ['elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:AddTags']),
    ownLoadBalancing(ctx, [
      'elasticloadbalancing:DeleteLoadBalancer',
      'elasticloadbalancing:SetSecurityGroups',
      'elasticloadbalancing:SetSubnets',
      'elasticloadbalancing:CreateListener',
      'elasticloadbalancing:ModifyListener',
      'elasticloadbalancing:DeleteListener',
      'elasticloadbalancing:AddTags',
    ]),
    ...serviceLinkedRoles(ctx, ['elb']),
  ];
}
