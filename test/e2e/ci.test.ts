import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  CreateOpenIDConnectProviderCommand,
  DeleteOpenIDConnectProviderCommand,
  GetOpenIDConnectProviderCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListPoliciesCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { describeRun } from './harness/cli.js';
import { startE2e, type E2e } from './harness/fixture.js';

const ROLE = 'ecs-kit-ci-shop-default';
const PROVIDER = 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com';
const decode = (doc: string | undefined) => JSON.parse(doc!.startsWith('%') ? decodeURIComponent(doc!) : doc!) as Record<string, unknown>;

/**
 * Deploy from CI: `init --ci github` writes a workflow that parses and names the role, region and commands; `ci-role`
 * creates the OIDC provider and a role trusted by one repo and branch with the deployer policy attached, changes nothing
 * when run again, and `--delete` removes exactly what it created (a provider that was there before stays).
 */
describe('deploy from CI: init --ci github and ci-role', () => {
  let env: E2e;
  let iam: IAMClient;

  beforeAll(async () => {
    env = await startE2e('ci');
    iam = new IAMClient({
      endpoint: env.moto.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
  }, 60_000);
  afterAll(async () => {
    await env?.stop();
  });

  it('init --ci github writes a workflow that parses as YAML and names the role, region and commands', async () => {
    const r = await env.cli([
      'init',
      '--yes',
      '--name',
      'shop',
      '--dockerfile',
      'Dockerfile',
      '--port',
      '80',
      '--region',
      'eu-west-1',
      '--ci',
      'github',
    ]);
    expect(r.code, describeRun(r)).toBe(0);
    const text = await readFile(path.join(env.dir, '.github', 'workflows', 'deploy.yml'), 'utf8');
    const wf = parse(text) as {
      on: { push: { branches: string[] }; pull_request: unknown };
      permissions: Record<string, string>;
      env: Record<string, string>;
      jobs: Record<
        string,
        {
          if: string;
          concurrency?: { group: string; 'cancel-in-progress': boolean };
          steps: { uses?: string; run?: string; with?: Record<string, string> }[];
        }
      >;
    };
    expect(wf.on.push.branches).toEqual(['main']);
    expect(wf.on).toHaveProperty('pull_request');
    expect(wf.permissions['id-token']).toBe('write');
    expect(wf.env.AWS_REGION).toBe('eu-west-1');
    const creds = wf.jobs.deploy!.steps.find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials'))!;
    expect(creds.with!['role-to-assume']).toBe(`arn:aws:iam::\${{ vars.AWS_ACCOUNT_ID }}:role/ecs-kit-ci/${ROLE}`);
    expect(wf.jobs.deploy!.steps.some((s) => /ecs-kit@\S+ deploy --env default --yes --json/.test(s.run ?? ''))).toBe(true);
    expect(wf.jobs.deploy!.steps.some((s) => s.uses?.startsWith('docker/setup-buildx-action'))).toBe(true);
    expect(wf.jobs.deploy!.concurrency).toEqual({ group: 'ecs-kit-shop-default', 'cancel-in-progress': false });
    expect(wf.jobs.plan!.if).toContain('pull_request');
    expect(wf.jobs.plan!.steps.some((s) => /plan --env default --detailed-exitcode/.test(s.run ?? ''))).toBe(true);
    // Asked again without --force: refused, nothing overwritten.
    const again = await env.cli(['init', '--yes', '--name', 'shop', '--image', 'nginx', '--port', '80', '--ci', 'github']);
    expect(again.code, describeRun(again)).toBe(2);
    const bad = await env.cli(['init', '--yes', '--force', '--name', 'shop', '--image', 'nginx', '--ci', 'jenkins']);
    expect(bad.code, describeRun(bad)).toBe(2);
    expect(bad.stderr).toContain('--ci');
  });

  it('init --ci github in a project with a config adds only the workflow, written from that config', async () => {
    const configFile = path.join(env.dir, 'ecs-kit.yml');
    const workflow = path.join(env.dir, '.github', 'workflows', 'deploy.yml');
    const before = await readFile(configFile, 'utf8');
    await rm(workflow);
    const r = await env.cli(['init', '--ci', 'github', '--env', 'prod']);
    expect(r.code, describeRun(r)).toBe(0);
    expect(await readFile(configFile, 'utf8')).toBe(before);
    const wf = parse(await readFile(workflow, 'utf8')) as {
      env: Record<string, string>;
      jobs: { deploy: { steps: { uses?: string; run?: string }[] } };
    };
    expect(wf.env.AWS_REGION).toBe('eu-west-1');
    expect(wf.jobs.deploy.steps.some((s) => /ecs-kit@\S+ deploy --env prod --yes --json/.test(s.run ?? ''))).toBe(true);
    expect(wf.jobs.deploy.steps.some((s) => s.uses?.startsWith('docker/setup-buildx-action'))).toBe(true);
    expect(`${r.stdout}${r.stderr}`).toContain('ci-role --github <owner/repo> --env prod');
  });

  it('ci-role --print shows the trust policy and the policies and changes nothing', async () => {
    env.proxy.clear();
    const r = await env.cli(['ci-role', '--github', 'acme/shop', '--print']);
    expect(r.code, describeRun(r)).toBe(0);
    const printed = JSON.parse(r.stdout) as { role: { trustPolicy: { Statement: { Condition: unknown }[] } }; policies: unknown[] };
    expect(printed.role.trustPolicy.Statement[0]!.Condition).toEqual({
      StringEquals: {
        'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
        'token.actions.githubusercontent.com:sub': 'repo:acme/shop:ref:refs/heads/main',
      },
    });
    expect(printed.policies.length).toBeGreaterThan(0);
    expect(env.mutating(), env.callList()).toEqual([]);
    const bad = await env.cli(['ci-role', '--github', 'not a repo']);
    expect(bad.code, describeRun(bad)).toBe(2);
  });

  it('ci-role creates the provider and a role trusted only by that repo and branch, with the deployer policy; run again it changes nothing', async () => {
    const r = await env.cli(['ci-role', '--github', 'acme/shop', '--branch', 'release', '--json']);
    expect(r.code, describeRun(r)).toBe(0);
    const provider = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: PROVIDER }));
    expect(provider.ClientIDList).toEqual(['sts.amazonaws.com']);
    expect(env.proxy.sentOf('CreateOpenIDConnectProvider')[0]!.params).not.toHaveProperty('ThumbprintList.member.1');
    const role = (await iam.send(new GetRoleCommand({ RoleName: ROLE }))).Role!;
    expect(role.Path).toBe('/ecs-kit-ci/');
    const trust = decode(role.AssumeRolePolicyDocument) as { Statement: { Principal: unknown; Action: string; Condition: unknown }[] };
    expect(trust.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Federated: PROVIDER },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
            'token.actions.githubusercontent.com:sub': 'repo:acme/shop:ref:refs/heads/release',
          },
        },
      },
    ]);
    expect(role.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'ecs-kit:app', Value: 'shop' },
        { Key: 'ecs-kit:ci-repo', Value: 'acme/shop' },
      ]),
    );
    const attached = (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: ROLE }))).AttachedPolicies ?? [];
    expect(attached.length).toBeGreaterThan(0);
    const actions = new Set<string>();
    for (const p of attached) {
      const version = await iam.send(new GetPolicyVersionCommand({ PolicyArn: p.PolicyArn, VersionId: 'v1' }));
      for (const s of (decode(version.PolicyVersion!.Document) as { Statement: { Action: string[] }[] }).Statement)
        s.Action.forEach((a) => actions.add(a));
    }
    expect(actions).toContain('ecs:CreateService');
    expect(actions).toContain('iam:PassRole');
    expect(r.events.find((e) => e.type === 'output' && e.name === 'roleArn')?.value).toBe(
      `arn:aws:iam::123456789012:role/ecs-kit-ci/${ROLE}`,
    );

    env.proxy.clear();
    const again = await env.cli(['ci-role', '--github', 'acme/shop', '--branch', 'release']);
    expect(again.code, describeRun(again)).toBe(0);
    expect(env.mutating(), env.callList()).toEqual([]);
  });

  it('ci-role --delete removes the role, its policies and the provider it created; a provider that was there before stays', async () => {
    const r = await env.cli(['ci-role', '--github', 'acme/shop', '--delete']);
    expect(r.code, describeRun(r)).toBe(0);
    await expect(iam.send(new GetRoleCommand({ RoleName: ROLE }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
    const left = (await iam.send(new ListPoliciesCommand({ Scope: 'Local', PathPrefix: '/ecs-kit-ci/' }))).Policies ?? [];
    expect(left).toEqual([]);
    await expect(iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: PROVIDER }))).rejects.toMatchObject({
      name: 'NoSuchEntityException',
    });

    // The account already had GitHub's provider (someone else's): ci-role uses it and never deletes it.
    await iam.send(
      new CreateOpenIDConnectProviderCommand({ Url: 'https://token.actions.githubusercontent.com', ClientIDList: ['sts.amazonaws.com'] }),
    );
    expect((await env.cli(['ci-role', '--github', 'acme/shop'])).code).toBe(0);
    const del = await env.cli(['ci-role', '--github', 'acme/shop', '--delete']);
    expect(del.code, describeRun(del)).toBe(0);
    await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: PROVIDER }));
    await iam.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: PROVIDER }));
  });
});
