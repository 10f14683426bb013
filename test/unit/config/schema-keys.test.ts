import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { configSchema } from '../../../src/config/schema.js';
import { knownKeysAt } from '../../../src/config/schema-keys.js';
import type { ConfigError } from '../../../src/errors.js';

describe('known config keys come from the zod schema', () => {
  it.each([
    [[], ['app', 'services', 'network', 'loadBalancer']],
    [['network'], ['profile', 'cidr', 'azs', 'zoneIds', 'vpcId']],
    [['ec2'], ['instanceType', 'ami', 'spot']],
    [
      ['services', 'web'],
      ['image', 'port', 'cpuArchitecture', 'secrets', 'taskRole'],
    ],
    [
      ['services', 'web', 'build'],
      ['context', 'dockerfile', 'platform'],
    ],
    [
      ['services', 'web', 'taskRole', 'statements', 0],
      ['Effect', 'Action', 'Condition'],
    ],
    [['loadBalancer'], ['certificateArn', 'allowedCidrs']],
  ])('at %j', (path, expected) => {
    expect(knownKeysAt(configSchema, path)).toEqual(expect.arrayContaining(expected));
  });

  it('is empty where the value is not an object', () => {
    expect(knownKeysAt(configSchema, ['app'])).toEqual([]);
    expect(knownKeysAt(configSchema, ['services', 'web', 'environment'])).toEqual([]);
  });

  it('suggests the closest key the schema has (network.zoneIds)', () => {
    const err = (() => {
      try {
        parseConfigText('app: shop\nnetwork: { zoneId: [use1-az1, use1-az2] }\nservices: { web: { image: nginx, port: 80 } }\n');
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(err.problems).toContain('network.zoneId: unknown field; did you mean "zoneIds"?');
  });
});
