import { CreateServiceLinkedRoleCommand, GetRoleCommand } from '@aws-sdk/client-iam';
import type { AwsClients } from './clients.js';
import { errorName, isAwsError, messageIncludes } from './errors.js';
import { isServiceLinkedRoleNotReady, retryPropagation, type PropagationContext } from './propagation.js';

/**
 * Service-linked roles that ecs-kit's resources need. A fresh account has none of them; the
 * service makes its own on first use and can then fail to assume it for a few seconds
 * ("Unable to assume the service linked role", 1Password/scim-examples#356, pulumi-aws#1041,
 * aws-cdk#4108). Creating the role explicitly before the first create, and retrying that create
 * while the role propagates, makes a first deploy converge in one run.
 * Role names: IAM User Guide, "AWS services that work with IAM" (service-linked role column).
 */
export const SERVICE_LINKED_ROLES = {
  ecs: { service: 'ecs.amazonaws.com', roleName: 'AWSServiceRoleForECS', path: '/aws-service-role/ecs.amazonaws.com/' },
  elb: {
    service: 'elasticloadbalancing.amazonaws.com',
    roleName: 'AWSServiceRoleForElasticLoadBalancing',
    path: '/aws-service-role/elasticloadbalancing.amazonaws.com/',
  },
  ecsAutoScaling: {
    service: 'ecs.application-autoscaling.amazonaws.com',
    roleName: 'AWSServiceRoleForApplicationAutoScaling_ECSService',
    path: '/aws-service-role/ecs.application-autoscaling.amazonaws.com/',
  },
  ec2AutoScaling: {
    service: 'autoscaling.amazonaws.com',
    roleName: 'AWSServiceRoleForAutoScaling',
    path: '/aws-service-role/autoscaling.amazonaws.com/',
  },
} as const;

export type ServiceLinkedRoleKey = keyof typeof SERVICE_LINKED_ROLES;

/** Read-only: does the account have this service-linked role? */
export async function hasServiceLinkedRole(aws: AwsClients, key: ServiceLinkedRoleKey): Promise<boolean> {
  try {
    await aws.iam().send(new GetRoleCommand({ RoleName: SERVICE_LINKED_ROLES[key].roleName }));
    return true;
  } catch (err) {
    if (isAwsError(err, 'NoSuchEntityException', 'NoSuchEntity')) return false;
    throw err;
  }
}

/**
 * Make sure the service-linked role exists before the first create that needs it. Returns true
 * when this call created it (the caller should then expect, and retry, a short propagation
 * window). "Has been taken" (another run or the service itself made it meanwhile) counts as there.
 */
export async function ensureServiceLinkedRole(aws: AwsClients, key: ServiceLinkedRoleKey): Promise<boolean> {
  if (await hasServiceLinkedRole(aws, key)) return false;
  try {
    await aws.iam().send(new CreateServiceLinkedRoleCommand({ AWSServiceName: SERVICE_LINKED_ROLES[key].service }));
    return true;
  } catch (err) {
    if (isAwsError(err, 'EntityAlreadyExistsException', 'EntityAlreadyExists')) return false;
    if (isAwsError(err, 'InvalidInputException', 'InvalidInput') && messageIncludes(err, 'has been taken')) return false;
    throw err;
  }
}

/**
 * Before the first create that needs a service-linked role (CreateCluster, CreateLoadBalancer, the first
 * RegisterScalableTarget, CreateAutoScalingGroup, CreateCapacityProvider), make sure the role exists, so a fresh
 * account does not depend on the service creating it on the fly and then failing to assume it (real-aws.md #12,
 * #22). Best effort: a deployer that may not read or create the role (AccessDenied) still gets the create, which
 * AWS lets make the role itself, retried by `retryWhileRoleIsNew` while it propagates.
 * Call it on create paths only: a deploy that changes nothing must not make this call.
 */
export async function prepareServiceLinkedRole(
  ctx: { aws: AwsClients; progress(message: string): void },
  key: ServiceLinkedRoleKey,
): Promise<void> {
  try {
    if (await ensureServiceLinkedRole(ctx.aws, key)) ctx.progress(`created the service-linked role ${SERVICE_LINKED_ROLES[key].roleName}`);
  } catch (err) {
    if (!/AccessDenied|NotAuthorized|Unauthorized/.test(errorName(err))) throw err;
    ctx.progress(
      `could not check the service-linked role ${SERVICE_LINKED_ROLES[key].roleName} (${errorName(err)}); AWS creates it on first use`,
    );
  }
}

/**
 * Run a create that AWS refuses while its service-linked role is new ("Unable to assume the service linked role",
 * "Unable to assume IAM role: …/AWSServiceRoleFor…"). Those errors mean nothing was created, so repeating the call
 * is safe; anything else is thrown at once.
 */
export function retryWhileRoleIsNew<T>(ctx: PropagationContext, key: ServiceLinkedRoleKey, fn: () => Promise<T>): Promise<T> {
  return retryPropagation(ctx, `the service-linked role ${SERVICE_LINKED_ROLES[key].roleName}`, fn, isServiceLinkedRoleNotReady);
}
