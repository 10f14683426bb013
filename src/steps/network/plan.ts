import { hasLoadBalancer } from '../../config/services.js';
import { DescribeAvailabilityZonesCommand } from '@aws-sdk/client-ec2';
import { fargateSupportsZone } from '../../aws/fargate-zones.js';
import { normalizeCidr } from '../../config/cidr.js';
import type { Change, StepContext, StepPlan } from '../../engine/types.js';
import { EcsKitError } from '../../errors.js';
import { existingNetwork } from './existing.js';
import type { NetworkPlanData, NetworkState } from './index.js';
import { checkPinnedZones, parseNetworkCidr, pickAvailabilityZones, subnetLayout, usesFargate, type SubnetLayout } from './layout.js';
import { observe, type Observed } from './observe.js';
import { ROLE } from './roles.js';
import { wanted, type Wanted } from './wanted.js';

/**
 * Planning the network: what the config asks for against what exists. A deployed network keeps
 * its zones, subnet size and profile; apply fixes exactly the drift `diff` reports.
 */

type Ctx = StepContext<NetworkState>;
type Plan = StepPlan<NetworkState, NetworkPlanData>;

/** Per slot, the zone the deployed network already uses there: its subnets', else the manifest's. */
function keptZones(ctx: Ctx, o: Observed, w: Wanted): (string | undefined)[] {
  return Array.from(
    { length: w.azs },
    (_, i) => o.subnets[i]?.az || o.privateSubnets[i]?.az || ctx.previous?.availabilityZones?.[i] || undefined,
  );
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
      ctx.warn(
        'network.zone-without-fargate',
        `Availability zone ${name} (${id}) of this network does not run Fargate tasks; ecs-kit keeps a deployed network's zones. ` +
          'Run `ecs-kit teardown` and deploy again to move it.',
      );
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
      ctx.warn(
        'network.zone-mismatch',
        `network.zoneIds[${i}] is ${id}, but ${ROLE.publicSubnet(i)} already exists in ${s.azId}; ` +
          'ecs-kit does not move the subnets of a deployed network (run `ecs-kit teardown` and deploy again to move them).',
      );
    }
  });
  const balanced = hasLoadBalancer(ctx.config);
  if (balanced && blockPrefix !== undefined && blockPrefix > 27) {
    ctx.warn(
      'network.small-subnets',
      `This network's subnets are /${blockPrefix}: AWS needs at least /27 with 8 free addresses in each load balancer subnet. ` +
        'Run `ecs-kit teardown` and deploy again to get /27 subnets.',
    );
  }
}

/** Drift of the VPC, its subnets, internet gateway and public route table. */
function vpcDiff(o: Observed, layout: SubnetLayout | undefined, changes: Change[]): void {
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
  else if (!o.igw.attachedTo.includes(vpc.id))
    changes.push({ field: 'internetGateway.attachment', before: o.igw.attachedTo[0] ?? 'detached', after: vpc.id });
  const rt = o.routeTable;
  if (!rt) {
    changes.push({ field: 'publicRouteTable', after: '0.0.0.0/0 → internet gateway' });
    return;
  }
  if (!o.igw || !rt.defaultRoute || rt.defaultRoute.blackhole || rt.defaultRoute.gatewayId !== o.igw.id) {
    changes.push({
      field: 'publicRouteTable.defaultRoute',
      before: rt.defaultRoute?.gatewayId,
      after: o.igw?.id ?? 'new internet gateway',
    });
  }
  o.subnets.forEach((s, i) => {
    if (!s || !rt.associations.some((a) => a.subnetId === s.id)) {
      changes.push({ field: `publicRouteTable.association.${ROLE.publicSubnet(i)}`, after: s?.id ?? 'new subnet' });
    }
  });
}

/** The drift a plan reports; apply fixes exactly these things. */
function diff(o: Observed, layout: SubnetLayout | undefined): Change[] {
  const changes: Change[] = [];
  vpcDiff(o, layout, changes);
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
  const message = `This environment's network was built with ${label(change.before)}; the config now asks for ${label(change.after)}.`;
  return new EcsKitError('network.profile-change', message, {
    why:
      'Changing the network shape means replacing the VPC or subnets under the running load balancer and services, ' +
      'which would take the app down; ecs-kit will not do that in place.',
    fix:
      'Run `ecs-kit teardown` and then deploy again with the new network settings (or deploy the new shape to another --env), ' +
      'or put the network settings back.',
  });
}

