import { errorName } from '../aws/errors.js';
import { isServiceLinkedRoleNotReady, retryPropagation } from '../aws/propagation.js';
import { SERVICE_LINKED_ROLES, ensureServiceLinkedRole, type ServiceLinkedRoleKey } from '../aws/service-linked-roles.js';
import type { StepContext } from '../engine/types.js';

/**
 * Before the first create that needs a service-linked role (CreateCluster, CreateLoadBalancer,
 * the first RegisterScalableTarget), make sure the role exists, so a fresh account does not
 * depend on the service creating it on the fly and then failing to assume it (real-aws.md #12,
 * #22). Best effort: a deployer that may not read or create the role (AccessDenied) still gets
 * the create below, which AWS lets make the role itself, retried while it propagates.
 * Call it on create paths only: a deploy that changes nothing must not make this call.
 */
export async function prepareServiceLinkedRole(ctx: Pick<StepContext, 'aws' | 'progress'>, key: ServiceLinkedRoleKey): Promise<void> {
  try {
    if (await ensureServiceLinkedRole(ctx.aws, key)) ctx.progress(`created the service-linked role ${SERVICE_LINKED_ROLES[key].roleName}`);
  } catch (err) {
    if (!/AccessDenied|NotAuthorized|Unauthorized/.test(errorName(err))) throw err;
    ctx.progress(`could not check the service-linked role ${SERVICE_LINKED_ROLES[key].roleName} (${errorName(err)}); AWS creates it on first use`);
  }
}

/**
 * Run a create that AWS refuses while its service-linked role is new ("Unable to assume the
 * service linked role", "Unable to assume IAM role: …/AWSServiceRoleFor…"). Those errors mean
 * nothing was created, so repeating the call is safe; anything else is thrown at once.
 */
export function retryWhileRoleIsNew<T>(ctx: StepContext, key: ServiceLinkedRoleKey, fn: () => Promise<T>): Promise<T> {
  return retryPropagation(ctx, `the service-linked role ${SERVICE_LINKED_ROLES[key].roleName}`, fn, isServiceLinkedRoleNotReady);
}
