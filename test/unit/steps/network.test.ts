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
  EC2Client,
  ModifySubnetAttributeCommand,
  ModifyVpcAttributeCommand,
  type AttachmentStatus,
  type RouteTable,
  type Subnet,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { normalizeCidr } from '../../../src/config/cidr.js';
import { networkStep, pickAvailabilityZones, subnetLayout } from '../../../src/steps/network/index.js';
import type { NetworkState } from '../../../src/steps/network/index.js';
import { commandNames, strict } from '../../helpers/aws-mock.js';
import { OWNER_TAGS, config, stepContext } from '../../helpers/context.js';

const ec2 = mockClient(EC2Client);
beforeEach(() => {
  ec2.reset();
  strict(ec2);
});
afterEach(() => {
  vi.useRealTimers();
});

// AWS reports an attached internet gateway as "available", which the SDK's enum does not list.
const ATTACHED = 'available' as unknown as AttachmentStatus;
const awsError = (name: string) => Object.assign(new Error(name), { name });
const tags = (role: string) => [...OWNER_TAGS, { Key: 'ecs-kit:resource', Value: role }, { Key: 'Name', Value: `shop-default-${role}` }];

const ZONES = {
  AvailabilityZones: [
    { ZoneName: 'us-east-1c', State: 'available' as const, ZoneType: 'availability-zone' },
    { ZoneName: 'us-east-1-bos-1a', State: 'available' as const, ZoneType: 'local-zone' },
    { ZoneName: 'us-east-1b', State: 'available' as const, ZoneType: 'availability-zone' },
    { ZoneName: 'us-east-1a', State: 'impaired' as const, ZoneType: 'availability-zone' },
  ],
};

const STATE: NetworkState = {
  vpcId: 'vpc-1',
  cidr: '10.0.0.0/16',
  availabilityZones: ['us-east-1b', 'us-east-1c'],
  publicSubnetIds: ['subnet-1', 'subnet-2'],
  internetGatewayId: 'igw-1',
  publicRouteTableId: 'rtb-1',
  profile: 'learning',
};

interface World {
  cidr?: string;
  dnsSupport?: boolean;
  dnsHostnames?: boolean;
  subnets?: Subnet[];
  igwAttached?: boolean;
  routeTable?: RouteTable | null;
}

const subnet = (i: number, extra: Partial<Subnet> = {}): Subnet => ({
  SubnetId: `subnet-${i}`,
  VpcId: 'vpc-1',
  CidrBlock: i === 1 ? '10.0.0.0/20' : '10.0.16.0/20',
  AvailabilityZone: i === 1 ? 'us-east-1b' : 'us-east-1c',
  MapPublicIpOnLaunch: true,
  Tags: tags(`public-subnet-${i}`),
  ...extra,
});

