import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import type { Io } from '../../../src/cli/options.js';
import { parseConfigText } from '../../../src/config/load.js';
import { MANAGED_POLICY_MAX_CHARS, policySize } from '../../../src/security/policy-document.js';
import { bootstrapPolicy, deployerPolicy } from '../../../src/security/deployer-policy.js';
import { strict } from '../../helpers/aws-mock.js';
import { sdkOperations, sourceFiles, unattributedCommands } from '../security/sdk-operations.js';
import { WORKLOADS_CASE } from '../security/policy-configs.js';
import { Capture } from '../ui/streams.js';

const sts = mockClient(STSClient);
beforeEach(() => {
  sts.reset();
  strict(sts);
});

const CFG = `
app: shop
services:
  web:
    build: { context: ., dockerfile: Dockerfile }
    port: 80
    autoscaling: { min: 1, max: 3 }
    secrets: { API: "secretsmanager:shop/api", DB: "ssm:/shop/db" }
    taskRole:
      managedPolicies: [arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess]
  worker:
    image: busybox
`;

const STATE = 'state: { backend: s3, bucket: acme-ecs-kit-state, prefix: teams }\n';

type Stmt = { Sid: string; Action: string[]; Resource: string | string[]; Condition?: Record<string, Record<string, unknown>> };

function policy() {
  return deployerPolicy({ config: parseConfigText(CFG), env: 'prod', region: 'eu-west-1', account: '111122223333' })
    .Statement as unknown as Stmt[];
}
const bySid = (sid: string) => policy().find((s) => s.Sid === sid)!;

