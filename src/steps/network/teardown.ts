import {
  DeleteInternetGatewayCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeInternetGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  DetachInternetGatewayCommand,
} from '@aws-sdk/client-ec2';
import { deleteWithRetry } from '../../aws/deletion.js';
import { describeAll, describeOne } from '../../aws/ec2-describe.js';
import { tagValue } from '../../aws/ec2-tags.js';
import { warnLeftInPlace } from '../../aws/ownership.js';
import { TAG_ROLE, isOwnedBy, ownerFilters } from '../../aws/tags.js';
import type { StepContext } from '../../engine/types.js';
import type { NetworkState } from './index.js';
import { deleteNats, liveNat, ownAddresses, ownNats } from './nat.js';
import { deleteOwnedRouteTable } from './route-tables.js';

/**
 * Teardown of the network ecs-kit built, in the order AWS allows: NAT gateways (and their
 * addresses), route tables, the internet gateway, subnets, the VPC. What the manifest lists plus
 * anything tagged ours in the VPC (a run killed mid-apply); a piece whose tags are not ours is left.
 */

type Ctx = StepContext<NetworkState>;

/** Ids of our resources in the VPC, by tags (for route tables and subnets a killed run did not record). */
async function taggedInVpc(ctx: Ctx, vpcId: string, kind: 'route-tables' | 'subnets'): Promise<string[]> {
  const ec2 = ctx.aws.ec2();
  const filters = { Filters: [{ Name: 'vpc-id', Values: [vpcId] }, ...ownerFilters(ctx.owner)] };
  if (kind === 'route-tables') {
    const tagged = await describeAll(
      (i) => ec2.send(new DescribeRouteTablesCommand(i)),
      filters,
      (o) => o.RouteTables,
    );
    return tagged.filter((t) => t.RouteTableId && isOwnedBy(t.Tags, ctx.owner)).map((t) => t.RouteTableId!);
  }
  const tagged = await describeAll(
    (i) => ec2.send(new DescribeSubnetsCommand(i)),
    filters,
    (o) => o.Subnets,
  );
  return tagged.filter((s) => s.SubnetId && isOwnedBy(s.Tags, ctx.owner)).map((s) => s.SubnetId!);
}

/**
 * 1. Leftover NAT gateways (they hold addresses and ENIs in the public subnets): the nat step deletes its own before
 * this step runs; this finds any a killed run left unrecorded (or a manifest from before the nat step).
 */
async function deleteLeftoverNats(ctx: Ctx, state: NetworkState & LegacyNatFields, inVpc: boolean): Promise<void> {
  if (!inVpc || state.profile !== 'production') return;
  const [nats, addresses] = await Promise.all([ownNats(ctx, state.vpcId), ownAddresses(ctx)]);
  const live = nats.filter(liveNat);
  const allocationIds = new Set(live.flatMap((n) => (n.NatGatewayAddresses ?? []).map((a) => a.AllocationId!).filter(Boolean)));
  for (const a of addresses)
    if (a.AllocationId && !a.AssociationId && tagValue(a.Tags, TAG_ROLE)?.startsWith('nat-eip-')) allocationIds.add(a.AllocationId);
  if (live.length || allocationIds.size)
    await deleteNats(
      ctx,
      live.map((n) => n.NatGatewayId!),
      [...allocationIds],
    );
}

/** 2. Route tables (the public one, and any of ours left in the VPC): explicit associations block their deletion. */
async function deleteRouteTables(ctx: Ctx, state: NetworkState & LegacyNatFields, inVpc: boolean): Promise<void> {
  const tableIds = new Set([state.publicRouteTableId, ...(state.privateRouteTableIds ?? [])].filter(Boolean));
  if (inVpc) for (const id of await taggedInVpc(ctx, state.vpcId, 'route-tables')) tableIds.add(id);
  await Promise.all([...tableIds].map((id) => deleteOwnedRouteTable(ctx, id)));
}

