import { createHash, randomUUID } from 'node:crypto';
import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteInternetGatewayCommand,
  DeleteNatGatewayCommand,
  DeleteRouteTableCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeAddressesCommand,
  DescribeAvailabilityZonesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  DetachInternetGatewayCommand,
  DisassociateRouteTableCommand,
  ModifySubnetAttributeCommand,
  ModifyVpcAttributeCommand,
  ReleaseAddressCommand,
  ReplaceRouteCommand,
  ReplaceRouteTableAssociationCommand,
  waitUntilNatGatewayAvailable,
  waitUntilNatGatewayDeleted,
  waitUntilVpcAvailable,
  type Address,
  type AvailabilityZone,
  type InternetGateway,
  type NatGateway,
  type RouteTable,
  type Subnet,
  type Vpc,
} from '@aws-sdk/client-ec2';
import { isAwsError } from '../aws/errors.js';
import { alreadyDone, createOnce } from '../aws/idempotent.js';
import { TAG_ROLE, isOwnedBy, ownerFilters } from '../aws/tags.js';
import { EcsKitError } from '../errors.js';
import type { Change, StepContext, StepModule, StepPlan } from '../engine/types.js';
import { deleteWithRetry, ignoreErrors, onceOptions, tagSpec, tagValue } from './ec2-util.js';
import { existingNetwork } from './existing-network.js';
import type { NetworkState } from './states.js';

type Ctx = StepContext<NetworkState>;

// ---------------------------------------------------------------------------------------
// Subnet layout (pure). The VPC CIDR is cut into 16 equal blocks (/prefix+4): public
// subnets take blocks 0–3 (one per AZ), private subnets (production profile) blocks 4–7,
// and the rest stay free — so adding an AZ or the private tier later never moves a subnet.

/** "learning": public subnets only (tasks get public IPs). "production": adds private subnets + NAT. */
export type NetworkProfile = 'learning' | 'production';

/** Default number of availability zones (an ALB needs two). */
export const AZ_COUNT = 2;
const MAX_AZS = 4;
const PRIVATE_OFFSET = MAX_AZS;

export interface SubnetSpec {
  role: string;
  tier: 'public' | 'private';
  /** Block index within the VPC CIDR. */
  block: number;
  cidr: string;
  availabilityZone: string;
}

export interface SubnetLayout {
  public: SubnetSpec[];
  private: SubnetSpec[];
}

function parseCidr(cidr: string): { base: number; prefix: number } {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr.trim());
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const prefix = m ? Number(m[5]) : NaN;
  if (!m || octets.some((o) => o > 255) || prefix > 32) {
    throw new EcsKitError('network.cidr', `${cidr} is not an IPv4 CIDR block.`, { fix: 'Use a block such as 10.0.0.0/16 for network.cidr.' });
  }
  const ip = octets.reduce((acc, o) => acc * 256 + o, 0);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { base: (ip & mask) >>> 0, prefix };
}

function formatCidr(base: number, prefix: number): string {
  return `${base >>> 24}.${(base >>> 16) & 255}.${(base >>> 8) & 255}.${base & 255}/${prefix}`;
}

/** 10.0.0.7/16 → 10.0.0.0/16: AWS reports the network address, so compare that. */
export function normalizeCidr(cidr: string): string {
  const { base, prefix } = parseCidr(cidr);
  return formatCidr(base, prefix);
}

/** True when two CIDR blocks share any address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  const end = (c: { base: number; prefix: number }) => c.base + 2 ** (32 - c.prefix) - 1;
  return x.base <= end(y) && y.base <= end(x);
}

export function subnetLayout(cidr: string, azs: readonly string[], profile: NetworkProfile = 'learning', count = AZ_COUNT): SubnetLayout {
  const { base, prefix } = parseCidr(cidr);
  const blockPrefix = prefix + 4;
  // AWS subnets are /16 to /28, which is why the config allows a VPC of /16 to /24.
  if (prefix < 16 || blockPrefix > 28) {
    throw new EcsKitError('network.cidr', `network.cidr ${cidr} must be between /16 and /24.`, { fix: 'Use a block such as 10.0.0.0/16.' });
  }
  if (count < AZ_COUNT || count > MAX_AZS) {
    throw new EcsKitError('network.azs', `network.azs must be between ${AZ_COUNT} and ${MAX_AZS}, got ${count}.`);
  }
  if (azs.length < count) {
    throw new EcsKitError('network.azs', `The subnet layout needs ${count} availability zones, got ${azs.length}.`);
  }
  const size = 2 ** (32 - blockPrefix);
  const block = (tier: 'public' | 'private', i: number, index: number): SubnetSpec => ({
    role: `${tier}-subnet-${i + 1}`,
    tier,
    block: index,
    cidr: formatCidr(base + index * size, blockPrefix),
    availabilityZone: azs[i]!,
  });
  const zones = azs.slice(0, count);
  return {
    public: zones.map((_, i) => block('public', i, i)),
    private: profile === 'production' ? zones.map((_, i) => block('private', i, PRIVATE_OFFSET + i)) : [],
  };
}

/** The first `count` regular zones by name; local/wavelength zones and impaired zones are skipped. */
export function pickAvailabilityZones(zones: readonly AvailabilityZone[], region = 'this region', count = AZ_COUNT): string[] {
  const names = zones
    .filter((z) => z.State === 'available' && (z.ZoneType === undefined || z.ZoneType === 'availability-zone') && z.ZoneName)
    .map((z) => z.ZoneName!)
    .sort();
  if (names.length < count) {
    throw new EcsKitError('network.azs', `Only ${names.length} availability zone(s) are available in ${region}; the config asks for ${count}.`, {
      why: 'The load balancer and the service are spread over several availability zones for resilience, and an ALB requires two.',
      fix: count > AZ_COUNT ? 'Set network.azs to 2, or deploy to a region with more zones.' : 'Deploy to a region with at least two available zones (set region in ecs-kit.yml or pass --region).',
    });
  }
  return names.slice(0, count);
}

