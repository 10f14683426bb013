import { describe, expect, it } from 'vitest';
import type { ConfigError } from '../../../src/errors.js';
import { parseConfigText } from '../../../src/config/load.js';
import { capacityProviderName, capacityStrategyFor, strategyKey } from '../../../src/capacity/strategy.js';

const svc = (extra: string) => parseConfigText(`app: shop\nservices:\n  web:\n    image: nginx\n    port: 80\n${extra}`).services.web!;

describe('capacity strategy rendering', () => {
  it('plain fargate keeps the launch type (no strategy)', () => {
    expect(capacityStrategyFor(svc(''), 'p')).toBeUndefined();
  });

  it('fargate-spot runs everything on FARGATE_SPOT', () => {
    expect(capacityStrategyFor(svc('    capacity: fargate-spot\n'), 'p')).toEqual([{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]);
  });

  it('renders an explicit strategy, leaving out a base of 0', () => {
    const s = svc(
      '    capacityStrategy:\n      - { provider: FARGATE, base: 1, weight: 1 }\n      - { provider: FARGATE_SPOT, weight: 3, base: 0 }\n',
    );
    expect(capacityStrategyFor(s, 'p')).toEqual([
      { capacityProvider: 'FARGATE', weight: 1, base: 1 },
      { capacityProvider: 'FARGATE_SPOT', weight: 3 },
    ]);
  });

  it('compares strategies order-free, treats launchType FARGATE as the FARGATE provider, and cannot compare an unechoed strategy', () => {
    const a = strategyKey([
      { capacityProvider: 'FARGATE_SPOT', weight: 3 },
      { capacityProvider: 'FARGATE', base: 1, weight: 1 },
    ]);
    expect(a).toBe(
      strategyKey([
        { capacityProvider: 'FARGATE', base: 1, weight: 1 },
        { capacityProvider: 'FARGATE_SPOT', weight: 3, base: 0 },
      ]),
    );
    expect(strategyKey(undefined, 'FARGATE')).toBe(strategyKey([{ capacityProvider: 'FARGATE', weight: 1 }]));
    expect(strategyKey([], 'EC2')).toBeUndefined();
    expect(strategyKey([{ capacityProvider: 'FARGATE_SPOT', weight: 1 }])).not.toBe(strategyKey(undefined, 'FARGATE'));
  });

  it('never names a capacity provider with a prefix AWS reserves', () => {
    expect(capacityProviderName({ prefix: 'shop-default' })).toBe('shop-default-ec2');
    expect(capacityProviderName({ prefix: 'ecs-demo-default' })).toBe('cp-ecs-demo-default-ec2');
    expect(capacityProviderName({ prefix: 'fargate-x-default' })).toBe('cp-fargate-x-default-ec2');
  });
});

describe('network and capacity config rules', () => {
  const problems = (yaml: string): string[] => {
    try {
      parseConfigText(yaml);
      return [];
    } catch (err) {
      return (err as ConfigError).problems;
    }
  };
  const base = 'app: shop\nservices: { web: { image: nginx, port: 80 } }\n';

  it('accepts production with 3 AZs and per-az NAT; rejects other values naming the field', () => {
    expect(problems(`${base}network: { profile: production, azs: 3, nat: per-az }\n`)).toEqual([]);
    expect(problems(`${base}network: { azs: 4 }\n`)[0]).toMatch(/^network\.azs: /);
    expect(problems(`${base}network: { nat: double }\n`)[0]).toMatch(/^network\.nat: .*single.*per-az/);
  });

  it('needs vpcId with subnet ids, 2 public subnets for a load balancer, and no subnet in both lists', () => {
    expect(problems(`${base}network: { publicSubnetIds: [subnet-1a, subnet-2b] }\n`)).toEqual([expect.stringMatching(/^network\.vpcId: /)]);
    expect(problems(`${base}network: { vpcId: vpc-1, publicSubnetIds: [subnet-1a] }\n`)).toEqual([
      expect.stringMatching(/at least 2 public subnets/),
    ]);
    expect(problems(`${base}network: { vpcId: vpc-1, publicSubnetIds: [subnet-1a, subnet-2b], privateSubnetIds: [subnet-1a] }\n`)).toEqual([
      expect.stringMatching(/subnet-1a is listed as both/),
    ]);
  });

  it('rejects a strategy that names a provider twice or has no weight; accepts capacity ec2 with a consistent ec2 block', () => {
    expect(
      problems(
        'app: shop\nservices:\n  web:\n    image: nginx\n    capacityStrategy: [{ provider: FARGATE, weight: 1 }, { provider: FARGATE, weight: 2 }]\n',
      )[0],
    ).toMatch(/names a provider twice/);
    expect(
      problems('app: shop\nservices:\n  web:\n    image: nginx\n    capacityStrategy: [{ provider: FARGATE_SPOT, weight: 0 }]\n')[0],
    ).toMatch(/weight above 0/);
    expect(problems('app: shop\nservices:\n  web:\n    image: nginx\n    capacity: ec2\n')).toEqual([]);
    expect(problems('app: shop\nec2: { min: 3, max: 2, desired: 2 }\nservices:\n  web:\n    image: nginx\n    capacity: ec2\n')[0]).toMatch(
      /^ec2\.min: 3 is greater than max/,
    );
    expect(problems('app: shop\nec2: { min: 1, max: 2, desired: 5 }\nservices:\n  web:\n    image: nginx\n    capacity: ec2\n')).toEqual([
      expect.stringMatching(/^ec2\.desired: 5 is outside/),
    ]);
    expect(problems('app: shop\nec2: { instanceType: big }\nservices:\n  web:\n    image: nginx\n    capacity: ec2\n')[0]).toMatch(
      /^ec2\.instanceType: .*must be an instance type/,
    );
    expect(problems('app: shop\nservices:\n  web:\n    image: nginx\n    capacty: fargate-spot\n')[0]).toMatch(/did you mean "capacity"/);
  });
});
