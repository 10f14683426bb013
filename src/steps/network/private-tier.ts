import { DescribeRouteTablesCommand, type RouteTable } from '@aws-sdk/client-ec2';
import { describeAll } from '../../aws/ec2-describe.js';
import { tagValue } from '../../aws/ec2-tags.js';
import { TAG_ROLE } from '../../aws/tags.js';
import type { Config } from '../../config/schema.js';
import { requireIds } from '../../engine/require-ids.js';
import { after, type Change, type StepContext, type StepModule, type StepPlan } from '../../engine/types.js';
import { networkStep, type NetworkState } from './index.js';
import { natCount, natIndexFor } from './layout.js';
import { deleteNats, ensureNatGateways, liveNat, ownAddresses, ownNats, spentAttempts, type NatSlot } from './nat.js';
import type { ObservedNat } from './observe.js';
import { networkPermissions } from './permissions.js';
import { ROLE, ours } from './roles.js';
import {
  deleteOwnedRouteTable,
  ensureRouteTable,
  liveAssociation,
  observeTable,
  type Building,
  type ObservedRouteTable,
} from './route-tables.js';

/**
 * The production profile's way out: NAT gateways (each with an Elastic IP) in the public subnets, and one private
 * route table per zone sending 0.0.0.0/0 through them. A step of its own, after the network, because a NAT gateway
 * is `pending` for minutes and only what routes through it must wait: the load balancer, target groups, roles, task
 * definitions and images go ahead meanwhile; services and EC2 instances in the private subnets wait for this step
 * (a deploy-only dependency: their teardown does not wait for the NAT gateways to be deleted, nor the other way round).
 */

export interface NatState {
  vpcId: string;
  natGatewayIds: string[];
  elasticIpAllocationIds: string[];
  privateRouteTableIds: string[];
}

type Ctx = StepContext<NatState>;

/** What exists of the private tier, read-only. */
export interface ObservedPrivateTier {
  nats: (ObservedNat | undefined)[];
  /** Our NAT gateways beyond what the layout wants (e.g. per-az → single): removed by apply. */
  extraNats: ObservedNat[];
  /** Our Elastic IPs by role, with their association (if any). */
  eips: Record<string, { allocationId: string; associated: boolean }>;
  /** Per wanted NAT gateway: our failed/deleted ones of that role (their client tokens are spent). */
  spentNats: number[];
  privateRouteTables: (ObservedRouteTable | undefined)[];
  /** Explicit associations of the private subnets with other route tables (subnetId → associationId). */
  foreignAssociations: Record<string, string>;
}

export interface NatPlanData {
  observed: ObservedPrivateTier;
}

/** True when the config's network has a NAT tier: ecs-kit's own VPC in the production profile. */
export function hasNatTier(config: Pick<Config, 'network'> | undefined): boolean {
  return Boolean(config && !config.network.vpcId && config.network.profile === 'production');
}

/** For the steps whose tasks or instances live in the private subnets: wait for their way out on deploy (spread into an instance). */
export function afterNat(config: Config): { deployOnly?: string[] } {
  return hasNatTier(config) ? { deployOnly: [after(natStep)] } : {};
}

function wantedCounts(ctx: Ctx, network: NetworkState): { azs: number; nats: number } {
  const n = ctx.config?.network;
  const azs = network.privateSubnetIds?.length ?? n?.azs ?? 2;
  return { azs, nats: natCount('production', n?.nat ?? 'single', azs) };
}

function pick<T>(items: T[], id: (t: T) => string | undefined, preferId?: string): T | undefined {
  return items.find((i) => preferId && id(i) === preferId) ?? [...items].sort((a, b) => (id(a) ?? '').localeCompare(id(b) ?? ''))[0];
}

const toObservedNat = (n: {
  NatGatewayId?: string;
  SubnetId?: string;
  State?: string;
  NatGatewayAddresses?: { AllocationId?: string }[];
}) => ({
  id: n.NatGatewayId!,
  subnetId: n.SubnetId,
  allocationId: n.NatGatewayAddresses?.[0]?.AllocationId,
  state: n.State,
});

