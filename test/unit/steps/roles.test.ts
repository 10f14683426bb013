import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListInstanceProfilesForRoleCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  ListRoleTagsCommand,
  RemoveRoleFromInstanceProfileCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { canonicalPolicy, executionPolicyArn, executionRoleStep, taskRoleStep, trustPolicy } from '../../../src/steps/roles/index.js';
import { commandNames, strict } from '../../helpers/aws-mock.js';
import { OWNER_TAGS, config, stepContext } from '../../helpers/context.js';

const iam = mockClient(IAMClient);
beforeEach(() => {
  iam.reset();
  strict(iam);
});
afterEach(() => {
  vi.useRealTimers();
});

const EXEC_POLICY = 'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy';
const notFound = () => Object.assign(new Error('The role cannot be found.'), { name: 'NoSuchEntityException' });
const role = (name: string, opts: { tags?: typeof OWNER_TAGS | undefined; trust?: unknown } = {}) => ({
  Role: {
    RoleName: name,
    RoleId: 'AROA1',
    Path: '/ecs-kit/shop/default/',
    Arn: `arn:aws:iam::123456789012:role/ecs-kit/shop/default/${name}`,
    CreateDate: new Date(),
    // GetRole returns the trust policy URL-encoded.
    AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(opts.trust ?? trustPolicy('123456789012'))),
    Tags: 'tags' in opts ? opts.tags : OWNER_TAGS,
  },
});

