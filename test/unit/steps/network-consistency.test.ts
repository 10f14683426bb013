import {
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeAvailabilityZonesCommand,
  DescribeInternetGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  EC2Client,
  ModifySubnetAttributeCommand,
  ModifyVpcAttributeCommand,
  type AttachmentStatus,
  type AvailabilityZone,
  type Subnet,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { networkStep, pickAvailabilityZones } from '../../../src/steps/network/index.js';
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

const ATTACHED = 'available' as unknown as AttachmentStatus;
const awsError = (name: string) => Object.assign(new Error(name), { name });
const tags = (role: string) => [...OWNER_TAGS, { Key: 'ecs-kit:resource', Value: role }, { Key: 'Name', Value: `shop-default-${role}` }];
const zone = (ZoneName: string, ZoneId: string, State: AvailabilityZone['State'] = 'available'): AvailabilityZone => ({
  ZoneName,
  ZoneId,
  State,
  ZoneType: 'availability-zone',
});
const US_EAST_1 = [
  zone('us-east-1a', 'use1-az6'),
  zone('us-east-1b', 'use1-az1'),
  zone('us-east-1c', 'use1-az2'),
  zone('us-east-1d', 'use1-az4'),
];

function freshAccount() {
  ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [] });
  ec2.on(DescribeInternetGatewaysCommand).resolves({ InternetGateways: [] });
  ec2.on(DescribeAvailabilityZonesCommand).resolves({ AvailabilityZones: US_EAST_1 });
  ec2.on(CreateVpcCommand).resolves({ Vpc: { VpcId: 'vpc-1', State: 'available' } });
  let n = 0;
  ec2.on(CreateSubnetCommand).callsFake(async (input: { AvailabilityZone: string }) => ({
    Subnet: { SubnetId: `subnet-${++n}`, AvailabilityZone: input.AvailabilityZone },
  }));
  ec2.on(CreateInternetGatewayCommand).resolves({ InternetGateway: { InternetGatewayId: 'igw-1' } });
  ec2.on(CreateRouteTableCommand).resolves({ RouteTable: { RouteTableId: 'rtb-1' } });
}

/** Each of these fails once with "not found" before it succeeds, as EC2 may right after the create. */
function notVisibleAtFirst() {
  ec2.on(ModifyVpcAttributeCommand).rejectsOnce(awsError('InvalidVpcID.NotFound')).resolves({});
  ec2.on(ModifySubnetAttributeCommand).rejectsOnce(awsError('InvalidSubnetID.NotFound')).resolves({});
  ec2.on(AttachInternetGatewayCommand).rejectsOnce(awsError('InvalidInternetGatewayID.NotFound')).resolves({});
  ec2.on(CreateRouteCommand).rejectsOnce(awsError('InvalidRouteTableID.NotFound')).resolves({ Return: true });
  ec2.on(AssociateRouteTableCommand).rejectsOnce(awsError('InvalidSubnetID.NotFound')).resolves({ AssociationId: 'a' });
}

