import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import type { PlannedStepInfo } from '../../../src/engine/events.js';
import { withPlanDelta } from '../../../src/pricing/delta.js';
import { estimateCost } from '../../../src/pricing/estimate.js';
import { HOURS_PER_MONTH, PRICES } from '../../../src/pricing/prices.js';
import { formatCost } from '../../../src/ui/cost.js';

const config = (text: string) => parseConfigText(text);
const BASE = 'app: shop\nservices:\n  web: { image: nginx:1.27, port: 80 }\n';
const item = (text: string, component: string, region = 'us-east-1') =>
  estimateCost(config(text), region).items.filter((i) => i.component === component);
const US = PRICES['us-east-1']!;

describe('price components (us-east-1 list prices × 730 hours)', () => {
  it('Fargate: vCPU-hours and GB-hours × desired count', () => {
    const [web] = item('app: shop\nservices:\n  web: { image: nginx, port: 80, cpu: 1024, memory: 2048, desiredCount: 3 }\n', 'fargate');
    // 3 × (1 × 0.04048 + 2 × 0.004445) × 730 = 108.116 → 108.12
    expect(web!.monthly).toBe(108.12);
    expect(web!.resource).toBe('Fargate tasks (web)');
    expect(web!.basis).toBe('3 tasks × (1 vCPU × $0.04048 + 2 GB × $0.004445)/hour × 730 h');
  });

  it('Fargate on arm64 uses the Graviton rates', () => {
    const [web] = item('app: shop\nservices:\n  web: { image: nginx, port: 80, cpuArchitecture: arm64 }\n', 'fargate');
    expect(web!.monthly).toBe(Math.round((0.25 * 0.03238 + 0.5 * 0.00356) * 730 * 100) / 100);
  });

  it('Fargate Spot is priced on demand and the Spot discount is noted', () => {
    const e = estimateCost(config('app: shop\nservices:\n  web: { image: nginx, port: 80, capacity: fargate-spot }\n'), 'us-east-1');
    expect(e.items.find((i) => i.component === 'fargate')!.monthly).toBe(9.01);
    expect(e.notes.join('\n')).toMatch(/web runs on Fargate Spot.*up to 70% less/);
  });

  it('Application Load Balancer: its hours, and one LCU as the minimum', () => {
    expect(item(BASE, 'alb')[0]!.monthly).toBe(16.43); // 0.0225 × 730 = 16.425
    expect(item(BASE, 'alb-lcu')[0]!.monthly).toBe(5.84); // 0.008 × 730
  });

  it('no load balancer for a config of workers only', () => {
    expect(item('app: shop\nservices:\n  jobs: { image: busybox }\n', 'alb')).toEqual([]);
  });

  it('NAT gateway hours: one for nat single, one per zone for per-az, none in the learning profile', () => {
    expect(item(BASE, 'nat')).toEqual([]);
    const single = item(`${BASE}network: { profile: production }\n`, 'nat');
    expect(single).toEqual([expect.objectContaining({ resource: 'NAT gateway', monthly: 32.85, basis: '1 × $0.045/hour × 730 h' })]);
    const perAz = item(`${BASE}network: { profile: production, nat: per-az, azs: 3 }\n`, 'nat');
    expect(perAz).toEqual([expect.objectContaining({ resource: 'NAT gateways (3)', monthly: 98.55 })]);
    const notes = estimateCost(config(`${BASE}network: { profile: production }\n`), 'us-east-1').notes.join('\n');
    expect(notes).toContain('$0.045 per GB');
  });

  it('public IPv4 at $0.005/hour each: load balancer nodes, NAT Elastic IPs, tasks in public subnets', () => {
    const learning = item('app: shop\nservices:\n  web: { image: nginx, port: 80, desiredCount: 2 }\n', 'public-ipv4');
    expect(learning.map((i) => [i.resource, i.monthly])).toEqual([
      ['Public IPv4 addresses (web tasks)', 7.3],
      ['Public IPv4 addresses (load balancer)', 7.3],
    ]);
    const production = item(`${BASE}network: { profile: production, nat: per-az, azs: 3 }\n`, 'public-ipv4');
    expect(production.map((i) => [i.resource, i.monthly])).toEqual([
      ['Public IPv4 addresses (load balancer)', 10.95],
      ['Elastic IPs (NAT)', 10.95],
    ]);
    expect(US.publicIpv4Hour * HOURS_PER_MONTH).toBeCloseTo(3.65);
  });

  it('EC2 instance hours for the configured type; an unknown type says "no price data" and the rest still adds up', () => {
    const ec2 =
      'app: shop\nec2: { instanceType: t3.medium, desired: 2, min: 1, max: 3 }\nservices:\n  web: { image: nginx, port: 80, capacity: ec2 }\n';
    const [instances] = item(ec2, 'ec2');
    expect(instances).toMatchObject({ resource: 'EC2 instances (2 × t3.medium)', monthly: 60.74 }); // 2 × 0.0416 × 730
    const unknown = estimateCost(config(ec2.replace('t3.medium', 'x2iedn.32xlarge')), 'us-east-1');
    const priced = unknown.items.find((i) => i.component === 'ec2')!;
    expect(priced.monthly).toBeUndefined();
    expect(priced.basis).toBe('no price data for x2iedn.32xlarge');
    expect(unknown.monthly).toBeGreaterThan(0);
    expect(unknown.notes.join('\n')).toContain('No price data for EC2 x2iedn.32xlarge');
  });

  it('log ingestion is noted as usage-based, not priced', () => {
    const e = estimateCost(config(BASE), 'us-east-1');
    expect(e.notes.join('\n')).toContain('CloudWatch Logs: $0.50 per GB ingested (usage-based');
    expect(e.items.some((i) => /log/i.test(i.resource))).toBe(false);
  });

  it('the total is the sum of the items', () => {
    const e = estimateCost(config(BASE), 'us-east-1');
    expect(e.monthly).toBeCloseTo(
      e.items.reduce((s, i) => s + i.monthly!, 0),
      2,
    );
    expect(e).toMatchObject({ known: true, currency: 'USD', pricesAsOf: expect.stringMatching(/^\d{4}-\d\d-\d\d$/) });
  });

  it('a region without price data says so and guesses nothing', () => {
    const e = estimateCost(config(BASE), 'ap-south-2');
    expect(e).toMatchObject({ known: false, items: [] });
    expect(e.monthly).toBeUndefined();
    expect(formatCost(e)).toEqual(['Estimated cost: no price data for ap-south-2.']);
  });
});

