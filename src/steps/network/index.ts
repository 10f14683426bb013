import { randomUUID } from 'node:crypto';
import {
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteInternetGatewayCommand,
  DeleteRouteTableCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeAvailabilityZonesCommand,
  DescribeInternetGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  DetachInternetGatewayCommand,
  DisassociateRouteTableCommand,
  ModifySubnetAttributeCommand,
  ModifyVpcAttributeCommand,
  ReplaceRouteCommand,
  ReplaceRouteTableAssociationCommand,
  waitUntilVpcAvailable,
  type InternetGateway,
  type NatGateway,
  type RouteTable,
  type Subnet,
  type Vpc,
} from '@aws-sdk/client-ec2';
import { isAwsError } from '../../aws/errors.js';
import { fargateSupportsZone } from '../../aws/fargate-zones.js';
import { alreadyDone, createOnce } from '../../aws/idempotent.js';
import { TAG_ROLE, isOwnedBy, ownerFilters } from '../../aws/tags.js';
import { EcsKitError } from '../../errors.js';
import type { Change, StepContext, StepModule, StepPlan } from '../../engine/types.js';
import { onceOptions } from '../../aws/create-once-options.js';
import { deleteWithRetry, ignoreErrors } from '../../aws/deletion.js';
import { describeAll, describeOne } from '../../aws/ec2-describe.js';
import { tagSpec, tagValue } from '../../aws/ec2-tags.js';
import { untilVisible } from '../../aws/ec2-visibility.js';
import { existingNetwork } from './existing.js';
import {
  AZ_COUNT,
  checkPinnedZones,
  natCount,
  natIndexFor,
  normalizeCidr,
  parseNetworkCidr,
  pickAvailabilityZones,
  subnetLayout,
  usesFargate,
  type NetworkProfile,
  type SubnetLayout,
  type SubnetSpec,
} from './layout.js';
import { EIP_ROLE, NAT_ROLE, deleteNats, ensureNatGateways, liveNat, ownAddresses, ownNats, spentAttempts, type NatSlot } from './nat.js';

export interface NetworkState {
  vpcId: string;
  cidr: string;
  availabilityZones: string[];
  publicSubnetIds: string[];
  internetGatewayId: string;
  publicRouteTableId: string;
  /** How the network was built; absent in manifests from before profiles (= learning). */
  profile?: 'learning' | 'production' | 'existing';
  /** Production profile / your own VPC: tasks run here, without public IPs. */
  privateSubnetIds?: string[];
  natGatewayIds?: string[];
  elasticIpAllocationIds?: string[];
  privateRouteTableIds?: string[];
}


export { AZ_COUNT, cidrsOverlap, natCount, natIndexFor, normalizeCidr, pickAvailabilityZones, subnetLayout, taskPlacement } from './layout.js';
export type { NetworkProfile, SubnetLayout, SubnetSpec } from './layout.js';

type Ctx = StepContext<NetworkState>;

// Lists (Describe* by filter) go through describeAll, which follows NextToken; lookups by id or
// by one role tag return a single item.

// ---------------------------------------------------------------------------------------
// What exists.

const ROLE = {
  vpc: 'vpc',
  igw: 'internet-gateway',
  routeTable: 'public-route-table',
  publicSubnet: (i: number) => `public-subnet-${i + 1}`,
  privateSubnet: (i: number) => `private-subnet-${i + 1}`,
  privateRouteTable: (i: number) => `private-route-table-${i + 1}`,
  nat: NAT_ROLE,
  eip: EIP_ROLE,
};

interface ObservedSubnet {
  id: string;
  cidr: string;
  az: string;
  azId?: string;
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
  /** Per wanted NAT gateway: our failed/deleted ones of that role (their client tokens are spent). */
  spentNats: number[];
  /** Explicit associations of our subnets with other route tables (subnetId → associationId). */
  foreignAssociations: Record<string, string>;
}

interface PlanData {
  observed: Observed;
  /** Zones for subnets that must be created. */
  azs?: string[];
  /** The size of the subnets the network already has: new ones get the same (never overlap). */
  blockPrefix?: number;
}

interface Wanted {
  cidr: string;
  profile: NetworkProfile;
  azs: number;
  nats: number;
  zoneIds?: string[];
}

