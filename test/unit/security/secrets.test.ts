import {
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  PutRolePolicyCommand,
  DeleteRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DeleteParameterCommand, DescribeParametersCommand, ListTagsForResourceCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ExitCode, EcsKitError } from '../../../src/errors.js';
import {
  executionSecretsPolicy,
  parseSecretRef,
  secretsManagerValueFrom,
  ssmParameterArn,
  taskRolePolicy,
} from '../../../src/security/refs.js';
import { executionRoleStep, INLINE_POLICY_NAME, taskRoleStep } from '../../../src/steps/roles/index.js';
import { executionPolicyFor, parametersStep, secretsStep, type SecretsState } from '../../../src/steps/secrets/index.js';
import { renderTaskDefinition, normalizeTaskDefinition, diffTaskDefinitions } from '../../../src/steps/task-definition/index.js';
import { commandNames, strict } from '../../helpers/aws-mock.js';
import { config, OWNER_TAGS, stepContext } from '../../helpers/context.js';

const ssm = mockClient(SSMClient);
const sm = mockClient(SecretsManagerClient);
const iam = mockClient(IAMClient);
beforeEach(() => {
  for (const m of [ssm, sm, iam]) {
    m.reset();
    strict(m);
  }
});

const SM_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:shop/api-key-AbCdEf';
const CFG = `
app: shop
services:
  web:
    image: nginx:1.27
    port: 80
    secrets:
      DB_PASSWORD: "ssm:/shop/db-password"
      API_KEY: "secretsmanager:shop/api-key"
      K: "secretsmanager:shop/api-key:password"
    kmsKeyArn: arn:aws:kms:us-east-1:123456789012:key/1111-2222
`;

describe('secret references', () => {
  it('parses every supported form', () => {
    expect(parseSecretRef('ssm:/shop/db')).toEqual({ kind: 'ssm', name: '/shop/db' });
    expect(parseSecretRef('ssm:plain')).toEqual({ kind: 'ssm', name: 'plain' });
    expect(parseSecretRef('secretsmanager:shop/api-key:password')).toEqual({
      kind: 'secretsmanager',
      id: 'shop/api-key',
      jsonKey: 'password',
    });
    expect(parseSecretRef('arn:aws:ssm:eu-west-1:111122223333:parameter/shop/db')).toEqual({
      kind: 'ssm',
      name: '/shop/db',
      arn: { partition: 'aws', region: 'eu-west-1', account: '111122223333' },
    });
    expect(parseSecretRef(`${SM_ARN}:user:AWSCURRENT:`)).toMatchObject({
      kind: 'secretsmanager',
      id: SM_ARN,
      jsonKey: 'user',
      versionStage: 'AWSCURRENT',
    });
  });

  it('builds exact valueFrom ARNs', () => {
    const t = { partition: 'aws', region: 'us-east-1', account: '123456789012' };
    expect(ssmParameterArn(t, '/shop/db')).toBe('arn:aws:ssm:us-east-1:123456789012:parameter/shop/db');
    expect(ssmParameterArn(t, 'plain')).toBe('arn:aws:ssm:us-east-1:123456789012:parameter/plain');
    expect(secretsManagerValueFrom(SM_ARN, { kind: 'secretsmanager', id: 'x', jsonKey: 'password' })).toBe(`${SM_ARN}:password::`);
    expect(secretsManagerValueFrom(SM_ARN, { kind: 'secretsmanager', id: 'x' })).toBe(SM_ARN);
  });
});

