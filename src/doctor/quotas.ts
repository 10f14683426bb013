import { hasLoadBalancer } from '../config/services.js';
import { DescribeAccountAttributesCommand, DescribeAddressesCommand, paginateDescribeVpcs } from '@aws-sdk/client-ec2';
import { paginateDescribeAccountLimits, paginateDescribeLoadBalancers } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetAWSDefaultServiceQuotaCommand, GetServiceQuotaCommand } from '@aws-sdk/client-service-quotas';
import { isAwsError } from '../aws/errors.js';
import type { Config } from '../config/schema.js';
import type { Manifest } from '../engine/manifest.js';
import { natCount } from '../steps/network/index.js';
import type { LoadBalancerState } from '../steps/load-balancer/index.js';
import type { NatState, NetworkState } from '../steps/network/index.js';
import { combine, type DoctorCheck, type DoctorContext, type ItemVerdict } from './types.js';

/**
 * A regional quota a first deploy counts against. Codes and defaults: Service Quotas console /
 * "Amazon VPC quotas" (VPCs per Region, L-F678F1CE, 5), "Amazon EC2 endpoints and quotas"
 * (EC2-VPC Elastic IPs, L-0263D0A3, 5), "Quotas for your Application Load Balancers"
 * (Application Load Balancers per Region, L-53DA6B97, 50; docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html).
 */
interface QuotaSpec {
  key: 'vpcs' | 'eips' | 'albs';
  label: string;
  serviceCode: string;
  quotaCode: string;
  documentedDefault: number;
  usage(ctx: DoctorContext): Promise<number>;
  /** The service's own limit API, for identities without servicequotas:GetServiceQuota. */
  ownApi?(ctx: DoctorContext): Promise<number | undefined>;
  ownApiName?: string;
}

const QUOTAS: readonly QuotaSpec[] = [
  {
    key: 'vpcs',
    label: 'VPCs per Region',
    serviceCode: 'vpc',
    quotaCode: 'L-F678F1CE',
    documentedDefault: 5,
    async usage(ctx) {
      let n = 0;
      for await (const page of paginateDescribeVpcs({ client: ctx.aws.ec2() }, {})) n += page.Vpcs?.length ?? 0;
      return n;
    },
  },
  {
    key: 'eips',
    label: 'EC2-VPC Elastic IPs',
    serviceCode: 'ec2',
    quotaCode: 'L-0263D0A3',
    documentedDefault: 5,
    // DescribeAddresses is not paginated: it returns every address of the region.
    usage: async (ctx) => (await ctx.aws.ec2().send(new DescribeAddressesCommand({}))).Addresses?.length ?? 0,
    ownApiName: 'DescribeAccountAttributes',
    async ownApi(ctx) {
      // All attributes: the SDK's AttributeNames enum does not list vpc-max-elastic-ips, which the API documents.
      const out = await ctx.aws.ec2().send(new DescribeAccountAttributesCommand({}));
      const value = out.AccountAttributes?.find((a) => a.AttributeName === 'vpc-max-elastic-ips')?.AttributeValues?.[0]?.AttributeValue;
      return value === undefined ? undefined : Number(value);
    },
  },
  {
    key: 'albs',
    label: 'Application Load Balancers per Region',
    serviceCode: 'elasticloadbalancing',
    quotaCode: 'L-53DA6B97',
    documentedDefault: 50,
    async usage(ctx) {
      let n = 0;
      for await (const page of paginateDescribeLoadBalancers({ client: ctx.aws.elbv2() }, {})) {
        n += (page.LoadBalancers ?? []).filter((lb) => lb.Type === 'application').length;
      }
      return n;
    },
    ownApiName: 'DescribeAccountLimits',
    async ownApi(ctx) {
      for await (const page of paginateDescribeAccountLimits({ client: ctx.aws.elbv2() }, {})) {
        const limit = page.Limits?.find((l) => l.Name === 'application-load-balancers')?.Max;
        if (limit !== undefined) return Number(limit);
      }
      return undefined;
    },
  },
];

