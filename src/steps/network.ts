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
  type AvailabilityZone,
  type InternetGateway,
  type RouteTable,
  type Subnet,
  type Vpc,
} from '@aws-sdk/client-ec2';
import { isAwsError } from '../aws/errors.js';
import { TAG_ROLE, isOwnedBy, ownerFilters } from '../aws/tags.js';
import { EcsKitError } from '../errors.js';
import type { Change, StepContext, StepModule, StepPlan } from '../engine/types.js';
import { deleteWithRetry, ignoreErrors, tagSpec, tagValue } from './ec2-util.js';
import type { NetworkState } from './states.js';

type Ctx = StepContext<NetworkState>;

// ---------------------------------------------------------------------------------------
// Subnet layout (pure). The VPC CIDR is cut into 16 equal blocks (/prefix+4): public
// subnets take the first blocks, private subnets (production profile) the next ones, and
// the rest stay free — so adding private subnets later never moves a public one.

/** "learning": public subnets only (tasks get public IPs). "production": adds private subnets + NAT (not built yet). */
export type NetworkProfile = 'learning' | 'production';

export const AZ_COUNT = 2;

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

export function subnetLayout(cidr: string, azs: readonly string[], profile: NetworkProfile = 'learning'): SubnetLayout {
  const { base, prefix } = parseCidr(cidr);
  const blockPrefix = prefix + 4;
  // AWS subnets are /16 to /28, which is why the config allows a VPC of /16 to /24.
  if (prefix < 16 || blockPrefix > 28) {
    throw new EcsKitError('network.cidr', `network.cidr ${cidr} must be between /16 and /24.`, { fix: 'Use a block such as 10.0.0.0/16.' });
  }
  if (azs.length < AZ_COUNT) {
    throw new EcsKitError('network.azs', `The subnet layout needs ${AZ_COUNT} availability zones, got ${azs.length}.`);
  }
  const size = 2 ** (32 - blockPrefix);
  const block = (tier: 'public' | 'private', i: number, index: number): SubnetSpec => ({
    role: `${tier}-subnet-${i + 1}`,
    tier,
    block: index,
    cidr: formatCidr(base + index * size, blockPrefix),
    availabilityZone: azs[i]!,
  });
  const zones = azs.slice(0, AZ_COUNT);
  return {
    public: zones.map((_, i) => block('public', i, i)),
    private: profile === 'production' ? zones.map((_, i) => block('private', i, AZ_COUNT + i)) : [],
  };
}

/** The first AZ_COUNT regular zones by name; local/wavelength zones and impaired zones are skipped. */
export function pickAvailabilityZones(zones: readonly AvailabilityZone[], region = 'this region'): string[] {
  const names = zones
    .filter((z) => z.State === 'available' && (z.ZoneType === undefined || z.ZoneType === 'availability-zone') && z.ZoneName)
    .map((z) => z.ZoneName!)
    .sort();
  if (names.length < AZ_COUNT) {
    throw new EcsKitError('network.azs', `Only ${names.length} availability zone(s) are available in ${region}; ecs-kit needs ${AZ_COUNT}.`, {
      why: 'The load balancer and the service are spread over two availability zones for resilience, and an ALB requires two.',
      fix: 'Deploy to a region with at least two available zones (set region in ecs-kit.yml or pass --region).',
    });
  }
  return names.slice(0, AZ_COUNT);
}

// ---------------------------------------------------------------------------------------
// What exists.

const ROLE = {
  vpc: 'vpc',
  igw: 'internet-gateway',
  routeTable: 'public-route-table',
  publicSubnet: (i: number) => `public-subnet-${i + 1}`,
};

interface ObservedSubnet {
  id: string;
  cidr: string;
  az: string;
  /** undefined when the API did not say. */
  mapPublicIp?: boolean;
}

interface Observed {
  vpc?: { id: string; cidr: string; dnsSupport?: boolean; dnsHostnames?: boolean };
  subnets: (ObservedSubnet | undefined)[];
  igw?: { id: string; attachedTo: string[] };
  routeTable?: { id: string; defaultRoute?: { gatewayId?: string; blackhole: boolean }; associations: { subnetId: string; associationId: string }[] };
  /** Explicit associations of our subnets with other route tables (subnetId → associationId). */
  foreignAssociations: Record<string, string>;
}