function wantedCidr(ctx: Ctx): string {
  return normalizeCidr(ctx.config?.network.cidr ?? ctx.previous?.cidr ?? '10.0.0.0/16');
}

function wanted(ctx: Ctx): Wanted {
  const n = ctx.config?.network;
  const profile = (n?.profile ?? 'learning') as NetworkProfile;
  const azs = n?.azs ?? AZ_COUNT;
  return { cidr: wantedCidr(ctx), profile, azs, nats: natCount(profile, n?.nat ?? 'single', azs), zoneIds: n?.zoneIds };
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
  const vpcs = await describeAll((i) => ec2.send(new DescribeVpcsCommand(i)), { Filters: ownerFilters(ctx.owner, ROLE.vpc) }, (o) => o.Vpcs);
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
  const igws = await describeAll((i) => ec2.send(new DescribeInternetGatewaysCommand(i)), { Filters: ownerFilters(ctx.owner, ROLE.igw) }, (o) => o.InternetGateways);
  return pick(igws, (g) => g.InternetGatewayId);
}

async function dnsAttribute(ctx: Ctx, vpcId: string, attribute: 'enableDnsSupport' | 'enableDnsHostnames'): Promise<boolean | undefined> {
  const out = await ctx.aws.ec2().send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: attribute }));
  return (attribute === 'enableDnsSupport' ? out.EnableDnsSupport : out.EnableDnsHostnames)?.Value;
}

function ours(ctx: Ctx, tags: { Key?: string; Value?: string }[] | undefined, role: string): boolean {
  return isOwnedBy(tags, ctx.owner) && tagValue(tags, TAG_ROLE) === role;
}

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

async function observe(ctx: Ctx, w: Wanted): Promise<Observed> {
  const ec2 = ctx.aws.ec2();
  const vpc = await findVpc(ctx);
  const igw = await findInternetGateway(ctx);
  const observedIgw = igw && {
    id: igw.InternetGatewayId!,
    attachedTo: (igw.Attachments ?? []).filter((a) => a.State !== 'detached' && a.State !== 'detaching').map((a) => a.VpcId!),
  };
  const empty: Observed = { subnets: [], privateSubnets: [], privateRouteTables: [], nats: [], extraNats: [], eips: {}, spentNats: [], igw: observedIgw, foreignAssociations: {} };
  if (!vpc) return empty;

  const vpcId = vpc.VpcId!;
  const vpcFilter = [{ Name: 'vpc-id', Values: [vpcId] }];
  const production = w.profile === 'production';
  const [dnsSupport, dnsHostnames, allSubnets, tables, nats, addresses] = await Promise.all([
    dnsAttribute(ctx, vpcId, 'enableDnsSupport'),
    dnsAttribute(ctx, vpcId, 'enableDnsHostnames'),
    describeAll((i) => ec2.send(new DescribeSubnetsCommand(i)), { Filters: vpcFilter }, (o) => o.Subnets),
    describeAll((i) => ec2.send(new DescribeRouteTablesCommand(i)), { Filters: vpcFilter }, (o) => o.RouteTables),
    production ? ownNats(ctx, vpcId) : Promise.resolve([]),
    production ? ownAddresses(ctx) : Promise.resolve([]),
  ]);

  const findSubnet = (role: string, prevId: string | undefined): ObservedSubnet | undefined => {
    const tagged = allSubnets.filter((s) => ours(ctx, s.Tags, role));
    const s: Subnet | undefined = pick(tagged, (x) => x.SubnetId, prevId) ?? allSubnets.find((x) => x.SubnetId && x.SubnetId === prevId && isOwnedBy(x.Tags, ctx.owner));
    return s && { id: s.SubnetId!, cidr: s.CidrBlock ?? '', az: s.AvailabilityZone ?? '', azId: s.AvailabilityZoneId, mapPublicIp: s.MapPublicIpOnLaunch };
  };
  const subnets = Array.from({ length: w.azs }, (_, i) => findSubnet(ROLE.publicSubnet(i), ctx.previous?.publicSubnetIds[i]));
  const privateSubnets = production ? Array.from({ length: w.azs }, (_, i) => findSubnet(ROLE.privateSubnet(i), ctx.previous?.privateSubnetIds?.[i])) : [];

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
    spentNats: Array.from({ length: w.nats }, (_, i) => spentAttempts(nats, ROLE.nat(i))),
    foreignAssociations,
  };
}

