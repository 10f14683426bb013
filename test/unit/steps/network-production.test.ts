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
  DescribeVpcsCommand,
  DetachInternetGatewayCommand,
  DisassociateRouteTableCommand,
  EC2Client,
  ModifySubnetAttributeCommand,
  ModifyVpcAttributeCommand,
  ReleaseAddressCommand,
  type NatGateway,
  type RouteTable,
  type Subnet,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkSubnets, routeTableFor } from '../../../src/steps/network/existing.js';
import { cidrsOverlap } from '../../../src/config/cidr.js';
import {
  natCount,
  natIndexFor,
  natStep,
  networkStep,
  pickAvailabilityZones,
  subnetLayout,
  taskPlacement,
} from '../../../src/steps/network/index.js';
import type { NatState, NetworkState } from '../../../src/steps/network/index.js';
import { commandNames, strict } from '../../helpers/aws-mock.js';
import { OWNER_TAGS, config, stepContext } from '../../helpers/context.js';

const ec2 = mockClient(EC2Client);
beforeEach(() => {
  ec2.reset();
  strict(ec2);
});

const tags = (role: string) => [...OWNER_TAGS, { Key: 'ecs-kit:resource', Value: role }, { Key: 'Name', Value: `shop-default-${role}` }];
const prod = (extra = '') => config(`app: shop\nnetwork: { profile: production${extra} }\nservices: { web: { image: nginx, port: 80 } }`);
const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d'].map((ZoneName) => ({
  ZoneName,
  State: 'available' as const,
  ZoneType: 'availability-zone',
}));

describe('production subnet layout', () => {
  it('carves non-overlapping public and private subnets for 3 AZs from the VPC CIDR', () => {
    const layout = subnetLayout('10.0.0.0/16', ['a', 'b', 'c'], 'production', 3);
    expect(layout.public.map((s) => s.cidr)).toEqual(['10.0.0.0/20', '10.0.16.0/20', '10.0.32.0/20']);
    expect(layout.private.map((s) => s.cidr)).toEqual(['10.0.64.0/20', '10.0.80.0/20', '10.0.96.0/20']);
    expect(layout.private.map((s) => s.availabilityZone)).toEqual(['a', 'b', 'c']);
    const all = [...layout.public, ...layout.private].map((s) => s.cidr);
    for (const a of all) for (const b of all) if (a !== b) expect(cidrsOverlap(a, b), `${a} vs ${b}`).toBe(false);
    for (const c of all) expect(cidrsOverlap(c, '10.0.0.0/16')).toBe(true);
  });

  it('keeps every subnet where it was when going from 2 to 3 AZs', () => {
    const two = subnetLayout('10.0.0.0/16', ['a', 'b', 'c'], 'production', 2);
    const three = subnetLayout('10.0.0.0/16', ['a', 'b', 'c'], 'production', 3);
    expect(three.public.slice(0, 2)).toEqual(two.public);
    expect(three.private.slice(0, 2)).toEqual(two.private);
  });

  it('picks as many regular zones as asked, and explains when there are too few', () => {
    expect(pickAvailabilityZones(ZONES, { region: 'us-east-1', count: 3 })).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c']);
    expect(() => pickAvailabilityZones(ZONES.slice(0, 2), { region: 'x-1', count: 3 })).toThrow(/the config asks for 3/);
  });

  it('counts NAT gateways: none for learning, one for single, one per AZ for per-az', () => {
    expect(natCount('learning', 'per-az', 3)).toBe(0);
    expect(natCount('production', 'single', 3)).toBe(1);
    expect(natCount('production', 'per-az', 3)).toBe(3);
    expect([0, 1, 2].map((i) => natIndexFor(i, 1))).toEqual([0, 0, 0]);
    expect([0, 1, 2].map((i) => natIndexFor(i, 3))).toEqual([0, 1, 2]);
  });

  it('places tasks in private subnets without a public IP when there are private subnets', () => {
    const base: NetworkState = {
      vpcId: 'v',
      cidr: '',
      availabilityZones: [],
      publicSubnetIds: ['p1', 'p2'],
      internetGatewayId: '',
      publicRouteTableId: '',
    };
    expect(taskPlacement(base)).toEqual({ subnets: ['p1', 'p2'], assignPublicIp: 'ENABLED' });
    expect(taskPlacement({ ...base, privateSubnetIds: ['q1', 'q2'] })).toEqual({ subnets: ['q1', 'q2'], assignPublicIp: 'DISABLED' });
  });
});