describe('execution role step', () => {
  it('creates the role with a confused-deputy-safe trust policy, waits for it, and attaches the execution policy', async () => {
    iam.on(GetRoleCommand).rejectsOnce(notFound()).resolves(role('shop-default-execution'));
    iam.on(CreateRoleCommand).resolves(role('shop-default-execution'));
    iam.on(AttachRolePolicyCommand).resolves({});
    const ctx = stepContext(executionRoleStep);
    const plan = await executionRoleStep.plan(ctx);
    expect(plan.action).toBe('create');
    const state = await executionRoleStep.apply(ctx, plan);
    // changedAt: tasks may fail to use the new role for a few seconds (the rollout watcher allows for it)
    expect(state).toEqual({
      roleName: 'shop-default-execution',
      roleArn: 'arn:aws:iam::123456789012:role/ecs-kit/shop/default/shop-default-execution',
      changedAt: expect.any(String),
    });
    expect(Date.now() - Date.parse(state.changedAt!)).toBeLessThan(60_000);

    const input = iam.commandCalls(CreateRoleCommand)[0]!.args[0].input;
    expect(input.RoleName).toBe('shop-default-execution');
    expect(input.Path).toBe('/ecs-kit/shop/default/');
    expect(input.Tags).toEqual(OWNER_TAGS);
    expect(input.MaxSessionDuration).toBeUndefined();
    expect(JSON.parse(input.AssumeRolePolicyDocument!)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'ecs-tasks.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
        },
      ],
    });
    expect(iam.commandCalls(AttachRolePolicyCommand).map((c) => c.args[0].input)).toEqual([
      { RoleName: 'shop-default-execution', PolicyArn: EXEC_POLICY },
    ]);
    // plan's GetRole, CreateRole, the waiter's GetRole, then the attachment
    expect(commandNames(iam)).toEqual(['GetRole', 'CreateRole', 'GetRole', 'AttachRolePolicy']);
  });

  it('plans no change and makes only read calls when the role matches', async () => {
    iam.on(GetRoleCommand).resolves(role('shop-default-execution'));
    iam
      .on(ListAttachedRolePoliciesCommand)
      .resolves({ AttachedPolicies: [{ PolicyName: 'AmazonECSTaskExecutionRolePolicy', PolicyArn: EXEC_POLICY }] });
    const plan = await executionRoleStep.plan(stepContext(executionRoleStep));
    expect(plan.action).toBe('noop');
    expect(plan.current?.roleName).toBe('shop-default-execution');
    expect(commandNames(iam)).toEqual(['GetRole', 'ListAttachedRolePolicies']);
  });

  it('records when the role changed, and keeps that time on a deploy that changes nothing', async () => {
    vi.useFakeTimers({ now: new Date('2026-12-01T10:00:00Z'), toFake: ['Date'] });
    iam.on(GetRoleCommand).resolves(role('shop-default-execution'));
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
    iam.on(AttachRolePolicyCommand).resolves({});
    const ctx = stepContext(executionRoleStep);
    const state = await executionRoleStep.apply(ctx, await executionRoleStep.plan(ctx));
    expect(state).toMatchObject({ changedAt: '2026-12-01T10:00:00.000Z' });

    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [{ PolicyArn: EXEC_POLICY }] });
    const again = await executionRoleStep.plan(stepContext(executionRoleStep, { previous: state }));
    expect(again).toMatchObject({ action: 'noop', current: { changedAt: '2026-12-01T10:00:00.000Z' } });
    expect((await executionRoleStep.plan(stepContext(executionRoleStep))).current).not.toHaveProperty('changedAt');
  });

  it('reads the tags with ListRoleTags when GetRole leaves them out', async () => {
    iam.on(GetRoleCommand).resolves(role('shop-default-execution', { tags: undefined }));
    iam.on(ListRoleTagsCommand).resolves({ Tags: OWNER_TAGS, IsTruncated: false });
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [{ PolicyArn: EXEC_POLICY }] });
    const plan = await executionRoleStep.plan(stepContext(executionRoleStep));
    expect(plan.action).toBe('noop');
    expect(commandNames(iam)).toEqual(['GetRole', 'ListRoleTags', 'ListAttachedRolePolicies']);
  });

  it('treats an equivalent trust policy written differently as unchanged', async () => {
    const trust = {
      Statement: [
        {
          Condition: { StringEquals: { 'aws:SourceAccount': ['123456789012'] } },
          Action: ['sts:AssumeRole'],
          Principal: { Service: ['ecs-tasks.amazonaws.com'] },
          Effect: 'Allow',
        },
      ],
      Version: '2012-10-17',
    };
    iam.on(GetRoleCommand).resolves(role('shop-default-execution', { trust }));
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [{ PolicyArn: EXEC_POLICY }] });
    expect((await executionRoleStep.plan(stepContext(executionRoleStep))).action).toBe('noop');
  });

  it('restores a drifted trust policy and a detached execution policy', async () => {
    const loose = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    };
    iam.on(GetRoleCommand).resolves(role('shop-default-execution', { trust: loose }));
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
    iam.on(UpdateAssumeRolePolicyCommand).resolves({});
    iam.on(AttachRolePolicyCommand).resolves({});
    const ctx = stepContext(executionRoleStep);
    const plan = await executionRoleStep.plan(ctx);
    expect(plan.action).toBe('update');
    expect(plan.changes.map((c) => c.field)).toEqual(['assumeRolePolicy', 'managedPolicies']);
    const state = await executionRoleStep.apply(ctx, plan);
    expect(state.roleName).toBe('shop-default-execution');
    expect(JSON.parse(iam.commandCalls(UpdateAssumeRolePolicyCommand)[0]!.args[0].input.PolicyDocument!)).toEqual(
      trustPolicy('123456789012'),
    );
    expect(iam.commandCalls(AttachRolePolicyCommand)[0]!.args[0].input.PolicyArn).toBe(EXEC_POLICY);
    expect(iam.commandCalls(CreateRoleCommand)).toHaveLength(0);
  });

  it('refuses to adopt a role with the same name that ecs-kit did not create', async () => {
    iam.on(GetRoleCommand).resolves(role('shop-default-execution', { tags: [] }));
    iam.on(ListRoleTagsCommand).resolves({ Tags: [] });
    await expect(executionRoleStep.plan(stepContext(executionRoleStep))).rejects.toThrow(/was not created by ecs-kit/);
  });

  it('takes over its own role when a retried CreateRole finds it already created', async () => {
    iam.on(GetRoleCommand).rejectsOnce(notFound()).resolves(role('shop-default-execution'));
    iam.on(CreateRoleCommand).rejects(Object.assign(new Error('exists'), { name: 'EntityAlreadyExistsException' }));
    iam.on(UpdateAssumeRolePolicyCommand).resolves({});
    iam.on(AttachRolePolicyCommand).resolves({});
    const ctx = stepContext(executionRoleStep);
    const state = await executionRoleStep.apply(ctx, await executionRoleStep.plan(ctx));
    expect(state.roleName).toBe('shop-default-execution');
  });

  it('uses the partition of the region for the managed policy ARN', () => {
    expect(executionPolicyArn('cn-north-1')).toBe('arn:aws-cn:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy');
    expect(executionPolicyArn('us-gov-west-1')).toMatch(/^arn:aws-us-gov:/);
    expect(executionPolicyArn('eu-west-1')).toBe(EXEC_POLICY);
  });
});

