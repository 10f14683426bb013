/**
 * On-demand list prices, in USD, that the plan's cost estimate multiplies: a dated table, not a live lookup (ecs-kit
 * calls no pricing API, and a plan must not need one). Hours per month: 730 (AWS's own calculator uses 730).
 *
 * As of 2026-12-01, for Linux, on-demand, in the regions below. How each number was found:
 * - Fargate per vCPU-hour and per GB-hour, x86 0.04048 / 0.004445 and arm64 0.03238 / 0.00356: AWS Fargate pricing
 *   page (https://aws.amazon.com/fargate/pricing/) as quoted by Vantage ("AWS Fargate Pricing Explained", us-east-1)
 *   and Wring (March 2026). AWS's own pricing page lists US East (N. Virginia), US East (Ohio) and US West (Oregon)
 *   under one price.
 * - Application Load Balancer 0.0225 per ALB-hour and 0.008 per LCU-hour
 *   (https://aws.amazon.com/elasticloadbalancing/pricing/, US regions), quoted the same by several 2026 guides.
 * - NAT gateway 0.045 per hour and 0.045 per GB processed (https://aws.amazon.com/vpc/pricing/, US East and US West),
 *   confirmed by cloudburn.io and basavytix.com (2026).
 * - Public IPv4 address 0.005 per hour, every region, in use or idle (AWS News Blog, "New – AWS Public IPv4 Address
 *   Charge", effective February 1, 2024).
 * - CloudWatch Logs ingestion 0.50 per GB (https://aws.amazon.com/cloudwatch/pricing/, standard logs, US regions).
 * - EC2 instances: t3.micro 0.0104 and t3.small 0.0208 (cloud-bench.com, us-east-1, 2026); the other sizes of T3, T3a
 *   and T4g are priced in exact doublings of those (AWS's EC2 On-Demand pricing page), and the M/C types are that page's
 *   us-east-1 values. A type missing here gets "no price data"; the rest of the estimate still shows.
 * Fargate Spot and EC2 Spot prices move with supply and demand, so they are noted, not priced.
 *
 * Other regions (searched 2026-12-01). A region is listed only when at least its Fargate x86 and NAT gateway prices
 * are sourced; a component with no sourced price is left out and the estimate says "no price data" for it (as for an
 * unknown EC2 type) instead of borrowing a US number:
 * - Fargate x86 per vCPU-hour / GB-hour: eu-west-1 0.04048 / 0.004445, ap-southeast-1 and ap-northeast-1
 *   0.05056 / 0.00553, from the per-region table of the fgcalc calculator (github.com/theuves/fgcalc,
 *   src/utils/data.js, "extracted from the official AWS Fargate" pricing page). AWS's pricing page (Japanese edition)
 *   lists Ireland with the US regions under one price. Fargate arm64 outside the US: not sourced.
 * - NAT gateway per hour / per GB: eu-west-1 0.048 / 0.048 (an AWS bill quoted in wellcomecollection/platform#2623,
 *   and #4666: "In Ireland, $0.048/GB processed"); ap-southeast-1 0.059 / 0.059 (basavytix.com, 2026);
 *   ap-northeast-1 0.062 / 0.062 (dev.classmethod.jp, Tokyo prices).
 * - ap-northeast-1 ALB 0.0243 per hour and 0.008 per LCU-hour (aws.darcy-it.com, ELB costs); CloudWatch Logs
 *   ingestion 0.76 per GB (awsi.click, ap-northeast-1). Not sourced for eu-west-1 or ap-southeast-1.
 * - EC2 instance prices outside the US: not sourced (every type says "no price data" there).
 * No NAT price could be sourced for eu-central-1, eu-west-2 or ap-southeast-2, so those regions say "no price data".
 */
export const PRICES_AS_OF = '2026-12-01';
export const HOURS_PER_MONTH = 730;
/** Public IPv4 is $0.005/hour in every region (AWS News Blog, above). */
const PUBLIC_IPV4_HOUR = 0.005;

export interface FargateRate {
  vcpuHour: number;
  gbHour: number;
}

/** A component left out has no sourced price in that region: the estimate says "no price data" for it. */
export interface RegionPrices {
  fargate: { x86: FargateRate; arm64?: FargateRate };
  alb?: { hour: number; lcuHour: number };
  nat: { hour: number; gb: number };
  publicIpv4Hour: number;
  logsIngestGb?: number;
  /** EC2 on-demand Linux price per hour, by instance type. */
  ec2: Readonly<Record<string, number>>;
}

/** T3, T3a and T4g sizes double in price from nano to 2xlarge. */
function burstable(family: string, nano: number): Record<string, number> {
  const sizes = ['nano', 'micro', 'small', 'medium', 'large', 'xlarge', '2xlarge'];
  return Object.fromEntries(sizes.map((size, i) => [`${family}.${size}`, Number((nano * 2 ** i).toFixed(4))]));
}

const US_EC2: Record<string, number> = {
  ...burstable('t3', 0.0052),
  ...burstable('t3a', 0.0047),
  ...burstable('t4g', 0.0042),
  'm5.large': 0.096,
  'm5.xlarge': 0.192,
  'm6i.large': 0.096,
  'm6i.xlarge': 0.192,
  'm6g.large': 0.077,
  'm7g.large': 0.0816,
  'c5.large': 0.085,
  'c6i.large': 0.085,
  'c6g.large': 0.068,
  'c7g.large': 0.0725,
};

const US: RegionPrices = {
  fargate: { x86: { vcpuHour: 0.04048, gbHour: 0.004445 }, arm64: { vcpuHour: 0.03238, gbHour: 0.00356 } },
  alb: { hour: 0.0225, lcuHour: 0.008 },
  nat: { hour: 0.045, gb: 0.045 },
  publicIpv4Hour: PUBLIC_IPV4_HOUR,
  logsIngestGb: 0.5,
  ec2: US_EC2,
};

/** Regions with price data. Another region's estimate says "no price data" rather than guess. */
export const PRICES: Readonly<Record<string, RegionPrices>> = {
  'us-east-1': US,
  'us-east-2': US,
  'us-west-2': US,
  'eu-west-1': {
    fargate: { x86: { vcpuHour: 0.04048, gbHour: 0.004445 } },
    nat: { hour: 0.048, gb: 0.048 },
    publicIpv4Hour: PUBLIC_IPV4_HOUR,
    ec2: {},
  },
  'ap-southeast-1': {
    fargate: { x86: { vcpuHour: 0.05056, gbHour: 0.00553 } },
    nat: { hour: 0.059, gb: 0.059 },
    publicIpv4Hour: PUBLIC_IPV4_HOUR,
    ec2: {},
  },
  'ap-northeast-1': {
    fargate: { x86: { vcpuHour: 0.05056, gbHour: 0.00553 } },
    alb: { hour: 0.0243, lcuHour: 0.008 },
    nat: { hour: 0.062, gb: 0.062 },
    publicIpv4Hour: PUBLIC_IPV4_HOUR,
    logsIngestGb: 0.76,
    ec2: {},
  },
};
