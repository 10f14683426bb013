import { TAG_ROLE, isOwnedBy } from '../../aws/tags.js';
import { tagValue } from '../../aws/ec2-tags.js';
import type { StepContext } from '../../engine/types.js';
import { EIP_ROLE, NAT_ROLE } from './nat.js';

/**
 * The role tag of each piece of the network: a re-run finds what an earlier run (or one killed
 * mid-apply) created by these, and the Name tag the console shows is `<app>-<env>-<role>`.
 */
export const ROLE = {
  vpc: 'vpc',
  igw: 'internet-gateway',
  routeTable: 'public-route-table',
  publicSubnet: (i: number) => `public-subnet-${i + 1}`,
  privateSubnet: (i: number) => `private-subnet-${i + 1}`,
  privateRouteTable: (i: number) => `private-route-table-${i + 1}`,
  nat: NAT_ROLE,
  eip: EIP_ROLE,
};

/** True when the tags say this app/env owns the resource and it plays `role`. */
export function ours(ctx: StepContext, tags: { Key?: string; Value?: string }[] | undefined, role: string): boolean {
  return isOwnedBy(tags, ctx.owner) && tagValue(tags, TAG_ROLE) === role;
}

export const nameOf = (ctx: StepContext, role: string) => `${ctx.names.prefix}-${role}`;