describe('regions beyond the US (each number sourced in prices.ts)', () => {
  const PROD = 'app: shop\nnetwork: { profile: production }\nservices:\n  web: { image: nginx, port: 80, cpu: 1024, memory: 2048 }\n';
  // [region, Fargate x86 vCPU-hour, GB-hour, NAT hour]
  const cases: [string, number, number, number][] = [
    ['eu-west-1', 0.04048, 0.004445, 0.048],
    ['ap-southeast-1', 0.05056, 0.00553, 0.059],
    ['ap-northeast-1', 0.05056, 0.00553, 0.062],
  ];
  it.each(cases)("%s: Fargate and the NAT gateway at that region's prices", (region, vcpu, gb, nat) => {
    const e = estimateCost(config(PROD), region);
    expect(e.known).toBe(true);
    const fargate = e.items.find((i) => i.component === 'fargate')!;
    expect(fargate.monthly).toBe(Math.round((vcpu + 2 * gb) * 730 * 100) / 100);
    const natItem = e.items.find((i) => i.component === 'nat')!;
    expect(natItem.monthly).toBe(Math.round(nat * 730 * 100) / 100);
    expect(natItem.basis).toBe(`1 × $${nat}/hour × 730 h`);
    expect(e.notes.join('\n')).toContain(`$${nat} per GB`);
  });

  it('pins the sourced figures: eu-west-1 1 vCPU/2 GB = $36.04, NAT $35.04; Tokyo ALB $17.74', () => {
    const eu = estimateCost(config(PROD), 'eu-west-1');
    expect(eu.items.find((i) => i.component === 'fargate')!.monthly).toBe(36.04); // (0.04048 + 2 × 0.004445) × 730
    expect(eu.items.find((i) => i.component === 'nat')!.monthly).toBe(35.04); // 0.048 × 730
    expect(item(BASE, 'alb', 'ap-northeast-1')[0]!.monthly).toBe(17.74); // 0.0243 × 730
    expect(estimateCost(config(BASE), 'ap-northeast-1').notes.join('\n')).toContain('CloudWatch Logs: $0.76 per GB');
  });

  it('a component with no sourced price says "no price data" and is left out of the total, never borrowed from the US', () => {
    const e = estimateCost(config(BASE), 'eu-west-1');
    const alb = e.items.find((i) => i.component === 'alb')!;
    expect(alb).toMatchObject({ basis: 'no price data in this region' });
    expect(alb.monthly).toBeUndefined();
    expect(e.notes.join('\n')).toContain('No price data for the Application Load Balancer in eu-west-1');
    expect(e.notes.join('\n')).toContain('no price data for log ingestion in eu-west-1');
    const arm = estimateCost(config('app: shop\nservices:\n  web: { image: nginx, port: 80, cpuArchitecture: arm64 }\n'), 'ap-southeast-1');
    expect(arm.items.find((i) => i.component === 'fargate')!.monthly).toBeUndefined();
    expect(arm.monthly).toBeCloseTo(
      arm.items.reduce((s, i) => s + (i.monthly ?? 0), 0),
      2,
    );
    const ec2 =
      'app: shop\nec2: { instanceType: t3.small, desired: 1, min: 1, max: 1 }\nservices:\n  web: { image: nginx, port: 80, capacity: ec2 }\n';
    expect(item(ec2, 'ec2', 'ap-northeast-1')[0]!.basis).toBe('no price data for t3.small');
  });

  it.each(['eu-central-1', 'eu-west-2', 'ap-southeast-2'])('%s (NAT price not sourced) still says "no price data"', (region) => {
    const e = estimateCost(config(BASE), region);
    expect(e).toMatchObject({ known: false, items: [] });
    expect(formatCost(e)).toEqual([`Estimated cost: no price data for ${region}.`]);
  });
});

