import { describe, expect, it } from 'vitest';
import { lbIngress } from '../../../src/steps/load-balancer/index.js';
import { config } from '../../helpers/context.js';

describe('load balancer exposure', () => {
  it('opens HTTP to everyone by default', () => {
    expect(lbIngress(config()).map((r) => r.source)).toEqual([{ kind: 'cidr', value: '0.0.0.0/0' }]);
  });

  it('restricts the load balancer security group to loadBalancer.allowedCidrs, on port 80 only', () => {
    const rules = lbIngress(
      config('app: shop\nloadBalancer: { allowedCidrs: [203.0.113.0/24, 198.51.100.7/32] }\nservices:\n  web: { image: x, port: 8080 }\n'),
    );
    expect(rules.map((r) => [r.protocol, r.fromPort, r.toPort, r.source.value])).toEqual([
      ['tcp', 80, 80, '203.0.113.0/24'],
      ['tcp', 80, 80, '198.51.100.7/32'],
    ]);
    expect(JSON.stringify(rules)).not.toContain('0.0.0.0/0');
  });
});
