import type { StepContext } from '../engine/types.js';
import { notFoundYet, retryPropagation } from './propagation.js';

/** The "does not exist" codes EC2 answers for an id of each kind (by its prefix). */
const NOT_FOUND_BY_PREFIX: [string, string[]][] = [
  ['vpc-', ['InvalidVpcID.NotFound']],
  ['subnet-', ['InvalidSubnetID.NotFound']],
  ['igw-', ['InvalidInternetGatewayID.NotFound', 'InvalidGatewayID.NotFound']],
  ['rtb-', ['InvalidRouteTableID.NotFound']],
  ['eipalloc-', ['InvalidAllocationID.NotFound']],
  ['nat-', ['InvalidNatGatewayID.NotFound', 'NatGatewayNotFound']],
  ['sg-', ['InvalidGroup.NotFound', 'InvalidGroupId.NotFound']],
];

function notFoundCodesFor(id: string): string[] {
  return NOT_FOUND_BY_PREFIX.find(([prefix]) => id.startsWith(prefix))?.[1] ?? [];
}

/**
 * Run a call that names ids, retrying "<kind> not found" while AWS has not made an id this run
 * created visible yet: EC2 is eventually consistent, e.g. InvalidGroup.NotFound right after
 * CreateSecurityGroup (https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html).
 * Ids not in `created` (read from AWS or the manifest) get no retry: for them "not found" is true.
 */
export function untilVisible<T>(
  ctx: StepContext,
  created: ReadonlySet<string>,
  ids: (string | undefined)[],
  fn: () => Promise<T>,
): Promise<T> {
  const fresh = ids.filter((id): id is string => Boolean(id && created.has(id)));
  if (!fresh.length) return fn();
  return retryPropagation(ctx, fresh.join(', '), fn, notFoundYet(...fresh.flatMap(notFoundCodesFor)));
}
