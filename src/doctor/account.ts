import { isPublic } from '../config/services.js';
import { DescribeRegionsCommand } from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { errorName, explainAwsError } from '../aws/errors.js';
import { SERVICE_LINKED_ROLES, hasServiceLinkedRole, type ServiceLinkedRoleKey } from '../aws/service-linked-roles.js';
import type { Config } from '../config/schema.js';
import { regionProblem } from '../security/input.js';
import { combine, type DoctorCheck, type ItemVerdict } from './types.js';

/** Errors that mean "these credentials were not accepted here" (bad keys, or a region the account has not enabled). */
const REJECTED = ['AuthFailure', 'UnrecognizedClientException', 'InvalidClientTokenId', 'SignatureDoesNotMatch', 'OptInRequired'];

/** 1. Who am I: STS GetCallerIdentity. Shows the account and the ARN, never a key. */
export const credentialsCheck: DoctorCheck = {
  name: 'credentials',
  needsIdentity: false,
  async run(ctx) {
    try {
      const out = await ctx.aws.sts().send(new GetCallerIdentityCommand({}));
      // The other checks read the account from here; without it they are skipped.
      ctx.identity = { account: out.Account ?? 'unknown', arn: out.Arn ?? 'unknown' };
      return { status: 'ok', message: `account ${ctx.identity.account} as ${ctx.identity.arn}` };
    } catch (err) {
      const e = explainAwsError(err, 'calling sts:GetCallerIdentity');
      return { status: 'fail', message: e.why ?? e.message, ...(e.fix ? { fix: e.fix } : {}) };
    }
  },
};

/**
 * 2. The region exists and is enabled for the account: EC2 DescribeRegions with AllRegions lists
 * disabled regions too, each with OptInStatus opt-in-not-required | opted-in | not-opted-in
 * (EC2 API reference, DescribeRegions). A region that is not enabled also rejects the
 * credentials, so credentials that fail there are explained here as well.
 */
export const regionCheck: DoctorCheck = {
  name: 'region',
  needsIdentity: false,
  async run(ctx) {
    const region = ctx.region;
    const how = `AWS console → Account → AWS Regions, or aws account enable-region --region-name ${region}`;
    let regions;
    try {
      regions = (await ctx.aws.ec2().send(new DescribeRegionsCommand({ AllRegions: true }))).Regions ?? [];
    } catch (err) {
      if (errorName(err) === 'CredentialsProviderError') return { status: 'skip', message: 'needs AWS credentials (see credentials)' };
      if (REJECTED.includes(errorName(err))) {
        return {
          status: ctx.identity ? 'fail' : 'warn',
          message: `the EC2 endpoint of ${region} did not accept the credentials (${errorName(err)})`,
          fix: `If ${region} is an opt-in region, enable it for the account (${how}); otherwise fix the credentials.`,
        };
      }
      // An endpoint that does not answer for a name ecs-kit does not know: the name is the problem.
      const unknown = regionProblem(region);
      if (unknown) {
        const fix = 'Set region: in ecs-kit.yml, --region or AWS_REGION to a region code such as us-east-1.';
        return { status: 'fail', message: `${unknown} (its EC2 endpoint failed: ${errorName(err) || 'error'})`, fix };
      }
      throw err;
    }
    const found = regions.find((r) => r.RegionName === region);
    if (!found) {
      const known = regions
        .map((r) => r.RegionName)
        .filter(Boolean)
        .sort();
      const fix = `Set region: in ecs-kit.yml (or --region) to one of: ${known.join(', ')}.`;
      return { status: 'fail', message: `${region} is not an AWS region this account knows`, fix };
    }
    if (found.OptInStatus === 'not-opted-in') {
      const fix = `Enable it for the account (${how}), or deploy to another region.`;
      return { status: 'fail', message: `${region} is an opt-in region that is not enabled for this account`, fix };
    }
    return { status: 'ok', message: `${region}${found.OptInStatus === 'opted-in' ? ' (opt-in region, enabled)' : ''}` };
  },
};

/** Which service-linked roles a deploy of this config needs, and why. */
export function neededServiceLinkedRoles(config: Config): { key: ServiceLinkedRoleKey; why: string }[] {
  const services = Object.values(config.services);
  const needed: { key: ServiceLinkedRoleKey; why: string }[] = [{ key: 'ecs', why: 'ECS clusters and services' }];
  if (services.some(isPublic)) needed.push({ key: 'elb', why: 'the load balancer' });
  if (services.some((s) => s.autoscaling)) needed.push({ key: 'ecsAutoScaling', why: 'service autoscaling' });
  if (services.some((s) => s.capacity === 'ec2')) needed.push({ key: 'ec2AutoScaling', why: 'the EC2 Auto Scaling group' });
  return needed;
}

/**
 * 3. Service-linked roles (read-only GetRole). A fresh account has none; the deploy creates the
 * missing ones, which needs iam:CreateServiceLinkedRole, so a missing role is a warning.
 */
export const serviceLinkedRolesCheck: DoctorCheck = {
  name: 'service-linked-roles',
  needsIdentity: true,
  async run(ctx) {
    const items: ItemVerdict[] = [];
    const missing: string[] = [];
    for (const { key, why } of neededServiceLinkedRoles(ctx.config)) {
      const role = SERVICE_LINKED_ROLES[key];
      if (await hasServiceLinkedRole(ctx.aws, key)) {
        items.push({ status: 'ok', line: `${role.roleName} (${why}): present` });
      } else {
        missing.push(role.service);
        items.push({
          status: 'warn',
          line: `${role.roleName} (${why}): missing; will be created on the first deploy (needs iam:CreateServiceLinkedRole)`,
        });
      }
    }
    const outcome = combine(items, () =>
      missing.length
        ? `${missing.length} of ${items.length} needed service-linked roles missing`
        : `all ${items.length} needed service-linked roles present`,
    );
    if (!missing.length) return outcome;
    const commands = missing.map((service) => `aws iam create-service-linked-role --aws-service-name ${service}`).join('; ');
    return { ...outcome, fix: `Allow iam:CreateServiceLinkedRole for the deploying identity, or have an administrator run: ${commands}.` };
  },
};