const routeTable = (extra: Partial<RouteTable> = {}): RouteTable => ({
  RouteTableId: 'rtb-1',
  VpcId: 'vpc-1',
  Tags: tags('public-route-table'),
  Routes: [
    { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' },
    { DestinationCidrBlock: '0.0.0.0/0', GatewayId: 'igw-1', State: 'active' },
  ],
  Associations: [
    {
      RouteTableAssociationId: 'rtbassoc-1',
      RouteTableId: 'rtb-1',
      SubnetId: 'subnet-1',
      Main: false,
      AssociationState: { State: 'associated' },
    },
    {
      RouteTableAssociationId: 'rtbassoc-2',
      RouteTableId: 'rtb-1',
      SubnetId: 'subnet-2',
      Main: false,
      AssociationState: { State: 'associated' },
    },
  ],
  ...extra,
});

/** An existing network found by tags; every piece can be tweaked. */
function existing(w: World = {}) {
  ec2
    .on(DescribeVpcsCommand)
    .resolves({ Vpcs: [{ VpcId: 'vpc-1', CidrBlock: w.cidr ?? '10.0.0.0/16', State: 'available', Tags: tags('vpc') }] });
  ec2
    .on(DescribeVpcAttributeCommand, { Attribute: 'enableDnsSupport' })
    .resolves({ VpcId: 'vpc-1', EnableDnsSupport: { Value: w.dnsSupport ?? true } });
  ec2
    .on(DescribeVpcAttributeCommand, { Attribute: 'enableDnsHostnames' })
    .resolves({ VpcId: 'vpc-1', EnableDnsHostnames: { Value: w.dnsHostnames ?? true } });
  ec2.on(DescribeSubnetsCommand).resolves({ Subnets: w.subnets ?? [subnet(1), subnet(2)] });
  ec2.on(DescribeInternetGatewaysCommand).resolves({
    InternetGateways: [
      {
        InternetGatewayId: 'igw-1',
        Tags: tags('internet-gateway'),
        Attachments: w.igwAttached === false ? [] : [{ VpcId: 'vpc-1', State: ATTACHED }],
      },
    ],
  });
  const main: RouteTable = {
    RouteTableId: 'rtb-main',
    VpcId: 'vpc-1',
    Associations: [{ Main: true, RouteTableAssociationId: 'rtbassoc-main' }],
  };
  ec2.on(DescribeRouteTablesCommand).resolves({ RouteTables: w.routeTable === null ? [main] : [main, w.routeTable ?? routeTable()] });
}

describe('subnetLayout', () => {
  it('carves the first two /prefix+4 blocks for public subnets, one per AZ', () => {
    expect(subnetLayout('10.0.0.0/16', ['us-east-1a', 'us-east-1b'])).toEqual({
      public: [
        { role: 'public-subnet-1', tier: 'public', block: 0, cidr: '10.0.0.0/20', availabilityZone: 'us-east-1a' },
        { role: 'public-subnet-2', tier: 'public', block: 1, cidr: '10.0.16.0/20', availabilityZone: 'us-east-1b' },
      ],
      private: [],
    });
  });

  it('reserves the next blocks for private subnets in the production profile, without moving public ones', () => {
    const learning = subnetLayout('10.0.0.0/16', ['a', 'b'], 'learning');
    const production = subnetLayout('10.0.0.0/16', ['a', 'b'], 'production');
    expect(production.public).toEqual(learning.public);
    expect(production.private.map((s) => [s.role, s.cidr, s.availabilityZone])).toEqual([
      ['private-subnet-1', '10.0.64.0/20', 'a'],
      ['private-subnet-2', '10.0.80.0/20', 'b'],
    ]);
  });

  it('gives the smallest VPC (/24) /27 subnets, big enough for a load balancer, and ignores host bits', () => {
    // An ALB needs /27 subnets with 8 free addresses; 16 blocks of a /24 would be /28s.
    const small = subnetLayout('192.168.7.0/24', ['a', 'b', 'c', 'd'], 'production', 4);
    expect(small.public.map((s) => s.cidr)).toEqual(['192.168.7.0/27', '192.168.7.32/27', '192.168.7.64/27', '192.168.7.96/27']);
    expect(small.private.map((s) => s.cidr)).toEqual(['192.168.7.128/27', '192.168.7.160/27', '192.168.7.192/27', '192.168.7.224/27']);
    expect(subnetLayout('192.168.6.0/23', ['a', 'b']).public.map((s) => s.cidr)).toEqual(['192.168.6.0/27', '192.168.6.32/27']);
    expect(subnetLayout('10.1.2.3/16', ['a', 'b']).public.map((s) => s.cidr)).toEqual(['10.1.0.0/20', '10.1.16.0/20']);
    expect(normalizeCidr('10.1.2.3/16')).toBe('10.1.0.0/16');
    expect(subnetLayout('172.31.0.0/20', ['a', 'b', 'c']).public.map((s) => s.cidr)).toEqual(['172.31.0.0/24', '172.31.1.0/24']);
  });

  it('rejects too few zones and prefixes outside /16–/24', () => {
    expect(() => subnetLayout('10.0.0.0/16', ['a'])).toThrow(/2 availability zones/);
    expect(() => subnetLayout('10.0.0.0/25', ['a', 'b'])).toThrow(/between \/16 and \/24/);
    expect(() => subnetLayout('10.0.0.0/8', ['a', 'b'])).toThrow(/between \/16 and \/24/);
    expect(() => subnetLayout('10.0.300.0/16', ['a', 'b'])).toThrow(/not an IPv4 CIDR/);
  });
});

describe('pickAvailabilityZones', () => {
  it('takes the first two available regular zones by name', () => {
    expect(pickAvailabilityZones(ZONES.AvailabilityZones)).toEqual(['us-east-1b', 'us-east-1c']);
  });

  it('explains when the region has fewer than two', () => {
    expect(() =>
      pickAvailabilityZones([{ ZoneName: 'x-1a', State: 'available', ZoneType: 'availability-zone' }], { region: 'x-1' }),
    ).toThrow(/Only 1 availability zone\(s\) are available in x-1; the config asks for 2/);
  });
});

describe('network step', () => {
  it('creates a tagged VPC with DNS, two public subnets, an internet gateway and a public route table', async () => {
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [] });
    ec2.on(DescribeInternetGatewaysCommand).resolves({ InternetGateways: [] });
    ec2.on(DescribeAvailabilityZonesCommand).resolves(ZONES);
    ec2.on(CreateVpcCommand).resolves({ Vpc: { VpcId: 'vpc-1', State: 'available' } });
    ec2.on(ModifyVpcAttributeCommand).resolves({});
    ec2
      .on(CreateSubnetCommand, { CidrBlock: '10.0.0.0/20' })
      .resolves({ Subnet: { SubnetId: 'subnet-1', AvailabilityZone: 'us-east-1b' } });
    ec2
      .on(CreateSubnetCommand, { CidrBlock: '10.0.16.0/20' })
      .resolves({ Subnet: { SubnetId: 'subnet-2', AvailabilityZone: 'us-east-1c' } });
    ec2.on(ModifySubnetAttributeCommand).resolves({});
    ec2.on(CreateInternetGatewayCommand).resolves({ InternetGateway: { InternetGatewayId: 'igw-1' } });
    ec2.on(AttachInternetGatewayCommand).resolves({});
    ec2.on(CreateRouteTableCommand).resolves({ RouteTable: { RouteTableId: 'rtb-1' } });
    ec2.on(CreateRouteCommand).resolves({ Return: true });
    ec2.on(AssociateRouteTableCommand).resolves({ AssociationId: 'rtbassoc-x' });

    const ctx = stepContext(networkStep);
    const plan = await networkStep.plan(ctx);
    expect(plan.action).toBe('create');
    expect(plan.changes[0]).toEqual({ field: 'vpc', after: '10.0.0.0/16' });
    const state = await networkStep.apply(ctx, plan);
    expect(state).toEqual(STATE);

    const vpcInput = ec2.commandCalls(CreateVpcCommand)[0]!.args[0].input;
    expect(vpcInput).toEqual({ CidrBlock: '10.0.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: tags('vpc') }] });
    expect(ec2.commandCalls(ModifyVpcAttributeCommand).map((c) => c.args[0].input)).toEqual([
      { VpcId: 'vpc-1', EnableDnsSupport: { Value: true } },
      { VpcId: 'vpc-1', EnableDnsHostnames: { Value: true } },
    ]);
    expect(ec2.commandCalls(CreateSubnetCommand).map((c) => c.args[0].input)).toEqual([
      {
        VpcId: 'vpc-1',
        CidrBlock: '10.0.0.0/20',
        AvailabilityZone: 'us-east-1b',
        TagSpecifications: [{ ResourceType: 'subnet', Tags: tags('public-subnet-1') }],
      },
      {
        VpcId: 'vpc-1',
        CidrBlock: '10.0.16.0/20',
        AvailabilityZone: 'us-east-1c',
        TagSpecifications: [{ ResourceType: 'subnet', Tags: tags('public-subnet-2') }],
      },
    ]);
    expect(ec2.commandCalls(ModifySubnetAttributeCommand).map((c) => c.args[0].input)).toEqual([
      { SubnetId: 'subnet-1', MapPublicIpOnLaunch: { Value: true } },
      { SubnetId: 'subnet-2', MapPublicIpOnLaunch: { Value: true } },
    ]);
    expect(ec2.commandCalls(CreateInternetGatewayCommand)[0]!.args[0].input.TagSpecifications).toEqual([
      { ResourceType: 'internet-gateway', Tags: tags('internet-gateway') },
    ]);
    expect(ec2.commandCalls(AttachInternetGatewayCommand)[0]!.args[0].input).toEqual({ InternetGatewayId: 'igw-1', VpcId: 'vpc-1' });
    expect(ec2.commandCalls(CreateRouteTableCommand)[0]!.args[0].input).toMatchObject({
      VpcId: 'vpc-1',
      TagSpecifications: [{ ResourceType: 'route-table', Tags: tags('public-route-table') }],
    });
    expect(ec2.commandCalls(CreateRouteCommand)[0]!.args[0].input).toEqual({
      RouteTableId: 'rtb-1',
      DestinationCidrBlock: '0.0.0.0/0',
      GatewayId: 'igw-1',
    });
    expect(ec2.commandCalls(AssociateRouteTableCommand).map((c) => c.args[0].input.SubnetId)).toEqual(['subnet-1', 'subnet-2']);
  });

  it('plans no change and makes only read calls when everything matches', async () => {
    existing();
    const plan = await networkStep.plan(stepContext(networkStep));
    expect(plan.action).toBe('noop');
    expect(plan.changes).toEqual([]);
    expect(plan.current).toEqual(STATE);
    expect(commandNames(ec2).every((n) => n.startsWith('Describe'))).toBe(true);
    expect(commandNames(ec2)).not.toContain('DescribeAvailabilityZones');
  });

  it('looks up the VPC the manifest recorded before searching by tags', async () => {
    existing();
    ec2
      .on(DescribeVpcsCommand, { VpcIds: ['vpc-1'] })
      .resolves({ Vpcs: [{ VpcId: 'vpc-1', CidrBlock: '10.0.0.0/16', Tags: tags('vpc') }] });
    ec2.on(DescribeInternetGatewaysCommand, { InternetGatewayIds: ['igw-1'] }).resolves({
      InternetGateways: [
        { InternetGatewayId: 'igw-1', Tags: tags('internet-gateway'), Attachments: [{ VpcId: 'vpc-1', State: ATTACHED }] },
      ],
    });
    const plan = await networkStep.plan(stepContext(networkStep, { previous: STATE }));
    expect(plan.action).toBe('noop');
    const vpcCalls = ec2.commandCalls(DescribeVpcsCommand);
    expect(vpcCalls).toHaveLength(1);
    expect(vpcCalls[0]!.args[0].input).toEqual({ VpcIds: ['vpc-1'] });
  });

  it('reports drift as an update and fixes only what is off', async () => {
    existing({
      dnsHostnames: false,
      subnets: [subnet(1, { MapPublicIpOnLaunch: false }), subnet(2)],
      routeTable: routeTable({
        Routes: [{ DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local' }],
        Associations: [
          { RouteTableAssociationId: 'rtbassoc-1', SubnetId: 'subnet-1', Main: false, AssociationState: { State: 'associated' } },
        ],
      }),
    });
    ec2.on(ModifyVpcAttributeCommand).resolves({});
    ec2.on(ModifySubnetAttributeCommand).resolves({});
    ec2.on(CreateRouteCommand).resolves({ Return: true });
    ec2.on(AssociateRouteTableCommand).resolves({ AssociationId: 'rtbassoc-2' });

    const ctx = stepContext(networkStep);
    const plan = await networkStep.plan(ctx);
    expect(plan.action).toBe('update');
    expect(plan.changes.map((c) => c.field)).toEqual([
      'enableDnsHostnames',
      'public-subnet-1.mapPublicIpOnLaunch',
      'publicRouteTable.defaultRoute',
      'publicRouteTable.association.public-subnet-2',
    ]);
    expect(plan.current).toEqual(STATE);
    ec2.resetHistory();
    const state = await networkStep.apply(ctx, plan);
    expect(state).toEqual(STATE);
    expect(commandNames(ec2)).toEqual(['ModifyVpcAttribute', 'ModifySubnetAttribute', 'CreateRoute', 'AssociateRouteTable']);
    expect(ec2.commandCalls(ModifyVpcAttributeCommand)[0]!.args[0].input).toEqual({ VpcId: 'vpc-1', EnableDnsHostnames: { Value: true } });
    expect(ec2.commandCalls(ModifySubnetAttributeCommand)[0]!.args[0].input.SubnetId).toBe('subnet-1');
    expect(ec2.commandCalls(AssociateRouteTableCommand)[0]!.args[0].input).toEqual({ RouteTableId: 'rtb-1', SubnetId: 'subnet-2' });
  });

  it('adopts a VPC left by a run killed right after CreateVpc instead of creating a second', async () => {
    existing({ subnets: [], routeTable: null });
    ec2.on(DescribeInternetGatewaysCommand).resolves({ InternetGateways: [] });
    ec2.on(DescribeAvailabilityZonesCommand).resolves(ZONES);
    ec2.on(ModifyVpcAttributeCommand).resolves({});
    ec2
      .on(CreateSubnetCommand, { CidrBlock: '10.0.0.0/20' })
      .resolves({ Subnet: { SubnetId: 'subnet-1', AvailabilityZone: 'us-east-1b' } });
    ec2
      .on(CreateSubnetCommand, { CidrBlock: '10.0.16.0/20' })
      .resolves({ Subnet: { SubnetId: 'subnet-2', AvailabilityZone: 'us-east-1c' } });
    ec2.on(ModifySubnetAttributeCommand).resolves({});
    ec2.on(CreateInternetGatewayCommand).resolves({ InternetGateway: { InternetGatewayId: 'igw-1' } });
    ec2.on(AttachInternetGatewayCommand).resolves({});
    ec2.on(CreateRouteTableCommand).resolves({ RouteTable: { RouteTableId: 'rtb-1' } });
    ec2.on(CreateRouteCommand).resolves({ Return: true });
    ec2.on(AssociateRouteTableCommand).resolves({});

    const ctx = stepContext(networkStep);
    const plan = await networkStep.plan(ctx);
    expect(plan.action).toBe('update');
    expect(plan.current).toMatchObject({ vpcId: 'vpc-1', publicSubnetIds: ['', ''], internetGatewayId: '' });
    const state = await networkStep.apply(ctx, plan);
    expect(state).toEqual(STATE);
    expect(ec2.commandCalls(CreateVpcCommand)).toHaveLength(0);
    // DNS attributes were already on: no call for them.
    expect(ec2.commandCalls(ModifyVpcAttributeCommand)).toHaveLength(0);
  });

  it('attaches an internet gateway that exists but is detached', async () => {
    existing({ igwAttached: false });
    ec2.on(AttachInternetGatewayCommand).resolves({});
    const ctx = stepContext(networkStep);
    const plan = await networkStep.plan(ctx);
    expect(plan.changes).toEqual([{ field: 'internetGateway.attachment', before: 'detached', after: 'vpc-1' }]);
    ec2.resetHistory();
    await networkStep.apply(ctx, plan);
    expect(commandNames(ec2)).toEqual(['AttachInternetGateway']);
  });

  it('plans a replace when the CIDR changes, and apply explains that teardown is needed', async () => {
    existing({ cidr: '10.1.0.0/16' });
    const ctx = stepContext(networkStep);
    const plan = await networkStep.plan(ctx);
    expect(plan).toMatchObject({ action: 'replace', changes: [{ field: 'cidr', before: '10.1.0.0/16', after: '10.0.0.0/16' }] });
    await expect(networkStep.apply(ctx, plan)).rejects.toMatchObject({
      code: 'network.cidr-change',
      fix: expect.stringMatching(/ecs-kit teardown/),
    });
    expect(commandNames(ec2).every((n) => n.startsWith('Describe'))).toBe(true);
  });

  it('fails clearly when the region has fewer than two availability zones', async () => {
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [] });
    ec2.on(DescribeInternetGatewaysCommand).resolves({ InternetGateways: [] });
    ec2
      .on(DescribeAvailabilityZonesCommand)
      .resolves({ AvailabilityZones: [{ ZoneName: 'us-east-1a', State: 'available', ZoneType: 'availability-zone' }] });
    await expect(networkStep.plan(stepContext(networkStep))).rejects.toThrow(/the config asks for 2/);
  });

  it('uses network.cidr from the config', async () => {
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [] });
    ec2.on(DescribeInternetGatewaysCommand).resolves({ InternetGateways: [] });
    ec2.on(DescribeAvailabilityZonesCommand).resolves(ZONES);
    const ctx = stepContext(networkStep, {
      config: config('app: shop\nnetwork: { cidr: 10.20.0.0/20 }\nservices: { web: { image: nginx, port: 80 } }'),
    });
    const plan = await networkStep.plan(ctx);
    expect(plan.changes[0]).toEqual({ field: 'vpc', after: '10.20.0.0/20' });
    expect(plan.changes[1]).toEqual({ field: 'publicSubnets', after: ['10.20.0.0/24 in us-east-1b', '10.20.1.0/24 in us-east-1c'] });
  });
});