/** How many NAT gateways a layout needs: none (learning), one (single) or one per AZ. */
export function natCount(profile: NetworkProfile, nat: 'single' | 'per-az', azs: number): number {
  if (profile !== 'production') return 0;
  return nat === 'per-az' ? azs : 1;
}

/** Which NAT (index) private subnet i routes through. */
export function natIndexFor(i: number, nats: number): number {
  return nats <= 1 ? 0 : i % nats;
}

/** Subnets and public-IP setting for tasks: private subnets when there are any. */
export function taskPlacement(network: NetworkState): { subnets: string[]; assignPublicIp: 'ENABLED' | 'DISABLED' } {
  const priv = network.privateSubnetIds ?? [];
  if (priv.length) return { subnets: [...priv], assignPublicIp: 'DISABLED' };
  return { subnets: [...network.publicSubnetIds], assignPublicIp: 'ENABLED' };
}

// ---------------------------------------------------------------------------------------
// What exists.

const ROLE = {
  vpc: 'vpc',
  igw: 'internet-gateway',
  routeTable: 'public-route-table',
  publicSubnet: (i: number) => `public-subnet-${i + 1}`,
  privateSubnet: (i: number) => `private-subnet-${i + 1}`,
  privateRouteTable: (i: number) => `private-route-table-${i + 1}`,
  nat: (i: number) => `nat-gateway-${i + 1}`,
  eip: (i: number) => `nat-eip-${i + 1}`,
};

interface ObservedSubnet {
  id: string;
  cidr: string;
  az: string;
  /** undefined when the API did not say. */
  mapPublicIp?: boolean;
}

interface ObservedRouteTable {
  id: string;
  defaultRoute?: { gatewayId?: string; natGatewayId?: string; blackhole: boolean };
  associations: { subnetId: string; associationId: string }[];
}

interface ObservedNat {
  id: string;
  subnetId?: string;
  allocationId?: string;
  state?: string;
}

interface Observed {
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
  /** Explicit associations of our subnets with other route tables (subnetId → associationId). */
  foreignAssociations: Record<string, string>;
}

interface PlanData {
  observed: Observed;
  /** Zones for subnets that must be created. */
  azs?: string[];
}

interface Wanted {
  cidr: string;
  profile: NetworkProfile;
  azs: number;
  nats: number;
}

function wantedCidr(ctx: Ctx): string {
  return normalizeCidr(ctx.config?.network.cidr ?? ctx.previous?.cidr ?? '10.0.0.0/16');
}

function wanted(ctx: Ctx): Wanted {
  const n = ctx.config?.network;
  const profile = (n?.profile ?? 'learning') as NetworkProfile;
  const azs = n?.azs ?? AZ_COUNT;
  return { cidr: wantedCidr(ctx), profile, azs, nats: natCount(profile, n?.nat ?? 'single', azs) };
}

function pick<T>(items: T[], id: (t: T) => string | undefined, preferId?: string): T | undefined {
  // Prefer what the manifest recorded; otherwise a stable pick (lowest id).
  return items.find((i) => preferId && id(i) === preferId) ?? [...items].sort((a, b) => (id(a) ?? '').localeCompare(id(b) ?? ''))[0];
}

async function findVpc(ctx: Ctx): Promise<Vpc | undefined> {
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
  const vpcs = (await ec2.send(new DescribeVpcsCommand({ Filters: ownerFilters(ctx.owner, ROLE.vpc) }))).Vpcs ?? [];
  if (vpcs.length > 1) ctx.warn(`Found ${vpcs.length} VPCs tagged for ${ctx.owner.app}/${ctx.owner.env}; using ${pick(vpcs, (v) => v.VpcId)!.VpcId}.`);
  return pick(vpcs, (v) => v.VpcId);
}

async function findInternetGateway(ctx: Ctx): Promise<InternetGateway | undefined> {
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
  const igws = (await ec2.send(new DescribeInternetGatewaysCommand({ Filters: ownerFilters(ctx.owner, ROLE.igw) }))).InternetGateways ?? [];
  return pick(igws, (g) => g.InternetGatewayId);
}

async function dnsAttribute(ctx: Ctx, vpcId: string, attribute: 'enableDnsSupport' | 'enableDnsHostnames'): Promise<boolean | undefined> {
  const out = await ctx.aws.ec2().send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: attribute }));
  return (attribute === 'enableDnsSupport' ? out.EnableDnsSupport : out.EnableDnsHostnames)?.Value;
}

function ours(ctx: Ctx, tags: { Key?: string; Value?: string }[] | undefined, role: string): boolean {
  return isOwnedBy(tags, ctx.owner) && tagValue(tags, TAG_ROLE) === role;
}

const liveNat = (n: NatGateway) => n.State === 'pending' || n.State === 'available';
const liveAssociation = (state?: string) => state === undefined || state === 'associated' || state === 'associating';

function observeTable(rt: RouteTable): ObservedRouteTable {
  const route = rt.Routes?.find((r) => r.DestinationCidrBlock === '0.0.0.0/0');
  return {
    id: rt.RouteTableId!,
    defaultRoute: route && { gatewayId: route.GatewayId, natGatewayId: route.NatGatewayId, blackhole: route.State === 'blackhole' },
    associations: (rt.Associations ?? [])
      .filter((a) => a.SubnetId && !a.Main && liveAssociation(a.AssociationState?.State))
      .map((a) => ({ subnetId: a.SubnetId!, associationId: a.RouteTableAssociationId! })),
  };
}

