import { randomUUID } from 'node:crypto';
import {
  AssociateRouteTableCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  DeleteRouteTableCommand,
  DescribeRouteTablesCommand,
  DisassociateRouteTableCommand,
  ReplaceRouteCommand,
  ReplaceRouteTableAssociationCommand,
  type RouteTable,
} from '@aws-sdk/client-ec2';
import { onceOptions } from '../../aws/create-once-options.js';
import { deleteWithRetry, ignoreErrors } from '../../aws/deletion.js';
import { describeOne } from '../../aws/ec2-describe.js';
import { tagSpec } from '../../aws/ec2-tags.js';
import { untilVisible } from '../../aws/ec2-visibility.js';
import { isAwsError } from '../../aws/errors.js';
import { alreadyDone, createOnce } from '../../aws/idempotent.js';
import { isOwnedBy, ownerFilters } from '../../aws/tags.js';
import { warnLeftInPlace } from '../../aws/ownership.js';
import type { StepContext } from '../../engine/types.js';
import { nameOf, ours } from './roles.js';

/**
 * Route tables: the public one sends 0.0.0.0/0 to the internet gateway, each private one (one
 * per AZ) to a NAT gateway. What matters of a table is its default route and its live subnet
 * associations.
 */

export interface ObservedRouteTable {
  id: string;
  defaultRoute?: { gatewayId?: string; natGatewayId?: string; blackhole: boolean };
  associations: { subnetId: string; associationId: string }[];
}

/** What the route table helpers need from a step's apply: the VPC, the ids this run created, and associations to move over. */
export interface Building {
  ctx: StepContext;
  o: { foreignAssociations: Record<string, string> };
  vpcId: string;
  /** Ids this run creates: the next call naming one retries "not found" until AWS shows it. */
  created: Set<string>;
}

export type RouteTarget = { GatewayId: string } | { NatGatewayId: string };

export const liveAssociation = (state?: string) => state === undefined || state === 'associated' || state === 'associating';

export function observeTable(rt: RouteTable): ObservedRouteTable {
  const route = rt.Routes?.find((r) => r.DestinationCidrBlock === '0.0.0.0/0');
  return {
    id: rt.RouteTableId!,
    defaultRoute: route && { gatewayId: route.GatewayId, natGatewayId: route.NatGatewayId, blackhole: route.State === 'blackhole' },
    associations: (rt.Associations ?? [])
      .filter((a) => a.SubnetId && !a.Main && liveAssociation(a.AssociationState?.State))
      .map((a) => ({ subnetId: a.SubnetId!, associationId: a.RouteTableAssociationId! })),
  };
}

/**
 * The ClientToken is random per ensure (reused across our own retries): a token derived from names
 * would replay a route table that a partial teardown already deleted. A crashed run, or an
 * endpoint that ignores the token, is recovered by the tag lookup.
 */
async function createRouteTable(net: Building, role: string): Promise<string> {
  const { ctx, vpcId, created } = net;
  ctx.progress(`creating ${role.replace(/-/g, ' ')}`);
  const ClientToken = randomUUID();
  const TagSpecifications = tagSpec('route-table', ctx.owner, role, nameOf(ctx, role));
  const create = () => ctx.aws.once.ec2().send(new CreateRouteTableCommand({ VpcId: vpcId, ClientToken, TagSpecifications }));
  const rtId = await createOnce({
    create: async () => (await untilVisible(ctx, created, [vpcId], create)).RouteTable!.RouteTableId!,
    find: async () => {
      const filters = [{ Name: 'vpc-id', Values: [vpcId] }, ...ownerFilters(ctx.owner, role)];
      const tables = (await ctx.aws.ec2().send(new DescribeRouteTablesCommand({ Filters: filters }))).RouteTables;
      return tables?.find((t) => ours(ctx, t.Tags, role))?.RouteTableId;
    },
    ...onceOptions(ctx),
  });
  created.add(rtId);
  return rtId;
}