describe('policy rendering', () => {
  it('grants exactly the referenced ARNs, and kms:Decrypt only on the configured key', () => {
    const policy = executionSecretsPolicy(
      [
        { store: 'ssm', resourceArn: 'arn:aws:ssm:us-east-1:123456789012:parameter/shop/db', valueFrom: '' },
        { store: 'secretsmanager', resourceArn: SM_ARN, valueFrom: '' },
        { store: 'secretsmanager', resourceArn: SM_ARN, valueFrom: '' },
      ],
      ['arn:aws:kms:us-east-1:123456789012:key/1111-2222'],
    );
    expect(policy).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ReadSsmParameters',
          Effect: 'Allow',
          Action: 'ssm:GetParameters',
          Resource: ['arn:aws:ssm:us-east-1:123456789012:parameter/shop/db'],
        },
        { Sid: 'ReadSecrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: [SM_ARN] },
        { Sid: 'DecryptSecrets', Effect: 'Allow', Action: 'kms:Decrypt', Resource: ['arn:aws:kms:us-east-1:123456789012:key/1111-2222'] },
      ],
    });
    expect(JSON.stringify(policy)).not.toContain('"*"');
  });

  it('renders no policy at all without secrets or statements (default: no permissions)', () => {
    expect(executionSecretsPolicy([], ['arn:aws:kms:us-east-1:123456789012:key/1'])).toBeUndefined();
    expect(taskRolePolicy([])).toBeUndefined();
    expect(taskRolePolicy([{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }])).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }],
    });
  });
});