describe('network apply: EC2 eventual consistency after creates (#16)', () => {
  it('retries "not found" on the ids it just created, with a progress line, and completes', async () => {
    freshAccount();
    notVisibleAtFirst();
    // Even CreateSubnet may not see the new VPC yet.
    let n = 0;
    ec2
      .on(CreateSubnetCommand)
      .rejectsOnce(awsError('InvalidVpcID.NotFound'))
      .callsFake(async (input: { AvailabilityZone: string }) => ({
        Subnet: { SubnetId: `subnet-${++n}`, AvailabilityZone: input.AvailabilityZone },
      }));
    vi.useFakeTimers();
    const ctx = stepContext(networkStep);
    ctx.options.propagationRetryMs = 60_000;
    const plan = await networkStep.plan(ctx);
    const p = networkStep.apply(ctx, plan);
    await vi.advanceTimersByTimeAsync(60_000);
    const state = await p;
    expect(state).toMatchObject({ vpcId: 'vpc-1', internetGatewayId: 'igw-1', publicRouteTableId: 'rtb-1' });
    expect(state.publicSubnetIds).toHaveLength(2);
    expect(ec2.commandCalls(CreateVpcCommand)).toHaveLength(1);
    expect(ec2.commandCalls(CreateSubnetCommand)).toHaveLength(3);
    expect(ec2.commandCalls(ModifyVpcAttributeCommand)).toHaveLength(3);
    expect(ec2.commandCalls(AttachInternetGatewayCommand)).toHaveLength(2);
    expect(ec2.commandCalls(CreateRouteCommand)).toHaveLength(2);
    expect(ec2.commandCalls(AssociateRouteTableCommand)).toHaveLength(3);
    expect(ctx.messages).toContain('waiting for AWS to make vpc-1 visible (eventual consistency)');
    expect(ctx.messages).toContain('waiting for AWS to make igw-1, vpc-1 visible (eventual consistency)');
  });

  it('is bounded by propagationRetryMs', async () => {
    freshAccount();
    ec2.on(ModifyVpcAttributeCommand).rejects(awsError('InvalidVpcID.NotFound'));
    vi.useFakeTimers();
    const ctx = stepContext(networkStep);
    ctx.options.propagationRetryMs = 20_000;
    const p = networkStep.apply(ctx, await networkStep.plan(ctx));
    const assertion = expect(p).rejects.toThrow('InvalidVpcID.NotFound');
    await vi.advanceTimersByTimeAsync(60_000);
    await assertion;
    expect(ec2.commandCalls(ModifyVpcAttributeCommand).length).toBeLessThan(8);
  });

  it('does not retry "not found" on an id read from AWS: that subnet is really gone', async () => {
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-1', CidrBlock: '10.0.0.0/16', Tags: tags('vpc') }] });
    ec2.on(DescribeVpcAttributeCommand).resolves({ EnableDnsSupport: { Value: true }, EnableDnsHostnames: { Value: true } });
    const subnet = (i: number): Subnet => ({
      SubnetId: `subnet-${i}`,
      CidrBlock: `10.0.${(i - 1) * 16}.0/20`,
      AvailabilityZone: 'us-east-1a',
      MapPublicIpOnLaunch: false,
      Tags: tags(`public-subnet-${i}`),
    });
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [subnet(1), subnet(2)] });
    ec2.on(DescribeInternetGatewaysCommand).resolves({
      InternetGateways: [
        { InternetGatewayId: 'igw-1', Tags: tags('internet-gateway'), Attachments: [{ VpcId: 'vpc-1', State: ATTACHED }] },
      ],
    });
    ec2.on(DescribeRouteTablesCommand).resolves({ RouteTables: [] });
    ec2.on(ModifySubnetAttributeCommand).rejects(awsError('InvalidSubnetID.NotFound'));
    const ctx = stepContext(networkStep);
    ctx.options.propagationRetryMs = 60_000;
    const plan = await networkStep.plan(ctx);
    await expect(networkStep.apply(ctx, plan)).rejects.toThrow('InvalidSubnetID.NotFound');
    // Both subnets are fixed together, each tried once: no retry.
    expect(ec2.commandCalls(ModifySubnetAttributeCommand).map((c) => c.args[0].input.SubnetId)).toEqual(['subnet-1', 'subnet-2']);
  });
});

describe('subnet size (#18)', () => {
  it('a new /24 network gets /27 subnets', async () => {
    freshAccount();
    const plan = await networkStep.plan(
      stepContext(networkStep, {
        config: config('app: shop\nnetwork: { cidr: 10.9.8.0/24 }\nservices: { web: { image: nginx, port: 80 } }'),
      }),
    );
    expect(plan.changes[1]).toEqual({ field: 'publicSubnets', after: ['10.9.8.0/27 in us-east-1a', '10.9.8.32/27 in us-east-1b'] });
  });

  it('a deployed /24 network with /28 subnets keeps that size for a subnet added later (no overlap), and warns', async () => {
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-1', CidrBlock: '10.9.8.0/24', Tags: tags('vpc') }] });
    ec2.on(DescribeVpcAttributeCommand).resolves({ EnableDnsSupport: { Value: true }, EnableDnsHostnames: { Value: true } });
    ec2.on(DescribeSubnetsCommand).resolves({
      Subnets: [
        {
          SubnetId: 'subnet-1',
          CidrBlock: '10.9.8.0/28',
          AvailabilityZone: 'us-east-1a',
          MapPublicIpOnLaunch: true,
          Tags: tags('public-subnet-1'),
        },
        {
          SubnetId: 'subnet-2',
          CidrBlock: '10.9.8.16/28',
          AvailabilityZone: 'us-east-1b',
          MapPublicIpOnLaunch: true,
          Tags: tags('public-subnet-2'),
        },
      ],
    });
    ec2.on(DescribeInternetGatewaysCommand).resolves({ InternetGateways: [] });
    ec2.on(DescribeRouteTablesCommand).resolves({ RouteTables: [] });
    ec2.on(DescribeAvailabilityZonesCommand).resolves({ AvailabilityZones: US_EAST_1 });
    const ctx = stepContext(networkStep, {
      config: config('app: shop\nnetwork: { cidr: 10.9.8.0/24, azs: 3 }\nservices: { web: { image: nginx, port: 80 } }'),
    });
    const plan = await networkStep.plan(ctx);
    expect(plan.changes).toContainEqual({ field: 'public-subnet-3', after: '10.9.8.32/28 in us-east-1c' });
    expect(ctx.warningCodes).toContain('network.small-subnets');
    expect(ctx.warnings.join('\n')).toMatch(/subnets are \/28: AWS needs at least \/27/);
  });
});

