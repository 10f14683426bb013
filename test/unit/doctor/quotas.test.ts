import { DescribeAccountAttributesCommand, DescribeAddressesCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { DescribeAccountLimitsCommand, DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetAWSDefaultServiceQuotaCommand, GetServiceQuotaCommand } from '@aws-sdk/client-service-quotas';
import { describe, expect, it } from 'vitest';
import { newResources, quotasCheck } from '../../../src/doctor/quotas.js';
import { awsError, calls, doctorContext, manifestWith, mocks, mutatingCalls, useStrictMocks } from './fixture.js';

useStrictMocks();

const PRODUCTION_PER_AZ =
  'app: shop\nnetwork: { profile: production, nat: per-az, azs: 3 }\nservices:\n  web: { image: nginx, port: 80 }\n';
const WORKER = 'app: shop\nservices:\n  worker: { image: nginx }\n';

const vpcs = (n: number) => Array.from({ length: n }, (_, i) => ({ VpcId: `vpc-${i}` }));
const quota = (code: string, value: number) =>
  mocks.quotas.on(GetServiceQuotaCommand, { QuotaCode: code }).resolves({ Quota: { QuotaCode: code, Value: value } });
const albs = (n: number) =>
  mocks.elb
    .on(DescribeLoadBalancersCommand)
    .resolves({ LoadBalancers: Array.from({ length: n }, (_, i) => ({ LoadBalancerName: `lb${i}`, Type: 'application' as const })) });

describe('what a deploy creates', () => {
  it('a first learning deploy: 1 VPC, no Elastic IP, 1 load balancer', () => {
    const r = newResources(doctorContext().config, undefined);
    expect([r.vpcs.count, r.eips.count, r.albs.count]).toEqual([1, 0, 1]);
  });

  it('production per-az: one Elastic IP per zone, minus the ones the manifest already records', () => {
    const cfg = doctorContext(PRODUCTION_PER_AZ).config;
    expect(newResources(cfg, undefined).eips.count).toBe(3);
    const m = manifestWith({
      network: { vpcId: 'vpc-1' },
      nat: { vpcId: 'vpc-1', elasticIpAllocationIds: ['eipalloc-1'] },
      'load-balancer': { loadBalancerArn: 'arn:lb' },
    });
    const r = newResources(cfg, m);
    expect([r.vpcs.count, r.eips.count, r.albs.count]).toEqual([0, 2, 0]);
  });

  it('your own VPC and a worker-only app create none of them', () => {
    const yaml = 'app: shop\nnetwork: { vpcId: vpc-0abc, privateSubnetIds: [subnet-1a] }\nservices:\n  worker: { image: nginx }\n';
    const r = newResources(doctorContext(yaml).config, undefined);
    expect([r.vpcs.count, r.eips.count, r.albs.count]).toEqual([0, 0, 0]);
  });
});

describe('quotas', () => {
  it('fails when the new VPC does not fit, naming the quota and how to raise it', async () => {
    mocks.ec2.on(DescribeVpcsCommand).resolves({ Vpcs: vpcs(5) });
    quota('L-F678F1CE', 5);
    const r = await quotasCheck.run(doctorContext(WORKER));
    expect(r.status).toBe('fail');
    expect(r.details?.[0]).toBe('VPCs per Region: 5 of 5 used (Service Quotas); a deploy adds 1, which does not fit');
    expect(r.fix).toMatch(/--service-code vpc --quota-code L-F678F1CE --desired-value 6/);
  });

  it('warns when the deploy would leave less than a fifth of the quota free, and is ok otherwise', async () => {
    mocks.ec2.on(DescribeVpcsCommand).resolves({ Vpcs: vpcs(4) });
    quota('L-F678F1CE', 5);
    expect((await quotasCheck.run(doctorContext(WORKER))).status).toBe('warn');
    mocks.ec2.on(DescribeVpcsCommand).resolves({ Vpcs: vpcs(3) });
    expect((await quotasCheck.run(doctorContext(WORKER))).status).toBe('ok');
  });

  it('follows DescribeVpcs pages', async () => {
    mocks.ec2
      .on(DescribeVpcsCommand)
      .resolvesOnce({ Vpcs: vpcs(3), NextToken: 't' })
      .resolvesOnce({ Vpcs: vpcs(2) });
    quota('L-F678F1CE', 5);
    expect((await quotasCheck.run(doctorContext(WORKER))).details?.[0]).toMatch(/^VPCs per Region: 5 of 5 used/);
  });

  it('counts Elastic IPs for the NAT gateways: 3 new ones do not fit beside 3 of 5', async () => {
    mocks.ec2.on(DescribeVpcsCommand).resolves({ Vpcs: vpcs(1) });
    mocks.ec2.on(DescribeAddressesCommand).resolves({ Addresses: [{ AllocationId: 'a' }, { AllocationId: 'b' }, { AllocationId: 'c' }] });
    quota('L-F678F1CE', 5);
    quota('L-0263D0A3', 5);
    quota('L-53DA6B97', 50);
    albs(0);
    const r = await quotasCheck.run(doctorContext(PRODUCTION_PER_AZ));
    expect(r.status).toBe('fail');
    expect(r.details).toEqual([
      'VPCs per Region: 1 of 5 used (Service Quotas); a deploy adds 1',
      'EC2-VPC Elastic IPs: 3 of 5 used (Service Quotas); a deploy adds 3, which does not fit',
      'Application Load Balancers per Region: 0 of 50 used (Service Quotas); a deploy adds 1',
    ]);
    expect(mutatingCalls()).toEqual([]);
  });

  it('what the manifest records as ours is not new: a deployed env reads no quota at all', async () => {
    const m = manifestWith({ network: { vpcId: 'vpc-1' }, 'load-balancer': { loadBalancerArn: 'arn:lb' } });
    const r = await quotasCheck.run(doctorContext(undefined, { manifest: m }));
    expect(r.status).toBe('ok');
    expect(r.details?.[0]).toBe('VPCs per Region: nothing new (already deployed (vpc-1))');
    expect(calls()).toEqual([]);
  });

  it("without an applied value uses the AWS default; without Service Quotas access the service's own limit API", async () => {
    mocks.ec2.on(DescribeVpcsCommand).resolves({ Vpcs: vpcs(1) });
    mocks.ec2.on(DescribeAddressesCommand).resolves({ Addresses: [] });
    mocks.quotas.on(GetServiceQuotaCommand, { QuotaCode: 'L-F678F1CE' }).rejects(awsError('NoSuchResourceException'));
    mocks.quotas.on(GetAWSDefaultServiceQuotaCommand, { QuotaCode: 'L-F678F1CE' }).resolves({ Quota: { Value: 5 } });
    mocks.quotas.on(GetServiceQuotaCommand, { QuotaCode: 'L-0263D0A3' }).rejects(awsError('AccessDeniedException'));
    mocks.ec2
      .on(DescribeAccountAttributesCommand)
      .resolves({ AccountAttributes: [{ AttributeName: 'vpc-max-elastic-ips', AttributeValues: [{ AttributeValue: '10' }] }] });
    mocks.quotas.on(GetServiceQuotaCommand, { QuotaCode: 'L-53DA6B97' }).rejects(awsError('AccessDeniedException'));
    mocks.elb.on(DescribeAccountLimitsCommand).resolves({
      Limits: [
        { Name: 'target-groups', Max: '3000' },
        { Name: 'application-load-balancers', Max: '20' },
      ],
    });
    albs(2);
    const r = await quotasCheck.run(
      doctorContext('app: shop\nnetwork: { profile: production }\nservices:\n  web: { image: nginx, port: 80 }\n'),
    );
    expect(r.details).toEqual([
      'VPCs per Region: 1 of 5 used (Service Quotas default); a deploy adds 1',
      'EC2-VPC Elastic IPs: 0 of 10 used (DescribeAccountAttributes); a deploy adds 1',
      'Application Load Balancers per Region: 2 of 20 used (DescribeAccountLimits); a deploy adds 1',
    ]);
  });

  it('falls back to the documented default when no API says, and says so', async () => {
    mocks.ec2.on(DescribeVpcsCommand).resolves({ Vpcs: vpcs(2) });
    mocks.quotas.on(GetServiceQuotaCommand).rejects(awsError('AccessDeniedException'));
    const r = await quotasCheck.run(doctorContext(WORKER));
    expect(r.details?.[0]).toBe('VPCs per Region: 2 of 5 used (documented AWS default; your account may differ); a deploy adds 1');
  });

  it('counts only application load balancers', async () => {
    mocks.ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [] });
    quota('L-F678F1CE', 5);
    quota('L-53DA6B97', 2);
    mocks.elb
      .on(DescribeLoadBalancersCommand)
      .resolves({ LoadBalancers: [{ Type: 'application' }, { Type: 'network' }, { Type: 'network' }] });
    const r = await quotasCheck.run(doctorContext());
    expect(r.details?.[2]).toBe('Application Load Balancers per Region: 1 of 2 used (Service Quotas); a deploy adds 1, leaving 0');
    expect(r.status).toBe('warn');
  });
});
