import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { deployerPolicy } from '../../../src/security/deployer-policy.js';
import { POLICY_CASES } from './policy-configs.js';
import { grants } from './policy-tuples.js';

/**
 * The deployer policy is assembled from what each step, each command and the kept grants declare. It must grant
 * exactly what the hand-written deployerPolicy() granted for the same config: the same actions on the same resources
 * under the same conditions (fixtures/deployer-policy-before.json, frozen from that function).
 */
const BEFORE = JSON.parse(readFileSync(new URL('./fixtures/deployer-policy-before.json', import.meta.url), 'utf8')) as Record<
  string,
  { Statement: unknown[] }
>;

describe('the assembled deployer policy means what the hand-written one meant', () => {
  it('has a frozen policy for every case', () => {
    expect(Object.keys(BEFORE).sort()).toEqual(POLICY_CASES.map((c) => c.name).sort());
  });

  it.each(POLICY_CASES.map((c) => [c.name, c] as const))('%s', (name, c) => {
    const now = grants(deployerPolicy({ config: parseConfigText(c.yaml), env: c.env, region: c.region, account: c.account }));
    const before = grants(BEFORE[name]!);
    expect({ added: [...now].filter((g) => !before.has(g)).sort(), removed: [...before].filter((g) => !now.has(g)).sort() }).toEqual({
      added: [],
      removed: [],
    });
    expect(now.size).toBe(before.size);
  });
});
