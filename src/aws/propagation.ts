import { errorName, isAwsError, messageIncludes } from './errors.js';
import { retryWhile } from './retry.js';

/**
 * AWS is eventually consistent: an id a create just returned, a new IAM role or instance
 * profile, or a service-linked role made on first use can be invisible or unusable to the next
 * call for seconds. These helpers retry exactly those cases, with backoff, for a bounded time,
 * and never anything else. Sources for each case are in ../shared/notes/real-aws.md:
 * - EC2 "Eventual consistency in the Amazon EC2 API" (Invalid*.NotFound right after Create*);
 * - IAM "Troubleshooting: changes that I make are not always immediately visible";
 * - ECS "Unable to assume the service linked role" on the first CreateCluster of an account.
 */

/** What a retry needs from the run: a time bound, cancellation and a progress line. */
export interface PropagationContext {
  options: { propagationRetryMs: number };
  signal: AbortSignal;
  progress(message: string): void;
}

/**
 * Run `fn`, retrying while `isTransient` says AWS has not caught up yet. Backs off from 1 s to
 * 10 s, for at most `ctx.options.propagationRetryMs`; then the last error is rethrown.
 */
export function retryPropagation<T>(
  ctx: PropagationContext,
  waitingFor: string,
  fn: () => Promise<T>,
  isTransient: (err: unknown) => boolean,
): Promise<T> {
  let told = false;
  return retryWhile(fn, isTransient, {
    timeoutMs: ctx.options.propagationRetryMs,
    initialDelayMs: 1_000,
    maxDelayMs: 10_000,
    signal: ctx.signal,
    onRetry: () => {
      if (told) return;
      told = true;
      ctx.progress(`waiting for AWS to make ${waitingFor} visible (eventual consistency)`);
    },
  });
}

/** `Invalid<Thing>.NotFound` (EC2) and friends: true for exactly the given codes. */
export function notFoundYet(...codes: string[]): (err: unknown) => boolean {
  return (err) => isAwsError(err, ...codes);
}

/** Every EC2 "does not exist (yet)" code ecs-kit may see right after creating the named id. */
export const EC2_NOT_FOUND_CODES = [
  'InvalidVpcID.NotFound',
  'InvalidSubnetID.NotFound',
  'InvalidGroup.NotFound',
  'InvalidGroupId.NotFound',
  'InvalidInternetGatewayID.NotFound',
  'InvalidRouteTableID.NotFound',
  'InvalidAllocationID.NotFound',
  'InvalidNatGatewayID.NotFound',
  'NatGatewayNotFound',
  'InvalidLaunchTemplateId.NotFound',
  'InvalidLaunchTemplateName.NotFoundException',
] as const;

/**
 * IAM propagation: a new role or instance profile that another service cannot use yet. The
 * texts are those AWS returns (EC2 Auto Scaling, ECS, Application Auto Scaling, EventBridge).
 */
export function isIamPropagation(err: unknown): boolean {
  return (
    messageIncludes(err, 'Invalid IAM Instance Profile') ||
    messageIncludes(err, 'iamInstanceProfile') ||
    (messageIncludes(err, 'Value (') && messageIncludes(err, 'instance profile')) ||
    messageIncludes(err, 'unable to assume the role') ||
    messageIncludes(err, 'cannot be assumed') ||
    messageIncludes(err, 'is not authorized to perform: sts:AssumeRole') ||
    messageIncludes(err, 'Role is not valid') ||
    messageIncludes(err, 'role provided is not valid')
  );
}

/** A service-linked role that the service is creating, or has just created, and cannot assume yet. */
export function isServiceLinkedRoleNotReady(err: unknown): boolean {
  const mentionsSlr =
    messageIncludes(err, 'service linked role') || messageIncludes(err, 'service-linked role') || messageIncludes(err, 'AWSServiceRoleFor');
  return mentionsSlr && !/AccessDenied|NotAuthorized|Unauthorized/.test(errorName(err));
}