describe('availability zones (#19)', () => {
  const TOKYO = [zone('ap-northeast-1a', 'apne1-az3'), zone('ap-northeast-1c', 'apne1-az1'), zone('ap-northeast-1d', 'apne1-az2')];

  it('skips zone IDs Fargate does not run in, only when a service uses Fargate', () => {
    expect(pickAvailabilityZones(TOKYO, { region: 'ap-northeast-1', fargate: true })).toEqual(['ap-northeast-1c', 'ap-northeast-1d']);
    expect(pickAvailabilityZones(TOKYO, { region: 'ap-northeast-1', fargate: false })).toEqual(['ap-northeast-1a', 'ap-northeast-1c']);
    expect(() => pickAvailabilityZones(TOKYO, { region: 'ap-northeast-1', fargate: true, count: 3 })).toThrow(
      /Only 2 availability zone\(s\) are available in ap-northeast-1 for Fargate/,
    );
  });

  it('uses pinned zone IDs in their order, and names an unknown one', () => {
    expect(pickAvailabilityZones(US_EAST_1, { region: 'us-east-1', zoneIds: ['use1-az4', 'use1-az1'] })).toEqual([
      'us-east-1d',
      'us-east-1b',
    ]);
    expect(() => pickAvailabilityZones(US_EAST_1, { region: 'us-east-1', zoneIds: ['use1-az1', 'use1-az3'] })).toThrow(
      expect.objectContaining({
        code: 'network.zoneIds',
        exitCode: 2,
        message: expect.stringMatching(/network\.zoneIds\[1\]: use1-az3 is not an availability zone of us-east-1/),
      }),
    );
  });

  it('keeps the zones a deployed network uses over a new pick', () => {
    expect(pickAvailabilityZones(US_EAST_1, { region: 'us-east-1', keep: ['us-east-1d', undefined] })).toEqual([
      'us-east-1d',
      'us-east-1a',
    ]);
    // A kept zone that no longer exists as a regular zone is not kept.
    expect(pickAvailabilityZones(US_EAST_1, { region: 'us-east-1', keep: ['us-east-1z', 'us-east-1a'] })).toEqual([
      'us-east-1b',
      'us-east-1a',
    ]);
  });

  it('recreates a missing subnet in the zone the manifest recorded for its slot, not in a new pick', async () => {
    const previous: NetworkState = {
      vpcId: 'vpc-1',
      cidr: '10.0.0.0/16',
      availabilityZones: ['us-east-1c', 'us-east-1a'],
      publicSubnetIds: ['subnet-gone', 'subnet-2'],
      internetGatewayId: 'igw-1',
      publicRouteTableId: 'rtb-1',
      profile: 'learning',
    };
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-1', CidrBlock: '10.0.0.0/16', Tags: tags('vpc') }] });
    ec2.on(DescribeVpcAttributeCommand).resolves({ EnableDnsSupport: { Value: true }, EnableDnsHostnames: { Value: true } });
    ec2.on(DescribeSubnetsCommand).resolves({
      Subnets: [
        {
          SubnetId: 'subnet-2',
          CidrBlock: '10.0.16.0/20',
          AvailabilityZone: 'us-east-1a',
          MapPublicIpOnLaunch: true,
          Tags: tags('public-subnet-2'),
        },
      ],
    });
    ec2.on(DescribeInternetGatewaysCommand).resolves({ InternetGateways: [] });
    ec2.on(DescribeRouteTablesCommand).resolves({ RouteTables: [] });
    ec2.on(DescribeAvailabilityZonesCommand).resolves({ AvailabilityZones: US_EAST_1 });
    const plan = await networkStep.plan(stepContext(networkStep, { previous }));
    expect(plan.changes).toContainEqual({ field: 'public-subnet-1', after: '10.0.0.0/20 in us-east-1c' });
  });

  it('refuses a pinned zone Fargate does not run in before any AWS call (exit 2)', async () => {
    const ctx = stepContext(networkStep, {
      config: config('app: shop\nnetwork: { zoneIds: [usw1-az1, usw1-az2] }\nservices: { web: { image: nginx, port: 80 } }'),
    });
    ctx.region = 'us-west-1';
    await expect(networkStep.plan(ctx)).rejects.toMatchObject({
      code: 'network.zoneIds',
      exitCode: 2,
      message: expect.stringMatching(/Fargate does not run in usw1-az2/),
      fix: expect.stringMatching(/usw1-az1, usw1-az3/),
    });
    expect(commandNames(ec2)).toEqual([]);
  });

  it('places the subnets in the pinned zones, and warns when a deployed subnet sits elsewhere', async () => {
    freshAccount();
    const pinned = config('app: shop\nnetwork: { zoneIds: [use1-az4, use1-az1, use1-az2] }\nservices: { web: { image: nginx, port: 80 } }');
    expect(pinned.network.azs).toBe(3);
    const plan = await networkStep.plan(stepContext(networkStep, { config: pinned }));
    expect(plan.changes[1]).toEqual({
      field: 'publicSubnets',
      after: ['10.0.0.0/20 in us-east-1d', '10.0.16.0/20 in us-east-1b', '10.0.32.0/20 in us-east-1c'],
    });

    ec2.reset();
    strict(ec2);
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-1', CidrBlock: '10.0.0.0/16', Tags: tags('vpc') }] });
    ec2.on(DescribeVpcAttributeCommand).resolves({ EnableDnsSupport: { Value: true }, EnableDnsHostnames: { Value: true } });
    ec2.on(DescribeSubnetsCommand).resolves({
      Subnets: ['use1-az6', 'use1-az1', 'use1-az2'].map((id, i) => ({
        SubnetId: `subnet-${i + 1}`,
        AvailabilityZoneId: id,
        CidrBlock: `10.0.${i * 16}.0/20`,
        MapPublicIpOnLaunch: true,
        Tags: tags(`public-subnet-${i + 1}`),
      })),
    });
    ec2.on(DescribeInternetGatewaysCommand).resolves({ InternetGateways: [] });
    ec2.on(DescribeRouteTablesCommand).resolves({ RouteTables: [] });
    const ctx = stepContext(networkStep, { config: pinned });
    await networkStep.plan(ctx);
    expect(ctx.warningCodes).toEqual(['network.zone-mismatch']);
    expect(ctx.warnings).toEqual([
      expect.stringMatching(/network\.zoneIds\[0\] is use1-az4, but public-subnet-1 already exists in use1-az6; ecs-kit does not move/),
    ]);
    expect(commandNames(ec2)).not.toContain('DescribeAvailabilityZones');
  });
});

