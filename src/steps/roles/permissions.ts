import type { PolicyContext } from '../../security/policy-context.js';
import { attachOnly, ownRoles, type Statement } from '../../security/statements.js';
import { executionPolicyArn } from './policy.js';

/** What the role steps do to their own roles (iam.ts, role-step.ts): create, keep in shape, delete. */
export const ROLE_ACTIONS = [
  'iam:CreateRole',
  'iam:DeleteRole',
  'iam:GetRole',
  'iam:TagRole',
  'iam:ListRoleTags',
  'iam:UpdateAssumeRolePolicy',
  'iam:ListAttachedRolePolicies',
  'iam:ListRolePolicies',
  'iam:GetRolePolicy',
  'iam:PutRolePolicy',
  'iam:DeleteRolePolicy',
  'iam:ListInstanceProfilesForRole',
  'iam:RemoveRoleFromInstanceProfile',
];

/** The task execution role, with AmazonECSTaskExecutionRolePolicy attached. */
export function executionRolePermissions(ctx: PolicyContext): Statement[] {
  return [ownRoles(ctx, ROLE_ACTIONS), ...attachOnly(ctx, [executionPolicyArn(ctx.region)])];
}

/** One task role per service, with the managed policies the config names (none by default). */
export function taskRolePermissions(ctx: PolicyContext): Statement[] {
  const managed = [...new Set(Object.values(ctx.config.services).flatMap((svc) => svc.taskRole?.managedPolicies ?? []))];
  return [ownRoles(ctx, ROLE_ACTIONS), ...attachOnly(ctx, managed)];
}
