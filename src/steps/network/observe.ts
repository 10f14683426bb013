import {
  DescribeInternetGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  type Address,
  type InternetGateway,
  type NatGateway,
  type RouteTable,
  type Subnet,
  type Vpc,
} from '@aws-sdk/client-ec2';
import { describeAll } from '../../aws/ec2-describe.js';
import { tagValue } from '../../aws/ec2-tags.js';
import { isAwsError } from '../../aws/errors.js';
import { TAG_ROLE, isOwnedBy, ownerFilters } from '../../aws/tags.js';
import type { StepContext } from '../../engine/types.js';
import type { NetworkState } from './index.js';
import { liveNat, ownAddresses, ownNats, spentAttempts } from './nat.js';
import { ROLE, ours } from './roles.js';
import { liveAssociation, observeTable, type ObservedRouteTable } from './route-tables.js';
import type { Wanted } from './wanted.js';

/**
 * What exists of the network ecs-kit builds, read-only: each piece found by the id the manifest
 * recorded, else by its role tag (a run killed mid-apply leaves tagged pieces and no manifest
 * entry). Lists (Describe* by filter) go through describeAll, which follows NextToken; lookups by
 * id or by one role tag return a single item.
 */

type Ctx = StepContext<NetworkState>;

export interface ObservedSubnet {
  id: string;
  cidr: string;
  az: string;
  azId?: string;
  /** undefined when the API did not say. */
  mapPublicIp?: boolean;
}

export interface ObservedNat {
  id: string;
  subnetId?: string;
  allocationId?: string;
  state?: string;
}

export interface Observed {
  vpc?: { id: string; cidr: string; dnsSupport?: boolean; dnsHostnames?: boolean };
  subnets: (ObservedSubnet | undefined)[];
  privateSubnets: (ObservedSubnet | undefined)[];
  igw?: { id: string; attachedTo: string[] };
  routeTable?: ObservedRouteTable;
  privateRouteTables: (ObservedRouteTable | undefined)[];
  /** NAT gateways the layout wants, by index. */
  nats: (ObservedNat | undefined)[];
  /** Our NAT gateways beyond what the layout wants (e.g. per-az → single): removed by apply. */
  extraNats: ObservedNat[];
  /** Our Elastic IPs by role, with their association (if any). */
  eips: Record<string, { allocationId: string; associated: boolean }>;
  /** Per wanted NAT gateway: our failed/deleted ones of that role (their client tokens are spent). */
  spentNats: number[];
  /** Explicit associations of our subnets with other route tables (subnetId → associationId). */
  foreignAssociations: Record<string, string>;
}

function pick<T>(items: T[], id: (t: T) => string | undefined, preferId?: string): T | undefined {
  // Prefer what the manifest recorded; otherwise a stable pick (lowest id).
  return items.find((i) => preferId && id(i) === preferId) ?? [...items].sort((a, b) => (id(a) ?? '').localeCompare(id(b) ?? ''))[0];
}

export async function findVpc(ctx: Ctx): Promise<Vpc | undefined> {
  const ec2 = ctx.aws.ec2();
  const prev = ctx.previous?.vpcId;
  if (prev) {
    try {
      const vpc = (await ec2.send(new DescribeVpcsCommand({ VpcIds: [prev] }))).Vpcs?.[0];
      if (vpc && isOwnedBy(vpc.Tags, ctx.owner)) return vpc;
    } catch (err) {
      if (!isAwsError(err, 'InvalidVpcID.NotFound')) throw err;
    }
  }
  // A run killed right after CreateVpc left a tagged VPC behind: adopt it instead of making a second.
  const vpcs = await describeAll(
    (i) => ec2.send(new DescribeVpcsCommand(i)),
    { Filters: ownerFilters(ctx.owner, ROLE.vpc) },
    (o) => o.Vpcs,
  );
  if (vpcs.length > 1) {
    ctx.warn(
      'network.multiple-vpcs',
      `Found ${vpcs.length} VPCs tagged for ${ctx.owner.app}/${ctx.owner.env}; using ${pick(vpcs, (v) => v.VpcId)!.VpcId}.`,
    );
  }
  return pick(vpcs, (v) => v.VpcId);
}