describe('network destroy', () => {
  function owned() {
    ec2.on(DescribeRouteTablesCommand).resolves({ RouteTables: [routeTable()] });
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [subnet(1), subnet(2)] });
    ec2.on(DescribeInternetGatewaysCommand).resolves({
      InternetGateways: [
        { InternetGatewayId: 'igw-1', Tags: tags('internet-gateway'), Attachments: [{ VpcId: 'vpc-1', State: ATTACHED }] },
      ],
    });
    ec2.on(DescribeSubnetsCommand, { SubnetIds: ['subnet-1'] }).resolves({ Subnets: [subnet(1)] });
    ec2.on(DescribeSubnetsCommand, { SubnetIds: ['subnet-2'] }).resolves({ Subnets: [subnet(2)] });
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-1', Tags: tags('vpc') }] });
    for (const C of [
      DisassociateRouteTableCommand,
      DeleteRouteTableCommand,
      DetachInternetGatewayCommand,
      DeleteInternetGatewayCommand,
      DeleteSubnetCommand,
      DeleteVpcCommand,
    ]) {
      ec2.on(C as typeof DeleteVpcCommand).resolves({});
    }
  }

  it('deletes the route table (associations first), the internet gateway (detached first) and the subnets together, then the VPC', async () => {
    owned();
    await networkStep.destroy(stepContext(networkStep), STATE);
    const calls = commandNames(ec2).filter((n) => !n.startsWith('Describe'));
    expect([...calls].sort()).toEqual([
      'DeleteInternetGateway',
      'DeleteRouteTable',
      'DeleteSubnet',
      'DeleteSubnet',
      'DeleteVpc',
      'DetachInternetGateway',
      'DisassociateRouteTable',
      'DisassociateRouteTable',
    ]);
    expect(calls.lastIndexOf('DisassociateRouteTable')).toBeLessThan(calls.indexOf('DeleteRouteTable'));
    expect(calls.indexOf('DetachInternetGateway')).toBeLessThan(calls.indexOf('DeleteInternetGateway'));
    expect(calls.at(-1)).toBe('DeleteVpc');
    expect(ec2.commandCalls(DetachInternetGatewayCommand)[0]!.args[0].input).toEqual({ InternetGatewayId: 'igw-1', VpcId: 'vpc-1' });
  });

  it('treats resources that are already gone as deleted', async () => {
    ec2.on(DescribeRouteTablesCommand).rejects(awsError('InvalidRouteTableID.NotFound'));
    ec2.on(DescribeInternetGatewaysCommand).rejects(awsError('InvalidInternetGatewayID.NotFound'));
    ec2.on(DescribeSubnetsCommand).rejects(awsError('InvalidSubnetID.NotFound'));
    ec2.on(DescribeVpcsCommand).rejects(awsError('InvalidVpcID.NotFound'));
    await networkStep.destroy(stepContext(networkStep), STATE);
    expect(commandNames(ec2).every((n) => n.startsWith('Describe'))).toBe(true);
  });

  it('treats a NotFound from the delete itself (a concurrent delete) as done', async () => {
    owned();
    ec2.on(DeleteSubnetCommand).rejects(awsError('InvalidSubnetID.NotFound'));
    ec2.on(DisassociateRouteTableCommand).rejects(awsError('InvalidAssociationID.NotFound'));
    await networkStep.destroy(stepContext(networkStep), STATE);
    expect(ec2.commandCalls(DeleteVpcCommand)).toHaveLength(1);
  });

  it('leaves resources whose tags say someone else owns them', async () => {
    owned();
    const other = [{ Key: 'ecs-kit:app', Value: 'other' }];
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-1', Tags: other }] });
    ec2
      .on(DescribeInternetGatewaysCommand)
      .resolves({ InternetGateways: [{ InternetGatewayId: 'igw-1', Tags: other, Attachments: [{ VpcId: 'vpc-1', State: ATTACHED }] }] });
    const ctx = stepContext(networkStep);
    await networkStep.destroy(ctx, STATE);
    expect(ctx.warningCodes).toEqual(['teardown.not-owned', 'teardown.not-owned']);
    expect(ctx.warnings).toEqual([expect.stringMatching(/internet gateway igw-1/), expect.stringMatching(/VPC vpc-1/)]);
    const deletes = commandNames(ec2).filter((n) => !n.startsWith('Describe'));
    expect(deletes).not.toContain('DeleteVpc');
    expect(deletes).not.toContain('DetachInternetGateway');
    expect(deletes).not.toContain('DeleteInternetGateway');
  });

  it('retries DependencyViolation while ENIs drain, then deletes', async () => {
    owned();
    ec2.on(DeleteSubnetCommand).rejectsOnce(awsError('DependencyViolation')).resolves({});
    vi.useFakeTimers();
    const ctx = stepContext(networkStep);
    ctx.options.destroyRetryMs = 60_000;
    const p = networkStep.destroy(ctx, STATE);
    await vi.advanceTimersByTimeAsync(2_500);
    await p;
    expect(ec2.commandCalls(DeleteSubnetCommand)).toHaveLength(3);
    expect(ec2.commandCalls(DeleteVpcCommand)).toHaveLength(1);
    expect(ctx.messages.some((m) => m.includes('waiting for AWS to release subnet subnet-1'))).toBe(true);
  });

  it('gives up after destroyRetryMs and reports the dependency error', async () => {
    owned();
    ec2.on(DeleteVpcCommand).rejects(awsError('DependencyViolation'));
    vi.useFakeTimers();
    const ctx = stepContext(networkStep);
    ctx.options.destroyRetryMs = 5_000;
    const p = networkStep.destroy(ctx, STATE);
    const assertion = expect(p).rejects.toThrow('DependencyViolation');
    await vi.advanceTimersByTimeAsync(10_000);
    await assertion;
  });
});