describe('secrets step (preflight)', () => {
  it('resolves ARNs with metadata calls only, and plans no change', async () => {
    ssm.on(DescribeParametersCommand).resolves({ Parameters: [{ Name: '/shop/db-password', Type: 'SecureString' }] });
    sm.on(DescribeSecretCommand).resolves({ ARN: SM_ARN, Name: 'shop/api-key' });
    const ctx = stepContext(secretsStep, { config: config(CFG), scope: 'web' });
    const plan = await secretsStep.plan(ctx);
    expect(plan.action).toBe('noop');
    expect(plan.current).toEqual({
      secrets: {
        API_KEY: SM_ARN,
        DB_PASSWORD: 'arn:aws:ssm:us-east-1:123456789012:parameter/shop/db-password',
        K: `${SM_ARN}:password::`,
      },
      resources: [
        { store: 'secretsmanager', arn: SM_ARN },
        { store: 'ssm', arn: 'arn:aws:ssm:us-east-1:123456789012:parameter/shop/db-password' },
      ],
      kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/1111-2222',
    });
    expect(ssm.commandCalls(DescribeParametersCommand)[0]!.args[0].input).toMatchObject({
      ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: ['/shop/db-password'] }],
    });
    expect([...commandNames(ssm), ...commandNames(sm)].every((n) => n.startsWith('Describe'))).toBe(true);
  });

  it('fails with exit 2 naming the service and variable when a secret is missing', async () => {
    ssm.on(DescribeParametersCommand).resolves({ Parameters: [] });
    sm.on(DescribeSecretCommand).resolves({ ARN: SM_ARN });
    const err = await secretsStep.plan(stepContext(secretsStep, { config: config(CFG), scope: 'web' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EcsKitError);
    expect((err as EcsKitError).exitCode).toBe(ExitCode.Usage);
    expect((err as EcsKitError).message).toContain('services.web.secrets.DB_PASSWORD');
    expect((err as EcsKitError).fix).toContain('ecs-kit secret set web DB_PASSWORD');
  });

  it('follows NextToken: DescribeParameters may return an empty page with a token before the match', async () => {
    const filter = { ParameterFilters: [{ Key: 'Name', Option: 'Equals' as const, Values: ['/shop/db'] }] };
    ssm
      .on(DescribeParametersCommand)
      .resolvesOnce({ Parameters: [], NextToken: 'page-2' })
      .resolvesOnce({ Parameters: [{ Name: '/shop/db' }] });
    const plan = await secretsStep.plan(stepContext(secretsStep, { config: config(SECRETS_CFG), scope: 'web' }));
    expect(plan.current?.secrets).toEqual({ DB: 'arn:aws:ssm:us-east-1:123456789012:parameter/shop/db' });
    const calls = ssm.commandCalls(DescribeParametersCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject(filter);
    expect(calls[1]).toMatchObject({ ...filter, NextToken: 'page-2' });
  });

  it('reports a parameter missing only after the last page', async () => {
    ssm
      .on(DescribeParametersCommand)
      .resolvesOnce({ Parameters: [], NextToken: 'a' })
      .resolvesOnce({ Parameters: [{ Name: '/shop/dbx' }], NextToken: 'b' })
      .resolvesOnce({});
    const err = (await secretsStep
      .plan(stepContext(secretsStep, { config: config(SECRETS_CFG), scope: 'web' }))
      .catch((e: unknown) => e)) as EcsKitError;
    expect(err.exitCode).toBe(ExitCode.Usage);
    expect(err.message).toContain('services.web.secrets.DB');
    expect(ssm.commandCalls(DescribeParametersCommand)).toHaveLength(3);
  });

  it('a foreign Secrets Manager partial ARN: valueFrom keeps it as written, the execution role gets "-??????"', async () => {
    const partial = 'arn:aws:secretsmanager:eu-west-1:444455556666:secret:team/db';
    const full = 'arn:aws:secretsmanager:eu-west-1:444455556666:secret:team/api-AbCdEf';
    const cfg = config(
      `app: shop\nservices:\n  web:\n    image: x\n    secrets:\n      A: "${partial}"\n      B: "${partial}:password::"\n      C: "${full}"\n`,
    );
    const ctx = stepContext(secretsStep, { config: cfg, scope: 'web' });
    const plan = await secretsStep.plan(ctx); // strict mocks: no AWS call for another account
    expect(plan.current!.secrets).toEqual({ A: partial, B: `${partial}:password::`, C: full });
    expect(plan.current!.resources).toEqual([
      { store: 'secretsmanager', arn: full },
      { store: 'secretsmanager', arn: `${partial}-??????` },
    ]);
    expect(executionPolicyFor([plan.current!])!.Statement).toEqual([
      { Sid: 'ReadSecrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: [full, `${partial}-??????`] },
    ]);
    expect(ctx.warningCodes).toContain('secret.unchecked');
  });

  it('treats a missing Secrets Manager secret the same way', async () => {
    ssm.on(DescribeParametersCommand).resolves({ Parameters: [{ Name: '/shop/db-password' }] });
    sm.on(DescribeSecretCommand).rejects(
      Object.assign(new Error('Secrets Manager can’t find the specified secret.'), { name: 'ResourceNotFoundException' }),
    );
    const err = (await secretsStep
      .plan(stepContext(secretsStep, { config: config(CFG), scope: 'web' }))
      .catch((e: unknown) => e)) as EcsKitError;
    expect(err.exitCode).toBe(ExitCode.Usage);
    expect(err.message).toMatch(/services\.web\.secrets\.(API_KEY|K): the Secrets Manager secret shop\/api-key/);
  });
});

const SECRETS_STATE: SecretsState = {
  secrets: { DB: 'arn:aws:ssm:us-east-1:123456789012:parameter/shop/db' },
  resources: [{ store: 'ssm', arn: 'arn:aws:ssm:us-east-1:123456789012:parameter/shop/db' }],
};
const ROLE = {
  RoleName: 'shop-default-execution',
  Arn: 'arn:aws:iam::123456789012:role/ecs-kit/shop/default/shop-default-execution',
  Path: '/ecs-kit/shop/default/',
  CreateDate: new Date(),
  RoleId: 'x',
  Tags: OWNER_TAGS,
};
const TRUST = encodeURIComponent(
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'ecs-tasks.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
      },
    ],
  }),
);
const SECRETS_CFG = 'app: shop\nservices:\n  web:\n    image: nginx:1.27\n    port: 80\n    secrets: { DB: "ssm:/shop/db" }\n';

