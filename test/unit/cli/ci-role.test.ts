import { describe, expect, it } from 'vitest';
import { checkBranch, checkRepo, ciRoleName, planCiRole } from '../../../src/cli/commands/ci-role/plan.js';

const input = {
  app: 'shop',
  env: 'prod',
  partition: 'aws',
  account: '123456789012',
  repo: 'acme/shop',
  branch: 'main',
  pullRequests: false,
};
const doc = { Version: '2012-10-17' as const, Statement: [] };

describe('ci-role plan', () => {
  it('trusts exactly one repository and branch, with the sts.amazonaws.com audience', () => {
    const plan = planCiRole(input, [doc, doc]);
    expect(plan.roleArn).toBe(`arn:aws:iam::123456789012:role/ecs-kit-ci/${ciRoleName('shop', 'prod')}`);
    expect(plan.trustPolicy).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Federated: 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com' },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: {
            StringEquals: {
              'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
              'token.actions.githubusercontent.com:sub': 'repo:acme/shop:ref:refs/heads/main',
            },
          },
        },
      ],
    });
    expect(plan.policies.map((p) => p.arn)).toEqual([
      `arn:aws:iam::123456789012:policy/ecs-kit-ci/${plan.roleName}-1`,
      `arn:aws:iam::123456789012:policy/ecs-kit-ci/${plan.roleName}-2`,
    ]);
    expect(plan.tags).toEqual(
      expect.arrayContaining([
        { Key: 'ecs-kit:app', Value: 'shop' },
        { Key: 'ecs-kit:env', Value: 'prod' },
        { Key: 'ecs-kit:ci-repo', Value: 'acme/shop' },
      ]),
    );
  });

  it('with --pull-requests also trusts pull_request runs of that repository (and no other)', () => {
    const plan = planCiRole({ ...input, pullRequests: true, partition: 'aws-cn' }, [doc]);
    const cond = (plan.trustPolicy.Statement as { Condition: { StringEquals: Record<string, unknown> } }[])[0]!.Condition;
    expect(cond.StringEquals['token.actions.githubusercontent.com:sub']).toEqual([
      'repo:acme/shop:ref:refs/heads/main',
      'repo:acme/shop:pull_request',
    ]);
    expect(plan.providerArn.startsWith('arn:aws-cn:iam::')).toBe(true);
  });

  it.each(['acme', 'acme/', '/shop', 'ac me/shop', 'acme/shop/x', 'acme/..', '-acme/shop', 'acme/*'])(
    'refuses --github %s (exit 2)',
    (repo) => {
      expect(() => checkRepo(repo)).toThrow(expect.objectContaining({ exitCode: 2, message: expect.stringContaining('--github') }));
    },
  );

  it.each(['*', 'feature/*', '../main', '/main', 'main/', '-x', 'a b'])(
    'refuses --branch %s: the role trusts one exact branch',
    (branch) => {
      expect(() => checkBranch(branch)).toThrow(expect.objectContaining({ exitCode: 2, message: expect.stringContaining('--branch') }));
    },
  );

  it('accepts ordinary names', () => {
    expect(checkRepo('acme-co/shop.web_2')).toBe('acme-co/shop.web_2');
    expect(checkBranch('release/2026.12')).toBe('release/2026.12');
  });
});