describe('deployer policy', () => {
  it('restricts iam:PassRole to the roles ecs-kit creates for this app/env, passed to ECS tasks only', () => {
    const pass = policy().filter((s) => s.Action.includes('iam:PassRole'));
    expect(pass).toEqual([
      {
        Sid: 'PassOwnRolesToEcsTasks',
        Effect: 'Allow',
        Action: ['iam:PassRole'],
        Resource: 'arn:aws:iam::111122223333:role/ecs-kit/shop/prod/*',
        Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      },
    ]);
  });

  it('scopes named resources to exact ARNs', () => {
    expect(bySid('OwnRoles').Resource).toBe('arn:aws:iam::111122223333:role/ecs-kit/shop/prod/*');
    expect(bySid('AttachOnlyConfiguredPolicies').Condition).toEqual({
      ArnEquals: {
        'iam:PolicyARN': [
          'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy',
          'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
        ],
      },
    });
    expect(bySid('OwnLogGroups').Resource).toEqual([
      'arn:aws:logs:eu-west-1:111122223333:log-group:/ecs/shop/prod/web',
      'arn:aws:logs:eu-west-1:111122223333:log-group:/ecs/shop/prod/web:*',
      'arn:aws:logs:eu-west-1:111122223333:log-group:/ecs/shop/prod/worker',
      'arn:aws:logs:eu-west-1:111122223333:log-group:/ecs/shop/prod/worker:*',
    ]);
    expect(bySid('EcsCluster').Resource).toEqual([
      'arn:aws:ecs:eu-west-1:111122223333:cluster/shop-prod',
      'arn:aws:ecs:eu-west-1:111122223333:service/shop-prod/*',
      'arn:aws:ecs:eu-west-1:111122223333:task/shop-prod/*',
      'arn:aws:ecs:eu-west-1:111122223333:task-definition/shop-prod-web:*',
      'arn:aws:ecs:eu-west-1:111122223333:task-definition/shop-prod-worker:*',
    ]);
    // secret set writes under /ecs-kit/<app>/<env>/; /<app>/<env>/ is where older versions wrote (teardown deletes those too).
    expect(bySid('OwnParameters').Resource).toEqual([
      'arn:aws:ssm:eu-west-1:111122223333:parameter/ecs-kit/shop/prod/*',
      'arn:aws:ssm:eu-west-1:111122223333:parameter/shop/prod/*',
    ]);
    expect(bySid('OwnRepositories').Resource).toBe('arn:aws:ecr:eu-west-1:111122223333:repository/shop/prod/*');
    // One resource is written as a string.
    expect(bySid('CheckSecretsExist')).toMatchObject({
      Action: ['secretsmanager:DescribeSecret'],
      Resource: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:shop/api-??????',
    });
    expect(bySid('OwnLoadBalancer').Resource).toContain('arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/shop-prod/*');
    expect(bySid('ChangeOwnEc2').Condition).toEqual({ StringEquals: { 'aws:ResourceTag/ecs-kit:app': 'shop' } });
  });

  it('names the capacity provider the way the capacity step does (cp- for apps starting with aws, ecs or fargate)', () => {
    const withEc2 = (app: string) =>
      deployerPolicy({
        config: parseConfigText(`app: ${app}\nservices:\n  web: { image: x, capacity: ec2 }\n`),
        env: 'prod',
        region: 'eu-west-1',
        account: '111122223333',
      }).Statement as unknown as Stmt[];
    expect(withEc2('ecs-demo').find((s) => s.Sid === 'OwnCapacityProvider')!.Resource).toBe(
      'arn:aws:ecs:eu-west-1:111122223333:capacity-provider/cp-ecs-demo-prod-ec2',
    );
    expect(withEc2('shop').find((s) => s.Sid === 'OwnCapacityProvider')!.Resource).toBe(
      'arn:aws:ecs:eu-west-1:111122223333:capacity-provider/shop-prod-ec2',
    );
  });

  it('lets DescribeSecret match a foreign partial ARN by its 6-character suffix, and a full ARN exactly', () => {
    const cfg = parseConfigText(
      'app: shop\nservices:\n  web:\n    image: x\n    secrets:\n' +
        '      P: "arn:aws:secretsmanager:us-east-1:444455556666:secret:team/db"\n' +
        '      F: "arn:aws:secretsmanager:us-east-1:444455556666:secret:team/db-AbCdEf:password::"\n',
    );
    const stmts = deployerPolicy({ config: cfg, env: 'prod', region: 'eu-west-1', account: '111122223333' }).Statement as unknown as Stmt[];
    expect(stmts.find((s) => s.Sid === 'CheckSecretsExist')!.Resource).toEqual([
      'arn:aws:secretsmanager:us-east-1:444455556666:secret:team/db-??????',
      'arn:aws:secretsmanager:us-east-1:444455556666:secret:team/db-AbCdEf',
    ]);
  });

  it('never grants a wildcard action, and never reads secret values', () => {
    const actions = policy().flatMap((s) => s.Action);
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    expect(actions).not.toContain('ssm:GetParameter');
    expect(actions).not.toContain('ssm:GetParameters');
    expect(actions).not.toContain('secretsmanager:GetSecretValue');
    // IAM writes are only ever on the app/env role path; service-linked roles may only be read (and created, by service name).
    const iamWrite = (a: string) => a.startsWith('iam:') && !/^iam:(Get|List)/.test(a) && a !== 'iam:CreateServiceLinkedRole';
    for (const s of policy().filter((st) => st.Action.some(iamWrite))) {
      expect(s.Resource).toBe('arn:aws:iam::111122223333:role/ecs-kit/shop/prod/*');
    }
    const slrRead = policy().find((st) => st.Sid === 'ReadServiceLinkedRoles');
    expect(slrRead).toMatchObject({ Action: ['iam:GetRole'], Resource: 'arn:aws:iam::111122223333:role/aws-service-role/*' });
  });

  it('covers every AWS operation ecs-kit calls (so a new call cannot ship without its permission)', () => {
    const files = sourceFiles(path.resolve('src'));
    const unattributed = files.flatMap((f) => unattributedCommands(f).map((c) => `${path.relative('.', f)}: ${c}`));
    expect(unattributed, 'teach test/unit/security/sdk-operations.ts this way of loading the SDK').toEqual([]);
    const used = new Set(files.flatMap((f) => [...sdkOperations(f)]));
    // EC2 capacity permissions are granted only to configs with an EC2 service.
    const ec2Policy = deployerPolicy({
      config: parseConfigText(CFG.replace('    image: busybox', '    image: busybox\n    capacity: ec2')),
      env: 'prod',
      region: 'eu-west-1',
      account: '111122223333',
    }).Statement as unknown as Stmt[];
    // The S3 state statements are granted only to configs that keep their state in S3; the one-time setup commands
    // (state init, ci-role) need the bootstrap policy an administrator runs them with.
    const stateInput = { config: parseConfigText(`${CFG}${STATE}`), env: 'prod', region: 'eu-west-1', account: '111122223333' };
    const statePolicy = deployerPolicy(stateInput).Statement as unknown as Stmt[];
    const bootstrap = bootstrapPolicy(stateInput).Statement as unknown as Stmt[];
    // Service deployment controls (continue, abort, rollback during a bake) only to configs with a staged rollout.
    const canaryPolicy = deployerPolicy({
      config: parseConfigText(CFG.replace('    port: 80\n', '    port: 80\n    deployment: { strategy: canary }\n    exec: true\n')),
      env: 'prod',
      region: 'eu-west-1',
      account: '111122223333',
    }).Statement as unknown as Stmt[];
    // So are the scheduler's, the queues', Cloud Map's and the backlog alarms': every kind of workload.
    const workloadsPolicy = deployerPolicy({
      config: parseConfigText(WORKLOADS_CASE.yaml),
      env: WORKLOADS_CASE.env,
      region: WORKLOADS_CASE.region,
      account: WORKLOADS_CASE.account,
    }).Statement as unknown as Stmt[];
    const granted = new Set(
      [...policy(), ...ec2Policy, ...workloadsPolicy, ...canaryPolicy, ...statePolicy, ...bootstrap].flatMap((s) => s.Action),
    );
    const missing = [...used].filter((a) => !granted.has(a)).sort();
    const where =
      'the permissions of the step (src/steps/<kind>/permissions.ts) or command (src/security/command-permissions.ts) that calls them';
    expect(missing, `add these to ${where}`).toEqual([]);
  });
});

