import {
  DescribeInternetGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  type InternetGateway,
  type RouteTable,
  type Subnet,
  type Vpc,
} from '@aws-sdk/client-ec2';
import { describeAll } from '../../aws/ec2-describe.js';
import { isAwsError } from '../../aws/errors.js';
import { isOwnedBy, ownerFilters } from '../../aws/tags.js';
import type { StepContext } from '../../engine/types.js';
import type { NetworkState } from './index.js';
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
  /** Explicit associations of our public subnets with other route tables (subnetId → associationId). */
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

/** Our public route table, and explicit associations of our public subnets with tables that are not ours. */
function observeRouteTables(
  ctx: Ctx,
  tables: RouteTable[],
  subnets: Pick<Observed, 'subnets'>,
): Pick<Observed, 'routeTable' | 'foreignAssociations'> {
  const prevId = ctx.previous?.publicRouteTableId;
  const rt =
    pick(
      tables.filter((t) => ours(ctx, t.Tags, ROLE.routeTable)),
      (t) => t.RouteTableId,
      prevId,
    ) ?? tables.find((t) => t.RouteTableId && t.RouteTableId === prevId && isOwnedBy(t.Tags, ctx.owner));
  // The private subnets' associations are the nat step's (their tables route through its NAT gateways).
  const ourSubnetIds = new Set(subnets.subnets.filter(Boolean).map((s) => s!.id));
  const foreignAssociations: Record<string, string> = {};
  for (const t of tables) {
    if (t === rt) continue;
    for (const a of t.Associations ?? []) {
      if (a.SubnetId && ourSubnetIds.has(a.SubnetId) && !a.Main && liveAssociation(a.AssociationState?.State)) {
        foreignAssociations[a.SubnetId] = a.RouteTableAssociationId!;
      }
    }
  }
  return { routeTable: rt && observeTable(rt), foreignAssociations };
}

/** Every subnet and route table in a VPC, every page (filtered by VPC, so a mistyped id reads as "not in this VPC"). */
export function subnetsAndRouteTables(ctx: Pick<StepContext, 'aws'>, vpcId: string): [Promise<Subnet[]>, Promise<RouteTable[]>] {
  const ec2 = ctx.aws.ec2();
  const Filters = [{ Name: 'vpc-id', Values: [vpcId] }];
  return [
    describeAll(
      (i) => ec2.send(new DescribeSubnetsCommand(i)),
      { Filters },
      (o) => o.Subnets,
    ),
    describeAll(
      (i) => ec2.send(new DescribeRouteTablesCommand(i)),
      { Filters },
      (o) => o.RouteTables,
    ),
  ];
}

export async function observe(ctx: Ctx, w: Wanted): Promise<Observed> {
  const readVpc = (vpcId: string) =>
    Promise.all([
      dnsAttribute(ctx, vpcId, 'enableDnsSupport'),
      dnsAttribute(ctx, vpcId, 'enableDnsHostnames'),
      ...subnetsAndRouteTables(ctx, vpcId),
    ] as const);
  // The VPC the manifest recorded is almost always the one: read what is in it while checking that it is ours.
  const recorded = ctx.previous?.vpcId;
  const early = recorded ? readVpc(recorded).catch(() => undefined) : undefined;
  const [vpc, igw] = await Promise.all([findVpc(ctx), findInternetGateway(ctx)]);
  const observedIgw = igw && {
    id: igw.InternetGatewayId!,
    attachedTo: (igw.Attachments ?? []).filter((a) => a.State !== 'detached' && a.State !== 'detaching').map((a) => a.VpcId!),
  };
  if (!vpc) return { subnets: [], privateSubnets: [], foreignAssociations: {}, igw: observedIgw };

  const vpcId = vpc.VpcId!;
  const [dnsSupport, dnsHostnames, allSubnets, tables] = (vpcId === recorded ? await early : undefined) ?? (await readVpc(vpcId));
  const subnets = observeSubnets(ctx, w, allSubnets);
  return {
    vpc: { id: vpcId, cidr: vpc.CidrBlock ?? '', dnsSupport, dnsHostnames },
    ...subnets,
    igw: observedIgw,
    ...observeRouteTables(ctx, tables, subnets),
  };
}
