import {
  AllocateAddressCommand,
  CreateNatGatewayCommand,
  DeleteNatGatewayCommand,
  DeleteVpcCommand,
  DescribeAddressesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  ReleaseAddressCommand,
  ReplaceRouteCommand,
  type NatGateway,
  type RouteTable,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { explainAwsError } from '../../../src/aws/errors.js';
import { deleteNats, ensureNatGateways, natClientToken } from '../../../src/steps/network/nat.js';
import { natStep, networkStep, type NetworkState } from '../../../src/steps/network/index.js';
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

const OWNER = { app: 'shop', env: 'default' };
const awsError = (name: string, message = name) => Object.assign(new Error(message), { name });
const tags = (role: string) => [...OWNER_TAGS, { Key: 'ecs-kit:resource', Value: role }, { Key: 'Name', Value: `shop-default-${role}` }];
const prod = () => config('app: shop\nnetwork: { profile: production }\nservices: { web: { image: nginx, port: 80 } }');
const ctxFor = () => {
  const ctx = stepContext(networkStep, { config: prod() });
  ctx.options.propagationRetryMs = 60_000;
  ctx.options.destroyRetryMs = 60_000;
  return ctx;
};
const tokens = () => ec2.commandCalls(CreateNatGatewayCommand).map((c) => c.args[0].input.ClientToken);

/** NAT gateways by id whose state a test moves along. */
function natWorld(initial: Record<string, NatGateway>) {
  const nats = { ...initial };
  ec2.on(DescribeNatGatewaysCommand).callsFake(async (input: { NatGatewayIds?: string[] }) => ({
    NatGateways: (input.NatGatewayIds ?? Object.keys(nats)).map((id) => nats[id]).filter(Boolean),
  }));
  return nats;
}

describe('NAT gateway creation (#23: a reused address must not replay a dead NAT gateway)', () => {
  it('puts the attempt number in the ClientToken: a slot with a dead NAT gateway gets a token never used before', () => {
    const first = natClientToken(OWNER, 'nat-gateway-1', 'subnet-1', 'eipalloc-1', 1);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(natClientToken(OWNER, 'nat-gateway-1', 'subnet-1', 'eipalloc-1', 2)).not.toBe(first);
    expect(natClientToken(OWNER, 'nat-gateway-1', 'subnet-2', 'eipalloc-1', 1)).not.toBe(first);
  });

  it('a replayed request that answers with a deleted NAT gateway leads to a fresh create, not a failing wait', async () => {
    ec2
      .on(CreateNatGatewayCommand)
      .resolvesOnce({ NatGateway: { NatGatewayId: 'nat-old', State: 'deleted' } })
      .resolves({ NatGateway: { NatGatewayId: 'nat-new', State: 'available' } });
    const ctx = ctxFor();
    const recorded: unknown[] = [];
    const out = await ensureNatGateways(
      ctx,
      [{ subnetId: 'subnet-1', freeAllocationId: 'eipalloc-1', spent: 0 }],
      new Set(),
      async (n) => void recorded.push(n),
    );
    expect(out).toEqual([{ id: 'nat-new', allocationId: 'eipalloc-1' }]);
    expect(tokens()).toEqual([
      natClientToken(OWNER, 'nat-gateway-1', 'subnet-1', 'eipalloc-1', 1),
      natClientToken(OWNER, 'nat-gateway-1', 'subnet-1', 'eipalloc-1', 2),
    ]);
    expect(recorded).toEqual([[{ id: 'nat-new', allocationId: 'eipalloc-1' }]]);
    expect(ctx.messages.join('\n')).toMatch(/nat-old from an earlier attempt is deleted; creating a new one/);
  });

  it('a NAT gateway that fails while AWS catches up with its new address is created again, and the wait goes on', async () => {
    const nats = natWorld({});
    let n = 0;
    ec2.on(CreateNatGatewayCommand).callsFake(async () => {
      const id = `nat-${++n}`;
      nats[id] = { NatGatewayId: id, State: 'pending' };
      // The first one fails a little later, the second becomes available.
      if (n === 1)
        nats[id] = {
          NatGatewayId: id,
          State: 'failed',
          FailureCode: 'InvalidAllocationID.NotFound',
          FailureMessage: 'Elastic IP address could not be associated',
        };
      else nats[id] = { NatGatewayId: id, State: 'available' };
      return { NatGateway: { NatGatewayId: id, State: 'pending' } };
    });
    vi.useFakeTimers();
    const ctx = ctxFor();
    const records: unknown[] = [];
    const p = ensureNatGateways(
      ctx,
      [{ subnetId: 'subnet-1', freeAllocationId: 'eipalloc-1', spent: 0 }],
      new Set(),
      async (x) => void records.push(x),
    );
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await p).toEqual([{ id: 'nat-2', allocationId: 'eipalloc-1' }]);
    expect(new Set(tokens()).size).toBe(2);
    // The replacement reaches the manifest as soon as it exists.
    expect(records.at(-1)).toEqual([{ id: 'nat-2', allocationId: 'eipalloc-1' }]);
    expect(ctx.messages.join('\n')).toMatch(/nat-1 is failed \(InvalidAllocationID\.NotFound\); creating it again/);
  });

  it('a failure a new create cannot fix is explained, not retried', async () => {
    natWorld({
      'nat-1': {
        NatGatewayId: 'nat-1',
        State: 'failed',
        FailureCode: 'InsufficientFreeAddressesInSubnet',
        FailureMessage: 'Subnet has insufficient free addresses to create this NAT gateway',
      },
    });
    ec2.on(CreateNatGatewayCommand).resolves({ NatGateway: { NatGatewayId: 'nat-1', State: 'pending' } });
    vi.useFakeTimers();
    const p = ensureNatGateways(ctxFor(), [{ subnetId: 'subnet-1', freeAllocationId: 'eipalloc-1', spent: 0 }], new Set(), async () => {});
    const assertion = expect(p).rejects.toMatchObject({
      code: 'network.nat-failed',
      message: expect.stringMatching(/InsufficientFreeAddressesInSubnet/),
      fix: expect.stringMatching(/free addresses/i),
    });
    await vi.advanceTimersByTimeAsync(30_000);
    await assertion;
    expect(ec2.commandCalls(CreateNatGatewayCommand)).toHaveLength(1);
  });

  it('retries a new address or subnet that is not visible yet (#16), with the same token, and waits through NatGatewayNotFound', async () => {
    ec2.on(AllocateAddressCommand).resolves({ AllocationId: 'eipalloc-9' });
    ec2
      .on(CreateNatGatewayCommand)
      .rejectsOnce(awsError('InvalidAllocationID.NotFound'))
      .resolves({ NatGateway: { NatGatewayId: 'nat-9', State: 'pending' } });
    let polls = 0;
    ec2.on(DescribeNatGatewaysCommand).callsFake(async () => {
      if (++polls === 1) throw awsError('NatGatewayNotFound');
      return { NatGateways: [{ NatGatewayId: 'nat-9', State: 'available' }] };
    });
    vi.useFakeTimers();
    const ctx = ctxFor();
    const created = new Set(['subnet-1']);
    const p = ensureNatGateways(ctx, [{ subnetId: 'subnet-1', spent: 0 }], created, async () => {});
    await vi.advanceTimersByTimeAsync(30_000);
    expect(await p).toEqual([{ id: 'nat-9', allocationId: 'eipalloc-9' }]);
    const [a, b] = tokens();
    expect(a).toBe(b);
    expect(polls).toBe(2);
    expect(created).toEqual(new Set(['subnet-1', 'eipalloc-9', 'nat-9']));
    expect(ctx.messages.join('\n')).toMatch(/waiting for AWS to make subnet-1, eipalloc-9 visible/);
  });
});