/** How many of each quota-limited resource a deploy of this config would create now; what the manifest records as ours exists already. */
export function newResources(config: Config, manifest: Manifest | undefined): Record<QuotaSpec['key'], { count: number; why: string }> {
  const network = manifest?.steps['network']?.state as Partial<NetworkState> | undefined;
  const lb = manifest?.steps['load-balancer']?.state as Partial<LoadBalancerState> | undefined;
  const n = config.network;
  const nats = natCount(n.profile, n.nat, n.azs);
  const nat = manifest?.steps['nat']?.state as Partial<NatState> | undefined;
  const ownEips = nat?.elasticIpAllocationIds?.filter(Boolean).length ?? 0;
  const publicServices = hasLoadBalancer(config);
  return {
    vpcs: n.vpcId
      ? { count: 0, why: 'network.vpcId is your own VPC' }
      : network?.vpcId
        ? { count: 0, why: `already deployed (${network.vpcId})` }
        : { count: 1, why: 'a new VPC' },
    eips: n.vpcId
      ? { count: 0, why: 'no NAT gateway in your own VPC' }
      : nats === 0
        ? { count: 0, why: 'learning profile: no NAT gateway' }
        : { count: Math.max(0, nats - ownEips), why: `${nats} NAT gateway(s), ${ownEips} address(es) already deployed` },
    albs: !publicServices
      ? { count: 0, why: 'no service with a port' }
      : lb?.loadBalancerArn
        ? { count: 0, why: 'already deployed' }
        : { count: 1, why: 'one shared load balancer' },
  };
}

/** The account's value: Service Quotas (applied, then AWS default), then the service's own API, then the documented default. */
async function quotaValue(ctx: DoctorContext, q: QuotaSpec): Promise<{ value: number; source: string }> {
  const ids = { ServiceCode: q.serviceCode, QuotaCode: q.quotaCode };
  const sq = await ctx.aws.serviceQuotas();
  let tryDefault = false;
  try {
    const value = (await sq.send(new GetServiceQuotaCommand(ids))).Quota?.Value;
    if (value !== undefined) return { value, source: 'Service Quotas' };
  } catch (err) {
    // NoSuchResourceException: no applied value for this account (Service Quotas API reference); the AWS default applies.
    tryDefault = isAwsError(err, 'NoSuchResourceException');
  }
  if (tryDefault) {
    try {
      const value = (await sq.send(new GetAWSDefaultServiceQuotaCommand(ids))).Quota?.Value;
      if (value !== undefined) return { value, source: 'Service Quotas default' };
    } catch {
      // fall through to the service's own API
    }
  }
  try {
    const value = await q.ownApi?.(ctx);
    if (value !== undefined && Number.isFinite(value)) return { value, source: q.ownApiName ?? 'the service' };
  } catch {
    // fall through to the documented default
  }
  return { value: q.documentedDefault, source: 'documented AWS default; your account may differ' };
}

function verdict(q: QuotaSpec, used: number, need: number, quota: { value: number; source: string }): ItemVerdict {
  const after = used + need;
  const line = `${q.label}: ${used} of ${quota.value} used (${quota.source}); a deploy adds ${need}`;
  const request = `--service-code ${q.serviceCode} --quota-code ${q.quotaCode} --desired-value ${Math.max(after, quota.value + 1)}`;
  const fix = `Delete unused ones, or request more: aws service-quotas request-service-quota-increase ${request}.`;
  if (after > quota.value) return { status: 'fail', line: `${line}, which does not fit`, fix };
  // "Close": the deploy would leave less than a fifth of the quota free.
  if (after > quota.value * 0.8) return { status: 'warn', line: `${line}, leaving ${quota.value - after}`, fix };
  return { status: 'ok', line };
}

/**
 * 4. Headroom for what a first deploy creates: VPCs, Elastic IPs (one per NAT gateway) and
 * application load balancers; VpcLimitExceeded / AddressLimitExceeded otherwise stop a deploy
 * halfway (real-aws.md #30). Only quotas the deploy would actually use are read.
 */
export const quotasCheck: DoctorCheck = {
  name: 'quotas',
  needsIdentity: true,
  async run(ctx) {
    const wanted = newResources(ctx.config, ctx.manifest);
    const items: ItemVerdict[] = [];
    for (const q of QUOTAS) {
      const { count, why } = wanted[q.key];
      if (count === 0) {
        items.push({ status: 'ok', line: `${q.label}: nothing new (${why})` });
        continue;
      }
      const used = await q.usage(ctx);
      items.push(verdict(q, used, count, await quotaValue(ctx, q)));
    }
    return combine(items, (s) =>
      s === 'fail'
        ? 'a deploy would exceed a quota'
        : s === 'warn'
          ? 'a deploy fits, but close to a quota'
          : 'room for what a deploy creates',
    );
  },
};
