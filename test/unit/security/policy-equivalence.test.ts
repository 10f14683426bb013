import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { namesFor } from '../../../src/config/names.js';
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

/**
 * Grants added after the policy was frozen, each for the feature that needs it: an added grant must match one of these,
 * and nothing frozen may go.
 */
const ADDED_SINCE_FROZEN: readonly (readonly [RegExp, string])[] = [
  [/^Allow cloudwatch:DescribeAlarms \*$/, 'safe rollouts: the rollback alarms are looked up by name (src/steps/alarms)'],
  [
    /^Allow cloudwatch:(PutMetricAlarm|DeleteAlarms|TagResource|ListTagsForResource) arn:[\w-]+:cloudwatch:[\w-]+:\d+:alarm:ecs-kit\/[^/]+\/[^/]+\/\*$/,
    "safe rollouts: ecs-kit's own rollback alarms (src/steps/alarms)",
  ],
  [
    /^Allow ecs:(List|Describe|Continue|Stop)ServiceDeployments? arn:[\w-]+:ecs:[\w-]+:\d+:service(-deployment)?\/[^/]+\/\*$/,
    'safe rollouts: following, continuing and stopping service deployments (src/rollout)',
  ],
  [
    /^Allow iam:(Attach|Detach)RolePolicy arn:[\w-]+:iam::\d+:role\/ecs-kit\/[^ ]+\/\* ArnEquals iam:PolicyARN=arn:[\w-]+:iam::aws:policy\/AmazonECSInfrastructureRolePolicyForLoadBalancers$/,
    'safe rollouts: the ECS infrastructure role for load balancers gets its one managed policy (src/steps/deployment-role)',
  ],
  [
    /^Allow iam:PassRole arn:[\w-]+:iam::\d+:role\/ecs-kit\/[^ ]+\/\* StringEquals iam:PassedToService=ecs\.amazonaws\.com$/,
    'safe rollouts: that role is passed to ECS in loadBalancers[].advancedConfiguration.roleArn',
  ],
];

/** Safe rollouts: the alternate target group of each blue/green, linear or canary service gets the grants its first group has. */
function alternateGroupGrant(c: (typeof POLICY_CASES)[number], grant: string): boolean {
  const config = parseConfigText(c.yaml);
  const names = namesFor(config.app, c.env);
  return Object.entries(config.services)
    .filter(([, svc]) => svc.port !== undefined && svc.deployment.strategy !== 'rolling')
    .some(([name]) =>
      new RegExp(
        `^Allow elasticloadbalancing:\\w+ arn:[\\w-]+:elasticloadbalancing:[\\w-]+:\\d+:targetgroup/${names.alternateTargetGroup(name)}/\\*$`,
      ).test(grant),
    );
}

const expectedAddition = (c: (typeof POLICY_CASES)[number], grant: string) =>
  ADDED_SINCE_FROZEN.some(([pattern]) => pattern.test(grant)) || alternateGroupGrant(c, grant);

describe('the assembled deployer policy means what the hand-written one meant', () => {
  it('has a frozen policy for every case', () => {
    expect(Object.keys(BEFORE).sort()).toEqual(POLICY_CASES.map((c) => c.name).sort());
  });

  it.each(POLICY_CASES.map((c) => [c.name, c] as const))('%s', (name, c) => {
    const now = grants(deployerPolicy({ config: parseConfigText(c.yaml), env: c.env, region: c.region, account: c.account }));
    const before = grants(BEFORE[name]!);
    const added = [...now].filter((g) => !before.has(g));
    expect({ added: added.filter((g) => !expectedAddition(c, g)).sort(), removed: [...before].filter((g) => !now.has(g)).sort() }).toEqual({
      added: [],
      removed: [],
    });
    expect(now.size).toBe(before.size + added.length);
  });
});