/** Our NAT gateways in the VPC (live ones only). */
async function ownNats(ctx: Ctx, vpcId: string): Promise<NatGateway[]> {
  const out = await ctx.aws.ec2().send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'vpc-id', Values: [vpcId] }, ...ownerFilters(ctx.owner)] }));
  return (out.NatGateways ?? []).filter((n) => isOwnedBy(n.Tags, ctx.owner));
}

async function ownAddresses(ctx: Ctx): Promise<Address[]> {
  const out = await ctx.aws.ec2().send(new DescribeAddressesCommand({ Filters: ownerFilters(ctx.owner) }));
  return (out.Addresses ?? []).filter((a) => isOwnedBy(a.Tags, ctx.owner));
}

async function observe(ctx: Ctx, w: Wanted): Promise<Observed> {
  const ec2 = ctx.aws.ec2();
  const vpc = await findVpc(ctx);
  const igw = await findInternetGateway(ctx);
  const observedIgw = igw && {
    id: igw.InternetGatewayId!,
    attachedTo: (igw.Attachments ?? []).filter((a) => a.State !== 'detached' && a.State !== 'detaching').map((a) => a.VpcId!),
  };
  const empty: Observed = { subnets: [], privateSubnets: [], privateRouteTables: [], nats: [], extraNats: [], eips: {}, igw: observedIgw, foreignAssociations: {} };
  if (!vpc) return empty;

  const vpcId = vpc.VpcId!;
  const vpcFilter = [{ Name: 'vpc-id', Values: [vpcId] }];
  const production = w.profile === 'production';
  const [dnsSupport, dnsHostnames, subnetsOut, tablesOut, nats, addresses] = await Promise.all([
    dnsAttribute(ctx, vpcId, 'enableDnsSupport'),
    dnsAttribute(ctx, vpcId, 'enableDnsHostnames'),
    ec2.send(new DescribeSubnetsCommand({ Filters: vpcFilter })),
    ec2.send(new DescribeRouteTablesCommand({ Filters: vpcFilter })),
    production ? ownNats(ctx, vpcId) : Promise.resolve([]),
    production ? ownAddresses(ctx) : Promise.resolve([]),
  ]);

  const allSubnets = subnetsOut.Subnets ?? [];
  const findSubnet = (role: string, prevId: string | undefined): ObservedSubnet | undefined => {
    const tagged = allSubnets.filter((s) => ours(ctx, s.Tags, role));
    const s: Subnet | undefined = pick(tagged, (x) => x.SubnetId, prevId) ?? allSubnets.find((x) => x.SubnetId && x.SubnetId === prevId && isOwnedBy(x.Tags, ctx.owner));
    return s && { id: s.SubnetId!, cidr: s.CidrBlock ?? '', az: s.AvailabilityZone ?? '', mapPublicIp: s.MapPublicIpOnLaunch };
  };
  const subnets = Array.from({ length: w.azs }, (_, i) => findSubnet(ROLE.publicSubnet(i), ctx.previous?.publicSubnetIds[i]));
  const privateSubnets = production ? Array.from({ length: w.azs }, (_, i) => findSubnet(ROLE.privateSubnet(i), ctx.previous?.privateSubnetIds?.[i])) : [];

  const tables = tablesOut.RouteTables ?? [];
  const findTable = (role: string, prevId: string | undefined): RouteTable | undefined =>
    pick(tables.filter((t) => ours(ctx, t.Tags, role)), (t) => t.RouteTableId, prevId) ??
    tables.find((t) => t.RouteTableId && t.RouteTableId === prevId && isOwnedBy(t.Tags, ctx.owner));
  const rt = findTable(ROLE.routeTable, ctx.previous?.publicRouteTableId);
  const privateTables = production ? Array.from({ length: w.azs }, (_, i) => findTable(ROLE.privateRouteTable(i), ctx.previous?.privateRouteTableIds?.[i])) : [];

  const ownTables = new Set([rt, ...privateTables].filter(Boolean));
  const ourSubnetIds = new Set([...subnets, ...privateSubnets].filter(Boolean).map((s) => s!.id));
  const foreignAssociations: Record<string, string> = {};
  for (const t of tables) {
    if (ownTables.has(t)) continue;
    for (const a of t.Associations ?? []) {
      if (a.SubnetId && ourSubnetIds.has(a.SubnetId) && !a.Main && liveAssociation(a.AssociationState?.State)) foreignAssociations[a.SubnetId] = a.RouteTableAssociationId!;
    }
  }

  const live = nats.filter(liveNat);
  const natByRole = (i: number) => pick(live.filter((n) => tagValue(n.Tags, TAG_ROLE) === ROLE.nat(i)), (n) => n.NatGatewayId, ctx.previous?.natGatewayIds?.[i]);
  const wantedNats = Array.from({ length: w.nats }, (_, i) => natByRole(i));
  const kept = new Set(wantedNats.filter(Boolean));
  const toObservedNat = (n: NatGateway): ObservedNat => ({
    id: n.NatGatewayId!,
    subnetId: n.SubnetId,
    allocationId: n.NatGatewayAddresses?.[0]?.AllocationId,
    state: n.State,
  });
  const eips: Observed['eips'] = {};
  for (const a of addresses) {
    const role = tagValue(a.Tags, TAG_ROLE);
    if (role && a.AllocationId && !eips[role]) eips[role] = { allocationId: a.AllocationId, associated: Boolean(a.AssociationId || a.NetworkInterfaceId) };
  }

  return {
    vpc: { id: vpcId, cidr: vpc.CidrBlock ?? '', dnsSupport, dnsHostnames },
    subnets,
    privateSubnets,
    igw: observedIgw,
    routeTable: rt && observeTable(rt),
    privateRouteTables: privateTables.map((t) => t && observeTable(t)),
    nats: wantedNats.map((n) => n && toObservedNat(n)),
    extraNats: live.filter((n) => !kept.has(n)).map(toObservedNat),
    eips,
    foreignAssociations,
  };
}

