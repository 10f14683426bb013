import type { PolicyContext } from '../../security/policy-context.js';
import { securityGroupGrants, type Statement } from '../../security/statements.js';

/** One tagged security group with no rules of its own. */
export function membersSecurityGroupPermissions(ctx: PolicyContext): Statement[] {
  return securityGroupGrants(ctx);
}
