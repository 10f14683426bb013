import {
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInternetGatewaysCommand,
  DescribeSubnetsCommand,
  ModifySubnetAttributeCommand,
  ModifyVpcAttributeCommand,
  DescribeVpcsCommand,
} from '@aws-sdk/client-ec2';
import { onceOptions } from '../../aws/create-once-options.js';
import { ignoreErrors } from '../../aws/deletion.js';
import { waitFor } from '../../aws/poll.js';
import { tagSpec } from '../../aws/ec2-tags.js';
import { untilVisible } from '../../aws/ec2-visibility.js';
import { alreadyDone, createOnce } from '../../aws/idempotent.js';
import { ownerFilters } from '../../aws/tags.js';
import type { StepContext } from '../../engine/types.js';
import type { BuiltNetworkData, NetworkState } from './index.js';
import { subnetLayout, type SubnetLayout, type SubnetSpec } from './layout.js';
import { findInternetGateway, findVpc, type Observed, type ObservedSubnet } from './observe.js';
import { ROLE, nameOf, ours } from './roles.js';
import { ensureRouteTable, type Building as RouteBuilding } from './route-tables.js';
import { wanted, type Wanted } from './wanted.js';

/**
 * Apply, piece by piece. Each create is followed by calls naming the new id: those go through
 * untilVisible (EC2 eventual consistency); ids read from AWS or the manifest get no retry.
 */

type Ctx = StepContext<NetworkState>;

/** What every piece of apply needs: what plan observed, the VPC, and the ids this run created. */
export interface Building extends RouteBuilding {
  ctx: Ctx;
  o: Observed;
}

type BuiltSubnet = { id: string; az: string };

async function ensureVpc(ctx: Ctx, o: Observed, w: Wanted, created: Set<string>): Promise<string> {
  const ec2 = ctx.aws.ec2();
  let vpcId = o.vpc?.id;
  if (!vpcId) {
    ctx.progress(`creating VPC ${w.cidr}`);
    // CreateVpc has no idempotency token: a lost response is recovered by the tag lookup.
    const vpc = await createOnce({
      create: async () => {
        const command = new CreateVpcCommand({
          CidrBlock: w.cidr,
          TagSpecifications: tagSpec('vpc', ctx.owner, ROLE.vpc, nameOf(ctx, ROLE.vpc)),
        });
        return (await ctx.aws.once.ec2().send(command)).Vpc!;
      },
      find: () => findVpc(ctx),
      ...onceOptions(ctx),
    });
    vpcId = vpc.VpcId!;
    created.add(vpcId);
    // Recorded at once: the profile in the manifest is what later runs compare the config with.
    await ctx.record({
      vpcId,
      cidr: w.cidr,
      availabilityZones: [],
      publicSubnetIds: [],
      internetGatewayId: '',
      publicRouteTableId: '',
      profile: w.profile,
    });
    if (vpc.State !== 'available') {
      const id = vpcId;
      await waitFor({
        what: `VPC ${id} to become available`,
        // A new id may not be visible yet: that is "not yet" too.
        check: async () => {
          const out = await ec2.send(new DescribeVpcsCommand({ VpcIds: [id] })).catch(ignoreErrors('InvalidVpcID.NotFound'));
          return out?.Vpcs?.[0]?.State === 'available' ? true : undefined;
        },
        timeoutMs: Math.min(ctx.options.timeoutMs, 120_000),
        signal: ctx.signal,
        progress: (m) => ctx.progress(m),
      });
    }
  }
  const id = vpcId;
  // DNS support first: AWS refuses DNS hostnames without it. One attribute per call (API rule).
  const enable = (attribute: 'EnableDnsSupport' | 'EnableDnsHostnames') =>
    untilVisible(ctx, created, [id], () => ec2.send(new ModifyVpcAttributeCommand({ VpcId: id, [attribute]: { Value: true } })));
  if (o.vpc?.dnsSupport !== true) await enable('EnableDnsSupport');
  if (o.vpc?.dnsHostnames !== true) await enable('EnableDnsHostnames');
  return id;
}

