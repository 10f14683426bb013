import {
  DeleteInternetGatewayCommand,
  DeleteRouteTableCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeInternetGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  DetachInternetGatewayCommand,
  DisassociateRouteTableCommand,
  EC2Client,
  type AttachmentStatus,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { networkStep } from '../../../src/steps/network/index.js';
import type { NetworkState } from '../../../src/steps/network/index.js';
import { commandNames, strict } from '../../helpers/aws-mock.js';
import { OWNER_TAGS, config, stepContext } from '../../helpers/context.js';

/**
 * Teardown while ENIs drain (#6): every delete that AWS refuses with DependencyViolation until
 * task, load balancer and NAT interfaces are gone retries with progress, bounded by destroyRetryMs.
 */

const ec2 = mockClient(EC2Client);
beforeEach(() => {
  ec2.reset();
  strict(ec2);
});
afterEach(() => {
  vi.useRealTimers();
});

const ATTACHED = 'available' as unknown as AttachmentStatus;
const awsError = (name: string, message = name) => Object.assign(new Error(message), { name });
const tags = (role: string) => [...OWNER_TAGS, { Key: 'ecs-kit:resource', Value: role }];
const STATE: NetworkState = {
  vpcId: 'vpc-1',
  cidr: '10.0.0.0/16',
  availabilityZones: ['us-east-1a', 'us-east-1b'],
  publicSubnetIds: ['subnet-1', 'subnet-2'],
  internetGatewayId: 'igw-1',
  publicRouteTableId: 'rtb-1',
  profile: 'learning',
};

function owned() {
  ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-1', Tags: tags('vpc') }] });
  ec2
    .on(DescribeRouteTablesCommand)
    .resolves({ RouteTables: [{ RouteTableId: 'rtb-1', Tags: tags('public-route-table'), Associations: [] }] });
  ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [{ SubnetId: 'subnet-1', Tags: tags('public-subnet-1') }] });
  ec2.on(DescribeInternetGatewaysCommand).resolves({
    InternetGateways: [{ InternetGatewayId: 'igw-1', Tags: tags('internet-gateway'), Attachments: [{ VpcId: 'vpc-1', State: ATTACHED }] }],
  });
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

const ctxWith = (destroyRetryMs: number) => {
  const ctx = stepContext(networkStep);
  ctx.options.destroyRetryMs = destroyRetryMs;
  return ctx;
};

describe('network teardown while network interfaces drain', () => {
  it('retries detaching the internet gateway while public addresses are still mapped, saying so', async () => {
    owned();
    const mapped = awsError(
      'DependencyViolation',
      'Network vpc-1 has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.',
    );
    ec2.on(DetachInternetGatewayCommand).rejectsOnce(mapped).rejectsOnce(mapped).resolves({});
    vi.useFakeTimers();
    const ctx = ctxWith(60_000);
    const p = networkStep.destroy(ctx, STATE);
    await vi.advanceTimersByTimeAsync(10_000);
    await p;
    expect(ec2.commandCalls(DetachInternetGatewayCommand)).toHaveLength(3);
    expect(ec2.commandCalls(DeleteVpcCommand)).toHaveLength(1);
    expect(
      ctx.messages.filter((m) => m.startsWith('waiting for AWS to release internet gateway igw-1 before deleting it (DependencyViolation')),
    ).toHaveLength(2);
  });

  it('stops retrying the detach after destroyRetryMs and reports the dependency', async () => {
    owned();
    ec2.on(DetachInternetGatewayCommand).rejects(awsError('DependencyViolation'));
    vi.useFakeTimers();
    const p = networkStep.destroy(ctxWith(5_000), STATE);
    const assertion = expect(p).rejects.toThrow('DependencyViolation');
    await vi.advanceTimersByTimeAsync(30_000);
    await assertion;
    expect(commandNames(ec2)).not.toContain('DeleteVpc');
  });

  it('retries deleting a route table that is still in use', async () => {
    owned();
    ec2.on(DeleteRouteTableCommand).rejectsOnce(awsError('DependencyViolation')).resolves({});
    vi.useFakeTimers();
    const ctx = ctxWith(60_000);
    const p = networkStep.destroy(ctx, STATE);
    await vi.advanceTimersByTimeAsync(10_000);
    await p;
    expect(ec2.commandCalls(DeleteRouteTableCommand)).toHaveLength(2);
    expect(ctx.messages.some((m) => m.includes('release route table rtb-1'))).toBe(true);
  });

  it('leaves your own VPC alone: no AWS call at all, and says so', async () => {
    const ctx = stepContext(networkStep, {
      config: config(
        'app: shop\nnetwork: { vpcId: vpc-0abc, publicSubnetIds: [subnet-0a, subnet-0b] }\nservices: { web: { image: nginx, port: 80 } }',
      ),
    });
    await networkStep.destroy(ctx, { ...STATE, vpcId: 'vpc-0abc', profile: 'existing' });
    expect(ec2.calls()).toHaveLength(0);
    expect(ctx.messages).toEqual(['left your VPC vpc-0abc and its subnets in place (ecs-kit did not create them)']);
  });
});