/** NAT gateways, addresses and route tables of the VPC, read together. */
export async function observePrivateTier(ctx: Ctx, network: NetworkState): Promise<ObservedPrivateTier> {
  const ec2 = ctx.aws.ec2();
  const { azs, nats: wantedNats } = wantedCounts(ctx, network);
  const [nats, addresses, tables] = await Promise.all([
    ownNats(ctx, network.vpcId),
    ownAddresses(ctx),
    describeAll(
      (i) => ec2.send(new DescribeRouteTablesCommand(i)),
      { Filters: [{ Name: 'vpc-id', Values: [network.vpcId] }] },
      (o) => o.RouteTables,
    ),
  ]);
  const prev = ctx.previous;
  const live = nats.filter(liveNat);
  const slots = Array.from({ length: wantedNats }, (_, i) =>
    pick(
      live.filter((n) => tagValue(n.Tags, TAG_ROLE) === ROLE.nat(i)),
      (n) => n.NatGatewayId,
      prev?.natGatewayIds[i],
    ),
  );
  const kept = new Set(slots.filter(Boolean));
  const eips: ObservedPrivateTier['eips'] = {};
  for (const a of addresses) {
    const role = tagValue(a.Tags, TAG_ROLE);
    if (role && a.AllocationId && !eips[role])
      eips[role] = { allocationId: a.AllocationId, associated: Boolean(a.AssociationId || a.NetworkInterfaceId) };
  }
  const findTable = (i: number): RouteTable | undefined =>
    pick(
      tables.filter((t) => ours(ctx, t.Tags, ROLE.privateRouteTable(i))),
      (t) => t.RouteTableId,
      prev?.privateRouteTableIds[i],
    );
  const privateTables = Array.from({ length: azs }, (_, i) => findTable(i));
  const own = new Set(privateTables.filter(Boolean));
  const privateSubnets = new Set(network.privateSubnetIds ?? []);
  const foreignAssociations: Record<string, string> = {};
  for (const t of tables) {
    if (own.has(t)) continue;
    for (const a of t.Associations ?? [])
      if (a.SubnetId && privateSubnets.has(a.SubnetId) && !a.Main && liveAssociation(a.AssociationState?.State))
        foreignAssociations[a.SubnetId] = a.RouteTableAssociationId!;
  }
  return {
    nats: slots.map((n) => n && toObservedNat(n)),
    extraNats: live.filter((n) => !kept.has(n)).map(toObservedNat),
    eips,
    spentNats: Array.from({ length: wantedNats }, (_, i) => spentAttempts(nats, ROLE.nat(i))),
    privateRouteTables: privateTables.map((t) => t && observeTable(t)),
    foreignAssociations,
  };
}

/** The drift a plan reports; apply fixes exactly these things. */
export function privateTierDiff(o: ObservedPrivateTier, network: NetworkState, nats: number): Change[] {
  const changes: Change[] = [];
  o.nats.forEach((n, i) => {
    if (!n)
      changes.push({ field: ROLE.nat(i), after: `NAT gateway with an Elastic IP in ${ROLE.publicSubnet(i)} (billed per hour and per GB)` });
  });
  for (const n of o.extraNats) changes.push({ field: 'natGateway', before: n.id, after: '(deleted, network.nat is single)' });
  (network.privateSubnetIds ?? []).forEach((subnetId, i) => {
    const table = o.privateRouteTables[i];
    const role = ROLE.privateRouteTable(i);
    const nat = o.nats[natIndexFor(i, nats)];
    if (!table) {
      changes.push({ field: role, after: `0.0.0.0/0 → ${ROLE.nat(natIndexFor(i, nats))}` });
      return;
    }
    const route = table.defaultRoute;
    if (!nat || !route || route.blackhole || route.natGatewayId !== nat.id)
      changes.push({ field: `${role}.defaultRoute`, before: route?.natGatewayId ?? route?.gatewayId, after: nat?.id ?? 'new NAT gateway' });
    if (!subnetId || !table.associations.some((a) => a.subnetId === subnetId))
      changes.push({ field: `${role}.association`, after: subnetId || 'new subnet' });
  });
  return changes;
}

