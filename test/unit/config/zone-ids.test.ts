import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/errors.js';

/** network.zoneIds (#19): pin the zones by ID; checked before any AWS call (exit 2). */

function problems(text: string): string[] {
  try {
    parseConfigText(text, 'ecs-kit.yml');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

const withNetwork = (network: string, extra = '') =>
  `app: shop\n${extra}network: ${network}\nservices:\n  web: { image: nginx, port: 80 }\n`;

describe('network.zoneIds', () => {
  it('is accepted and sets the number of zones', () => {
    expect(parseConfigText(withNetwork('{ zoneIds: [use1-az1, use1-az2, use1-az4] }')).network).toMatchObject({
      azs: 3,
      zoneIds: ['use1-az1', 'use1-az2', 'use1-az4'],
    });
    expect(parseConfigText(withNetwork('{ zoneIds: [use1-az1, use1-az2], azs: 2 }')).network.azs).toBe(2);
    expect(parseConfigText(withNetwork('{ profile: production }')).network.azs).toBe(2);
  });

  it.each([
    [
      'a zone name instead of an ID',
      '{ zoneIds: [us-east-1a, us-east-1b] }',
      'network.zoneIds[0]: "us-east-1a" must be availability zone IDs such as use1-az1',
    ],
    ['one zone', '{ zoneIds: [use1-az1] }', 'network.zoneIds: must list 2 or 3 zone IDs'],
    [
      'a count that disagrees with azs',
      '{ zoneIds: [use1-az1, use1-az2], azs: 3 }',
      'network.azs: 3 does not match the 2 zones in network.zoneIds; remove network.azs',
    ],
    ['a zone twice', '{ zoneIds: [use1-az1, use1-az1] }', 'network.zoneIds: lists use1-az1 twice'],
    ['zones of two regions', '{ zoneIds: [use1-az1, usw2-az1] }', 'network.zoneIds: mixes zones of different regions (use1, usw2)'],
    [
      'with your own VPC',
      '{ vpcId: vpc-0abc, publicSubnetIds: [subnet-0a, subnet-0b], zoneIds: [use1-az1, use1-az2] }',
      'network.zoneIds: is for the VPC ecs-kit creates',
    ],
  ])('refuses %s, naming the field', (_, network, expected) => {
    expect(problems(withNetwork(network)).join('\n')).toContain(expected);
  });

  it('refuses, with the region in the config, a zone Fargate does not run in, naming the ones it does', () => {
    expect(problems(withNetwork('{ zoneIds: [usw1-az1, usw1-az2] }', 'region: us-west-1\n'))).toEqual([
      'network.zoneIds[1]: Fargate does not run in usw1-az2 in us-west-1; use usw1-az1 or usw1-az3, or remove network.zoneIds',
    ]);
    // EC2 capacity runs in any zone.
    expect(
      problems(
        `app: shop\nregion: us-west-1\nnetwork: { zoneIds: [usw1-az1, usw1-az2] }\nservices:\n  web: { image: nginx, port: 80, capacity: ec2 }\n`,
      ),
    ).toEqual([]);
  });

  it('is a known field (no "unknown field" hint)', () => {
    expect(problems(withNetwork('{ zoneId: [use1-az1, use1-az2] }'))).toEqual(['network.zoneId: unknown field; did you mean "zoneIds"?']);
  });
});