/** Point the table's 0.0.0.0/0 route at `target`, creating the route if it has none. */
async function ensureDefaultRoute(
  net: Building,
  table: string,
  route: ObservedRouteTable['defaultRoute'],
  target: RouteTarget,
): Promise<void> {
  const { ctx, created } = net;
  const ec2 = ctx.aws.ec2();
  const targetId = 'GatewayId' in target ? target.GatewayId : target.NatGatewayId;
  const actualTarget = route && ('GatewayId' in target ? route.gatewayId : route.natGatewayId);
  const replace = () => ec2.send(new ReplaceRouteCommand({ RouteTableId: table, DestinationCidrBlock: '0.0.0.0/0', ...target }));
  if (!route) {
    await untilVisible(ctx, created, [table, targetId], () =>
      ec2
        .send(new CreateRouteCommand({ RouteTableId: table, DestinationCidrBlock: '0.0.0.0/0', ...target }))
        .catch(async (err: unknown) => {
          // A lost response: AWS made the route, the SDK retried and found it. Make sure it points at our target.
          if (!isAwsError(err, 'RouteAlreadyExists')) throw err;
          await replace();
        }),
    );
  } else if (route.blackhole || actualTarget !== targetId) {
    await untilVisible(ctx, created, [table, targetId], replace);
  }
}

/** Associate the subnets with the table: a subnet explicitly associated with another table is moved over. */
async function ensureAssociations(net: Building, table: string, rt: ObservedRouteTable | undefined, subnetIds: string[]): Promise<void> {
  const { ctx, o, created } = net;
  const ec2 = ctx.aws.ec2();
  const associate = async (subnetId: string): Promise<void> => {
    if (rt?.associations.some((a) => a.subnetId === subnetId)) return;
    const foreign = o.foreignAssociations[subnetId];
    if (foreign) {
      await untilVisible(ctx, created, [table], () =>
        ec2.send(new ReplaceRouteTableAssociationCommand({ AssociationId: foreign, RouteTableId: table })),
      );
      return;
    }
    await untilVisible(ctx, created, [table, subnetId], () =>
      ec2.send(new AssociateRouteTableCommand({ RouteTableId: table, SubnetId: subnetId })).catch(
        alreadyDone(['Resource.AlreadyAssociated'], async () => {
          const t = (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [table] }))).RouteTables?.[0];
          return Boolean(t?.Associations?.some((a) => a.SubnetId === subnetId && liveAssociation(a.AssociationState?.State)));
        }),
      ),
    );
  };
  // One subnet's association does not depend on another's.
  await Promise.all(subnetIds.map(associate));
}

/** A route table with a default route to `target`, associated with `subnetIds`. */
export async function ensureRouteTable(
  net: Building,
  rt: ObservedRouteTable | undefined,
  role: string,
  target: RouteTarget,
  subnetIds: string[],
): Promise<string> {
  const table = rt?.id ?? (await createRouteTable(net, role));
  // The route and the associations each need only the table.
  await Promise.all([ensureDefaultRoute(net, table, rt?.defaultRoute, target), ensureAssociations(net, table, rt, subnetIds)]);
  return table;
}

/** A route table of ours: its explicit associations first (they block the delete), then the table; not ours: left, with a warning. */
export async function deleteOwnedRouteTable(ctx: StepContext, tableId: string): Promise<void> {
  const ec2 = ctx.aws.ec2();
  const describe = () => ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [tableId] })).then((o) => o.RouteTables?.[0]);
  const rt = await describeOne(describe, 'InvalidRouteTableID.NotFound');
  if (!rt) return;
  if (!isOwnedBy(rt.Tags, ctx.owner)) {
    warnLeftInPlace(ctx, `route table ${tableId}`);
    return;
  }
  await Promise.all(
    (rt.Associations ?? [])
      .filter((a) => !a.Main && a.RouteTableAssociationId)
      .map((a) =>
        ec2
          .send(new DisassociateRouteTableCommand({ AssociationId: a.RouteTableAssociationId }))
          .catch(ignoreErrors('InvalidAssociationID.NotFound')),
      ),
  );
  await deleteWithRetry(ctx, () => ec2.send(new DeleteRouteTableCommand({ RouteTableId: tableId })), {
    what: `route table ${tableId}`,
    goneOn: ['InvalidRouteTableID.NotFound'],
  });
}
