import { cpuArchitectureOf } from '../config/architecture.js';
import { EC2_DEFAULTS, type Config, type ServiceConfig } from '../config/schema.js';
import { hasLoadBalancer } from '../config/services.js';
import type { CostEstimate, CostItem } from '../engine/events.js';
import { HOURS_PER_MONTH, PRICES, PRICES_AS_OF, type RegionPrices } from './prices.js';

/**
 * What a config costs per month while it runs, priced from the dated table in prices.ts: Fargate vCPU and memory ×
 * tasks, the load balancer's hours and one LCU, NAT gateway hours, public IPv4 addresses, EC2 instance hours. Usage
 * (traffic through the NAT gateway, LCUs above one, log ingestion) is noted, not guessed. Pure: no AWS call.
 */

/** The step each priced resource belongs to: its action in a plan decides whether the resource is new, changed or going. */
export const COST_STEPS = {
  service: (name: string) => `service:${name}`,
  loadBalancer: 'load-balancer',
  network: 'network',
  capacity: 'capacity',
} as const;

/** What a Fargate service's price depends on; the delta reprices it with the plan's "before" values. */
export interface FargateUsage {
  count: number;
  cpu: number;
  memory: number;
  arch: 'X86_64' | 'ARM64';
}

/** A rate as AWS prints it: "$0.04048", "$0.0225" (no rounding, no trailing zeros). */
const money = (n: number) => `$${String(Number(n.toFixed(6)))}`;
const round = (n: number) => Math.round(n * 100) / 100;

/** Undefined where the region has no sourced price for the architecture (arm64 outside the US today). */
export function fargateMonthly(p: RegionPrices, u: FargateUsage): number | undefined {
  const rate = u.arch === 'ARM64' ? p.fargate.arm64 : p.fargate.x86;
  if (!rate) return undefined;
  return round(u.count * ((u.cpu / 1024) * rate.vcpuHour + (u.memory / 1024) * rate.gbHour) * HOURS_PER_MONTH);
}

function fargateItem(p: RegionPrices, name: string, u: FargateUsage): CostItem {
  const rate = u.arch === 'ARM64' ? p.fargate.arm64 : p.fargate.x86;
  const tasks = `${u.count} task${u.count === 1 ? '' : 's'}`;
  const item = { resource: `Fargate tasks (${name})`, step: COST_STEPS.service(name), component: 'fargate' };
  if (!rate) return { ...item, basis: 'no price data for Fargate arm64 in this region' };
  return {
    ...item,
    monthly: fargateMonthly(p, u),
    basis: `${tasks} × (${u.cpu / 1024} vCPU × ${money(rate.vcpuHour)} + ${u.memory / 1024} GB × ${money(rate.gbHour)})/hour${u.arch === 'ARM64' ? ' (arm64)' : ''} × ${HOURS_PER_MONTH} h`,
  };
}

/** Public IPv4 addresses are billed per hour each, in use or not. */
export function ipv4Item(p: RegionPrices, count: number, resource: string, step: string): CostItem {
  return {
    resource,
    step,
    component: 'public-ipv4',
    monthly: round(count * p.publicIpv4Hour * HOURS_PER_MONTH),
    basis: `${count} × ${money(p.publicIpv4Hour)}/hour × ${HOURS_PER_MONTH} h`,
  };
}

export function natItem(p: RegionPrices, nats: number): CostItem {
  return {
    resource: nats === 1 ? 'NAT gateway' : `NAT gateways (${nats})`,
    step: COST_STEPS.network,
    component: 'nat',
    monthly: round(nats * p.nat.hour * HOURS_PER_MONTH),
    basis: `${nats} × ${money(p.nat.hour)}/hour × ${HOURS_PER_MONTH} h`,
  };
}

export function ec2Item(p: RegionPrices, instanceType: string, count: number): CostItem {
  const price = p.ec2[instanceType];
  return {
    resource: `EC2 instances (${count} × ${instanceType})`,
    step: COST_STEPS.capacity,
    component: 'ec2',
    ...(price !== undefined ? { monthly: round(count * price * HOURS_PER_MONTH) } : {}),
    basis: price !== undefined ? `${count} × ${money(price)}/hour × ${HOURS_PER_MONTH} h` : `no price data for ${instanceType}`,
  };
}

export function fargateUsage(svc: ServiceConfig): FargateUsage {
  return { count: svc.desiredCount, cpu: svc.cpu, memory: svc.memory, arch: cpuArchitectureOf(svc) };
}

/** Tasks in public subnets get a public IPv4 address each: the learning profile, or your VPC without private subnets. */
function tasksGetPublicIps(config: Config): boolean {
  const n = config.network;
  if (n.vpcId) return !n.privateSubnetIds?.length;
  return n.profile !== 'production';
}

/** How many NAT gateways ecs-kit runs for this config (production profile, in its own VPC). */
export function natCount(config: Config): number {
  const n = config.network;
  if (n.vpcId || n.profile !== 'production') return 0;
  return n.nat === 'per-az' ? n.azs : 1;
}

/** The zones the load balancer has a node (and a public IPv4 address) in. */
function loadBalancerZones(config: Config): number {
  return config.network.vpcId ? (config.network.publicSubnetIds?.length ?? 2) : config.network.azs;
}