export async function findInternetGateway(ctx: Ctx): Promise<InternetGateway | undefined> {
  const ec2 = ctx.aws.ec2();
  const prev = ctx.previous?.internetGatewayId;
  if (prev) {
    try {
      const igw = (await ec2.send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: [prev] }))).InternetGateways?.[0];
      if (igw && isOwnedBy(igw.Tags, ctx.owner)) return igw;
    } catch (err) {
      if (!isAwsError(err, 'InvalidInternetGatewayID.NotFound')) throw err;
    }
  }
  const filters = { Filters: ownerFilters(ctx.owner, ROLE.igw) };
  const igws = await describeAll(
    (i) => ec2.send(new DescribeInternetGatewaysCommand(i)),
    filters,
    (o) => o.InternetGateways,
  );
  return pick(igws, (g) => g.InternetGatewayId);
}

async function dnsAttribute(ctx: Ctx, vpcId: string, attribute: 'enableDnsSupport' | 'enableDnsHostnames'): Promise<boolean | undefined> {
  const out = await ctx.aws.ec2().send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: attribute }));
  return (attribute === 'enableDnsSupport' ? out.EnableDnsSupport : out.EnableDnsHostnames)?.Value;
}

/** Our subnet of each slot (public, and private in the production profile). */
function observeSubnets(ctx: Ctx, w: Wanted, allSubnets: Subnet[]): Pick<Observed, 'subnets' | 'privateSubnets'> {
  const findSubnet = (role: string, prevId: string | undefined): ObservedSubnet | undefined => {
    const tagged = allSubnets.filter((s) => ours(ctx, s.Tags, role));
    const s: Subnet | undefined =
      pick(tagged, (x) => x.SubnetId, prevId) ??
      allSubnets.find((x) => x.SubnetId && x.SubnetId === prevId && isOwnedBy(x.Tags, ctx.owner));
    return (
      s && {
        id: s.SubnetId!,
        cidr: s.CidrBlock ?? '',
        az: s.AvailabilityZone ?? '',
        azId: s.AvailabilityZoneId,
        mapPublicIp: s.MapPublicIpOnLaunch,
      }
    );
  };
  const slots = (role: (i: number) => string, prevIds: string[] | undefined) =>
    Array.from({ length: w.azs }, (_, i) => findSubnet(role(i), prevIds?.[i]));
  return {
    subnets: slots(ROLE.publicSubnet, ctx.previous?.publicSubnetIds),
    privateSubnets: w.profile === 'production' ? slots(ROLE.privateSubnet, ctx.previous?.privateSubnetIds) : [],
  };
}

/** Our route tables, and explicit associations of our subnets with tables that are not ours. */
function observeRouteTables(
  ctx: Ctx,
  w: Wanted,
  tables: RouteTable[],
  subnets: Pick<Observed, 'subnets' | 'privateSubnets'>,
): Pick<Observed, 'routeTable' | 'privateRouteTables' | 'foreignAssociations'> {
  const findTable = (role: string, prevId: string | undefined): RouteTable | undefined =>
    pick(
      tables.filter((t) => ours(ctx, t.Tags, role)),
      (t) => t.RouteTableId,
      prevId,
    ) ?? tables.find((t) => t.RouteTableId && t.RouteTableId === prevId && isOwnedBy(t.Tags, ctx.owner));
  const rt = findTable(ROLE.routeTable, ctx.previous?.publicRouteTableId);
  const privateTable = (i: number) => findTable(ROLE.privateRouteTable(i), ctx.previous?.privateRouteTableIds?.[i]);
  const privateTables = w.profile === 'production' ? Array.from({ length: w.azs }, (_, i) => privateTable(i)) : [];

  const ownTables = new Set([rt, ...privateTables].filter(Boolean));
  const ourSubnetIds = new Set([...subnets.subnets, ...subnets.privateSubnets].filter(Boolean).map((s) => s!.id));
  const foreignAssociations: Record<string, string> = {};
  for (const t of tables) {
    if (ownTables.has(t)) continue;
    for (const a of t.Associations ?? []) {
      if (a.SubnetId && ourSubnetIds.has(a.SubnetId) && !a.Main && liveAssociation(a.AssociationState?.State)) {
        foreignAssociations[a.SubnetId] = a.RouteTableAssociationId!;
      }
    }
  }
  return { routeTable: rt && observeTable(rt), privateRouteTables: privateTables.map((t) => t && observeTable(t)), foreignAssociations };
}

