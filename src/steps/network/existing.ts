import { hasLoadBalancer } from '../../config/services.js';
import { DescribeSubnetsCommand, DescribeVpcsCommand, type RouteTable, type Subnet } from '@aws-sdk/client-ec2';
import { isAwsError } from '../../aws/errors.js';
import { EcsKitError } from '../../errors.js';
import type { WarningCode } from '../../engine/messages.js';
import type { Change, StepContext, StepPlan } from '../../engine/types.js';
import type { NetworkPlanData, NetworkState } from './index.js';
import { subnetsAndRouteTables } from './observe.js';

/**
 * Bring your own VPC (network.vpcId + publicSubnetIds + privateSubnetIds). ecs-kit only
 * reads these: it validates them, records their ids for the other steps, and never creates,
 * changes or deletes a VPC, subnet, route table or gateway here.
 */

type Ctx = StepContext<NetworkState>;

export interface SubnetCheckInput {
  vpcId: string;
  publicSubnetIds: string[];
  privateSubnetIds: string[];
  /** Whether an ALB needs the public subnets (≥ 2 AZs). */
  needsLoadBalancer: boolean;
  subnets: Subnet[];
  routeTables: RouteTable[];
}

export interface SubnetCheck {
  errors: string[];
  warnings: { code: WarningCode; message: string }[];
  /** AZ of each public subnet, in the order given. */
  publicAzs: string[];
}

/** The route table a subnet uses: its explicit association, else the VPC's main table. */
export function routeTableFor(subnetId: string, tables: readonly RouteTable[]): RouteTable | undefined {
  return (
    tables.find((t) => t.Associations?.some((a) => a.SubnetId === subnetId && !a.Main)) ??
    tables.find((t) => t.Associations?.some((a) => a.Main))
  );
}

function defaultRoute(t: RouteTable | undefined) {
  return t?.Routes?.find((r) => r.DestinationCidrBlock === '0.0.0.0/0' && r.State !== 'blackhole');
}

/** Pure validation of the user's subnets; errors stop the deploy, warnings are shown. */
export function checkSubnets(o: SubnetCheckInput): SubnetCheck {
  const errors: string[] = [];
  const warnings: SubnetCheck['warnings'] = [];
  const byId = new Map(o.subnets.map((s) => [s.SubnetId!, s]));
  const all = [
    ...o.publicSubnetIds.map((id) => ['network.publicSubnetIds', id] as const),
    ...o.privateSubnetIds.map((id) => ['network.privateSubnetIds', id] as const),
  ];
  for (const [field, id] of all) {
    const s = byId.get(id);
    if (!s) errors.push(`${field}: ${id} does not exist in this account and region`);
    else if (s.VpcId !== o.vpcId) errors.push(`${field}: ${id} belongs to ${s.VpcId ?? 'another VPC'}, not ${o.vpcId}`);
  }
  const publicAzs = o.publicSubnetIds.map((id) => byId.get(id)?.AvailabilityZone ?? '');
  if (o.needsLoadBalancer && new Set(publicAzs.filter(Boolean)).size < 2) {
    errors.push('network.publicSubnetIds: the load balancer needs public subnets in at least 2 different availability zones');
  }
  const privateAzs = new Set(o.privateSubnetIds.map((id) => byId.get(id)?.AvailabilityZone).filter(Boolean));
  if (o.privateSubnetIds.length && privateAzs.size < 2) {
    warnings.push({
      code: 'network.private-subnets-one-zone',
      message: 'network.privateSubnetIds are all in one availability zone; tasks will not survive an AZ outage',
    });
  }

  for (const id of o.publicSubnetIds) {
    const route = defaultRoute(routeTableFor(id, o.routeTables));
    if (byId.has(id) && !route?.GatewayId?.startsWith('igw-')) {
      warnings.push({
        code: 'network.public-subnet-no-internet',
        message: `public subnet ${id} has no 0.0.0.0/0 route to an internet gateway; the load balancer will not be reachable from the internet`,
      });
    }
  }
  for (const id of o.privateSubnetIds) {
    const route = defaultRoute(routeTableFor(id, o.routeTables));
    if (!byId.has(id) || route?.NatGatewayId || route?.TransitGatewayId || route?.NetworkInterfaceId || route?.InstanceId) continue;
    warnings.push({
      code: 'network.private-subnet-no-egress',
      message: route?.GatewayId?.startsWith('igw-')
        ? `private subnet ${id} routes to an internet gateway, but tasks there get no public IP; they need a NAT gateway or VPC endpoints (ECR api + dkr, S3, CloudWatch Logs) to pull images and write logs`
        : `private subnet ${id} has no route to the internet (no NAT gateway); tasks need VPC endpoints for ECR (api + dkr), S3 and CloudWatch Logs to pull images and write logs`,
    });
  }
  return { errors, warnings, publicAzs };
}