interface PlanData {
  observed: Observed;
  /** Zones for subnets that must be created. */
  azs?: string[];
}

function wantedCidr(ctx: Ctx): string {
  return normalizeCidr(ctx.config?.network.cidr ?? ctx.previous?.cidr ?? '10.0.0.0/16');
}

function wantedProfile(ctx: Ctx): NetworkProfile {
  return (ctx.config?.network.profile ?? 'learning') as NetworkProfile;
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

async function observe(ctx: Ctx): Promise<Observed> {
  const ec2 = ctx.aws.ec2();
  const vpc = await findVpc(ctx);
  const igw = await findInternetGateway(ctx);
  const observedIgw = igw && {
    id: igw.InternetGatewayId!,
    attachedTo: (igw.Attachments ?? []).filter((a) => a.State !== 'detached' && a.State !== 'detaching').map((a) => a.VpcId!),
  };
  if (!vpc) return { subnets: [], igw: observedIgw, foreignAssociations: {} };

  const vpcId = vpc.VpcId!;
  const vpcFilter = [{ Name: 'vpc-id', Values: [vpcId] }];
  const [dnsSupport, dnsHostnames, subnetsOut, tablesOut] = await Promise.all([
    dnsAttribute(ctx, vpcId, 'enableDnsSupport'),
    dnsAttribute(ctx, vpcId, 'enableDnsHostnames'),
    ec2.send(new DescribeSubnetsCommand({ Filters: vpcFilter })),
    ec2.send(new DescribeRouteTablesCommand({ Filters: vpcFilter })),
  ]);

  const allSubnets = subnetsOut.Subnets ?? [];
  const subnets = Array.from({ length: AZ_COUNT }, (_, i): ObservedSubnet | undefined => {
    const tagged = allSubnets.filter((s) => ours(ctx, s.Tags, ROLE.publicSubnet(i)));
    const s: Subnet | undefined = pick(tagged, (x) => x.SubnetId, ctx.previous?.publicSubnetIds[i]) ??
      allSubnets.find((x) => x.SubnetId && x.SubnetId === ctx.previous?.publicSubnetIds[i] && isOwnedBy(x.Tags, ctx.owner));
    return s && { id: s.SubnetId!, cidr: s.CidrBlock ?? '', az: s.AvailabilityZone ?? '', mapPublicIp: s.MapPublicIpOnLaunch };
  });

  const tables = tablesOut.RouteTables ?? [];
  const rt: RouteTable | undefined =
    pick(tables.filter((t) => ours(ctx, t.Tags, ROLE.routeTable)), (t) => t.RouteTableId, ctx.previous?.publicRouteTableId) ??
    tables.find((t) => t.RouteTableId && t.RouteTableId === ctx.previous?.publicRouteTableId && isOwnedBy(t.Tags, ctx.owner));
  const live = (state?: string) => state === undefined || state === 'associated' || state === 'associating';
  const route = rt?.Routes?.find((r) => r.DestinationCidrBlock === '0.0.0.0/0');
  const ourSubnetIds = new Set(subnets.filter(Boolean).map((s) => s!.id));
  const foreignAssociations: Record<string, string> = {};
  for (const t of tables) {
    if (t === rt) continue;
    for (const a of t.Associations ?? []) {
      if (a.SubnetId && ourSubnetIds.has(a.SubnetId) && !a.Main && live(a.AssociationState?.State)) foreignAssociations[a.SubnetId] = a.RouteTableAssociationId!;
    }
  }

  return {
    vpc: { id: vpcId, cidr: vpc.CidrBlock ?? '', dnsSupport, dnsHostnames },
    subnets,
    igw: observedIgw,
    routeTable: rt && {
      id: rt.RouteTableId!,
      defaultRoute: route && { gatewayId: route.GatewayId, blackhole: route.State === 'blackhole' },
      associations: (rt.Associations ?? [])
        .filter((a) => a.SubnetId && !a.Main && live(a.AssociationState?.State))
        .map((a) => ({ subnetId: a.SubnetId!, associationId: a.RouteTableAssociationId! })),
    },
    foreignAssociations,
  };
}

async function availabilityZones(ctx: Ctx): Promise<string[]> {
  const out = await ctx.aws.ec2().send(new DescribeAvailabilityZonesCommand({}));
  return pickAvailabilityZones(out.AvailabilityZones ?? [], ctx.region);
}

/** The drift a plan reports; apply fixes exactly these things. */
function diff(o: Observed, layout: SubnetLayout | undefined): Change[] {
  const changes: Change[] = [];
  const vpc = o.vpc!;
  if (vpc.dnsSupport === false) changes.push({ field: 'enableDnsSupport', before: false, after: true });
  if (vpc.dnsHostnames === false) changes.push({ field: 'enableDnsHostnames', before: false, after: true });
  o.subnets.forEach((s, i) => {
    const role = ROLE.publicSubnet(i);
    if (!s) changes.push({ field: role, after: `${layout!.public[i]!.cidr} in ${layout!.public[i]!.availabilityZone}` });
    else if (s.mapPublicIp === false) changes.push({ field: `${role}.mapPublicIpOnLaunch`, before: false, after: true });
  });
  if (!o.igw) changes.push({ field: 'internetGateway', after: 'create and attach' });
  else if (!o.igw.attachedTo.includes(vpc.id)) changes.push({ field: 'internetGateway.attachment', before: o.igw.attachedTo[0] ?? 'detached', after: vpc.id });
  const rt = o.routeTable;
  if (!rt) {
    changes.push({ field: 'publicRouteTable', after: '0.0.0.0/0 → internet gateway' });
    return changes;
  }
  if (!o.igw || !rt.defaultRoute || rt.defaultRoute.blackhole || rt.defaultRoute.gatewayId !== o.igw.id) {
    changes.push({ field: 'publicRouteTable.defaultRoute', before: rt.defaultRoute?.gatewayId, after: o.igw?.id ?? 'new internet gateway' });
  }
  o.subnets.forEach((s, i) => {
    if (!s || !rt.associations.some((a) => a.subnetId === s.id)) {
      changes.push({ field: `publicRouteTable.association.${ROLE.publicSubnet(i)}`, after: s?.id ?? 'new subnet' });
    }
  });
  return changes;
}

export const networkStep: StepModule<NetworkState> = {
  kind: 'network',
  title: () => 'Network (VPC, subnets, internet gateway)',
  instances: () => [{ dependsOn: [] }],

  async plan(ctx): Promise<StepPlan<NetworkState>> {
    const cidr = wantedCidr(ctx);
    const observed = await observe(ctx);
    const vpc = observed.vpc;
    if (!vpc) {
      const azs = await availabilityZones(ctx);
      const layout = subnetLayout(cidr, azs, wantedProfile(ctx));
      return {
        action: 'create',
        changes: [
          { field: 'vpc', after: cidr },
          { field: 'publicSubnets', after: layout.public.map((s) => `${s.cidr} in ${s.availabilityZone}`) },
          { field: 'internetGateway', after: observed.igw ? `adopt ${observed.igw.id}` : 'create and attach' },
          { field: 'publicRouteTable', after: '0.0.0.0/0 → internet gateway' },
        ],
        data: { observed, azs } satisfies PlanData,
      };
    }
    if (normalizeCidr(vpc.cidr || cidr) !== cidr) {
      return { action: 'replace', changes: [{ field: 'cidr', before: vpc.cidr, after: cidr }], data: { observed } satisfies PlanData };
    }
    const missingSubnet = observed.subnets.some((s) => !s);
    const azs = missingSubnet ? await availabilityZones(ctx) : undefined;
    const layout = azs ? subnetLayout(cidr, azs, wantedProfile(ctx)) : undefined;
    const changes = diff(observed, layout);
    // Missing ids stay empty; dependents treat an empty id as "not there yet".
    const current: NetworkState = {
      vpcId: vpc.id,
      cidr,
      availabilityZones: observed.subnets.map((s, i) => s?.az ?? layout?.public[i]?.availabilityZone ?? ''),
      publicSubnetIds: observed.subnets.map((s) => s?.id ?? ''),
      internetGatewayId: observed.igw?.id ?? '',
      publicRouteTableId: observed.routeTable?.id ?? '',
    };
    return { action: changes.length ? 'update' : 'noop', changes, current, data: { observed, azs } satisfies PlanData };
  },

  async apply(ctx, plan): Promise<NetworkState> {
    if (plan.action === 'replace') {
      const change = plan.changes.find((c) => c.field === 'cidr');
      throw new EcsKitError('network.cidr-change', `The VPC's CIDR block is ${String(change?.before)}, but the config asks for ${String(change?.after)}.`, {
        why: 'A VPC cannot change its primary CIDR block; it would have to be replaced, and everything in it (load balancer, services) with it.',
        fix: `Run \`ecs-kit teardown\` and then deploy again, or set network.cidr back to ${String(change?.before)}.`,
      });
    }
    const ec2 = ctx.aws.ec2();
    const data = plan.data as PlanData;
    const o = data.observed;
    const cidr = wantedCidr(ctx);
    const name = (role: string) => `${ctx.names.prefix}-${role}`;

    // VPC
    let vpcId = o.vpc?.id;
    if (!vpcId) {
      ctx.progress(`creating VPC ${cidr}`);
      const out = await ec2.send(new CreateVpcCommand({ CidrBlock: cidr, TagSpecifications: tagSpec('vpc', ctx.owner, ROLE.vpc, name(ROLE.vpc)) }));
      vpcId = out.Vpc!.VpcId!;
      if (out.Vpc?.State !== 'available') {
        await waitUntilVpcAvailable({ client: ec2, maxWaitTime: 120, minDelay: 2, maxDelay: 5, abortSignal: ctx.signal }, { VpcIds: [vpcId] });
      }
    }
    // DNS support first: AWS refuses DNS hostnames without it. One attribute per call (API rule).
    if (o.vpc?.dnsSupport !== true) await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsSupport: { Value: true } }));
    if (o.vpc?.dnsHostnames !== true) await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));

    // Subnets
    const layout = data.azs ? subnetLayout(cidr, data.azs, wantedProfile(ctx)) : undefined;
    const subnets: { id: string; az: string }[] = [];
    for (let i = 0; i < AZ_COUNT; i++) {
      const existing = o.subnets[i];
      const role = ROLE.publicSubnet(i);
      let id = existing?.id;
      let az = existing?.az ?? '';
      if (!id) {
        const spec = layout!.public[i]!;
        ctx.progress(`creating public subnet ${spec.cidr} in ${spec.availabilityZone}`);
        const out = await ec2.send(
          new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: spec.cidr, AvailabilityZone: spec.availabilityZone, TagSpecifications: tagSpec('subnet', ctx.owner, role, name(role)) }),
        );
        id = out.Subnet!.SubnetId!;
        az = out.Subnet?.AvailabilityZone ?? spec.availabilityZone;
      }
      // Tasks in public subnets need a public IP to pull images (no NAT in the learning profile).
      if (existing?.mapPublicIp !== true) await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: id, MapPublicIpOnLaunch: { Value: true } }));
      subnets.push({ id, az });
    }

    // Internet gateway
    let igwId = o.igw?.id;
    if (!igwId) {
      ctx.progress('creating internet gateway');
      const out = await ec2.send(new CreateInternetGatewayCommand({ TagSpecifications: tagSpec('internet-gateway', ctx.owner, ROLE.igw, name(ROLE.igw)) }));
      igwId = out.InternetGateway!.InternetGatewayId!;
    }
    if (!o.igw?.attachedTo.includes(vpcId)) await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId }));

    // Route table. CreateRouteTable's ClientToken is left to the SDK (a fresh token per call,
    // reused across its retries): a token derived from names would replay a route table that a
    // partial teardown already deleted. A crashed run is recovered by the tag lookup instead.
    const rt = o.routeTable;
    let rtId = rt?.id;
    if (!rtId) {
      ctx.progress('creating public route table');
      const out = await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId, TagSpecifications: tagSpec('route-table', ctx.owner, ROLE.routeTable, name(ROLE.routeTable)) }));
      rtId = out.RouteTable!.RouteTableId!;
    }
    const route = rt?.defaultRoute;
    if (!route) {
      await ec2.send(new CreateRouteCommand({ RouteTableId: rtId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igwId }));
    } else if (route.blackhole || route.gatewayId !== igwId) {
      await ec2.send(new ReplaceRouteCommand({ RouteTableId: rtId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igwId }));
    }
    for (const s of subnets) {
      if (rt?.associations.some((a) => a.subnetId === s.id)) continue;
      const foreign = o.foreignAssociations[s.id];
      if (foreign) await ec2.send(new ReplaceRouteTableAssociationCommand({ AssociationId: foreign, RouteTableId: rtId }));
      else await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rtId, SubnetId: s.id }));
    }

    return {
      vpcId,
      cidr,
      availabilityZones: subnets.map((s) => s.az),
      publicSubnetIds: subnets.map((s) => s.id),
      internetGatewayId: igwId,
      publicRouteTableId: rtId,
    };
  },

  async destroy(ctx, state): Promise<void> {
    const ec2 = ctx.aws.ec2();
    const skip = (what: string, id: string) => ctx.warn(`Left ${what} ${id} in place: its tags do not say ecs-kit created it for this app/env.`);

    // 1. Route table: explicit associations block its deletion.
    if (state.publicRouteTableId) {
      const rt = await describeOne(() => ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [state.publicRouteTableId] })).then((o) => o.RouteTables?.[0]), 'InvalidRouteTableID.NotFound');
      if (rt && !isOwnedBy(rt.Tags, ctx.owner)) skip('route table', state.publicRouteTableId);
      else if (rt) {
        for (const a of rt.Associations ?? []) {
          if (a.Main || !a.RouteTableAssociationId) continue;
          await ec2.send(new DisassociateRouteTableCommand({ AssociationId: a.RouteTableAssociationId })).catch(ignoreErrors('InvalidAssociationID.NotFound'));
        }
        await deleteWithRetry(ctx, () => ec2.send(new DeleteRouteTableCommand({ RouteTableId: state.publicRouteTableId })), {
          what: `route table ${state.publicRouteTableId}`,
          goneOn: ['InvalidRouteTableID.NotFound'],
        });
      }
    }

    // 2. Internet gateway: detaching fails while public IPs (task/ALB ENIs) are still mapped.
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

    // 3. Subnets: task and ALB ENIs can take minutes to be released.
    for (const subnetId of state.publicSubnetIds.filter(Boolean)) {
      const subnet = await describeOne(() => ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] })).then((o) => o.Subnets?.[0]), 'InvalidSubnetID.NotFound');
      if (!subnet) continue;
      if (!isOwnedBy(subnet.Tags, ctx.owner)) {
        skip('subnet', subnetId);
        continue;
      }
      await deleteWithRetry(ctx, () => ec2.send(new DeleteSubnetCommand({ SubnetId: subnetId })), { what: `subnet ${subnetId}`, goneOn: ['InvalidSubnetID.NotFound'] });
    }

    // 4. VPC
    const vpc = await describeOne(() => ec2.send(new DescribeVpcsCommand({ VpcIds: [state.vpcId] })).then((o) => o.Vpcs?.[0]), 'InvalidVpcID.NotFound');
    if (!vpc) return;
    if (!isOwnedBy(vpc.Tags, ctx.owner)) {
      skip('VPC', state.vpcId);
      return;
    }
    await deleteWithRetry(ctx, () => ec2.send(new DeleteVpcCommand({ VpcId: state.vpcId })), { what: `VPC ${state.vpcId}`, goneOn: ['InvalidVpcID.NotFound'] });
  },
};

async function describeOne<T>(fn: () => Promise<T | undefined>, notFound: string): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (isAwsError(err, notFound)) return undefined;
    throw err;
  }
}