describe('deployer policy with S3 state', () => {
  const input = { config: parseConfigText(`${CFG}${STATE}`), env: 'prod', region: 'eu-west-1', account: '111122223333' };
  const stmts = () => deployerPolicy(input).Statement as unknown as Stmt[];

  it("grants exactly the S3 actions on exactly this environment's state and lock objects, and reads of the bucket", () => {
    const s3 = stmts().filter((s) => s.Action.some((a) => a.startsWith('s3:')));
    expect(s3).toEqual([
      {
        Sid: 'StateObjects',
        Effect: 'Allow',
        Action: ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:GetObject', 's3:PutObject'],
        Resource: ['arn:aws:s3:::acme-ecs-kit-state/teams/shop/prod.json', 'arn:aws:s3:::acme-ecs-kit-state/teams/shop/prod.lock'],
      },
      {
        Sid: 'StateBucket',
        Effect: 'Allow',
        Action: ['s3:GetBucketVersioning', 's3:ListBucket'],
        Resource: 'arn:aws:s3:::acme-ecs-kit-state',
      },
      {
        Sid: 'StateVersions',
        Effect: 'Allow',
        Action: ['s3:ListBucketVersions'],
        Resource: 'arn:aws:s3:::acme-ecs-kit-state',
        Condition: { StringEquals: { 's3:prefix': ['teams/shop/prod.json', 'teams/shop/prod.lock'] } },
      },
    ]);
    // Without S3 state: no S3 grant at all.
    expect(
      policy()
        .flatMap((s) => s.Action)
        .filter((a) => a.startsWith('s3:')),
    ).toEqual([]);
  });

  it('never grants the one-time setup (bucket creation, OIDC providers, CI roles) to the deployer', () => {
    const deployer = new Set(stmts().flatMap((s) => s.Action));
    const setupOnly = [
      's3:CreateBucket',
      's3:DeleteBucket',
      's3:PutBucketVersioning',
      's3:PutBucketPublicAccessBlock',
      's3:PutEncryptionConfiguration',
      'iam:CreateOpenIDConnectProvider',
      'iam:DeleteOpenIDConnectProvider',
      'iam:CreatePolicy',
      'iam:CreatePolicyVersion',
      'iam:DeletePolicy',
    ];
    const bootstrap = new Set((bootstrapPolicy(input).Statement as unknown as Stmt[]).flatMap((s) => s.Action));
    expect(setupOnly.filter((a) => !bootstrap.has(a))).toEqual([]);
    expect(setupOnly.filter((a) => deployer.has(a))).toEqual([]);
    // The deployer changes IAM only on its own role path, never the CI role's (/ecs-kit-ci/): no self-escalation.
    const iamWrites = stmts().filter((s) =>
      s.Action.some((a) => a.startsWith('iam:') && !/^iam:(Get|List|PassRole|CreateServiceLinkedRole)/.test(a)),
    );
    for (const s of iamWrites) {
      expect([s.Resource].flat().join(' ')).not.toMatch(/ecs-kit-ci/);
      expect([s.Resource].flat()).not.toContain('*');
    }
  });
});

