import type { PolicyContext } from '../../security/policy-context.js';
import { ownRoles, type Statement } from '../../security/statements.js';
import { ROLE_ACTIONS } from '../roles/permissions.js';

/** The scheduler's execution role, under the app/env's role path like every role ecs-kit creates. */
export function schedulerRolePermissions(ctx: PolicyContext): Statement[] {
  return [ownRoles(ctx, ROLE_ACTIONS)];
}