const step = (id: string, action: PlannedStepInfo['action'], changes: PlannedStepInfo['changes'] = []): PlannedStepInfo => ({
  id,
  title: id,
  action,
  changes,
});

describe('the delta of a plan', () => {
  const production = config(`${BASE}network: { profile: production }\n`);

  it('a first deploy adds everything', () => {
    const e = estimateCost(config(BASE), 'us-east-1');
    const steps = ['network', 'load-balancer', 'service:web', 'task-definition:web'].map((id) => step(id, 'create'));
    expect(withPlanDelta(e, config(BASE), steps, 'deploy').delta).toBe(e.monthly);
  });

  it('adding a NAT gateway to a deployed production network: "+$32.85/month: NAT gateway"', () => {
    const cfg = config(`${BASE}network: { profile: production, nat: per-az, azs: 2 }\n`);
    const e = estimateCost(cfg, 'us-east-1');
    const steps = [step('network', 'update', [{ field: 'nat-gateway-2', after: 'NAT gateway with an Elastic IP in public-subnet-2' }])];
    steps.push(step('load-balancer', 'noop'), step('service:web', 'noop'));
    const d = withPlanDelta(e, cfg, steps, 'deploy');
    expect(d.changes).toEqual([
      { resource: 'NAT gateways (2)', monthly: 32.85 },
      { resource: 'Elastic IPs (NAT)', monthly: 3.65 },
    ]);
    expect(d.delta).toBe(36.5);
    expect(formatCost(d).join('\n')).toContain('  +$32.85/month: NAT gateways (2)');
  });

  it('a desired count or task size change adds the difference', () => {
    const cfg = config('app: shop\nservices:\n  web: { image: nginx, port: 80, desiredCount: 2, cpu: 512, memory: 1024 }\n');
    const e = estimateCost(cfg, 'us-east-1');
    const steps = [
      step('service:web', 'update', [{ field: 'desiredCount', before: 1, after: 2 }]),
      step('task-definition:web', 'update', [
        { field: 'cpu', before: '256', after: '512' },
        { field: 'memory', before: '512', after: '1024' },
      ]),
      step('load-balancer', 'noop'),
    ];
    const d = withPlanDelta(e, cfg, steps, 'deploy');
    // before: 1 × (0.25 × 0.04048 + 0.5 × 0.004445) × 730 = 9.01; after: 2 × (0.5 × 0.04048 + 1 × 0.004445) × 730 = 36.04
    expect(d.changes).toEqual([
      { resource: 'Fargate tasks (web)', monthly: 27.03 },
      { resource: 'Public IPv4 addresses (web tasks)', monthly: 3.65 },
    ]);
  });

  it('no change: nothing added', () => {
    const e = estimateCost(production, 'us-east-1');
    const steps = ['network', 'load-balancer', 'service:web'].map((id) => step(id, 'noop'));
    const d = withPlanDelta(e, production, steps, 'deploy');
    expect(d).toMatchObject({ delta: 0, changes: [] });
    expect(formatCost(d).join('\n')).toContain('This change: $0.00/month');
  });

  it('a teardown takes every cost away', () => {
    const e = estimateCost(production, 'us-east-1');
    const steps = ['network', 'load-balancer', 'service:web', 'task-definition:web'].map((id) => step(id, 'delete'));
    const d = withPlanDelta(e, production, steps, 'teardown');
    expect(d.delta).toBe(-e.monthly!);
    expect(formatCost(d, { command: 'teardown' }).join('\n')).toContain(`Tearing down saves $${e.monthly!.toFixed(2)}/month:`);
  });
});