function freshAccount() {
  ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [] });
  ec2.on(DescribeInternetGatewaysCommand).resolves({ InternetGateways: [] });
  ec2.on(DescribeAvailabilityZonesCommand).resolves({ AvailabilityZones: ZONES });
  ec2.on(CreateVpcCommand).resolves({ Vpc: { VpcId: 'vpc-1', State: 'available' } });
  ec2.on(ModifyVpcAttributeCommand).resolves({});
  let n = 0;
  ec2.on(CreateSubnetCommand).callsFake((input: { AvailabilityZone: string }) => ({
    Subnet: { SubnetId: `subnet-${++n}`, AvailabilityZone: input.AvailabilityZone },
  }));
  ec2.on(ModifySubnetAttributeCommand).resolves({});
  ec2.on(CreateInternetGatewayCommand).resolves({ InternetGateway: { InternetGatewayId: 'igw-1' } });
  ec2.on(AttachInternetGatewayCommand).resolves({});
  let rt = 0;
  ec2.on(CreateRouteTableCommand).callsFake(() => ({ RouteTable: { RouteTableId: `rtb-${++rt}` } }));
  ec2.on(CreateRouteCommand).resolves({ Return: true });
  ec2.on(AssociateRouteTableCommand).resolves({ AssociationId: 'rtbassoc-x' });
  let eip = 0;
  ec2.on(AllocateAddressCommand).callsFake(() => ({ AllocationId: `eipalloc-${++eip}` }));
  let nat = 0;
  ec2.on(CreateNatGatewayCommand).callsFake(() => ({ NatGateway: { NatGatewayId: `nat-${++nat}`, State: 'available' } }));
}

/** The network step, then the nat step on its state (as the runner would run them). */
async function deployBoth(cfg: ReturnType<typeof prod>) {
  const ctx = stepContext(networkStep, { config: cfg });
  const plan = await networkStep.plan(ctx);
  const network = await networkStep.apply(ctx, plan);
  ec2.on(DescribeRouteTablesCommand).resolves({ RouteTables: [] });
  ec2.on(DescribeNatGatewaysCommand).resolves({ NatGateways: [] });
  ec2.on(DescribeAddressesCommand).resolves({ Addresses: [] });
  const natCtx = stepContext(natStep, { config: cfg, deps: { network } });
  const natPlan = await natStep.plan(natCtx);
  const nat = await natStep.apply(natCtx, natPlan);
  return { ctx, plan, network, natPlan, nat };
}