async function availabilityZones(ctx: Ctx, count: number): Promise<string[]> {
  const out = await ctx.aws.ec2().send(new DescribeAvailabilityZonesCommand({}));
  return pickAvailabilityZones(out.AvailabilityZones ?? [], ctx.region, count);
}

/** The drift a plan reports; apply fixes exactly these things. */
function diff(o: Observed, layout: SubnetLayout | undefined, w: Wanted): Change[] {
  const changes: Change[] = [];
  const vpc = o.vpc!;
  if (vpc.dnsSupport === false) changes.push({ field: 'enableDnsSupport', before: false, after: true });
  if (vpc.dnsHostnames === false) changes.push({ field: 'enableDnsHostnames', before: false, after: true });
  o.subnets.forEach((s, i) => {
    const role = ROLE.publicSubnet(i);
    if (!s) changes.push({ field: role, after: `${layout!.public[i]!.cidr} in ${layout!.public[i]!.availabilityZone}` });
    else if (s.mapPublicIp === false) changes.push({ field: `${role}.mapPublicIpOnLaunch`, before: false, after: true });
  });
  o.privateSubnets.forEach((s, i) => {
    const role = ROLE.privateSubnet(i);
    if (!s) changes.push({ field: role, after: `${layout!.private[i]!.cidr} in ${layout!.private[i]!.availabilityZone}` });
    else if (s.mapPublicIp === true) changes.push({ field: `${role}.mapPublicIpOnLaunch`, before: true, after: false });
  });
  if (!o.igw) changes.push({ field: 'internetGateway', after: 'create and attach' });
  else if (!o.igw.attachedTo.includes(vpc.id)) changes.push({ field: 'internetGateway.attachment', before: o.igw.attachedTo[0] ?? 'detached', after: vpc.id });
  const rt = o.routeTable;
  if (!rt) {
    changes.push({ field: 'publicRouteTable', after: '0.0.0.0/0 → internet gateway' });
  } else {
    if (!o.igw || !rt.defaultRoute || rt.defaultRoute.blackhole || rt.defaultRoute.gatewayId !== o.igw.id) {
      changes.push({ field: 'publicRouteTable.defaultRoute', before: rt.defaultRoute?.gatewayId, after: o.igw?.id ?? 'new internet gateway' });
    }
    o.subnets.forEach((s, i) => {
      if (!s || !rt.associations.some((a) => a.subnetId === s.id)) {
        changes.push({ field: `publicRouteTable.association.${ROLE.publicSubnet(i)}`, after: s?.id ?? 'new subnet' });
      }
    });
  }
  o.nats.forEach((n, i) => {
    if (!n) changes.push({ field: ROLE.nat(i), after: `NAT gateway with an Elastic IP in ${ROLE.publicSubnet(i)}` });
  });
  for (const n of o.extraNats) changes.push({ field: 'natGateway', before: n.id, after: '(deleted, network.nat is single)' });
  o.privateSubnets.forEach((s, i) => {
    const table = o.privateRouteTables[i];
    const role = ROLE.privateRouteTable(i);
    const nat = o.nats[natIndexFor(i, w.nats)];
    if (!table) {
      changes.push({ field: role, after: `0.0.0.0/0 → ${ROLE.nat(natIndexFor(i, w.nats))}` });
      return;
    }
    const route = table.defaultRoute;
    if (!nat || !route || route.blackhole || route.natGatewayId !== nat.id) changes.push({ field: `${role}.defaultRoute`, before: route?.natGatewayId ?? route?.gatewayId, after: nat?.id ?? 'new NAT gateway' });
    if (!s || !table.associations.some((a) => a.subnetId === s.id)) changes.push({ field: `${role}.association`, after: s?.id ?? 'new subnet' });
  });
  return changes;
}

/** The profile the deployed network was built with (from the manifest), if any. */
function deployedProfile(ctx: Ctx): NetworkState['profile'] | undefined {
  if (!ctx.previous) return undefined;
  return ctx.previous.profile ?? 'learning';
}

function profileChange(ctx: Ctx): Change | undefined {
  const before = deployedProfile(ctx);
  const after = ctx.config?.network.vpcId ? 'existing' : (ctx.config?.network.profile ?? 'learning');
  if (before === undefined || before === after) return undefined;
  return { field: 'profile', before, after };
}

function profileReplaceError(change: Change): EcsKitError {
  const label = (p: unknown) => (p === 'existing' ? 'your own VPC (network.vpcId)' : `the ${String(p)} profile`);
  return new EcsKitError('network.profile-change', `This environment's network was built with ${label(change.before)}; the config now asks for ${label(change.after)}.`, {
    why: 'Changing the network shape means replacing the VPC or subnets under the running load balancer and services, which would take the app down; ecs-kit will not do that in place.',
    fix: 'Run `ecs-kit teardown` and then deploy again with the new network settings (or deploy the new shape to another --env), or put the network settings back.',
  });
}