function serviceItems(p: RegionPrices, config: Config, notes: string[]): CostItem[] {
  const items: CostItem[] = [];
  const publicIps = tasksGetPublicIps(config);
  for (const [name, svc] of Object.entries(config.services)) {
    if (svc.capacity === 'ec2') continue;
    const usage = fargateUsage(svc);
    items.push(fargateItem(p, name, usage));
    if (publicIps && usage.count > 0)
      items.push(ipv4Item(p, usage.count, `Public IPv4 addresses (${name} tasks)`, COST_STEPS.service(name)));
    const spot = svc.capacity === 'fargate-spot' || svc.capacityStrategy?.some((s) => s.provider === 'FARGATE_SPOT');
    if (spot)
      notes.push(
        `${name} runs on Fargate Spot: its tasks there cost the Spot price, usually up to 70% less than the on-demand price shown.`,
      );
    if (!p.fargate.arm64 && usage.arch === 'ARM64')
      notes.push(`No price data for Fargate arm64 in this region: ${name}'s tasks are not in the total.`);
    else if (svc.autoscaling) {
      const at = (count: number) => money(fargateMonthly(p, { ...usage, count }) ?? 0);
      notes.push(
        `${name} autoscales between ${svc.autoscaling.min} and ${svc.autoscaling.max} tasks: ${at(svc.autoscaling.min)} to ${at(svc.autoscaling.max)}/month for its tasks.`,
      );
    }
  }
  return items;
}

/** The load balancer's hours and its minimum LCU; "no price data" items where the region has no sourced ALB price. */
function albItems(p: RegionPrices): CostItem[] {
  const at = { step: COST_STEPS.loadBalancer };
  if (!p.alb)
    return [
      { ...at, resource: 'Application Load Balancer', component: 'alb', basis: 'no price data in this region' },
      { ...at, resource: 'Load balancer capacity (1 LCU minimum)', component: 'alb-lcu', basis: 'no price data in this region' },
    ];
  return [
    {
      ...at,
      resource: 'Application Load Balancer',
      component: 'alb',
      monthly: round(p.alb.hour * HOURS_PER_MONTH),
      basis: `${money(p.alb.hour)}/hour × ${HOURS_PER_MONTH} h`,
    },
    {
      ...at,
      resource: 'Load balancer capacity (1 LCU minimum)',
      component: 'alb-lcu',
      monthly: round(p.alb.lcuHour * HOURS_PER_MONTH),
      basis: `1 LCU × ${money(p.alb.lcuHour)}/hour × ${HOURS_PER_MONTH} h; more with traffic`,
    },
  ];
}

function sharedItems(p: RegionPrices, config: Config, region: string, notes: string[], natsOverride?: number): CostItem[] {
  const items: CostItem[] = [];
  if (hasLoadBalancer(config)) {
    items.push(...albItems(p), ipv4Item(p, loadBalancerZones(config), 'Public IPv4 addresses (load balancer)', COST_STEPS.loadBalancer));
    if (!p.alb) notes.push(`No price data for the Application Load Balancer in ${region}: its hours and LCUs are not in the total.`);
  }
  const nats = natsOverride ?? natCount(config);
  if (nats > 0) {
    items.push(natItem(p, nats), ipv4Item(p, nats, `Elastic IP${nats === 1 ? '' : 's'} (NAT)`, COST_STEPS.network));
    notes.push(`NAT gateways also cost ${money(p.nat.gb)} per GB they process (image pulls, outbound calls).`);
  }
  if (Object.values(config.services).some((s) => s.capacity === 'ec2')) {
    const ec2 = config.ec2 ?? EC2_DEFAULTS;
    const item = ec2Item(p, ec2.instanceType, ec2.desired);
    items.push(item);
    if (item.monthly === undefined) notes.push(`No price data for EC2 ${ec2.instanceType} in ${region}: its hours are not in the total.`);
    if (!config.network.vpcId ? config.network.profile !== 'production' : !config.network.privateSubnetIds?.length)
      items.push(ipv4Item(p, ec2.desired, 'Public IPv4 addresses (EC2 instances)', COST_STEPS.capacity));
    if (ec2.spot) notes.push('The EC2 instances run as Spot: they cost the Spot price, usually well below the on-demand price shown.');
    notes.push(`The instance group scales between ${ec2.min} and ${ec2.max} instances; the estimate uses desired (${ec2.desired}).`);
  }
  notes.push(
    p.logsIngestGb !== undefined
      ? `CloudWatch Logs: $${p.logsIngestGb.toFixed(2)} per GB ingested (usage-based, not in the total).`
      : `CloudWatch Logs: usage-based; no price data for log ingestion in ${region}.`,
  );
  return items;
}

/**
 * The monthly cost of what the config runs in `region`; "no price data" (known: false) for a region not in the table.
 * `nats` overrides the NAT gateway count (the plan's delta prices the network as it runs before a change).
 */
export function estimateCost(config: Config, region: string, o: { nats?: number } = {}): CostEstimate {
  const p = PRICES[region];
  if (!p) {
    return {
      region,
      currency: 'USD',
      pricesAsOf: PRICES_AS_OF,
      known: false,
      items: [],
      notes: [`No price data for ${region}: ecs-kit's price table covers ${Object.keys(PRICES).join(', ')}.`],
    };
  }
  const notes: string[] = [];
  const items = [...serviceItems(p, config, notes), ...sharedItems(p, config, region, notes, o.nats)];
  return {
    region,
    currency: 'USD',
    pricesAsOf: PRICES_AS_OF,
    known: true,
    items,
    monthly: round(items.reduce((sum, i) => sum + (i.monthly ?? 0), 0)),
    notes,
  };
}