async function createSubnet(net: Building, s: SubnetSpec): Promise<BuiltSubnet> {
  const { ctx, vpcId, created } = net;
  ctx.progress(`creating ${s.tier} subnet ${s.cidr} in ${s.availabilityZone}`);
  const create = () =>
    ctx.aws.once.ec2().send(
      new CreateSubnetCommand({
        VpcId: vpcId,
        CidrBlock: s.cidr,
        AvailabilityZone: s.availabilityZone,
        TagSpecifications: tagSpec('subnet', ctx.owner, s.role, nameOf(ctx, s.role)),
      }),
    );
  const subnet = await createOnce({
    // A NotFound means nothing was created, so repeating it while the new VPC propagates is safe.
    create: async () => (await untilVisible(ctx, created, [vpcId], create)).Subnet!,
    find: async () => {
      const filters = [{ Name: 'vpc-id', Values: [vpcId] }, ...ownerFilters(ctx.owner, s.role)];
      return (await ctx.aws.ec2().send(new DescribeSubnetsCommand({ Filters: filters }))).Subnets?.find((x) => ours(ctx, x.Tags, s.role));
    },
    // The block is taken: by our own subnet when an earlier attempt's response was lost.
    alreadyExists: ['InvalidSubnet.Conflict'],
    ...onceOptions(ctx),
  });
  created.add(subnet.SubnetId!);
  return { id: subnet.SubnetId!, az: subnet.AvailabilityZone ?? s.availabilityZone };
}

async function ensureSubnet(
  net: Building,
  existing: ObservedSubnet | undefined,
  spec: () => SubnetSpec,
  mapPublicIp: boolean,
): Promise<BuiltSubnet> {
  const { ctx, created } = net;
  const subnet = existing?.id ? { id: existing.id, az: existing.az } : await createSubnet(net, spec());
  // Public subnets hand out public IPs (tasks in the learning profile pull images with
  // them); private subnets never do. AWS's default for a new subnet is off.
  const current = existing ? existing.mapPublicIp : false;
  if (mapPublicIp ? current !== true : current === true) {
    const input = { SubnetId: subnet.id, MapPublicIpOnLaunch: { Value: mapPublicIp } };
    await untilVisible(ctx, created, [subnet.id], () => ctx.aws.ec2().send(new ModifySubnetAttributeCommand(input)));
  }
  return subnet;
}

async function ensureInternetGateway(net: Building): Promise<string> {
  const { ctx, o, vpcId, created } = net;
  const ec2 = ctx.aws.ec2();
  let igwId = o.igw?.id;
  if (!igwId) {
    ctx.progress('creating internet gateway');
    const igw = await createOnce({
      create: async () => {
        const command = new CreateInternetGatewayCommand({
          TagSpecifications: tagSpec('internet-gateway', ctx.owner, ROLE.igw, nameOf(ctx, ROLE.igw)),
        });
        return (await ctx.aws.once.ec2().send(command)).InternetGateway!;
      },
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
 * Make AWS match the plan: the VPC, then its subnets and the internet gateway together, then the public route table.
 * (The production profile's NAT gateways and private routes are the nat step's.)
 */
export async function buildNetwork(ctx: Ctx, data: BuiltNetworkData): Promise<NetworkState> {
  const o = data.observed;
  const w = wanted(ctx);
  const created = new Set<string>();
  const vpcId = await ensureVpc(ctx, o, w, created);
  const net: Building = { ctx, o, vpcId, created };

  const layout: SubnetLayout | undefined = data.azs ? subnetLayout(w.cidr, data.azs, w.profile, w.azs, data.blockPrefix) : undefined;
  const zones = Array.from({ length: w.azs }, (_, i) => i);
  // Subnets and the gateway do not depend on each other: created together (each create is idempotent on its own).
  const [subnets, privateSubnets, igwId] = await Promise.all([
    Promise.all(zones.map((i) => ensureSubnet(net, o.subnets[i], () => layout!.public[i]!, true))),
    w.profile === 'production'
      ? Promise.all(zones.map((i) => ensureSubnet(net, o.privateSubnets[i], () => layout!.private[i]!, false)))
      : Promise.resolve([]),
    ensureInternetGateway(net),
  ]);
  const rtId = await ensureRouteTable(
    net,
    o.routeTable,
    ROLE.routeTable,
    { GatewayId: igwId },
    subnets.map((s) => s.id),
  );
  return {
    vpcId,
    cidr: w.cidr,
    availabilityZones: subnets.map((s) => s.az),
    publicSubnetIds: subnets.map((s) => s.id),
    internetGatewayId: igwId,
    publicRouteTableId: rtId,
    profile: w.profile,
    ...(w.profile === 'production' ? { privateSubnetIds: privateSubnets.map((s) => s.id) } : {}),
  };
}