describe('task role step', () => {
  const cfg = config('app: shop\nservices: { web: { image: nginx, port: 80 }, worker: { image: busybox } }');

  it('has one instance per service, with no dependencies', () => {
    expect(taskRoleStep.instances(cfg)).toEqual([
      { scope: 'web', dependsOn: [] },
      { scope: 'worker', dependsOn: [] },
    ]);
    expect(executionRoleStep.instances(cfg)).toEqual([{ dependsOn: [] }]);
  });

  it('creates a role per service with no policies', async () => {
    iam.on(GetRoleCommand).rejectsOnce(notFound()).resolves(role('shop-default-worker-task'));
    iam.on(CreateRoleCommand).resolves(role('shop-default-worker-task'));
    const ctx = stepContext(taskRoleStep, { config: cfg, scope: 'worker' });
    const plan = await taskRoleStep.plan(ctx);
    expect(plan.action).toBe('create');
    await taskRoleStep.apply(ctx, plan);
    expect(iam.commandCalls(CreateRoleCommand)[0]!.args[0].input.RoleName).toBe('shop-default-worker-task');
    expect(iam.commandCalls(AttachRolePolicyCommand)).toHaveLength(0);
  });

  it('detaches a policy someone attached by hand (least privilege)', async () => {
    iam.on(GetRoleCommand).resolves(role('shop-default-web-task'));
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [{ PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }] });
    iam.on(DetachRolePolicyCommand).resolves({});
    const ctx = stepContext(taskRoleStep, { config: cfg, scope: 'web' });
    const plan = await taskRoleStep.plan(ctx);
    expect(plan).toMatchObject({
      action: 'update',
      changes: [{ field: 'managedPolicies', before: ['arn:aws:iam::aws:policy/AdministratorAccess'], after: [] }],
    });
    await taskRoleStep.apply(ctx, plan);
    expect(iam.commandCalls(DetachRolePolicyCommand)[0]!.args[0].input).toEqual({
      RoleName: 'shop-default-web-task',
      PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
    });
  });

  it('empties the role (managed, inline, instance profiles) before deleting it', async () => {
    iam.on(GetRoleCommand).resolves(role('shop-default-web-task'));
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [{ PolicyArn: 'arn:p1' }] });
    iam.on(DetachRolePolicyCommand).resolves({});
    iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: ['inline1'] });
    iam.on(DeleteRolePolicyCommand).resolves({});
    iam.on(ListInstanceProfilesForRoleCommand).resolves({
      InstanceProfiles: [{ InstanceProfileName: 'prof', Path: '/', InstanceProfileId: 'x', Arn: 'a', CreateDate: new Date(), Roles: [] }],
    });
    iam.on(RemoveRoleFromInstanceProfileCommand).resolves({});
    iam.on(DeleteRoleCommand).resolves({});
    const ctx = stepContext(taskRoleStep, { config: cfg, scope: 'web' });
    await taskRoleStep.destroy(ctx, { roleName: 'shop-default-web-task', roleArn: 'arn:r' });
    expect(commandNames(iam)).toEqual([
      'GetRole',
      'ListAttachedRolePolicies',
      'DetachRolePolicy',
      'ListRolePolicies',
      'DeleteRolePolicy',
      'ListInstanceProfilesForRole',
      'RemoveRoleFromInstanceProfile',
      'DeleteRole',
    ]);
    expect(iam.commandCalls(DeleteRolePolicyCommand)[0]!.args[0].input.PolicyName).toBe('inline1');
  });

  it('treats an already-deleted role as deleted', async () => {
    iam.on(GetRoleCommand).rejects(notFound());
    const ctx = stepContext(taskRoleStep, { config: cfg, scope: 'web' });
    await taskRoleStep.destroy(ctx, { roleName: 'shop-default-web-task', roleArn: 'arn:r' });
    expect(commandNames(iam)).toEqual(['GetRole']);
  });

  it('treats a role that vanishes mid-teardown as deleted', async () => {
    iam.on(GetRoleCommand).resolves(role('shop-default-web-task'));
    iam.on(ListAttachedRolePoliciesCommand).rejects(notFound());
    const ctx = stepContext(taskRoleStep, { config: cfg, scope: 'web' });
    await expect(taskRoleStep.destroy(ctx, { roleName: 'shop-default-web-task', roleArn: 'arn:r' })).resolves.toBeUndefined();
  });

  it('leaves a role alone at teardown when its tags say someone else owns it', async () => {
    iam.on(GetRoleCommand).resolves(role('shop-default-web-task', { tags: [{ Key: 'ecs-kit:app', Value: 'other' }] }));
    const ctx = stepContext(taskRoleStep, { config: cfg, scope: 'web' });
    await taskRoleStep.destroy(ctx, { roleName: 'shop-default-web-task', roleArn: 'arn:r' });
    expect(ctx.warningCodes).toEqual(['teardown.not-owned']);
    expect(commandNames(iam)).toEqual(['GetRole']);
  });

  it('ECS Exec: exec: true puts the ssmmessages channels and the audit log writes on the task role', async () => {
    const execCfg = config('app: shop\nservices: { web: { image: nginx, port: 80, exec: true } }');
    iam.on(GetRoleCommand).resolves(role('shop-default-web-task'));
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
    iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: [] });
    iam.on(GetRolePolicyCommand).rejects(notFound());
    iam.on(PutRolePolicyCommand).resolves({});
    const ctx = stepContext(taskRoleStep, { config: execCfg, scope: 'web' });
    const plan = await taskRoleStep.plan(ctx);
    expect(plan.action).toBe('update');
    await taskRoleStep.apply(ctx, plan);
    const doc = JSON.parse(iam.commandCalls(PutRolePolicyCommand)[0]!.args[0].input.PolicyDocument!) as {
      Statement: { Action: string[]; Resource: string | string[] }[];
    };
    expect(doc.Statement.flatMap((s) => s.Action).sort()).toEqual([
      'logs:CreateLogStream',
      'logs:DescribeLogGroups',
      'logs:DescribeLogStreams',
      'logs:PutLogEvents',
      'ssmmessages:CreateControlChannel',
      'ssmmessages:CreateDataChannel',
      'ssmmessages:OpenControlChannel',
      'ssmmessages:OpenDataChannel',
    ]);
    expect(doc.Statement.find((s) => s.Action.includes('logs:PutLogEvents'))!.Resource).toContain(
      'arn:aws:logs:us-east-1:123456789012:log-group:/ecs/shop/default/web',
    );
  });

  it('retries DeleteRole while IAM reports a conflict', async () => {
    iam.on(GetRoleCommand).resolves(role('shop-default-web-task'));
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
    iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: [] });
    iam.on(ListInstanceProfilesForRoleCommand).resolves({ InstanceProfiles: [] });
    iam
      .on(DeleteRoleCommand)
      .rejectsOnce(Object.assign(new Error('attached'), { name: 'DeleteConflictException' }))
      .resolves({});
    const ctx = stepContext(taskRoleStep, { config: cfg, scope: 'web' });
    ctx.options.destroyRetryMs = 60_000;
    vi.useFakeTimers();
    const p = taskRoleStep.destroy(ctx, { roleName: 'shop-default-web-task', roleArn: 'arn:r' });
    await vi.advanceTimersByTimeAsync(2_500);
    await p;
    expect(iam.commandCalls(DeleteRoleCommand)).toHaveLength(2);
  });
});

describe('canonicalPolicy', () => {
  it('ignores key order, one-element lists and statement order', () => {
    const a = {
      Version: '1',
      Statement: [
        { Sid: 'b', Action: ['x'] },
        { Sid: 'a', Action: 'y' },
      ],
    };
    const b = {
      Statement: [
        { Action: 'y', Sid: 'a' },
        { Action: 'x', Sid: 'b' },
      ],
      Version: '1',
    };
    expect(JSON.stringify(canonicalPolicy(a))).toBe(JSON.stringify(canonicalPolicy(b)));
    expect(JSON.stringify(canonicalPolicy({ A: ['x', 'y'] }))).not.toBe(JSON.stringify(canonicalPolicy({ A: 'x' })));
  });
});