describe('execution role inline policy', () => {
  beforeEach(() => {
    iam.on(GetRoleCommand).resolves({ Role: { ...ROLE, AssumeRolePolicyDocument: TRUST } });
    iam
      .on(ListAttachedRolePoliciesCommand)
      .resolves({ AttachedPolicies: [{ PolicyArn: 'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy' }] });
  });

  it('puts the secrets policy when it is missing', async () => {
    iam.on(GetRolePolicyCommand).rejects(Object.assign(new Error('nope'), { name: 'NoSuchEntityException' }));
    iam.on(PutRolePolicyCommand).resolves({});
    const ctx = stepContext(executionRoleStep, { config: config(SECRETS_CFG), deps: { 'secrets:web': SECRETS_STATE } });
    const plan = await executionRoleStep.plan(ctx);
    expect(plan.action).toBe('update');
    expect(plan.changes.map((c) => c.field)).toEqual([`inlinePolicy.${INLINE_POLICY_NAME}`]);
    const state = await executionRoleStep.apply(ctx, plan);
    const put = iam.commandCalls(PutRolePolicyCommand)[0]!.args[0].input;
    expect(put.PolicyName).toBe('ecs-kit');
    expect(JSON.parse(put.PolicyDocument!)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ReadSsmParameters',
          Effect: 'Allow',
          Action: 'ssm:GetParameters',
          Resource: ['arn:aws:ssm:us-east-1:123456789012:parameter/shop/db'],
        },
      ],
    });
    expect(state.inlinePolicy).toBe('ecs-kit');
  });

  it('makes no change when the policy matches (IAM returns it URL-encoded)', async () => {
    const doc = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ReadSsmParameters',
          Effect: 'Allow',
          Action: 'ssm:GetParameters',
          Resource: 'arn:aws:ssm:us-east-1:123456789012:parameter/shop/db',
        },
      ],
    };
    iam
      .on(GetRolePolicyCommand)
      .resolves({ RoleName: ROLE.RoleName, PolicyName: 'ecs-kit', PolicyDocument: encodeURIComponent(JSON.stringify(doc)) });
    const plan = await executionRoleStep.plan(
      stepContext(executionRoleStep, { config: config(SECRETS_CFG), deps: { 'secrets:web': SECRETS_STATE } }),
    );
    expect(plan.action).toBe('noop');
    expect(plan.current?.inlinePolicy).toBe('ecs-kit');
  });

  it('removes the policy when the last secret is removed from the config', async () => {
    iam
      .on(GetRolePolicyCommand)
      .resolves({ RoleName: ROLE.RoleName, PolicyName: 'ecs-kit', PolicyDocument: '{"Version":"2012-10-17","Statement":[]}' });
    iam.on(DeleteRolePolicyCommand).resolves({});
    const ctx = stepContext(executionRoleStep, {
      config: config(),
      previous: { roleName: ROLE.RoleName, roleArn: ROLE.Arn, inlinePolicy: 'ecs-kit' },
    });
    const plan = await executionRoleStep.plan(ctx);
    expect(plan.action).toBe('update');
    const state = await executionRoleStep.apply(ctx, plan);
    expect(iam.commandCalls(DeleteRolePolicyCommand)[0]!.args[0].input).toEqual({ RoleName: ROLE.RoleName, PolicyName: 'ecs-kit' });
    expect(state.inlinePolicy).toBeUndefined();
  });

  it('task role: statements become one inline policy and managed policies are attached', async () => {
    const cfg = config(
      'app: shop\nservices:\n  web:\n    image: nginx:1.27\n    taskRole:\n      managedPolicies: [arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess]\n      statements:\n        - { Effect: Allow, Action: sqs:SendMessage, Resource: "arn:aws:sqs:us-east-1:123456789012:jobs" }\n',
    );
    iam.on(GetRoleCommand).resolves({ Role: { ...ROLE, RoleName: 'shop-default-web-task', AssumeRolePolicyDocument: TRUST } });
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
    iam.on(GetRolePolicyCommand).rejects(Object.assign(new Error('nope'), { name: 'NoSuchEntityException' }));
    const plan = await taskRoleStep.plan(stepContext(taskRoleStep, { config: cfg, scope: 'web' }));
    expect(plan.changes.find((c) => c.field === 'managedPolicies')?.after).toEqual(['arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess']);
    expect(plan.changes.find((c) => c.field === 'inlinePolicy.ecs-kit')?.after).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:us-east-1:123456789012:jobs' }],
    });
  });
});