describe('pagination: filtered lists follow NextToken', () => {
  it("reads every page of your VPC's subnets", async () => {
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-0abc', CidrBlock: '10.1.0.0/16' }] });
    const sn = (id: string, az: string): Subnet => ({ SubnetId: id, VpcId: 'vpc-0abc', AvailabilityZone: az });
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [sn('subnet-0a', 'us-east-1a')], NextToken: 'page-2' });
    ec2.on(DescribeSubnetsCommand, { NextToken: 'page-2' }).resolves({ Subnets: [sn('subnet-0b', 'us-east-1b')] });
    ec2.on(DescribeRouteTablesCommand).resolves({
      RouteTables: [
        { RouteTableId: 'rtb-main', Associations: [{ Main: true }], Routes: [{ DestinationCidrBlock: '0.0.0.0/0', GatewayId: 'igw-9' }] },
      ],
    });
    const ctx = stepContext(networkStep, {
      config: config(
        'app: shop\nnetwork: { vpcId: vpc-0abc, publicSubnetIds: [subnet-0a, subnet-0b] }\nservices: { web: { image: nginx, port: 80 } }',
      ),
    });
    const plan = await networkStep.plan(ctx);
    expect(plan.current).toMatchObject({ publicSubnetIds: ['subnet-0a', 'subnet-0b'], availabilityZones: ['us-east-1a', 'us-east-1b'] });
    expect(ec2.commandCalls(DescribeSubnetsCommand)).toHaveLength(2);
  });
});