describe('nat apply, production: an address left unassociated by a failed NAT gateway', () => {
  const privateTable = (i: number): RouteTable => ({
    RouteTableId: `rtb-p${i}`,
    Tags: tags(`private-route-table-${i}`),
    Routes: [{ DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-old', State: 'blackhole' }],
    Associations: [
      { RouteTableAssociationId: `a-p${i}`, SubnetId: `subnet-p${i}`, Main: false, AssociationState: { State: 'associated' } },
    ],
  });

  it('is reused with a new client token (one per dead NAT gateway of the slot), and the private routes move to the new gateway', async () => {
    const network: NetworkState = {
      vpcId: 'vpc-1',
      cidr: '10.0.0.0/16',
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      publicSubnetIds: ['subnet-1', 'subnet-2'],
      internetGatewayId: 'igw-1',
      publicRouteTableId: 'rtb-1',
      profile: 'production',
      privateSubnetIds: ['subnet-p1', 'subnet-p2'],
    };
    const publicTable: RouteTable = {
      RouteTableId: 'rtb-1',
      Tags: tags('public-route-table'),
      Routes: [{ DestinationCidrBlock: '0.0.0.0/0', GatewayId: 'igw-1', State: 'active' }],
      Associations: ['subnet-1', 'subnet-2'].map((s) => ({
        RouteTableAssociationId: `a-${s}`,
        SubnetId: s,
        Main: false,
        AssociationState: { State: 'associated' as const },
      })),
    };
    ec2.on(DescribeRouteTablesCommand).resolves({ RouteTables: [publicTable, privateTable(1), privateTable(2)] });
    // The earlier NAT gateway failed; its address is ours and free again.
    ec2.on(DescribeNatGatewaysCommand).resolves({
      NatGateways: [
        { NatGatewayId: 'nat-old', State: 'failed', Tags: tags('nat-gateway-1'), NatGatewayAddresses: [{ AllocationId: 'eipalloc-1' }] },
      ],
    });
    ec2.on(DescribeAddressesCommand).resolves({ Addresses: [{ AllocationId: 'eipalloc-1', Tags: tags('nat-eip-1') }] });
    ec2.on(CreateNatGatewayCommand).resolves({ NatGateway: { NatGatewayId: 'nat-new', State: 'available' } });
    ec2.on(ReplaceRouteCommand).resolves({});

    const ctx = stepContext(natStep, { config: prod(), deps: { network } });
    ctx.options.propagationRetryMs = 60_000;
    ctx.options.destroyRetryMs = 60_000;
    const plan = await natStep.plan(ctx);
    expect(plan.changes.map((c) => c.field)).toEqual([
      'nat-gateway-1',
      'private-route-table-1.defaultRoute',
      'private-route-table-2.defaultRoute',
    ]);
    ec2.resetHistory();
    const state = await natStep.apply(ctx, plan);
    expect(state).toMatchObject({ natGatewayIds: ['nat-new'], elasticIpAllocationIds: ['eipalloc-1'] });
    expect(commandNames(ec2)).toEqual(['CreateNatGateway', 'ReplaceRoute', 'ReplaceRoute']);
    expect(tokens()).toEqual([natClientToken(OWNER, 'nat-gateway-1', 'subnet-1', 'eipalloc-1', 2)]);
    expect(ec2.commandCalls(ReplaceRouteCommand).map((c) => c.args[0].input.NatGatewayId)).toEqual(['nat-new', 'nat-new']);
  });
});

describe('releasing a NAT gateway address (#14: AuthFailure right after the NAT gateway is deleted)', () => {
  function deletedNatWithAddress() {
    const nats = natWorld({
      'nat-1': {
        NatGatewayId: 'nat-1',
        State: 'available',
        Tags: tags('nat-gateway-1'),
        NatGatewayAddresses: [{ AllocationId: 'eipalloc-1' }],
      },
    });
    ec2.on(DeleteNatGatewayCommand).callsFake(async () => {
      nats['nat-1'] = { ...nats['nat-1'], State: 'deleted' };
      return {};
    });
    ec2.on(DescribeAddressesCommand).resolves({ Addresses: [{ AllocationId: 'eipalloc-1', Tags: tags('nat-eip-1') }] });
  }
  const authFailure = () => awsError('AuthFailure', 'You do not have permission to access the specified resource.');

  it('retries AuthFailure, with progress, until AWS lets go of the address', async () => {
    deletedNatWithAddress();
    ec2.on(ReleaseAddressCommand).rejectsOnce(authFailure()).rejectsOnce(authFailure()).resolves({});
    vi.useFakeTimers();
    const ctx = ctxFor();
    const p = deleteNats(ctx, ['nat-1'], ['eipalloc-1']);
    await vi.advanceTimersByTimeAsync(30_000);
    await p;
    expect(ec2.commandCalls(ReleaseAddressCommand)).toHaveLength(3);
    expect(
      ctx.messages.filter((m) => m.includes('waiting for AWS to release Elastic IP eipalloc-1 before deleting it (AuthFailure')),
    ).toHaveLength(2);
  });

  it('also when the NAT gateway was already deleted by an earlier, interrupted teardown', async () => {
    natWorld({
      'nat-1': {
        NatGatewayId: 'nat-1',
        State: 'deleted',
        Tags: tags('nat-gateway-1'),
        NatGatewayAddresses: [{ AllocationId: 'eipalloc-1' }],
      },
    });
    ec2.on(DescribeAddressesCommand).resolves({ Addresses: [{ AllocationId: 'eipalloc-1', Tags: tags('nat-eip-1') }] });
    ec2.on(ReleaseAddressCommand).rejectsOnce(authFailure()).resolves({});
    vi.useFakeTimers();
    const p = deleteNats(ctxFor(), ['nat-1'], ['eipalloc-1']);
    await vi.advanceTimersByTimeAsync(10_000);
    await p;
    expect(commandNames(ec2).filter((n) => !n.startsWith('Describe'))).toEqual(['ReleaseAddress', 'ReleaseAddress']);
  });

  it('gives up after destroyRetryMs and explains it is AWS, not the credentials', async () => {
    deletedNatWithAddress();
    ec2.on(ReleaseAddressCommand).rejects(authFailure());
    vi.useFakeTimers();
    const ctx = ctxFor();
    ctx.options.destroyRetryMs = 20_000;
    const p = deleteNats(ctx, ['nat-1'], ['eipalloc-1']);
    const assertion = expect(p).rejects.toSatisfy((err: unknown) => {
      const e = explainAwsError(err, 'deleting the network');
      return (
        e.code === 'network.eip-not-released' &&
        /not released Elastic IP eipalloc-1 from the deleted NAT gateway yet/.test(e.message) &&
        /teardown` again in a minute/.test(e.fix ?? '')
      );
    });
    await vi.advanceTimersByTimeAsync(60_000);
    await assertion;
  });

  it('does not retry AuthFailure for an address no NAT gateway of ours held', async () => {
    natWorld({});
    ec2.on(DescribeAddressesCommand).resolves({ Addresses: [{ AllocationId: 'eipalloc-1', Tags: tags('nat-eip-1') }] });
    ec2.on(ReleaseAddressCommand).rejects(authFailure());
    await expect(deleteNats(ctxFor(), [], ['eipalloc-1'])).rejects.toThrow(/permission to access/);
    expect(ec2.commandCalls(ReleaseAddressCommand)).toHaveLength(1);
  });
});

describe('pagination', () => {
  it('teardown finds a NAT gateway of ours on the second page of DescribeNatGateways', async () => {
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-1', Tags: tags('vpc') }] });
    const nat = (id: string, state: NatGateway['State']): NatGateway => ({
      NatGatewayId: id,
      State: state,
      Tags: tags('nat-gateway-1'),
      NatGatewayAddresses: [{ AllocationId: 'eipalloc-1' }],
    });
    ec2.on(DescribeNatGatewaysCommand).resolves({ NatGateways: [] });
    ec2
      .on(DescribeNatGatewaysCommand, {
        Filter: [
          { Name: 'vpc-id', Values: ['vpc-1'] },
          { Name: 'tag:ecs-kit:app', Values: ['shop'] },
          { Name: 'tag:ecs-kit:env', Values: ['default'] },
        ],
      })
      .resolvesOnce({ NatGateways: [], NextToken: 't2' })
      .resolves({ NatGateways: [] });
    ec2.on(DescribeNatGatewaysCommand, { NextToken: 't2' }).resolves({ NatGateways: [nat('nat-7', 'available')] });
    ec2
      .on(DescribeNatGatewaysCommand, { NatGatewayIds: ['nat-7'] })
      .resolvesOnce({ NatGateways: [nat('nat-7', 'available')] })
      .resolves({ NatGateways: [nat('nat-7', 'deleted')] });
    ec2.on(DeleteNatGatewayCommand).resolves({});
    ec2.on(DescribeAddressesCommand).resolves({ Addresses: [] });
    ec2.on(DescribeRouteTablesCommand).resolves({ RouteTables: [] });
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [] });
    ec2.on(DescribeInternetGatewaysCommand).resolves({ InternetGateways: [] });
    ec2.on(DeleteVpcCommand).resolves({});
    vi.useFakeTimers();
    const p = networkStep.destroy(ctxFor(), {
      vpcId: 'vpc-1',
      cidr: '10.0.0.0/16',
      availabilityZones: [],
      publicSubnetIds: [],
      internetGatewayId: '',
      publicRouteTableId: '',
      profile: 'production',
    });
    await vi.advanceTimersByTimeAsync(30_000);
    await p;
    expect(ec2.commandCalls(DeleteNatGatewayCommand).map((c) => c.args[0].input.NatGatewayId)).toEqual(['nat-7']);
  });
});