async function read(ctx: Ctx): Promise<NetworkState> {
  const n = ctx.config!.network;
  const vpcId = n.vpcId!;
  const publicSubnetIds = n.publicSubnetIds ?? [];
  const privateSubnetIds = n.privateSubnetIds ?? [];
  const ec2 = ctx.aws.ec2();
  let vpc;
  try {
    vpc = (await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }))).Vpcs?.[0];
  } catch (err) {
    if (!isAwsError(err, 'InvalidVpcID.NotFound')) throw err;
  }
  if (!vpc) {
    throw new EcsKitError('network.vpc-not-found', `network.vpcId ${vpcId} does not exist in ${ctx.region}.`, {
      fix: 'Check the id (and the region/profile you deploy with), or remove network.vpcId to let ecs-kit create a VPC.',
    });
  }
  // Your VPC may have many subnets and route tables: every page, filtered by VPC.
  const [subnets, routeTables] = await Promise.all(subnetsAndRouteTables(ctx, vpcId));
  const known = new Set(subnets.map((s) => s.SubnetId));
  const outside = [...publicSubnetIds, ...privateSubnetIds].filter((id) => !known.has(id));
  if (outside.length) {
    try {
      subnets.push(...((await ec2.send(new DescribeSubnetsCommand({ SubnetIds: outside }))).Subnets ?? []));
    } catch (err) {
      if (!isAwsError(err, 'InvalidSubnetID.NotFound', 'InvalidSubnetID.Malformed')) throw err;
    }
  }
  const check = checkSubnets({
    vpcId,
    publicSubnetIds,
    privateSubnetIds,
    needsLoadBalancer: hasLoadBalancer(ctx.config),
    subnets,
    routeTables,
  });
  if (check.errors.length) {
    throw new EcsKitError(
      'network.subnets',
      `The subnets in network.publicSubnetIds/privateSubnetIds do not fit VPC ${vpcId}:\n  ${check.errors.join('\n  ')}`,
      {
        fix:
          'List subnets of network.vpcId (see `aws ec2 describe-subnets --filters Name=vpc-id,Values=' +
          vpcId +
          '`), or let `ecs-kit init` pick them.',
      },
    );
  }
  for (const w of check.warnings) ctx.warn(w.code, w.message);
  return {
    vpcId,
    cidr: vpc.CidrBlock ?? '',
    availabilityZones: check.publicAzs,
    publicSubnetIds: [...publicSubnetIds],
    internetGatewayId: '',
    publicRouteTableId: '',
    profile: 'existing',
    ...(privateSubnetIds.length ? { privateSubnetIds: [...privateSubnetIds] } : {}),
  };
}

export const existingNetwork = {
  async plan(ctx: Ctx): Promise<StepPlan<NetworkState, NetworkPlanData>> {
    const current = await read(ctx);
    const prev = ctx.previous;
    if (prev && JSON.stringify(prev) === JSON.stringify(current)) return { action: 'noop', changes: [], current };
    const changes: Change[] = [{ field: 'vpc', before: prev?.vpcId, after: `use ${current.vpcId} (yours; ecs-kit will not change it)` }];
    if (prev && JSON.stringify(prev.publicSubnetIds) !== JSON.stringify(current.publicSubnetIds))
      changes.push({ field: 'publicSubnetIds', before: prev.publicSubnetIds, after: current.publicSubnetIds });
    if (prev && JSON.stringify(prev.privateSubnetIds ?? []) !== JSON.stringify(current.privateSubnetIds ?? []))
      changes.push({ field: 'privateSubnetIds', before: prev.privateSubnetIds, after: current.privateSubnetIds });
    // Nothing is created: apply just records the ids. Dependents still see `current` while planning.
    return { action: prev ? 'update' : 'create', changes, current, data: { existing: current } };
  },

  async destroy(ctx: Ctx, state: NetworkState): Promise<void> {
    ctx.progress(`left your VPC ${state.vpcId} and its subnets in place (ecs-kit did not create them)`);
  },
};