export const networkStep: StepModule<NetworkState> = {
  kind: 'network',
  title: () => 'Network (VPC, subnets, gateways)',
  instances: () => [{ dependsOn: [] }],

  async plan(ctx): Promise<StepPlan<NetworkState>> {
    const profile = profileChange(ctx);
    if (profile) return { action: 'replace', changes: [profile] };
    if (ctx.config?.network.vpcId) return existingNetwork.plan(ctx);

    const w = wanted(ctx);
    const cidr = w.cidr;
    const observed = await observe(ctx, w);
    const vpc = observed.vpc;
    if (!vpc) {
      const azs = await availabilityZones(ctx, w.azs);
      const layout = subnetLayout(cidr, azs, w.profile, w.azs);
      const changes: Change[] = [
        { field: 'vpc', after: cidr },
        { field: 'publicSubnets', after: layout.public.map((s) => `${s.cidr} in ${s.availabilityZone}`) },
        { field: 'internetGateway', after: observed.igw ? `adopt ${observed.igw.id}` : 'create and attach' },
        { field: 'publicRouteTable', after: '0.0.0.0/0 → internet gateway' },
      ];
      if (w.profile === 'production') {
        changes.push(
          { field: 'privateSubnets', after: layout.private.map((s) => `${s.cidr} in ${s.availabilityZone}`) },
          { field: 'natGateways', after: `${w.nats} (each with an Elastic IP; billed per hour and per GB)` },
          { field: 'privateRouteTables', after: '0.0.0.0/0 → NAT gateway' },
        );
      }
      return { action: 'create', changes, data: { observed, azs } satisfies PlanData };
    }
    if (normalizeCidr(vpc.cidr || cidr) !== cidr) {
      return { action: 'replace', changes: [{ field: 'cidr', before: vpc.cidr, after: cidr }], data: { observed } satisfies PlanData };
    }
    const missingSubnet = [...observed.subnets, ...observed.privateSubnets].some((s) => !s);
    const azs = missingSubnet ? await availabilityZones(ctx, w.azs) : undefined;
    const layout = azs ? subnetLayout(cidr, azs, w.profile, w.azs) : undefined;
    const changes = diff(observed, layout, w);
    // Missing ids stay empty; dependents treat an empty id as "not there yet".
    const current: NetworkState = {
      vpcId: vpc.id,
      cidr,
      availabilityZones: observed.subnets.map((s, i) => s?.az ?? layout?.public[i]?.availabilityZone ?? ''),
      publicSubnetIds: observed.subnets.map((s) => s?.id ?? ''),
      internetGatewayId: observed.igw?.id ?? '',
      publicRouteTableId: observed.routeTable?.id ?? '',
      profile: w.profile,
    };
    if (w.profile === 'production') {
      current.privateSubnetIds = observed.privateSubnets.map((s) => s?.id ?? '');
      current.natGatewayIds = observed.nats.map((n) => n?.id ?? '');
      current.elasticIpAllocationIds = observed.nats.map((n) => n?.allocationId ?? '');
      current.privateRouteTableIds = observed.privateRouteTables.map((t) => t?.id ?? '');
    }
    return { action: changes.length ? 'update' : 'noop', changes, current, data: { observed, azs } satisfies PlanData };
  },

  async apply(ctx, plan): Promise<NetworkState> {
    if (plan.action === 'replace') {
      const profile = plan.changes.find((c) => c.field === 'profile');
      if (profile) throw profileReplaceError(profile);
      const change = plan.changes.find((c) => c.field === 'cidr');
      throw new EcsKitError('network.cidr-change', `The VPC's CIDR block is ${String(change?.before)}, but the config asks for ${String(change?.after)}.`, {
        why: 'A VPC cannot change its primary CIDR block; it would have to be replaced, and everything in it (load balancer, services) with it.',
        fix: `Run \`ecs-kit teardown\` and then deploy again, or set network.cidr back to ${String(change?.before)}.`,
      });
    }
    if (ctx.config?.network.vpcId) return existingNetwork.apply(ctx, plan);

    const ec2 = ctx.aws.ec2();
    const data = plan.data as PlanData;
    const o = data.observed;
    const w = wanted(ctx);
    const cidr = w.cidr;
    const production = w.profile === 'production';
    const name = (role: string) => `${ctx.names.prefix}-${role}`;

    // VPC
    let vpcId = o.vpc?.id;
    if (!vpcId) {
      ctx.progress(`creating VPC ${cidr}`);
      // CreateVpc has no idempotency token: a lost response is recovered by the tag lookup.
      const vpc = await createOnce({
        create: async () => (await ctx.aws.once.ec2().send(new CreateVpcCommand({ CidrBlock: cidr, TagSpecifications: tagSpec('vpc', ctx.owner, ROLE.vpc, name(ROLE.vpc)) }))).Vpc!,
        find: () => findVpc(ctx),
        ...onceOptions(ctx),
      });
      vpcId = vpc.VpcId!;
      // Recorded at once: the profile in the manifest is what later runs compare the config with.
      await ctx.record({ vpcId, cidr, availabilityZones: [], publicSubnetIds: [], internetGatewayId: '', publicRouteTableId: '', profile: w.profile });
      if (vpc.State !== 'available') {
        await waitUntilVpcAvailable({ client: ec2, maxWaitTime: 120, minDelay: 2, maxDelay: 5, abortSignal: ctx.signal }, { VpcIds: [vpcId] });
      }
    }
    // DNS support first: AWS refuses DNS hostnames without it. One attribute per call (API rule).
    if (o.vpc?.dnsSupport !== true) await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsSupport: { Value: true } }));
    if (o.vpc?.dnsHostnames !== true) await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));

    // Subnets
    const layout = data.azs ? subnetLayout(cidr, data.azs, w.profile, w.azs) : undefined;
    const ensureSubnet = async (existing: ObservedSubnet | undefined, spec: () => SubnetSpec, mapPublicIp: boolean): Promise<{ id: string; az: string }> => {
      let id = existing?.id;
      let az = existing?.az ?? '';
      if (!id) {
        const s = spec();
        ctx.progress(`creating ${s.tier} subnet ${s.cidr} in ${s.availabilityZone}`);
        const subnet = await createOnce({
          create: async () =>
            (
              await ctx.aws.once
                .ec2()
                .send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: s.cidr, AvailabilityZone: s.availabilityZone, TagSpecifications: tagSpec('subnet', ctx.owner, s.role, name(s.role)) }))
            ).Subnet!,
          find: async () =>
            (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }, ...ownerFilters(ctx.owner, s.role)] }))).Subnets?.find((x) => ours(ctx, x.Tags, s.role)),
          // The block is taken: by our own subnet when an earlier attempt's response was lost.
          alreadyExists: ['InvalidSubnet.Conflict'],
          ...onceOptions(ctx),
        });
        id = subnet.SubnetId!;
        az = subnet.AvailabilityZone ?? s.availabilityZone;
      }
      // Public subnets hand out public IPs (tasks in the learning profile pull images with
      // them); private subnets never do. AWS's default for a new subnet is off.
      const current = existing ? existing.mapPublicIp : false;
      if (mapPublicIp ? current !== true : current === true) await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: id, MapPublicIpOnLaunch: { Value: mapPublicIp } }));
      return { id, az };
    };
    const subnets: { id: string; az: string }[] = [];
    for (let i = 0; i < w.azs; i++) subnets.push(await ensureSubnet(o.subnets[i], () => layout!.public[i]!, true));
    const privateSubnets: { id: string; az: string }[] = [];
    if (production) for (let i = 0; i < w.azs; i++) privateSubnets.push(await ensureSubnet(o.privateSubnets[i], () => layout!.private[i]!, false));

    // Internet gateway
    let igwId = o.igw?.id;
    if (!igwId) {
      ctx.progress('creating internet gateway');
      const igw = await createOnce({
        create: async () => (await ctx.aws.once.ec2().send(new CreateInternetGatewayCommand({ TagSpecifications: tagSpec('internet-gateway', ctx.owner, ROLE.igw, name(ROLE.igw)) }))).InternetGateway!,
        find: () => findInternetGateway(ctx),
        ...onceOptions(ctx),
      });
      igwId = igw.InternetGatewayId!;
    }
    if (!o.igw?.attachedTo.includes(vpcId)) {
      const gateway = igwId;
      await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: gateway, VpcId: vpcId })).catch(
        // The SDK's retry of an attach whose response was lost finds it done.
        alreadyDone(['Resource.AlreadyAssociated'], async () => {
          const g = (await ec2.send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: [gateway] }))).InternetGateways?.[0];
          return Boolean(g?.Attachments?.some((a) => a.VpcId === vpcId));
        }),
      );
    }

    // Route tables. The ClientToken is random per ensure (reused across our own retries): a token
    // derived from names would replay a route table that a partial teardown already deleted. A
    // crashed run, or an endpoint that ignores the token, is recovered by the tag lookup.
    const ensureRouteTable = async (
      rt: ObservedRouteTable | undefined,
      role: string,
      target: { GatewayId: string } | { NatGatewayId: string },
      subnetIds: string[],
    ): Promise<string> => {
      let rtId = rt?.id;
      if (!rtId) {
        ctx.progress(`creating ${role.replace(/-/g, ' ')}`);
        const ClientToken = randomUUID();
        rtId = await createOnce({
          create: async () =>
            (await ctx.aws.once.ec2().send(new CreateRouteTableCommand({ VpcId: vpcId, ClientToken, TagSpecifications: tagSpec('route-table', ctx.owner, role, name(role)) }))).RouteTable!
              .RouteTableId!,
          find: async () =>
            (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }, ...ownerFilters(ctx.owner, role)] }))).RouteTables?.find((t) => ours(ctx, t.Tags, role))
              ?.RouteTableId,
          ...onceOptions(ctx),
        });
      }
      const route = rt?.defaultRoute;
      const targetId = 'GatewayId' in target ? target.GatewayId : target.NatGatewayId;
      const actualTarget = route && ('GatewayId' in target ? route.gatewayId : route.natGatewayId);
      if (!route) {
        await ec2.send(new CreateRouteCommand({ RouteTableId: rtId, DestinationCidrBlock: '0.0.0.0/0', ...target })).catch(async (err: unknown) => {
          // A lost response: AWS made the route, the SDK retried and found it. Make sure it points at our target.
          if (!isAwsError(err, 'RouteAlreadyExists')) throw err;
          await ec2.send(new ReplaceRouteCommand({ RouteTableId: rtId, DestinationCidrBlock: '0.0.0.0/0', ...target }));
        });
      } else if (route.blackhole || actualTarget !== targetId) {
        await ec2.send(new ReplaceRouteCommand({ RouteTableId: rtId, DestinationCidrBlock: '0.0.0.0/0', ...target }));
      }
      for (const subnetId of subnetIds) {
        if (rt?.associations.some((a) => a.subnetId === subnetId)) continue;
        const foreign = o.foreignAssociations[subnetId];
        if (foreign) await ec2.send(new ReplaceRouteTableAssociationCommand({ AssociationId: foreign, RouteTableId: rtId }));
        else {
          const table = rtId;
          await ec2.send(new AssociateRouteTableCommand({ RouteTableId: table, SubnetId: subnetId })).catch(
            alreadyDone(['Resource.AlreadyAssociated'], async () => {
              const t = (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [table] }))).RouteTables?.[0];
              return Boolean(t?.Associations?.some((a) => a.SubnetId === subnetId && liveAssociation(a.AssociationState?.State)));
            }),
          );
        }
      }
      return rtId;
    };
    const rtId = await ensureRouteTable(o.routeTable, ROLE.routeTable, { GatewayId: igwId }, subnets.map((s) => s.id));

    const state: NetworkState = {
      vpcId,
      cidr,
      availabilityZones: subnets.map((s) => s.az),
      publicSubnetIds: subnets.map((s) => s.id),
      internetGatewayId: igwId,
      publicRouteTableId: rtId,
      profile: w.profile,
    };
    if (!production) return state;

    // NAT gateways, each with its own Elastic IP, in the public subnets.
    const nats: { id: string; allocationId: string }[] = [];
    const pending: string[] = [];
    for (let i = 0; i < w.nats; i++) {
      const existing = o.nats[i];
      if (existing) {
        nats.push({ id: existing.id, allocationId: existing.allocationId ?? '' });
        if (existing.state === 'pending') pending.push(existing.id);
        continue;
      }
      // An address left by a run that died before CreateNatGateway is reused, not leaked.
      let allocationId = o.eips[ROLE.eip(i)] && !o.eips[ROLE.eip(i)]!.associated ? o.eips[ROLE.eip(i)]!.allocationId : undefined;
      if (!allocationId) {
        const role = ROLE.eip(i);
        allocationId = await createOnce({
          create: async () => (await ctx.aws.once.ec2().send(new AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: tagSpec('elastic-ip', ctx.owner, role, name(role)) }))).AllocationId!,
          find: async () => (await ownAddresses(ctx)).find((a) => tagValue(a.Tags, TAG_ROLE) === role && !a.AssociationId && !a.NetworkInterfaceId)?.AllocationId,
          ...onceOptions(ctx),
        });
      }
      ctx.progress(`creating NAT gateway ${i + 1} of ${w.nats}`);
      const out = await ec2.send(
        new CreateNatGatewayCommand({
          SubnetId: subnets[i]!.id,
          AllocationId: allocationId,
          // The allocation id is new for every address, so a retry is idempotent and a
          // later re-create (after a teardown) never replays an old request.
          ClientToken: createHash('sha256').update(`${ctx.owner.app}/${ctx.owner.env}/${ROLE.nat(i)}/${allocationId}`).digest('hex').slice(0, 64),
          TagSpecifications: tagSpec('natgateway', ctx.owner, ROLE.nat(i), name(ROLE.nat(i))),
        }),
      );
      const id = out.NatGateway!.NatGatewayId!;
      nats.push({ id, allocationId });
      if (out.NatGateway?.State !== 'available') pending.push(id);
    }
    state.natGatewayIds = nats.map((n) => n.id);
    state.elasticIpAllocationIds = nats.map((n) => n.allocationId);
    state.privateSubnetIds = privateSubnets.map((s) => s.id);
    await ctx.record(state);
    if (pending.length) {
      ctx.progress(`waiting for ${pending.length} NAT gateway(s) to become available (usually 1–3 minutes)`);
      await waitUntilNatGatewayAvailable({ client: ec2, maxWaitTime: 600, minDelay: 5, maxDelay: 15, abortSignal: ctx.signal }, { NatGatewayIds: pending });
    }

    // Private route tables: one per AZ, so switching between single and per-az NAT is a route change.
    const privateTables: string[] = [];
    for (let i = 0; i < w.azs; i++) {
      const nat = nats[natIndexFor(i, w.nats)]!;
      privateTables.push(await ensureRouteTable(o.privateRouteTables[i], ROLE.privateRouteTable(i), { NatGatewayId: nat.id }, [privateSubnets[i]!.id]));
    }
    state.privateRouteTableIds = privateTables;

    // NAT gateways no longer wanted (per-az → single): routes already point elsewhere.
    if (o.extraNats.length) await deleteNats(ctx, o.extraNats.map((n) => n.id), o.extraNats.map((n) => n.allocationId).filter((a): a is string => Boolean(a)));
    return state;
  },

  async destroy(ctx, state): Promise<void> {
    if (state.profile === 'existing') return existingNetwork.destroy(ctx, state);
    const ec2 = ctx.aws.ec2();
    const skip = (what: string, id: string) => ctx.warn(`Left ${what} ${id} in place: its tags do not say ecs-kit created it for this app/env.`);

    // What the manifest lists plus anything tagged ours in the VPC (a run killed mid-apply).
    const vpcExists = await describeOne(() => ec2.send(new DescribeVpcsCommand({ VpcIds: [state.vpcId] })).then((o) => o.Vpcs?.[0]), 'InvalidVpcID.NotFound');
    const inVpc = vpcExists && isOwnedBy(vpcExists.Tags, ctx.owner);

    // 1. NAT gateways (they hold the Elastic IPs and ENIs in the public subnets), then their addresses.
    const natIds = new Set((state.natGatewayIds ?? []).filter(Boolean));
    const allocationIds = new Set((state.elasticIpAllocationIds ?? []).filter(Boolean));
    if (inVpc && (state.profile === 'production' || natIds.size)) {
      for (const n of await ownNats(ctx, state.vpcId)) {
        if (liveNat(n)) natIds.add(n.NatGatewayId!);
        for (const a of n.NatGatewayAddresses ?? []) if (a.AllocationId) allocationIds.add(a.AllocationId);
      }
      for (const a of await ownAddresses(ctx)) if (a.AllocationId && tagValue(a.Tags, TAG_ROLE)?.startsWith('nat-eip-')) allocationIds.add(a.AllocationId);
    }
    if (natIds.size || allocationIds.size) await deleteNats(ctx, [...natIds], [...allocationIds]);

    // 2. Route tables: explicit associations block their deletion.
    const tableIds = new Set([state.publicRouteTableId, ...(state.privateRouteTableIds ?? [])].filter(Boolean));
    if (inVpc) {
      const tagged = (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [state.vpcId] }, ...ownerFilters(ctx.owner)] }))).RouteTables ?? [];
      for (const t of tagged) if (t.RouteTableId && isOwnedBy(t.Tags, ctx.owner)) tableIds.add(t.RouteTableId);
    }
    for (const tableId of tableIds) {
      const rt = await describeOne(() => ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [tableId] })).then((o) => o.RouteTables?.[0]), 'InvalidRouteTableID.NotFound');
      if (!rt) continue;
      if (!isOwnedBy(rt.Tags, ctx.owner)) {
        skip('route table', tableId);
        continue;
      }
      for (const a of rt.Associations ?? []) {
        if (a.Main || !a.RouteTableAssociationId) continue;
        await ec2.send(new DisassociateRouteTableCommand({ AssociationId: a.RouteTableAssociationId })).catch(ignoreErrors('InvalidAssociationID.NotFound'));
      }
      await deleteWithRetry(ctx, () => ec2.send(new DeleteRouteTableCommand({ RouteTableId: tableId })), { what: `route table ${tableId}`, goneOn: ['InvalidRouteTableID.NotFound'] });
    }

    // 3. Internet gateway: detaching fails while public IPs (task/ALB ENIs) are still mapped.
    if (state.internetGatewayId) {
      const igw = await describeOne(
        () => ec2.send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: [state.internetGatewayId] })).then((o) => o.InternetGateways?.[0]),
        'InvalidInternetGatewayID.NotFound',
      );
      if (igw && !isOwnedBy(igw.Tags, ctx.owner)) skip('internet gateway', state.internetGatewayId);
      else if (igw) {
        for (const a of igw.Attachments ?? []) {
          if (!a.VpcId || a.State === 'detached') continue;
          await deleteWithRetry(ctx, () => ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: state.internetGatewayId, VpcId: a.VpcId })), {
            what: `internet gateway ${state.internetGatewayId}`,
            goneOn: ['InvalidInternetGatewayID.NotFound', 'Gateway.NotAttached'],
          });
        }
        await deleteWithRetry(ctx, () => ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: state.internetGatewayId })), {
          what: `internet gateway ${state.internetGatewayId}`,
          goneOn: ['InvalidInternetGatewayID.NotFound'],
        });
      }
    }

    // 4. Subnets: task, NAT and ALB ENIs can take minutes to be released.
    const subnetIds = new Set([...state.publicSubnetIds, ...(state.privateSubnetIds ?? [])].filter(Boolean));
    if (inVpc) {
      const tagged = (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [state.vpcId] }, ...ownerFilters(ctx.owner)] }))).Subnets ?? [];
      for (const s of tagged) if (s.SubnetId && isOwnedBy(s.Tags, ctx.owner)) subnetIds.add(s.SubnetId);
    }
    for (const subnetId of subnetIds) {
      const subnet = await describeOne(() => ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] })).then((o) => o.Subnets?.[0]), 'InvalidSubnetID.NotFound');
      if (!subnet) continue;
      if (!isOwnedBy(subnet.Tags, ctx.owner)) {
        skip('subnet', subnetId);
        continue;
      }
      await deleteWithRetry(ctx, () => ec2.send(new DeleteSubnetCommand({ SubnetId: subnetId })), { what: `subnet ${subnetId}`, goneOn: ['InvalidSubnetID.NotFound'] });
    }

    // 5. VPC
    if (!vpcExists) return;
    if (!inVpc) {
      skip('VPC', state.vpcId);
      return;
    }
    await deleteWithRetry(ctx, () => ec2.send(new DeleteVpcCommand({ VpcId: state.vpcId })), { what: `VPC ${state.vpcId}`, goneOn: ['InvalidVpcID.NotFound'] });
  },
};