const toObservedNat = (n: NatGateway): ObservedNat => ({
  id: n.NatGatewayId!,
  subnetId: n.SubnetId,
  allocationId: n.NatGatewayAddresses?.[0]?.AllocationId,
  state: n.State,
});

/** Our NAT gateways by slot (and those beyond the layout), and our Elastic IPs by role. */
function observeNats(
  ctx: Ctx,
  w: Wanted,
  nats: NatGateway[],
  addresses: Address[],
): Pick<Observed, 'nats' | 'extraNats' | 'eips' | 'spentNats'> {
  const live = nats.filter(liveNat);
  const natByRole = (i: number) =>
    pick(
      live.filter((n) => tagValue(n.Tags, TAG_ROLE) === ROLE.nat(i)),
      (n) => n.NatGatewayId,
      ctx.previous?.natGatewayIds?.[i],
    );
  const wantedNats = Array.from({ length: w.nats }, (_, i) => natByRole(i));
  const kept = new Set(wantedNats.filter(Boolean));
  const eips: Observed['eips'] = {};
  for (const a of addresses) {
    const role = tagValue(a.Tags, TAG_ROLE);
    if (role && a.AllocationId && !eips[role])
      eips[role] = { allocationId: a.AllocationId, associated: Boolean(a.AssociationId || a.NetworkInterfaceId) };
  }
  return {
    nats: wantedNats.map((n) => n && toObservedNat(n)),
    extraNats: live.filter((n) => !kept.has(n)).map(toObservedNat),
    eips,
    spentNats: Array.from({ length: w.nats }, (_, i) => spentAttempts(nats, ROLE.nat(i))),
  };
}

export async function observe(ctx: Ctx, w: Wanted): Promise<Observed> {
  const ec2 = ctx.aws.ec2();
  const vpc = await findVpc(ctx);
  const igw = await findInternetGateway(ctx);
  const observedIgw = igw && {
    id: igw.InternetGatewayId!,
    attachedTo: (igw.Attachments ?? []).filter((a) => a.State !== 'detached' && a.State !== 'detaching').map((a) => a.VpcId!),
  };
  if (!vpc) {
    const none = {
      subnets: [],
      privateSubnets: [],
      privateRouteTables: [],
      nats: [],
      extraNats: [],
      eips: {},
      spentNats: [],
      foreignAssociations: {},
    };
    return { ...none, igw: observedIgw };
  }

  const vpcId = vpc.VpcId!;
  const vpcFilter = [{ Name: 'vpc-id', Values: [vpcId] }];
  const production = w.profile === 'production';
  const [dnsSupport, dnsHostnames, allSubnets, tables, nats, addresses] = await Promise.all([
    dnsAttribute(ctx, vpcId, 'enableDnsSupport'),
    dnsAttribute(ctx, vpcId, 'enableDnsHostnames'),
    describeAll(
      (i) => ec2.send(new DescribeSubnetsCommand(i)),
      { Filters: vpcFilter },
      (o) => o.Subnets,
    ),
    describeAll(
      (i) => ec2.send(new DescribeRouteTablesCommand(i)),
      { Filters: vpcFilter },
      (o) => o.RouteTables,
    ),
    production ? ownNats(ctx, vpcId) : Promise.resolve([]),
    production ? ownAddresses(ctx) : Promise.resolve([]),
  ]);
  const subnets = observeSubnets(ctx, w, allSubnets);
  return {
    vpc: { id: vpcId, cidr: vpc.CidrBlock ?? '', dnsSupport, dnsHostnames },
    ...subnets,
    igw: observedIgw,
    ...observeRouteTables(ctx, w, tables, subnets),
    ...observeNats(ctx, w, nats, addresses),
  };
}
