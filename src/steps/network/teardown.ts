import {
  DeleteInternetGatewayCommand,
  DeleteRouteTableCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeInternetGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  DetachInternetGatewayCommand,
  DisassociateRouteTableCommand,
} from '@aws-sdk/client-ec2';
import { deleteWithRetry, ignoreErrors } from '../../aws/deletion.js';
import { describeAll, describeOne } from '../../aws/ec2-describe.js';
import { tagValue } from '../../aws/ec2-tags.js';
import { warnLeftInPlace } from '../../aws/ownership.js';
import { TAG_ROLE, isOwnedBy, ownerFilters } from '../../aws/tags.js';
import type { StepContext } from '../../engine/types.js';
import type { NetworkState } from './index.js';
import { deleteNats, ownAddresses, ownNats } from './nat.js';

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

/** 1. NAT gateways (they hold the Elastic IPs and ENIs in the public subnets), then their addresses. */
async function deleteNatGateways(ctx: Ctx, state: NetworkState, inVpc: boolean): Promise<void> {
  const natIds = new Set((state.natGatewayIds ?? []).filter(Boolean));
  const allocationIds = new Set((state.elasticIpAllocationIds ?? []).filter(Boolean));
  if (inVpc && (state.profile === 'production' || natIds.size)) {
    // Dead ones too: deleteNats skips them, but learns which addresses a NAT gateway held.
    for (const n of await ownNats(ctx, state.vpcId)) {
      natIds.add(n.NatGatewayId!);
      for (const a of n.NatGatewayAddresses ?? []) if (a.AllocationId) allocationIds.add(a.AllocationId);
    }
    for (const a of await ownAddresses(ctx))
      if (a.AllocationId && tagValue(a.Tags, TAG_ROLE)?.startsWith('nat-eip-')) allocationIds.add(a.AllocationId);
  }
  if (natIds.size || allocationIds.size) await deleteNats(ctx, [...natIds], [...allocationIds]);
}

/** 2. Route tables: explicit associations block their deletion. */
async function deleteRouteTables(ctx: Ctx, state: NetworkState, inVpc: boolean): Promise<void> {
  const ec2 = ctx.aws.ec2();
  const tableIds = new Set([state.publicRouteTableId, ...(state.privateRouteTableIds ?? [])].filter(Boolean));
  if (inVpc) for (const id of await taggedInVpc(ctx, state.vpcId, 'route-tables')) tableIds.add(id);
  for (const tableId of tableIds) {
    const describe = () => ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [tableId] })).then((o) => o.RouteTables?.[0]);
    const rt = await describeOne(describe, 'InvalidRouteTableID.NotFound');
    if (!rt) continue;
    if (!isOwnedBy(rt.Tags, ctx.owner)) {
      warnLeftInPlace(ctx, `route table ${tableId}`);
      continue;
    }
    for (const a of rt.Associations ?? []) {
      if (a.Main || !a.RouteTableAssociationId) continue;
      await ec2
        .send(new DisassociateRouteTableCommand({ AssociationId: a.RouteTableAssociationId }))
        .catch(ignoreErrors('InvalidAssociationID.NotFound'));
    }
    await deleteWithRetry(ctx, () => ec2.send(new DeleteRouteTableCommand({ RouteTableId: tableId })), {
      what: `route table ${tableId}`,
      goneOn: ['InvalidRouteTableID.NotFound'],
    });
  }
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
  for (const subnetId of subnetIds) {
    const describe = () => ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] })).then((o) => o.Subnets?.[0]);
    const subnet = await describeOne(describe, 'InvalidSubnetID.NotFound');
    if (!subnet) continue;
    if (!isOwnedBy(subnet.Tags, ctx.owner)) {
      warnLeftInPlace(ctx, `subnet ${subnetId}`);
      continue;
    }
    await deleteWithRetry(ctx, () => ec2.send(new DeleteSubnetCommand({ SubnetId: subnetId })), {
      what: `subnet ${subnetId}`,
      goneOn: ['InvalidSubnetID.NotFound'],
    });
  }
}

export async function destroyNetwork(ctx: Ctx, state: NetworkState): Promise<void> {
  const ec2 = ctx.aws.ec2();
  const vpc = await describeOne(
    () => ec2.send(new DescribeVpcsCommand({ VpcIds: [state.vpcId] })).then((o) => o.Vpcs?.[0]),
    'InvalidVpcID.NotFound',
  );
  // Only a VPC of ours is searched for tagged leftovers.
  const inVpc = Boolean(vpc && isOwnedBy(vpc.Tags, ctx.owner));

  await deleteNatGateways(ctx, state, inVpc);
  await deleteRouteTables(ctx, state, inVpc);
  if (state.internetGatewayId) await deleteInternetGateway(ctx, state.internetGatewayId);
  await deleteSubnets(ctx, state, inVpc);

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
