import { partitionOf } from '../../aws/partition.js';
import type { Config } from '../../config/schema.js';
import type { StepModule } from '../../engine/types.js';
import type { RoleState } from '../roles/index.js';
import { roleStep, type RolePlanData } from '../roles/role-step.js';
import { shiftsTraffic } from '../service/deployment-config.js';
import { deploymentRolePermissions } from './permissions.js';

/**
 * The ECS infrastructure role for load balancers: blue/green, linear and canary deployments need it to move the
 * production listener rule's weights and register tasks in both target groups ("Amazon ECS infrastructure IAM role for
 * load balancers", ECS Developer Guide,
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/AmazonECSInfrastructureRolePolicyForLoadBalancers.html).
 * One per app/env, under ecs-kit's role path, tagged; only when a service uses one of those strategies.
 */

export function lbInfrastructurePolicyArn(region: string): string {
  return `arn:${partitionOf(region)}:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers`;
}

/**
 * The trust policy the guide gives: ECS itself (ecs.amazonaws.com) assumes it. No aws:SourceAccount condition: the
 * guide documents none for this role, and a condition ECS does not send would make every deployment fail.
 */
export function lbInfrastructureTrust(): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AllowAccessToECSForInfrastructureManagement',
        Effect: 'Allow',
        Principal: { Service: 'ecs.amazonaws.com' },
        Action: 'sts:AssumeRole',
      },
    ],
  };
}

/** Whether the config has a service whose deployments shift load balancer traffic. */
export function needsLbInfrastructureRole(config: Config): boolean {
  return Object.values(config.services).some(shiftsTraffic);
}

export const deploymentRoleStep: StepModule<RoleState, RolePlanData> = {
  ...roleStep({
    kind: 'deployment-role',
    title: () => 'ECS infrastructure role for load balancers',
    instances: (config) => (needsLbInfrastructureRole(config) ? [{ dependsOn: [] }] : []),
    name: (ctx) => ctx.names.lbInfrastructureRole,
    description: (ctx) =>
      `ecs-kit: lets ECS shift load balancer traffic in blue/green, linear and canary deployments of ${ctx.owner.app}/${ctx.owner.env}`,
    policies: (ctx) => [lbInfrastructurePolicyArn(ctx.region)],
    trust: () => lbInfrastructureTrust(),
  }),
  resourceKinds: ['iam:role'],
  permissions: deploymentRolePermissions,
};
