import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { deployerPolicy } from '../../../src/security/deployer-policy.js';
import { MANAGED_POLICY_MAX_CHARS, mergeStatements, policySize, splitPolicy } from '../../../src/security/policy-document.js';
import type { Statement } from '../../../src/security/statements.js';
import { POLICY_CASES } from './policy-configs.js';
import { grants } from './policy-tuples.js';

const policyOf = (name: string) => {
  const c = POLICY_CASES.find((p) => p.name === name)!;
  return deployerPolicy({ config: parseConfigText(c.yaml), env: c.env, region: c.region, account: c.account });
};
const allow = (Sid: string, Action: string[], Resource: string | string[], Condition?: Statement['Condition']): Statement => ({
  Sid,
  Effect: 'Allow',
  Action,
  Resource,
  ...(Condition ? { Condition } : {}),
});
const sids = (statements: readonly Statement[]) => statements.map((s) => s.Sid);

describe('merging statements', () => {
  it('joins the actions of statements with the same resources and condition; the first keeps its Sid and place', () => {
    const merged = mergeStatements([
      allow('A', ['ecs:B', 'ecs:A'], ['arn:1', 'arn:2']),
      allow('Other', ['ecs:C'], 'arn:3'),
      allow('A2', ['ecs:A', 'ecs:D'], ['arn:2', 'arn:1']),
    ]);
    expect(merged).toEqual([allow('A', ['ecs:A', 'ecs:B', 'ecs:D'], ['arn:1', 'arn:2']), allow('Other', ['ecs:C'], 'arn:3')]);
  });

  it('joins the values of one "any of" condition key when action and resources are the same', () => {
    const merged = mergeStatements([
      allow('T', ['ec2:CreateTags'], '*', { StringEquals: { 'ec2:CreateAction': ['CreateVpc'] } }),
      allow('T', ['ec2:CreateTags'], '*', { StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' } }),
    ]);
    expect(merged).toEqual([
      allow('T', ['ec2:CreateTags'], '*', { StringEquals: { 'ec2:CreateAction': ['CreateVpc', 'CreateSecurityGroup'] } }),
    ]);
  });

  it('never joins conditions that would widen the grant', () => {
    const notEquals = [
      allow('N', ['iam:PassRole'], '*', { StringNotEquals: { 'iam:PassedToService': 'a' } }),
      allow('N', ['iam:PassRole'], '*', { StringNotEquals: { 'iam:PassedToService': 'b' } }),
    ];
    const otherActions = [
      allow('X', ['iam:PassRole'], '*', { StringEquals: { 'iam:PassedToService': 'a' } }),
      allow('Y', ['iam:GetRole'], '*', { StringEquals: { 'iam:PassedToService': 'b' } }),
    ];
    const twoKeys = [
      allow('K', ['s3:GetObject'], '*', { StringEquals: { 'aws:a': 'x', 'aws:b': 'y' } }),
      allow('K', ['s3:GetObject'], '*', { StringEquals: { 'aws:a': 'z', 'aws:b': 'y' } }),
    ];
    for (const input of [notEquals, otherActions, twoKeys]) {
      const merged = mergeStatements(input);
      expect(merged).toHaveLength(2);
      expect(grants({ Statement: merged })).toEqual(grants({ Statement: input }));
    }
  });

  it('gives every statement a unique Sid, as IAM requires', () => {
    expect(sids(mergeStatements([allow('S', ['a:A'], 'arn:1'), allow('S', ['a:A'], 'arn:2'), allow('S', ['a:A'], 'arn:3')]))).toEqual([
      'S',
      'S2',
      'S3',
    ]);
    for (const c of POLICY_CASES) {
      const statements = policyOf(c.name).Statement;
      expect(new Set(sids(statements)).size, c.name).toBe(statements.length);
    }
  });

  it('makes the policy smaller without changing what it grants', () => {
    const merged = policyOf('large');
    const unmerged = merged.Statement.flatMap((s) => s.Action.map((a) => ({ ...s, Action: [a] })));
    expect(grants({ Statement: unmerged })).toEqual(grants(merged));
    expect(policySize(merged)).toBeLessThan(policySize({ ...merged, Statement: unmerged }));
  });
});

/**
 * A managed policy holds 6,144 characters. Even a typical config's deployer policy needs a little more (about 7,000),
 * and a large one about twice that, so the policy is split into documents that fit, attached side by side (a role or
 * user takes 10 managed policies by default).
 */
describe('splitting the policy into managed policies', () => {
  it.each(POLICY_CASES.map((c) => [c.name] as const))('%s: parts that fit, together granting exactly the whole', (name) => {
    const whole = policyOf(name);
    const parts = splitPolicy(whole);
    expect(parts.length).toBeLessThanOrEqual(10);
    for (const part of parts) {
      expect(policySize(part)).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
      expect(part.Version).toBe('2012-10-17');
      expect(new Set(sids(part.Statement)).size).toBe(part.Statement.length);
    }
    expect(grants({ Statement: parts.flatMap((p) => p.Statement) })).toEqual(grants(whole));
    if (policySize(whole) <= MANAGED_POLICY_MAX_CHARS) expect(parts).toEqual([whole]);
  });

  it('the large config (5 services, production network, EC2 capacity, secrets, HTTPS, a canary) needs three managed policies', () => {
    const parts = splitPolicy(policyOf('large'));
    expect(parts).toHaveLength(3);
  });

  it('halves a statement that fits no document on its own, by actions and then by resources', () => {
    const whole = policyOf('large');
    const parts = splitPolicy(whole, 700);
    for (const part of parts) expect(policySize(part)).toBeLessThanOrEqual(700);
    expect(grants({ Statement: parts.flatMap((p) => p.Statement) })).toEqual(grants(whole));
    const manyGroups = allow(
      'Logs',
      ['logs:GetLogEvents'],
      Array.from({ length: 20 }, (_, i) => `arn:aws:logs:eu-west-1:111122223333:log-group:/ecs/shop/prod/s${i}`),
    );
    const byResources = splitPolicy({ Version: '2012-10-17', Statement: [manyGroups] }, 600);
    expect(byResources.length).toBeGreaterThan(1);
    expect(byResources.flatMap((p) => p.Statement).every((s) => s.Action.length === 1)).toBe(true);
    expect(grants({ Statement: byResources.flatMap((p) => p.Statement) })).toEqual(grants({ Statement: [manyGroups] }));
    expect(() => splitPolicy(whole, 100)).toThrow(/alone exceeds the policy size limit/);
  });
});
