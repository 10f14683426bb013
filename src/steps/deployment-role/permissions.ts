import type { PolicyContext } from '../../security/policy-context.js';
import { attachOnly, ownRoleArns, ownRoles, type Statement } from '../../security/statements.js';
import { ROLE_ACTIONS } from '../roles/permissions.js';
import { lbInfrastructurePolicyArn } from './index.js';

/** The infrastructure role (role-step.ts, iam.ts), with the one managed policy ECS documents for it, passed to ECS. */
export function deploymentRolePermissions(ctx: PolicyContext): Statement[] {
  return [
    ownRoles(ctx, ROLE_ACTIONS),
    ...attachOnly(ctx, [lbInfrastructurePolicyArn(ctx.region)]),
    // CreateService/UpdateService hand the role to ECS in loadBalancers[].advancedConfiguration.roleArn.
    {
      Sid: 'PassOwnRolesToEcs',
      Effect: 'Allow',
      Action: ['iam:PassRole'],
      Resource: ownRoleArns(ctx),
      Condition: { StringEquals: { 'iam:PassedToService': 'ecs.amazonaws.com' } },
    },
  ];
}