describe('ecs-kit iam-policy', () => {
  it('prints the policy JSON on stdout with --account and makes no AWS call', async () => {
    const cwd = await mkdtemp(path.join(tmpdir(), 'ecs-kit-iam-'));
    await writeFile(path.join(cwd, 'ecs-kit.yml'), CFG);
    const stdout = new Capture();
    const stderr = new Capture();
    const io: Io = { stdout, stderr, stdin: Readable.from([]), env: { CI: 'true' }, cwd };
    const code = await main(['node', 'ecs-kit', 'iam-policy', '--account', '111122223333', '--region', 'eu-west-1', '--env', 'prod'], io);
    expect(code).toBe(0);
    const printed = JSON.parse(stdout.text);
    expect(printed.Version).toBe('2012-10-17');
    expect(JSON.stringify(printed)).toContain('arn:aws:iam::111122223333:role/ecs-kit/shop/prod/*');
    expect(sts.calls()).toHaveLength(0);
    expect(await readFile(path.join(cwd, 'ecs-kit.yml'), 'utf8')).toBe(CFG);
  });

  it('says when the policy is too big for one managed policy, and --split prints parts that each fit and together grant the same', async () => {
    const cwd = await mkdtemp(path.join(tmpdir(), 'ecs-kit-iam-'));
    await writeFile(path.join(cwd, 'ecs-kit.yml'), CFG);
    const run = async (extra: string[]) => {
      const stdout = new Capture();
      const stderr = new Capture();
      const io: Io = { stdout, stderr, stdin: Readable.from([]), env: { CI: 'true' }, cwd };
      const code = await main(
        ['node', 'ecs-kit', 'iam-policy', '--account', '111122223333', '--region', 'eu-west-1', '--env', 'prod', ...extra],
        io,
      );
      return { code, out: JSON.parse(stdout.text) as unknown, err: stderr.text };
    };
    const whole = await run([]);
    expect(policySize(whole.out as object)).toBeGreaterThan(MANAGED_POLICY_MAX_CHARS);
    expect(whole.err).toMatch(/one IAM managed policy holds at most 6144.*--split/);
    const split = await run(['--split']);
    expect(split.code).toBe(0);
    const parts = split.out as { Statement: { Action: string[] }[] }[];
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(policySize(p)).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
    const actions = (docs: { Statement: { Action: string[] }[] }[]) => new Set(docs.flatMap((d) => d.Statement.flatMap((st) => st.Action)));
    expect(actions(parts)).toEqual(actions([whole.out as { Statement: { Action: string[] }[] }]));
    expect(split.err).not.toMatch(/--split/);
  });

  it('refuses a malformed --account (exit 2)', async () => {
    const cwd = await mkdtemp(path.join(tmpdir(), 'ecs-kit-iam-'));
    await writeFile(path.join(cwd, 'ecs-kit.yml'), CFG);
    const stderr = new Capture();
    const io: Io = { stdout: new Capture(), stderr, stdin: Readable.from([]), env: { CI: 'true' }, cwd };
    expect(await main(['node', 'ecs-kit', 'iam-policy', '--account', '12345', '--region', 'eu-west-1'], io)).toBe(2);
    expect(stderr.text).toContain('--account');
    expect(sts.calls()).toHaveLength(0);
  });
});
