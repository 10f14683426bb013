import { DescribeAvailabilityZonesCommand, DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { fargateZonesCheck } from '../../../src/doctor/fargate-zones.js';
import { calls, doctorContext, manifestWith, mocks, useStrictMocks } from './fixture.js';

useStrictMocks();

// us-west-1: Fargate runs only in usw1-az1 and usw1-az3 (src/aws/fargate-zones.ts). Names map to IDs per account.
const ZONES = {
  AvailabilityZones: [
    { ZoneName: 'us-west-1a', ZoneId: 'usw1-az3', State: 'available' as const, ZoneType: 'availability-zone' },
    { ZoneName: 'us-west-1b', ZoneId: 'usw1-az2', State: 'available' as const, ZoneType: 'availability-zone' },
    { ZoneName: 'us-west-1c', ZoneId: 'usw1-az1', State: 'available' as const, ZoneType: 'availability-zone' },
  ],
};
const WEST = { region: 'us-west-1' };

describe('fargate-zones', () => {
  it('needs no AWS call in a region where Fargate runs in every zone', async () => {
    expect(await fargateZonesCheck.run(doctorContext())).toEqual({
      status: 'ok',
      message: 'Fargate runs in every availability zone of us-east-1',
    });
    expect(calls()).toEqual([]);
  });

  it('skips an app with only EC2 capacity', async () => {
    expect(
      (await fargateZonesCheck.run(doctorContext('app: shop\nservices:\n  jobs: { image: nginx, capacity: ec2 }\n', WEST))).status,
    ).toBe('skip');
  });

  it("is ok when enough of the region's zones run Fargate for network.azs", async () => {
    mocks.ec2.on(DescribeAvailabilityZonesCommand).resolves(ZONES);
    const r = await fargateZonesCheck.run(doctorContext(undefined, WEST));
    expect(r.status).toBe('ok');
    expect(r.message).toBe('2 of 3 zones of us-west-1 run Fargate; the config needs 2');
    expect(r.details).toEqual(['zones where Fargate runs: us-west-1a (usw1-az3), us-west-1c (usw1-az1)']);
  });

  it('fails when network.azs asks for more zones than run Fargate', async () => {
    mocks.ec2.on(DescribeAvailabilityZonesCommand).resolves(ZONES);
    const r = await fargateZonesCheck.run(
      doctorContext('app: shop\nnetwork: { profile: production, azs: 3 }\nservices:\n  web: { image: nginx, port: 80 }\n', WEST),
    );
    expect(r).toMatchObject({ status: 'fail', fix: 'Set network.azs: 2.' });
  });

  it('warns when the deployed network already has a subnet in a zone Fargate skips', async () => {
    mocks.ec2.on(DescribeAvailabilityZonesCommand).resolves(ZONES);
    const manifest = manifestWith({ network: { vpcId: 'vpc-1', availabilityZones: ['us-west-1a', 'us-west-1b'] } });
    const r = await fargateZonesCheck.run(doctorContext(undefined, { ...WEST, manifest }));
    expect(r.status).toBe('warn');
    expect(r.message).toMatch(/us-west-1b \(usw1-az2\), where Fargate does not run/);
  });

  it("with your own VPC checks the task subnets' zone IDs", async () => {
    const network = '{ vpcId: vpc-0abc, publicSubnetIds: [subnet-a, subnet-b], privateSubnetIds: [subnet-c, subnet-d] }';
    const yaml = `app: shop\nnetwork: ${network}\nservices:\n  web: { image: nginx, port: 80 }\n`;
    mocks.ec2.on(DescribeSubnetsCommand, { SubnetIds: ['subnet-c', 'subnet-d'] }).resolves({
      Subnets: [
        { SubnetId: 'subnet-c', AvailabilityZone: 'us-west-1a', AvailabilityZoneId: 'usw1-az3' },
        { SubnetId: 'subnet-d', AvailabilityZone: 'us-west-1b', AvailabilityZoneId: 'usw1-az2' },
      ],
    });
    const r = await fargateZonesCheck.run(doctorContext(yaml, WEST));
    expect(r.status).toBe('warn');
    expect(r.details).toEqual(['subnet-c: us-west-1a (usw1-az3)', 'subnet-d: us-west-1b (usw1-az2), Fargate does not run here']);
    expect(r.fix).toMatch(/network\.privateSubnetIds/);
  });
});