describe('task definition secrets', () => {
  const base = {
    family: 'shop-default-web',
    container: 'web',
    service: config(SECRETS_CFG).services.web!,
    image: 'nginx:1.27',
    executionRoleArn: 'arn:exec',
    taskRoleArn: 'arn:task',
    logGroup: '/ecs/shop/default/web',
    region: 'us-east-1',
    owner: { app: 'shop', env: 'default' },
  };

  it('renders valueFrom ARNs and diffs them by name; removing a secret is a change', () => {
    const withSecret = renderTaskDefinition({ ...base, secrets: { DB: 'arn:aws:ssm:us-east-1:123456789012:parameter/shop/db' } });
    expect(withSecret.containerDefinitions![0]!.secrets).toEqual([
      { name: 'DB', valueFrom: 'arn:aws:ssm:us-east-1:123456789012:parameter/shop/db' },
    ]);
    const without = renderTaskDefinition({ ...base });
    expect(without.containerDefinitions![0]!.secrets).toBeUndefined();
    const changes = diffTaskDefinitions(normalizeTaskDefinition(withSecret), normalizeTaskDefinition(without));
    expect(changes).toEqual([{ field: 'secrets.DB', before: 'arn:aws:ssm:us-east-1:123456789012:parameter/shop/db', after: undefined }]);
    expect(diffTaskDefinitions(normalizeTaskDefinition(withSecret), normalizeTaskDefinition(withSecret))).toEqual([]);
  });
});

describe('parameters step (teardown)', () => {
  it('keeps the record, and adds /ecs-kit/<app>/<env>/ references so a lost manifest still finds them (no AWS call)', async () => {
    const cfg = config(
      `${SECRETS_CFG.replace('secrets: { DB: "ssm:/shop/db" }', 'secrets: { DB: "ssm:/shop/db", T: "ssm:/ecs-kit/shop/default/T", X: "ssm:/ecs-kit/shop/other/X" }')}`,
    );
    const fresh = await parametersStep.plan(stepContext(parametersStep, { config: cfg }));
    expect(fresh).toMatchObject({ action: 'noop', current: { parameters: ['/ecs-kit/shop/default/T'] } });
    const kept = await parametersStep.plan(stepContext(parametersStep, { config: cfg, previous: { parameters: ['/shop/default/OLD'] } }));
    expect(kept.current).toEqual({ parameters: ['/ecs-kit/shop/default/T', '/shop/default/OLD'] });
  });

  it('deletes only parameters whose tags say ecs-kit created them for this app/env', async () => {
    ssm.on(ListTagsForResourceCommand, { ResourceId: '/shop/default/A' }).resolves({ TagList: OWNER_TAGS });
    ssm.on(ListTagsForResourceCommand, { ResourceId: '/shop/default/B' }).resolves({ TagList: [{ Key: 'team', Value: 'x' }] });
    ssm
      .on(ListTagsForResourceCommand, { ResourceId: '/shop/default/C' })
      .rejects(Object.assign(new Error('gone'), { name: 'InvalidResourceId' }));
    ssm.on(DeleteParameterCommand).resolves({});
    const ctx = stepContext(parametersStep, { config: config(SECRETS_CFG) });
    await parametersStep.destroy(ctx, { parameters: ['/shop/default/A', '/shop/default/B', '/shop/default/C'] });
    expect(ssm.commandCalls(DeleteParameterCommand).map((c) => c.args[0].input.Name)).toEqual(['/shop/default/A']);
    expect(ctx.warningCodes).toEqual(['teardown.not-owned']);
    expect(ctx.warnings[0]).toContain('SSM parameter /shop/default/B');
  });
});