/** Per slot, the zone the deployed network already uses there: its subnets', else the manifest's. */
function keptZones(ctx: Ctx, o: Observed, w: Wanted): (string | undefined)[] {
  return Array.from({ length: w.azs }, (_, i) => o.subnets[i]?.az || o.privateSubnets[i]?.az || ctx.previous?.availabilityZones?.[i] || undefined);
}

/** Zones for the subnet slots (only read when a subnet must be created). */
async function availabilityZones(ctx: Ctx, o: Observed, w: Wanted): Promise<string[]> {
  const zones = (await ctx.aws.ec2().send(new DescribeAvailabilityZonesCommand({}))).AvailabilityZones ?? [];
  const fargate = usesFargate(ctx.config);
  const keep = keptZones(ctx, o, w);
  const picked = pickAvailabilityZones(zones, { region: ctx.region, count: w.azs, fargate, zoneIds: w.zoneIds, keep });
  for (const name of fargate && !w.zoneIds ? picked.filter((p) => keep.includes(p)) : []) {
    const id = zones.find((z) => z.ZoneName === name)?.ZoneId;
    if (!fargateSupportsZone(ctx.region, id)) {
      ctx.warn(`Availability zone ${name} (${id}) of this network does not run Fargate tasks; ecs-kit keeps a deployed network's zones. Run \`ecs-kit teardown\` and deploy again to move it.`);
    }
  }
  return picked;
}

/** The prefix of the subnets the network already has (older versions cut a /24 VPC into /28s). */
function existingBlockPrefix(o: Observed): number | undefined {
  const s = [...o.subnets, ...o.privateSubnets].find((x) => x?.cidr);
  return s ? parseNetworkCidr(s.cidr).prefix : undefined;
}