/** Delete NAT gateways, wait until they are gone (they hold the addresses), then release our addresses. */
async function deleteNats(ctx: StepContext, natIds: string[], allocationIds: string[]): Promise<void> {
  const ec2 = ctx.aws.ec2();
  const deleting: string[] = [];
  for (const id of natIds) {
    const nat = await describeOne(() => ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [id] })).then((o) => o.NatGateways?.[0]), 'NatGatewayNotFound');
    if (!nat || nat.State === 'deleted') continue;
    if (!isOwnedBy(nat.Tags, ctx.owner)) {
      ctx.warn(`Left NAT gateway ${id} in place: its tags do not say ecs-kit created it for this app/env.`);
      continue;
    }
    if (nat.State !== 'deleting') await ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: id })).catch(ignoreErrors('NatGatewayNotFound', 'InvalidNatGatewayID.NotFound'));
    deleting.push(id);
  }
  if (deleting.length) {
    ctx.progress(`waiting for ${deleting.length} NAT gateway(s) to be deleted (usually about a minute)`);
    const maxWaitTime = Math.max(2, ctx.options.destroyRetryMs / 1000);
    await waitUntilNatGatewayDeleted({ client: ec2, maxWaitTime, minDelay: Math.min(5, maxWaitTime / 2), maxDelay: 15, abortSignal: ctx.signal }, { NatGatewayIds: deleting }).catch(
      async (err) => {
        // The waiter treats "not found" as an error on some paths: check once more.
        const left = await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: deleting })).catch(() => ({ NatGateways: [] }));
        if ((left.NatGateways ?? []).some((n) => n.State !== 'deleted')) throw err;
      },
    );
  }
  for (const allocationId of allocationIds) {
    const address = await describeOne(() => ec2.send(new DescribeAddressesCommand({ AllocationIds: [allocationId] })).then((o) => o.Addresses?.[0]), 'InvalidAllocationID.NotFound');
    if (!address) continue;
    if (!isOwnedBy(address.Tags, ctx.owner)) {
      ctx.warn(`Left Elastic IP ${allocationId} in place: its tags do not say ecs-kit created it for this app/env.`);
      continue;
    }
    // The NAT's network interface can hold the address for a little while after deletion.
    await deleteWithRetry(ctx, () => ec2.send(new ReleaseAddressCommand({ AllocationId: allocationId })), {
      what: `Elastic IP ${allocationId}`,
      retryOn: ['InvalidIPAddress.InUse', 'DependencyViolation'],
      goneOn: ['InvalidAllocationID.NotFound'],
    });
  }
}

export async function describeOne<T>(fn: () => Promise<T | undefined>, notFound: string): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (isAwsError(err, notFound)) return undefined;
    throw err;
  }
}