async function planPrivateTier(ctx: Ctx): Promise<StepPlan<NatState, NatPlanData>> {
  const network = ctx.dep(networkStep);
  requireIds(after(networkStep), network.vpcId, ...network.publicSubnetIds, ...(network.privateSubnetIds ?? []));
  const observed = await observePrivateTier(ctx, network);
  const changes = privateTierDiff(observed, network, wantedCounts(ctx, network).nats);
  const found = observed.nats.some(Boolean) || observed.privateRouteTables.some(Boolean);
  const current: NatState = {
    vpcId: network.vpcId,
    natGatewayIds: observed.nats.map((n) => n?.id ?? ''),
    elasticIpAllocationIds: observed.nats.map((n) => n?.allocationId ?? ''),
    privateRouteTableIds: observed.privateRouteTables.map((t) => t?.id ?? ''),
  };
  const action = changes.length ? (found || ctx.previous ? 'update' : 'create') : 'noop';
  return { action, changes, ...(found ? { current } : {}), data: { observed } };
}

/** NAT gateways (together), then the private route tables (together), then NAT gateways no longer wanted. */
async function applyPrivateTier(ctx: Ctx, plan: StepPlan<NatState, NatPlanData>): Promise<NatState> {
  const network = ctx.dep(networkStep);
  const o = plan.data!.observed;
  const { azs, nats: count } = wantedCounts(ctx, network);
  const created = new Set<string>();
  const slots: NatSlot[] = Array.from({ length: count }, (_, i) => {
    const eip = o.eips[ROLE.eip(i)];
    const freeAllocationId = eip && !eip.associated ? eip.allocationId : undefined;
    return { existing: o.nats[i], subnetId: network.publicSubnetIds[i]!, freeAllocationId, spent: o.spentNats[i] ?? 0 };
  });
  const state: NatState = { vpcId: network.vpcId, natGatewayIds: [], elasticIpAllocationIds: [], privateRouteTableIds: [] };
  const nats = await ensureNatGateways(ctx, slots, created, async (n) => {
    state.natGatewayIds = n.map((x) => x.id);
    state.elasticIpAllocationIds = n.map((x) => x.allocationId);
    await ctx.record({ ...state });
  });
  const net: Building = { ctx, o, vpcId: network.vpcId, created };
  const privateSubnets = network.privateSubnetIds ?? [];
  state.privateRouteTableIds = await Promise.all(
    Array.from({ length: azs }, (_, i) =>
      ensureRouteTable(net, o.privateRouteTables[i], ROLE.privateRouteTable(i), { NatGatewayId: nats[natIndexFor(i, count)]!.id }, [
        privateSubnets[i]!,
      ]),
    ),
  );
  // Per-az → single: the routes already point elsewhere.
  if (o.extraNats.length)
    await deleteNats(
      ctx,
      o.extraNats.map((n) => n.id),
      o.extraNats.map((n) => n.allocationId).filter((a): a is string => Boolean(a)),
    );
  return state;
}

/** NAT gateways and their addresses (recorded, and any other of ours in the VPC), alongside the private route tables. */
async function destroyPrivateTier(ctx: Ctx, state: NatState): Promise<void> {
  const natIds = new Set(state.natGatewayIds.filter(Boolean));
  const allocationIds = new Set(state.elasticIpAllocationIds.filter(Boolean));
  const [nats, addresses] = await Promise.all([ownNats(ctx, state.vpcId), ownAddresses(ctx)]);
  for (const n of nats) {
    natIds.add(n.NatGatewayId!);
    for (const a of n.NatGatewayAddresses ?? []) if (a.AllocationId) allocationIds.add(a.AllocationId);
  }
  for (const a of addresses) if (a.AllocationId && tagValue(a.Tags, TAG_ROLE)?.startsWith('nat-eip-')) allocationIds.add(a.AllocationId);
  // A route through a NAT gateway being deleted only turns into a blackhole: the tables need not wait for it.
  await Promise.all([
    deleteNats(ctx, [...natIds], [...allocationIds]),
    ...state.privateRouteTableIds.filter(Boolean).map((id) => deleteOwnedRouteTable(ctx, id)),
  ]);
}

export const natStep: StepModule<NatState, NatPlanData> = {
  kind: 'nat',
  title: () => 'NAT gateways and private routes',
  resourceKinds: ['ec2:natgateway', 'ec2:elastic-ip', 'ec2:route-table'],
  // The network's statements: NAT gateways, addresses and route tables are among them.
  permissions: networkPermissions,
  instances: (config) => (hasNatTier(config) ? [{ dependsOn: [after(networkStep)] }] : []),
  plan: planPrivateTier,
  apply: applyPrivateTier,
  destroy: destroyPrivateTier,
};