describe('network and nat steps, production profile', () => {
  it('the network creates the private subnets; the nat step one NAT gateway with an Elastic IP and private routes through it (single)', async () => {
    freshAccount();
    const { ctx, plan, network, natPlan, nat } = await deployBoth(prod());
    expect(plan.action).toBe('create');
    expect(plan.changes.map((c) => c.field)).toEqual(['vpc', 'publicSubnets', 'internetGateway', 'publicRouteTable', 'privateSubnets']);
    expect(natPlan.action).toBe('create');
    expect(natPlan.changes.map((c) => c.field)).toEqual(['nat-gateway-1', 'private-route-table-1', 'private-route-table-2']);

    expect(network).toMatchObject({
      profile: 'production',
      publicSubnetIds: ['subnet-1', 'subnet-2'],
      privateSubnetIds: ['subnet-3', 'subnet-4'],
    });
    expect(network).not.toHaveProperty('natGatewayIds');
    expect(nat).toEqual({
      vpcId: 'vpc-1',
      natGatewayIds: ['nat-1'],
      elasticIpAllocationIds: ['eipalloc-1'],
      privateRouteTableIds: ['rtb-2', 'rtb-3'],
    });
    // Private subnets never map public IPs; public ones do.
    expect(ec2.commandCalls(ModifySubnetAttributeCommand).map((c) => c.args[0].input.SubnetId)).toEqual(['subnet-1', 'subnet-2']);
    expect(ec2.commandCalls(CreateSubnetCommand).map((c) => c.args[0].input.CidrBlock)).toEqual([
      '10.0.0.0/20',
      '10.0.16.0/20',
      '10.0.64.0/20',
      '10.0.80.0/20',
    ]);
    const natInput = ec2.commandCalls(CreateNatGatewayCommand)[0]!.args[0].input;
    expect(natInput).toMatchObject({
      SubnetId: 'subnet-1',
      AllocationId: 'eipalloc-1',
      TagSpecifications: [{ ResourceType: 'natgateway', Tags: tags('nat-gateway-1') }],
    });
    expect(natInput.ClientToken).toMatch(/^[0-9a-f]{64}$/);
    expect(ec2.commandCalls(AllocateAddressCommand)[0]!.args[0].input).toMatchObject({
      Domain: 'vpc',
      TagSpecifications: [{ ResourceType: 'elastic-ip', Tags: tags('nat-eip-1') }],
    });
    const routes = ec2.commandCalls(CreateRouteCommand).map((c) => c.args[0].input);
    expect(routes).toEqual([
      { RouteTableId: 'rtb-1', DestinationCidrBlock: '0.0.0.0/0', GatewayId: 'igw-1' },
      { RouteTableId: 'rtb-2', DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-1' },
      { RouteTableId: 'rtb-3', DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-1' },
    ]);
    expect(ec2.commandCalls(AssociateRouteTableCommand).map((c) => [c.args[0].input.RouteTableId, c.args[0].input.SubnetId])).toEqual([
      ['rtb-1', 'subnet-1'],
      ['rtb-1', 'subnet-2'],
      ['rtb-2', 'subnet-3'],
      ['rtb-3', 'subnet-4'],
    ]);
    // The profile reaches the manifest as soon as the VPC exists.
    expect(ctx.recorded[0]).toMatchObject({ vpcId: 'vpc-1', profile: 'production' });
  });

  it('per-az: one NAT gateway in each public subnet, each private subnet routed to its own', async () => {
    freshAccount();
    const { nat } = await deployBoth(prod(', nat: per-az, azs: 3'));
    expect(nat.natGatewayIds).toEqual(['nat-1', 'nat-2', 'nat-3']);
    expect(ec2.commandCalls(CreateNatGatewayCommand).map((c) => c.args[0].input.SubnetId)).toEqual(['subnet-1', 'subnet-2', 'subnet-3']);
    const privateRoutes = ec2
      .commandCalls(CreateRouteCommand)
      .map((c) => c.args[0].input.NatGatewayId)
      .filter(Boolean);
    expect(privateRoutes).toEqual(['nat-1', 'nat-2', 'nat-3']);
    // Three distinct tokens: a retry is idempotent, two NATs never collapse into one.
    expect(new Set(ec2.commandCalls(CreateNatGatewayCommand).map((c) => c.args[0].input.ClientToken)).size).toBe(3);
  });

  it("the nat step exists only for ecs-kit's own VPC in the production profile, after the network", () => {
    expect(natStep.instances(prod())).toEqual([{ dependsOn: ['network'] }]);
    expect(natStep.instances(config('app: shop\nservices: { web: { image: nginx, port: 80 } }'))).toEqual([]);
    const own =
      'app: shop\nnetwork: { profile: production, vpcId: vpc-0abc1234, publicSubnetIds: [subnet-0a1, subnet-0a2], privateSubnetIds: [subnet-0a3, subnet-0a4] }';
    expect(natStep.instances(config(`${own}\nservices: { web: { image: nginx, port: 80 } }`))).toEqual([]);
  });

  it('a no-op re-plan of both reads each piece once and changes nothing', async () => {
    freshAccount();
    const { network, nat } = await deployBoth(prod());
    const natGateway: NatGateway = {
      NatGatewayId: 'nat-1',
      State: 'available',
      SubnetId: 'subnet-1',
      Tags: tags('nat-gateway-1'),
      NatGatewayAddresses: [{ AllocationId: 'eipalloc-1' }],
    };
    ec2.on(DescribeNatGatewaysCommand).resolves({ NatGateways: [natGateway] });
    ec2.on(DescribeAddressesCommand).resolves({ Addresses: [{ AllocationId: 'eipalloc-1', AssociationId: 'a', Tags: tags('nat-eip-1') }] });
    const privateTable = (i: number): RouteTable => ({
      RouteTableId: `rtb-${i + 2}`,
      Tags: tags(`private-route-table-${i + 1}`),
      Routes: [{ DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-1', State: 'active' }],
      Associations: [{ SubnetId: `subnet-${i + 3}`, RouteTableAssociationId: `a-${i}`, AssociationState: { State: 'associated' } }],
    });
    ec2.on(DescribeRouteTablesCommand).resolves({ RouteTables: [privateTable(0), privateTable(1)] });
    ec2.resetHistory();
    const natCtx = stepContext(natStep, { config: prod(), deps: { network }, previous: nat });
    const plan = await natStep.plan(natCtx);
    expect(plan).toMatchObject({ action: 'noop', changes: [], current: nat });
    expect(commandNames(ec2).sort()).toEqual(['DescribeAddresses', 'DescribeNatGateways', 'DescribeRouteTables']);
  });
});

describe('network step, production profile', () => {
  it('refuses to switch a deployed learning network to production, explaining the teardown', async () => {
    const previous: NetworkState = {
      vpcId: 'vpc-1',
      cidr: '10.0.0.0/16',
      availabilityZones: [],
      publicSubnetIds: ['s1', 's2'],
      internetGatewayId: 'igw-1',
      publicRouteTableId: 'rtb-1',
    };
    const ctx = stepContext(networkStep, { config: prod(), previous });
    const plan = await networkStep.plan(ctx);
    expect(plan).toMatchObject({ action: 'replace', changes: [{ field: 'profile', before: 'learning', after: 'production' }] });
    await expect(networkStep.apply(ctx, plan)).rejects.toMatchObject({
      code: 'network.profile-change',
      fix: expect.stringMatching(/ecs-kit teardown/),
    });
    expect(ec2.calls()).toHaveLength(0);
  });
});

describe('teardown, production profile', () => {
  const STATE: NetworkState = {
    vpcId: 'vpc-1',
    cidr: '10.0.0.0/16',
    availabilityZones: ['a', 'b'],
    publicSubnetIds: ['subnet-1', 'subnet-2'],
    internetGatewayId: 'igw-1',
    publicRouteTableId: 'rtb-1',
    profile: 'production',
    privateSubnetIds: ['subnet-3', 'subnet-4'],
  };
  const NAT: NatState = {
    vpcId: 'vpc-1',
    natGatewayIds: ['nat-1'],
    elasticIpAllocationIds: ['eipalloc-1'],
    privateRouteTableIds: ['rtb-2', 'rtb-3'],
  };
  const table = (id: string, role: string, subnet: string): RouteTable => ({
    RouteTableId: id,
    Tags: tags(role),
    Associations: [{ RouteTableAssociationId: `assoc-${id}`, SubnetId: subnet, Main: false }],
  });
  const subnet = (id: string, role: string): Subnet => ({ SubnetId: id, VpcId: 'vpc-1', Tags: tags(role) });

  function world() {
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-1', Tags: tags('vpc') }] });
    let natState = 'available';
    ec2.on(DescribeNatGatewaysCommand).callsFake(async () => ({
      NatGateways: [
        { NatGatewayId: 'nat-1', State: natState, Tags: tags('nat-gateway-1'), NatGatewayAddresses: [{ AllocationId: 'eipalloc-1' }] },
      ],
    }));
    ec2.on(DeleteNatGatewayCommand).callsFake(async () => {
      natState = 'deleted';
      return {};
    });
    let released = false;
    ec2.on(DescribeAddressesCommand).callsFake(async () => ({
      Addresses: released ? [] : [{ AllocationId: 'eipalloc-1', AssociationId: 'x', Tags: tags('nat-eip-1') }],
    }));
    ec2.on(ReleaseAddressCommand).callsFake(async () => {
      released = true;
      return {};
    });
    const tables = [
      table('rtb-1', 'public-route-table', 'subnet-1'),
      table('rtb-2', 'private-route-table-1', 'subnet-3'),
      table('rtb-3', 'private-route-table-2', 'subnet-4'),
    ];
    const deleted = new Set<string>();
    ec2.on(DescribeRouteTablesCommand).callsFake(async (input: { RouteTableIds?: string[] }) => ({
      RouteTables: tables.filter(
        (t) => !deleted.has(t.RouteTableId!) && (!input.RouteTableIds || input.RouteTableIds.includes(t.RouteTableId!)),
      ),
    }));
    ec2.on(DeleteRouteTableCommand).callsFake(async (input: { RouteTableId: string }) => {
      deleted.add(input.RouteTableId);
      return {};
    });
    const subnets = [
      subnet('subnet-1', 'public-subnet-1'),
      subnet('subnet-2', 'public-subnet-2'),
      subnet('subnet-3', 'private-subnet-1'),
      subnet('subnet-4', 'private-subnet-2'),
    ];
    ec2.on(DescribeSubnetsCommand).callsFake(async (input: { SubnetIds?: string[] }) => ({
      Subnets: input.SubnetIds ? subnets.filter((s) => input.SubnetIds!.includes(s.SubnetId!)) : subnets,
    }));
    ec2.on(DescribeInternetGatewaysCommand).resolves({
      InternetGateways: [
        { InternetGatewayId: 'igw-1', Tags: tags('internet-gateway'), Attachments: [{ VpcId: 'vpc-1', State: 'attached' }] },
      ],
    });
    for (const C of [
      DisassociateRouteTableCommand,
      DetachInternetGatewayCommand,
      DeleteInternetGatewayCommand,
      DeleteSubnetCommand,
      DeleteVpcCommand,
    ]) {
      ec2.on(C as typeof DeleteVpcCommand).resolves({});
    }
  }

  it('the nat step deletes its NAT gateway (waiting until gone, then releasing the address) and its private route tables', async () => {
    world();
    await natStep.destroy(stepContext(natStep, { config: prod() }), NAT);
    const mutations = commandNames(ec2).filter((n) => !n.startsWith('Describe'));
    expect([...mutations].sort()).toEqual([
      'DeleteNatGateway',
      'DeleteRouteTable',
      'DeleteRouteTable',
      'DisassociateRouteTable',
      'DisassociateRouteTable',
      'ReleaseAddress',
    ]);
    // The wait for deletion happened between DeleteNatGateway and ReleaseAddress.
    const names = commandNames(ec2);
    expect(names.slice(names.indexOf('DeleteNatGateway'), names.indexOf('ReleaseAddress'))).toContain('DescribeNatGateways');
    // The public route table is the network's.
    expect(ec2.commandCalls(DeleteRouteTableCommand).map((c) => c.args[0].input.RouteTableId)).toEqual(['rtb-2', 'rtb-3']);
  });

  it('then the network step deletes the rest, finding no NAT gateway left to delete', async () => {
    world();
    await natStep.destroy(stepContext(natStep, { config: prod() }), NAT);
    ec2.resetHistory();
    await networkStep.destroy(stepContext(networkStep, { config: prod() }), STATE);
    const mutations = commandNames(ec2).filter((n) => !n.startsWith('Describe'));
    expect([...mutations].sort()).toEqual([
      'DeleteInternetGateway',
      'DeleteRouteTable',
      'DeleteSubnet',
      'DeleteSubnet',
      'DeleteSubnet',
      'DeleteSubnet',
      'DeleteVpc',
      'DetachInternetGateway',
      'DisassociateRouteTable',
    ]);
    expect(mutations.at(-1)).toBe('DeleteVpc');
  });

  it('the network step still deletes a NAT gateway a killed run left unrecorded, before the subnets', async () => {
    world();
    await networkStep.destroy(stepContext(networkStep, { config: prod() }), STATE);
    const mutations = commandNames(ec2).filter((n) => !n.startsWith('Describe'));
    expect(mutations.slice(0, 2)).toEqual(['DeleteNatGateway', 'ReleaseAddress']);
    expect(mutations.at(-1)).toBe('DeleteVpc');
  });

  it('never releases an address or deletes a NAT gateway it does not own', async () => {
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [] });
    ec2
      .on(DescribeNatGatewaysCommand)
      .resolves({ NatGateways: [{ NatGatewayId: 'nat-1', State: 'available', Tags: [{ Key: 'Name', Value: 'theirs' }] }] });
    ec2.on(DescribeAddressesCommand).resolves({ Addresses: [{ AllocationId: 'eipalloc-1', Tags: [] }] });
    ec2.on(DescribeRouteTablesCommand).resolves({ RouteTables: [] });
    const ctx = stepContext(natStep);
    await natStep.destroy(ctx, NAT);
    expect(commandNames(ec2).every((n) => n.startsWith('Describe'))).toBe(true);
    expect(ctx.warningCodes).toEqual(['teardown.not-owned', 'teardown.not-owned']);
    expect(ctx.warnings).toEqual([expect.stringMatching(/NAT gateway nat-1/), expect.stringMatching(/Elastic IP eipalloc-1/)]);
  });
});

describe('bring-your-own VPC validation', () => {
  const sn = (id: string, vpc: string, az: string): Subnet => ({ SubnetId: id, VpcId: vpc, AvailabilityZone: az });
  const main: RouteTable = {
    RouteTableId: 'rtb-main',
    Associations: [{ Main: true }],
    Routes: [{ DestinationCidrBlock: '0.0.0.0/0', GatewayId: 'igw-9' }],
  };
  const natTable: RouteTable = {
    RouteTableId: 'rtb-nat',
    Associations: [{ SubnetId: 'q1' }, { SubnetId: 'q2' }],
    Routes: [{ DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-9' }],
  };
  const base = {
    vpcId: 'vpc-u',
    publicSubnetIds: ['p1', 'p2'],
    privateSubnetIds: ['q1', 'q2'],
    needsLoadBalancer: true,
    subnets: [sn('p1', 'vpc-u', 'a'), sn('p2', 'vpc-u', 'b'), sn('q1', 'vpc-u', 'a'), sn('q2', 'vpc-u', 'b')],
    routeTables: [main, natTable],
  };

  it('accepts subnets of the VPC over two AZs with private subnets routed through a NAT', () => {
    expect(checkSubnets(base)).toEqual({ errors: [], warnings: [], publicAzs: ['a', 'b'] });
    expect(routeTableFor('p1', base.routeTables)?.RouteTableId).toBe('rtb-main');
    expect(routeTableFor('q2', base.routeTables)?.RouteTableId).toBe('rtb-nat');
  });

  it('rejects a subnet of another VPC, an unknown subnet, and public subnets in one AZ', () => {
    const r = checkSubnets({
      ...base,
      publicSubnetIds: ['p1', 'x9'],
      subnets: [...base.subnets, sn('x9', 'vpc-other', 'a')],
      privateSubnetIds: ['q1', 'nope'],
    });
    expect(r.errors).toEqual([
      'network.publicSubnetIds: x9 belongs to vpc-other, not vpc-u',
      'network.privateSubnetIds: nope does not exist in this account and region',
      'network.publicSubnetIds: the load balancer needs public subnets in at least 2 different availability zones',
    ]);
  });

  it('warns (does not fail) when private subnets have no NAT route: VPC endpoints are needed', () => {
    const r = checkSubnets({ ...base, routeTables: [main, { RouteTableId: 'rtb-iso', Associations: [{ SubnetId: 'q1' }], Routes: [] }] });
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => w.code)).toEqual(['network.private-subnet-no-egress', 'network.private-subnet-no-egress']);
    expect(r.warnings[0]!.message).toMatch(/private subnet q1 has no route to the internet.*VPC endpoints for ECR/);
    // q2 falls back to the main table, whose default route is an internet gateway: no public IP there.
    expect(r.warnings[1]!.message).toMatch(/private subnet q2 routes to an internet gateway/);
  });
});