function cidrChangeError(change: Change | undefined): EcsKitError {
  return new EcsKitError(
    'network.cidr-change',
    `The VPC's CIDR block is ${String(change?.before)}, but the config asks for ${String(change?.after)}.`,
    {
      why: 'A VPC cannot change its primary CIDR block; it would have to be replaced, and everything in it (load balancer, services) with it.',
      fix: `Run \`ecs-kit teardown\` and then deploy again, or set network.cidr back to ${String(change?.before)}.`,
    },
  );
}

/** A replace plan cannot be applied: the error says why (a new profile, or a new CIDR block). */
export function replaceError(changes: Change[]): EcsKitError {
  const profile = changes.find((c) => c.field === 'profile');
  return profile ? profileReplaceError(profile) : cidrChangeError(changes.find((c) => c.field === 'cidr'));
}

/** No VPC yet: everything is created. */
async function planNewNetwork(ctx: Ctx, observed: Observed, w: Wanted): Promise<Plan> {
  const azs = await availabilityZones(ctx, observed, w);
  const layout = subnetLayout(w.cidr, azs, w.profile, w.azs);
  const changes: Change[] = [
    { field: 'vpc', after: w.cidr },
    { field: 'publicSubnets', after: layout.public.map((s) => `${s.cidr} in ${s.availabilityZone}`) },
    { field: 'internetGateway', after: observed.igw ? `adopt ${observed.igw.id}` : 'create and attach' },
    { field: 'publicRouteTable', after: '0.0.0.0/0 → internet gateway' },
  ];
  if (w.profile === 'production') {
    changes.push(
      // Their NAT gateways and routes: the nat step's plan.
      { field: 'privateSubnets', after: layout.private.map((s) => `${s.cidr} in ${s.availabilityZone}`) },
    );
  }
  return { action: 'create', changes, data: { observed, azs } };
}

/** What exists, as dependents see it while planning; missing ids stay empty ("not there yet"). */
function currentState(o: Observed, w: Wanted, layout: SubnetLayout | undefined): NetworkState {
  const current: NetworkState = {
    vpcId: o.vpc!.id,
    cidr: w.cidr,
    availabilityZones: o.subnets.map((s, i) => s?.az ?? layout?.public[i]?.availabilityZone ?? ''),
    publicSubnetIds: o.subnets.map((s) => s?.id ?? ''),
    internetGatewayId: o.igw?.id ?? '',
    publicRouteTableId: o.routeTable?.id ?? '',
    profile: w.profile,
  };
  if (w.profile === 'production') current.privateSubnetIds = o.privateSubnets.map((s) => s?.id ?? '');
  return current;
}

/** A VPC exists: report its drift (a new CIDR block cannot be applied). */
async function planDeployedNetwork(ctx: Ctx, observed: Observed, w: Wanted): Promise<Plan> {
  const vpc = observed.vpc!;
  if (normalizeCidr(vpc.cidr || w.cidr) !== w.cidr) {
    return { action: 'replace', changes: [{ field: 'cidr', before: vpc.cidr, after: w.cidr }], data: { observed } };
  }
  const blockPrefix = existingBlockPrefix(observed);
  warnAboutDeployed(ctx, observed, w, blockPrefix);
  const missingSubnet = [...observed.subnets, ...observed.privateSubnets].some((s) => !s);
  const azs = missingSubnet ? await availabilityZones(ctx, observed, w) : undefined;
  const layout = azs ? subnetLayout(w.cidr, azs, w.profile, w.azs, blockPrefix) : undefined;
  const changes = diff(observed, layout);
  return {
    action: changes.length ? 'update' : 'noop',
    changes,
    current: currentState(observed, w, layout),
    data: { observed, azs, blockPrefix },
  };
}

export async function planNetwork(ctx: Ctx): Promise<Plan> {
  const profile = profileChange(ctx);
  if (profile) return { action: 'replace', changes: [profile] };
  if (ctx.config?.network.vpcId) return existingNetwork.plan(ctx);

  const w = wanted(ctx);
  // A pinned zone Fargate does not run in is a config error: say so before any AWS call.
  checkPinnedZones(ctx.region, w.zoneIds, usesFargate(ctx.config));
  const observed = await observe(ctx, w);
  return observed.vpc ? planDeployedNetwork(ctx, observed, w) : planNewNetwork(ctx, observed, w);
}
