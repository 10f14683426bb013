import type { PolicyContext } from '../../security/policy-context.js';
import { securityGroupGrants, type Statement } from '../../security/statements.js';

/** One security group per service, open only to the load balancer's group (or to nothing, for a worker). */
export function securityGroupPermissions(ctx: PolicyContext): Statement[] {
  return securityGroupGrants(ctx);
}
