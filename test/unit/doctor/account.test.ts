import { DescribeRegionsCommand } from '@aws-sdk/client-ec2';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { credentialsCheck, neededServiceLinkedRoles, regionCheck, serviceLinkedRolesCheck } from '../../../src/doctor/account.js';
import { ACCOUNT, awsError, calls, doctorContext, mocks, useStrictMocks } from './fixture.js';

useStrictMocks();

const REGIONS = {
  Regions: [
    { RegionName: 'us-east-1', OptInStatus: 'opt-in-not-required' },
    { RegionName: 'af-south-1', OptInStatus: 'not-opted-in' },
    { RegionName: 'ap-east-1', OptInStatus: 'opted-in' },
  ],
};

describe('credentials', () => {
  it('shows the account and the ARN, and hands the account to the other checks', async () => {
    mocks.sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/ci`, UserId: 'AIDAEXAMPLE' });
    const ctx = doctorContext(undefined, { identity: false });
    const r = await credentialsCheck.run(ctx);
    expect(r).toEqual({ status: 'ok', message: `account ${ACCOUNT} as arn:aws:iam::${ACCOUNT}:user/ci` });
    expect(ctx.identity).toEqual({ account: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/ci` });
  });

  it('fails with the reason and the fix when AWS rejects the credentials, and sets no identity', async () => {
    mocks.sts
      .on(GetCallerIdentityCommand)
      .rejects(awsError('InvalidClientTokenId', 'The security token included in the request is invalid.'));
    const ctx = doctorContext(undefined, { identity: false });
    const r = await credentialsCheck.run(ctx);
    expect(r.status).toBe('fail');
    expect(r.message).toMatch(/InvalidClientTokenId/);
    expect(r.fix).toMatch(/profile or keys/);
    expect(ctx.identity).toBeUndefined();
  });
});

describe('region', () => {
  it('is ok for an enabled region, with one DescribeRegions(AllRegions) call', async () => {
    mocks.ec2.on(DescribeRegionsCommand, { AllRegions: true }).resolves(REGIONS);
    expect(await regionCheck.run(doctorContext())).toEqual({ status: 'ok', message: 'us-east-1' });
    expect(await regionCheck.run(doctorContext(undefined, { region: 'ap-east-1' }))).toEqual({
      status: 'ok',
      message: 'ap-east-1 (opt-in region, enabled)',
    });
    expect(calls()).toEqual(['DescribeRegions', 'DescribeRegions']);
  });

  it('fails for an opt-in region the account has not enabled, and says how to enable it', async () => {
    mocks.ec2.on(DescribeRegionsCommand).resolves(REGIONS);
    const r = await regionCheck.run(doctorContext(undefined, { region: 'af-south-1' }));
    expect(r.status).toBe('fail');
    expect(r.message).toMatch(/af-south-1 is an opt-in region that is not enabled/);
    expect(r.fix).toMatch(/aws account enable-region --region-name af-south-1/);
  });

  it('fails for a region the account does not know', async () => {
    mocks.ec2.on(DescribeRegionsCommand).resolves(REGIONS);
    const r = await regionCheck.run(doctorContext(undefined, { region: 'eu-west-1' }));
    expect(r).toMatchObject({ status: 'fail', message: 'eu-west-1 is not an AWS region this account knows' });
    expect(r.fix).toMatch(/af-south-1, ap-east-1, us-east-1/);
  });

  it('explains rejected credentials as a possibly disabled region (a warning while the credentials check failed too)', async () => {
    mocks.ec2.on(DescribeRegionsCommand).rejects(awsError('AuthFailure'));
    const r = await regionCheck.run(doctorContext(undefined, { region: 'af-south-1', identity: false }));
    expect(r.status).toBe('warn');
    expect(r.fix).toMatch(/If af-south-1 is an opt-in region, enable it/);
  });

  it('skips without any credentials at all', async () => {
    mocks.ec2.on(DescribeRegionsCommand).rejects(awsError('CredentialsProviderError', 'Could not load credentials from any providers'));
    expect((await regionCheck.run(doctorContext(undefined, { identity: false }))).status).toBe('skip');
  });
});

describe('service-linked-roles', () => {
  it('needs ECS always, ELB with a port, Application Auto Scaling with autoscaling, EC2 Auto Scaling with capacity ec2', () => {
    const keys = (yaml: string) => neededServiceLinkedRoles(doctorContext(yaml).config).map((r) => r.key);
    expect(keys('app: shop\nservices:\n  worker: { image: nginx }\n')).toEqual(['ecs']);
    expect(keys('app: shop\nservices:\n  web: { image: nginx, port: 80, autoscaling: { min: 1, max: 2 } }\n')).toEqual([
      'ecs',
      'elb',
      'ecsAutoScaling',
    ]);
    expect(keys('app: shop\nservices:\n  jobs: { image: nginx, capacity: ec2 }\n')).toEqual(['ecs', 'ec2AutoScaling']);
  });

  it('is ok when every needed role exists (read-only GetRole, never CreateServiceLinkedRole)', async () => {
    mocks.iam.on(GetRoleCommand).resolves({ Role: { RoleName: 'x', Path: '/', Arn: 'arn', RoleId: 'id', CreateDate: new Date() } });
    const r = await serviceLinkedRolesCheck.run(doctorContext());
    expect(r).toMatchObject({ status: 'ok', message: 'all 2 needed service-linked roles present' });
    expect(calls()).toEqual(['GetRole', 'GetRole']);
  });

  it('warns about a missing role: the first deploy creates it, which needs iam:CreateServiceLinkedRole', async () => {
    mocks.iam
      .on(GetRoleCommand, { RoleName: 'AWSServiceRoleForECS' })
      .resolves({ Role: { RoleName: 'x', Path: '/', Arn: 'arn', RoleId: 'id', CreateDate: new Date() } });
    mocks.iam.on(GetRoleCommand, { RoleName: 'AWSServiceRoleForElasticLoadBalancing' }).rejects(awsError('NoSuchEntityException'));
    const r = await serviceLinkedRolesCheck.run(doctorContext());
    expect(r.status).toBe('warn');
    expect(r.message).toBe('1 of 2 needed service-linked roles missing');
    expect(r.details).toEqual([
      'AWSServiceRoleForECS (ECS clusters and services): present',
      'AWSServiceRoleForElasticLoadBalancing (the load balancer): missing; will be created on the first deploy (needs iam:CreateServiceLinkedRole)',
    ]);
    expect(r.fix).toMatch(/aws iam create-service-linked-role --aws-service-name elasticloadbalancing\.amazonaws\.com\.$/);
  });
});