/** Warnings about a deployed network that ecs-kit does not change in place. */
function warnAboutDeployed(ctx: Ctx, o: Observed, w: Wanted, blockPrefix: number | undefined): void {
  w.zoneIds?.forEach((id, i) => {
    const s = o.subnets[i];
    if (s?.azId && s.azId !== id) {
      ctx.warn(`network.zoneIds[${i}] is ${id}, but ${ROLE.publicSubnet(i)} already exists in ${s.azId}; ecs-kit does not move the subnets of a deployed network (run \`ecs-kit teardown\` and deploy again to move them).`);
    }
  });
  const balanced = Object.values(ctx.config?.services ?? {}).some((svc) => svc.port !== undefined);
  if (balanced && blockPrefix !== undefined && blockPrefix > 27) {
    ctx.warn(`This network's subnets are /${blockPrefix}: AWS needs at least /27 with 8 free addresses in each load balancer subnet. Run \`ecs-kit teardown\` and deploy again to get /27 subnets.`);
  }
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

// ---------------------------------------------------------------------------------------
// Apply, piece by piece. Each create is followed by calls naming the new id: those go through
// untilVisible (EC2 eventual consistency); ids read from AWS or the manifest get no retry.

interface Building {
  ctx: Ctx;
  o: Observed;
  vpcId: string;
  created: Set<string>;
}

const nameOf = (ctx: Ctx, role: string) => `${ctx.names.prefix}-${role}`;

async function ensureVpc(ctx: Ctx, o: Observed, w: Wanted, created: Set<string>): Promise<string> {
  const ec2 = ctx.aws.ec2();
  let vpcId = o.vpc?.id;
  if (!vpcId) {
    ctx.progress(`creating VPC ${w.cidr}`);
    // CreateVpc has no idempotency token: a lost response is recovered by the tag lookup.
    const vpc = await createOnce({
      create: async () => (await ctx.aws.once.ec2().send(new CreateVpcCommand({ CidrBlock: w.cidr, TagSpecifications: tagSpec('vpc', ctx.owner, ROLE.vpc, nameOf(ctx, ROLE.vpc)) }))).Vpc!,
      find: () => findVpc(ctx),
      ...onceOptions(ctx),
    });
    vpcId = vpc.VpcId!;
    created.add(vpcId);
    // Recorded at once: the profile in the manifest is what later runs compare the config with.
    await ctx.record({ vpcId, cidr: w.cidr, availabilityZones: [], publicSubnetIds: [], internetGatewayId: '', publicRouteTableId: '', profile: w.profile });
    if (vpc.State !== 'available') {
      // The waiter polls through InvalidVpcID.NotFound too.
      await waitUntilVpcAvailable({ client: ec2, maxWaitTime: 120, minDelay: 2, maxDelay: 5, abortSignal: ctx.signal }, { VpcIds: [vpcId] });
    }
  }
  const id = vpcId;
  // DNS support first: AWS refuses DNS hostnames without it. One attribute per call (API rule).
  if (o.vpc?.dnsSupport !== true) await untilVisible(ctx, created, [id], () => ec2.send(new ModifyVpcAttributeCommand({ VpcId: id, EnableDnsSupport: { Value: true } })));
  if (o.vpc?.dnsHostnames !== true) await untilVisible(ctx, created, [id], () => ec2.send(new ModifyVpcAttributeCommand({ VpcId: id, EnableDnsHostnames: { Value: true } })));
  return id;
}

async function ensureSubnet(net: Building, existing: ObservedSubnet | undefined, spec: () => SubnetSpec, mapPublicIp: boolean): Promise<{ id: string; az: string }> {
  const { ctx, vpcId, created } = net;
  const ec2 = ctx.aws.ec2();
  let id = existing?.id;
  let az = existing?.az ?? '';
  if (!id) {
    const s = spec();
    ctx.progress(`creating ${s.tier} subnet ${s.cidr} in ${s.availabilityZone}`);
    const create = () =>
      ctx.aws.once.ec2().send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: s.cidr, AvailabilityZone: s.availabilityZone, TagSpecifications: tagSpec('subnet', ctx.owner, s.role, nameOf(ctx, s.role)) }));
    const subnet = await createOnce({
      // A NotFound means nothing was created, so repeating it while the new VPC propagates is safe.
      create: async () => (await untilVisible(ctx, created, [vpcId], create)).Subnet!,
      find: async () =>
        (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }, ...ownerFilters(ctx.owner, s.role)] }))).Subnets?.find((x) => ours(ctx, x.Tags, s.role)),
      // The block is taken: by our own subnet when an earlier attempt's response was lost.
      alreadyExists: ['InvalidSubnet.Conflict'],
      ...onceOptions(ctx),
    });
    id = subnet.SubnetId!;
    az = subnet.AvailabilityZone ?? s.availabilityZone;
    created.add(id);
  }
  // Public subnets hand out public IPs (tasks in the learning profile pull images with
  // them); private subnets never do. AWS's default for a new subnet is off.
  const current = existing ? existing.mapPublicIp : false;
  const subnetId = id;
  if (mapPublicIp ? current !== true : current === true) {
    await untilVisible(ctx, created, [subnetId], () => ec2.send(new ModifySubnetAttributeCommand({ SubnetId: subnetId, MapPublicIpOnLaunch: { Value: mapPublicIp } })));
  }
  return { id: subnetId, az };
}

async function ensureInternetGateway(net: Building): Promise<string> {
  const { ctx, o, vpcId, created } = net;
  const ec2 = ctx.aws.ec2();
  let igwId = o.igw?.id;
  if (!igwId) {
    ctx.progress('creating internet gateway');
    const igw = await createOnce({
      create: async () => (await ctx.aws.once.ec2().send(new CreateInternetGatewayCommand({ TagSpecifications: tagSpec('internet-gateway', ctx.owner, ROLE.igw, nameOf(ctx, ROLE.igw)) }))).InternetGateway!,
      find: () => findInternetGateway(ctx),
      ...onceOptions(ctx),
    });
    igwId = igw.InternetGatewayId!;
    created.add(igwId);
  }
  const gateway = igwId;
  if (!o.igw?.attachedTo.includes(vpcId)) {
    await untilVisible(ctx, created, [gateway, vpcId], () =>
      ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: gateway, VpcId: vpcId })).catch(
        // The SDK's retry of an attach whose response was lost finds it done.
        alreadyDone(['Resource.AlreadyAssociated'], async () => {
          const g = (await ec2.send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: [gateway] }))).InternetGateways?.[0];
          return Boolean(g?.Attachments?.some((a) => a.VpcId === vpcId));
        }),
      ),
    );
  }
  return gateway;
}