/** 3. Internet gateway: detaching fails while public IPs (task/ALB ENIs) are still mapped. */
async function deleteInternetGateway(ctx: Ctx, igwId: string): Promise<void> {
  const ec2 = ctx.aws.ec2();
  const igw = await describeOne(
    () => ec2.send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: [igwId] })).then((o) => o.InternetGateways?.[0]),
    'InvalidInternetGatewayID.NotFound',
  );
  if (!igw) return;
  if (!isOwnedBy(igw.Tags, ctx.owner)) {
    warnLeftInPlace(ctx, `internet gateway ${igwId}`);
    return;
  }
  for (const a of igw.Attachments ?? []) {
    if (!a.VpcId || a.State === 'detached') continue;
    await deleteWithRetry(ctx, () => ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: a.VpcId })), {
      what: `internet gateway ${igwId}`,
      goneOn: ['InvalidInternetGatewayID.NotFound', 'Gateway.NotAttached'],
    });
  }
  await deleteWithRetry(ctx, () => ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: igwId })), {
    what: `internet gateway ${igwId}`,
    goneOn: ['InvalidInternetGatewayID.NotFound'],
  });
}

/** 4. Subnets: task, NAT and ALB ENIs can take minutes to be released. */
async function deleteSubnets(ctx: Ctx, state: NetworkState, inVpc: boolean): Promise<void> {
  const ec2 = ctx.aws.ec2();
  const subnetIds = new Set([...state.publicSubnetIds, ...(state.privateSubnetIds ?? [])].filter(Boolean));
  if (inVpc) for (const id of await taggedInVpc(ctx, state.vpcId, 'subnets')) subnetIds.add(id);
  const deleteSubnet = async (subnetId: string): Promise<void> => {
    const describe = () => ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] })).then((o) => o.Subnets?.[0]);
    const subnet = await describeOne(describe, 'InvalidSubnetID.NotFound');
    if (!subnet) return;
    if (!isOwnedBy(subnet.Tags, ctx.owner)) {
      warnLeftInPlace(ctx, `subnet ${subnetId}`);
      return;
    }
    await deleteWithRetry(ctx, () => ec2.send(new DeleteSubnetCommand({ SubnetId: subnetId })), {
      what: `subnet ${subnetId}`,
      goneOn: ['InvalidSubnetID.NotFound'],
    });
  };
  await Promise.all([...subnetIds].map(deleteSubnet));
}

/** Fields a network state recorded before the nat step (a manifest the migration has not seen, e.g. in a test). */
interface LegacyNatFields {
  privateRouteTableIds?: string[];
}

export async function destroyNetwork(ctx: Ctx, state: NetworkState & LegacyNatFields): Promise<void> {
  const ec2 = ctx.aws.ec2();
  const vpc = await describeOne(
    () => ec2.send(new DescribeVpcsCommand({ VpcIds: [state.vpcId] })).then((o) => o.Vpcs?.[0]),
    'InvalidVpcID.NotFound',
  );
  // Only a VPC of ours is searched for tagged leftovers.
  const inVpc = Boolean(vpc && isOwnedBy(vpc.Tags, ctx.owner));

  await deleteLeftoverNats(ctx, state, inVpc);
  // The route tables, the gateway and the subnets do not wait for each other (the subnets only for their ENIs).
  await Promise.all([
    deleteRouteTables(ctx, state, inVpc),
    state.internetGatewayId ? deleteInternetGateway(ctx, state.internetGatewayId) : undefined,
    deleteSubnets(ctx, state, inVpc),
  ]);

  // 5. The VPC.
  if (!vpc) return;
  if (!inVpc) {
    warnLeftInPlace(ctx, `VPC ${state.vpcId}`);
    return;
  }
  await deleteWithRetry(ctx, () => ec2.send(new DeleteVpcCommand({ VpcId: state.vpcId })), {
    what: `VPC ${state.vpcId}`,
    goneOn: ['InvalidVpcID.NotFound'],
  });
}
