import { DescribeTagsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { EcsKitError } from '../errors.js';
import type { StepContext } from '../engine/types.js';
import { isAwsError } from './errors.js';
import { isOwnedBy } from './tags.js';

/** ELBv2 resources (load balancers, listeners, rules, target groups) carry their tags behind a call of its own. */

export const ELB_NOT_FOUND = [
  'LoadBalancerNotFoundException',
  'LoadBalancerNotFound',
  'TargetGroupNotFoundException',
  'TargetGroupNotFound',
  'ListenerNotFoundException',
  'ListenerNotFound',
  'RuleNotFoundException',
  'RuleNotFound',
];

/** Tags of one ELBv2 resource, or undefined when the resource no longer exists. */
export async function elbTags(ctx: StepContext, arn: string): Promise<{ Key?: string; Value?: string }[] | undefined> {
  try {
    const out = await ctx.aws.elbv2().send(new DescribeTagsCommand({ ResourceArns: [arn] }));
    return out.TagDescriptions?.find((d) => d.ResourceArn === arn)?.Tags ?? out.TagDescriptions?.[0]?.Tags ?? [];
  } catch (err) {
    if (isAwsError(err, ...ELB_NOT_FOUND)) return undefined;
    throw err;
  }
}

/**
 * The ELBv2 resource `describe` finds by name, if there is one and it is ours; `notOwned` is thrown when something
 * ecs-kit did not create holds the name. A resource gone between the two calls counts as absent.
 */
export async function findOwnedElb<T>(
  ctx: StepContext,
  describe: () => Promise<T | undefined>,
  arnOf: (resource: T) => string | undefined,
  notOwned: () => EcsKitError,
): Promise<T | undefined> {
  let found: T | undefined;
  try {
    found = await describe();
  } catch (err) {
    if (isAwsError(err, ...ELB_NOT_FOUND)) return undefined;
    throw err;
  }
  const arn = found && arnOf(found);
  if (!arn) return undefined;
  const tags = await elbTags(ctx, arn);
  if (!tags) return undefined;
  if (!isOwnedBy(tags, ctx.owner)) throw notOwned();
  return found;
}