/**
 * A route table with a default route to `target`, associated with `subnetIds`. The ClientToken
 * is random per ensure (reused across our own retries): a token derived from names would replay
 * a route table that a partial teardown already deleted. A crashed run, or an endpoint that
 * ignores the token, is recovered by the tag lookup.
 */
async function ensureRouteTable(
  net: Building,
  rt: ObservedRouteTable | undefined,
  role: string,
  target: { GatewayId: string } | { NatGatewayId: string },
  subnetIds: string[],
): Promise<string> {
  const { ctx, o, vpcId, created } = net;
  const ec2 = ctx.aws.ec2();
  let rtId = rt?.id;
  if (!rtId) {
    ctx.progress(`creating ${role.replace(/-/g, ' ')}`);
    const ClientToken = randomUUID();
    const create = () => ctx.aws.once.ec2().send(new CreateRouteTableCommand({ VpcId: vpcId, ClientToken, TagSpecifications: tagSpec('route-table', ctx.owner, role, nameOf(ctx, role)) }));
    rtId = await createOnce({
      create: async () => (await untilVisible(ctx, created, [vpcId], create)).RouteTable!.RouteTableId!,
      find: async () =>
        (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }, ...ownerFilters(ctx.owner, role)] }))).RouteTables?.find((t) => ours(ctx, t.Tags, role))
          ?.RouteTableId,
      ...onceOptions(ctx),
    });
    created.add(rtId);
  }
  const table = rtId;
  const route = rt?.defaultRoute;
  const targetId = 'GatewayId' in target ? target.GatewayId : target.NatGatewayId;
  const actualTarget = route && ('GatewayId' in target ? route.gatewayId : route.natGatewayId);
  const visible = <T>(ids: string[], fn: () => Promise<T>) => untilVisible(ctx, created, ids, fn);
  const replace = () => ec2.send(new ReplaceRouteCommand({ RouteTableId: table, DestinationCidrBlock: '0.0.0.0/0', ...target }));
  if (!route) {
    await visible([table, targetId], () =>
      ec2.send(new CreateRouteCommand({ RouteTableId: table, DestinationCidrBlock: '0.0.0.0/0', ...target })).catch(async (err: unknown) => {
        // A lost response: AWS made the route, the SDK retried and found it. Make sure it points at our target.
        if (!isAwsError(err, 'RouteAlreadyExists')) throw err;
        await replace();
      }),
    );
  } else if (route.blackhole || actualTarget !== targetId) {
    await visible([table, targetId], replace);
  }
  for (const subnetId of subnetIds) {
    if (rt?.associations.some((a) => a.subnetId === subnetId)) continue;
    const foreign = o.foreignAssociations[subnetId];
    if (foreign) {
      await visible([table], () => ec2.send(new ReplaceRouteTableAssociationCommand({ AssociationId: foreign, RouteTableId: table })));
      continue;
    }
    await visible([table, subnetId], () =>
      ec2.send(new AssociateRouteTableCommand({ RouteTableId: table, SubnetId: subnetId })).catch(
        alreadyDone(['Resource.AlreadyAssociated'], async () => {
          const t = (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [table] }))).RouteTables?.[0];
          return Boolean(t?.Associations?.some((a) => a.SubnetId === subnetId && liveAssociation(a.AssociationState?.State)));
        }),
      ),
    );
  }
  return table;
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
    // A pinned zone Fargate does not run in is a config error: say so before any AWS call.
    checkPinnedZones(ctx.region, w.zoneIds, usesFargate(ctx.config));
    const observed = await observe(ctx, w);
    const vpc = observed.vpc;
    if (!vpc) {
      const azs = await availabilityZones(ctx, observed, w);
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
    const blockPrefix = existingBlockPrefix(observed);
    warnAboutDeployed(ctx, observed, w, blockPrefix);
    const missingSubnet = [...observed.subnets, ...observed.privateSubnets].some((s) => !s);
    const azs = missingSubnet ? await availabilityZones(ctx, observed, w) : undefined;
    const layout = azs ? subnetLayout(cidr, azs, w.profile, w.azs, blockPrefix) : undefined;
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
    return { action: changes.length ? 'update' : 'noop', changes, current, data: { observed, azs, blockPrefix } satisfies PlanData };
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

    const data = plan.data as PlanData;
    const o = data.observed;
    const w = wanted(ctx);
    // Ids this run creates: the next call naming one retries "not found" until AWS shows it.
    const created = new Set<string>();
    const vpcId = await ensureVpc(ctx, o, w, created);
    const net: Building = { ctx, o, vpcId, created };

    const layout = data.azs ? subnetLayout(w.cidr, data.azs, w.profile, w.azs, data.blockPrefix) : undefined;
    const subnets: { id: string; az: string }[] = [];
    for (let i = 0; i < w.azs; i++) subnets.push(await ensureSubnet(net, o.subnets[i], () => layout!.public[i]!, true));
    const privateSubnets: { id: string; az: string }[] = [];
    if (w.profile === 'production') for (let i = 0; i < w.azs; i++) privateSubnets.push(await ensureSubnet(net, o.privateSubnets[i], () => layout!.private[i]!, false));

    const igwId = await ensureInternetGateway(net);
    const rtId = await ensureRouteTable(net, o.routeTable, ROLE.routeTable, { GatewayId: igwId }, subnets.map((s) => s.id));
    const state: NetworkState = {
      vpcId,
      cidr: w.cidr,
      availabilityZones: subnets.map((s) => s.az),
      publicSubnetIds: subnets.map((s) => s.id),
      internetGatewayId: igwId,
      publicRouteTableId: rtId,
      profile: w.profile,
    };
    if (w.profile !== 'production') return state;

    // NAT gateways, each with its own Elastic IP, in the public subnets.
    const slots: NatSlot[] = Array.from({ length: w.nats }, (_, i) => {
      const eip = o.eips[ROLE.eip(i)];
      return { existing: o.nats[i], subnetId: subnets[i]!.id, freeAllocationId: eip && !eip.associated ? eip.allocationId : undefined, spent: o.spentNats[i] ?? 0 };
    });
    const nats = await ensureNatGateways(ctx, slots, created, async (n) => {
      state.natGatewayIds = n.map((x) => x.id);
      state.elasticIpAllocationIds = n.map((x) => x.allocationId);
      state.privateSubnetIds = privateSubnets.map((s) => s.id);
      await ctx.record({ ...state });
    });

    // Private route tables: one per AZ, so switching between single and per-az NAT is a route change.
    const privateTables: string[] = [];
    for (let i = 0; i < w.azs; i++) {
      const nat = nats[natIndexFor(i, w.nats)]!;
      privateTables.push(await ensureRouteTable(net, o.privateRouteTables[i], ROLE.privateRouteTable(i), { NatGatewayId: nat.id }, [privateSubnets[i]!.id]));
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
      // Dead ones too: deleteNats skips them, but learns which addresses a NAT gateway held.
      for (const n of await ownNats(ctx, state.vpcId)) {
        natIds.add(n.NatGatewayId!);
        for (const a of n.NatGatewayAddresses ?? []) if (a.AllocationId) allocationIds.add(a.AllocationId);
      }
      for (const a of await ownAddresses(ctx)) if (a.AllocationId && tagValue(a.Tags, TAG_ROLE)?.startsWith('nat-eip-')) allocationIds.add(a.AllocationId);
    }
    if (natIds.size || allocationIds.size) await deleteNats(ctx, [...natIds], [...allocationIds]);

    // 2. Route tables: explicit associations block their deletion.
    const tableIds = new Set([state.publicRouteTableId, ...(state.privateRouteTableIds ?? [])].filter(Boolean));
    if (inVpc) {
      const filters = { Filters: [{ Name: 'vpc-id', Values: [state.vpcId] }, ...ownerFilters(ctx.owner)] };
      const tagged = await describeAll((i) => ec2.send(new DescribeRouteTablesCommand(i)), filters, (o) => o.RouteTables);
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
      const filters = { Filters: [{ Name: 'vpc-id', Values: [state.vpcId] }, ...ownerFilters(ctx.owner)] };
      const tagged = await describeAll((i) => ec2.send(new DescribeSubnetsCommand(i)), filters, (o) => o.Subnets);
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
