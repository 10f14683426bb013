import {
  DeleteTaskDefinitionsCommand,
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { PendingDependency } from '../../../src/engine/types.js';
import {
  diffTaskDefinitions,
  normalizeTaskDefinition,
  renderTaskDefinition,
  taskDefinitionStep,
} from '../../../src/steps/task-definition/index.js';
import { commandNames, strict } from '../../helpers/aws-mock.js';
import { OWNER_TAGS_ECS, config, stepContext } from '../../helpers/context.js';

const ecs = mockClient(ECSClient);
beforeEach(() => {
  ecs.reset();
  strict(ecs);
});

const YAML = `
app: shop
services:
  web:
    image: nginx:1.27
    port: 8080
    environment: { ZED: "1", ALPHA: "secret-value" }
    command: [nginx, -g, "daemon off;"]
  worker:
    build: { context: . }
    cpu: 512
    memory: 1024
`;
const EXEC = 'arn:aws:iam::123456789012:role/ecs-kit/shop/default/shop-default-execution';
const roleArn = (svc: string) => `arn:aws:iam::123456789012:role/ecs-kit/shop/default/shop-default-${svc}-task`;
const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/default/worker:sha-0123456789ab';
const deps = (svc: string) => ({
  'execution-role': { roleName: 'shop-default-execution', roleArn: EXEC },
  [`task-role:${svc}`]: { roleName: `shop-default-${svc}-task`, roleArn: roleArn(svc) },
  [`logs:${svc}`]: { logGroupName: `/ecs/shop/default/${svc}` },
  'image:worker': { imageUri: IMAGE, tag: 'sha-0123456789ab' },
});
const ctxFor = (svc = 'web', yaml = YAML) => stepContext(taskDefinitionStep, { config: config(yaml), scope: svc, deps: deps(svc) });
const arn = (family: string, rev: number) => `arn:aws:ecs:us-east-1:123456789012:task-definition/${family}:${rev}`;
const missing = () => Object.assign(new Error('Unable to describe task definition.'), { name: 'ClientException' });

/** What DescribeTaskDefinition returns for what ecs-kit registered: AWS defaults added, order shuffled. */
function described(overrides: { image?: string; env?: { name: string; value: string }[]; cpu?: string } = {}): TaskDefinition {
  return {
    taskDefinitionArn: arn('shop-default-web', 3),
    family: 'shop-default-web',
    revision: 3,
    status: 'ACTIVE',
    taskRoleArn: roleArn('web'),
    executionRoleArn: EXEC,
    networkMode: 'awsvpc',
    cpu: overrides.cpu ?? '256',
    memory: '512',
    compatibilities: ['EC2', 'FARGATE'],
    requiresCompatibilities: ['FARGATE'],
    requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.logging-driver.awslogs' }],
    runtimePlatform: { cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' },
    volumes: [],
    placementConstraints: [],
    registeredAt: new Date(),
    registeredBy: 'arn:aws:sts::123456789012:assumed-role/x',
    containerDefinitions: [
      {
        name: 'web',
        image: overrides.image ?? 'nginx:1.27',
        cpu: 0,
        essential: true,
        portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }],
        environment: overrides.env ?? [
          { name: 'ZED', value: '1' },
          { name: 'ALPHA', value: 'secret-value' },
        ],
        command: ['nginx', '-g', 'daemon off;'],
        mountPoints: [],
        volumesFrom: [],
        systemControls: [],
        logConfiguration: {
          logDriver: 'awslogs',
          options: { 'awslogs-stream-prefix': 'ecs', 'awslogs-region': 'us-east-1', 'awslogs-group': '/ecs/shop/default/web' },
        },
      },
    ],
  };
}

describe('renderTaskDefinition', () => {
  it('ECS Exec: exec: true turns on the init process (linuxParameters.initProcessEnabled), and the diff names it', () => {
    const render = (exec: boolean) =>
      renderTaskDefinition({
        family: 'shop-default-web',
        container: 'web',
        service: { ...config(YAML).services.web!, exec },
        image: 'nginx:1.27',
        executionRoleArn: EXEC,
        taskRoleArn: roleArn('web'),
        logGroup: '/ecs/shop/default/web',
        region: 'us-east-1',
        owner: { app: 'shop', env: 'default' },
      });
    expect(render(true).containerDefinitions![0]!.linuxParameters).toEqual({ initProcessEnabled: true });
    expect(render(false).containerDefinitions![0]!.linuxParameters).toBeUndefined();
    expect(diffTaskDefinitions(normalizeTaskDefinition(render(false)), normalizeTaskDefinition(render(true)))).toEqual([
      { field: 'containerDefinitions[web].initProcessEnabled', before: undefined, after: true },
    ]);
    // ECS answers linuxParameters with empty lists filled in: no drift.
    const described = render(true);
    described.containerDefinitions![0]!.linuxParameters = { initProcessEnabled: true, devices: [], tmpfs: [] };
    expect(diffTaskDefinitions(normalizeTaskDefinition(described), normalizeTaskDefinition(render(true)))).toEqual([]);
  });

  it('renders one Fargate task with one container named after the service', () => {
    const cfg = config(YAML);
    const input = renderTaskDefinition({
      family: 'shop-default-web',
      container: 'web',
      service: cfg.services.web!,
      image: 'nginx:1.27',
      executionRoleArn: EXEC,
      taskRoleArn: roleArn('web'),
      logGroup: '/ecs/shop/default/web',
      region: 'us-east-1',
      owner: { app: 'shop', env: 'default' },
    });
    expect(input).toEqual({
      family: 'shop-default-web',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
      executionRoleArn: EXEC,
      taskRoleArn: roleArn('web'),
      containerDefinitions: [
        {
          name: 'web',
          image: 'nginx:1.27',
          essential: true,
          portMappings: [{ containerPort: 8080, protocol: 'tcp' }],
          environment: [
            { name: 'ALPHA', value: 'secret-value' },
            { name: 'ZED', value: '1' },
          ],
          command: ['nginx', '-g', 'daemon off;'],
          logConfiguration: {
            logDriver: 'awslogs',
            options: { 'awslogs-group': '/ecs/shop/default/web', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'ecs' },
          },
        },
      ],
      tags: OWNER_TAGS_ECS,
    });
  });

  it('leaves out ports and command for a worker', () => {
    const cfg = config(YAML);
    const input = renderTaskDefinition({
      family: 'f',
      container: 'worker',
      service: cfg.services.worker!,
      image: IMAGE,
      executionRoleArn: EXEC,
      taskRoleArn: 'r',
      logGroup: 'g',
      region: 'us-east-1',
      owner: { app: 'shop', env: 'default' },
    });
    const c = input.containerDefinitions![0]!;
    expect(c.portMappings).toBeUndefined();
    expect(c.command).toBeUndefined();
    expect(c.environment).toEqual([]);
    expect([input.cpu, input.memory]).toEqual(['512', '1024']);
  });
});

describe('normalizeTaskDefinition', () => {
  it('makes what AWS describes equal to what ecs-kit registered', async () => {
    const ctx = ctxFor();
    ecs.on(DescribeTaskDefinitionCommand).rejects(missing());
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: described() });
    await taskDefinitionStep.apply(ctx, { action: 'create', changes: [] });
    const registered = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input;
    expect(normalizeTaskDefinition(described())).toEqual(normalizeTaskDefinition(registered));
  });

  it('keeps a hostPort that differs from the containerPort', () => {
    const td = described();
    td.containerDefinitions![0]!.portMappings = [{ containerPort: 8080, hostPort: 80 }];
    expect(normalizeTaskDefinition(td).containers.web!.portMappings).toEqual([{ containerPort: 8080, hostPort: 80, protocol: 'tcp' }]);
  });
});

describe('task definition step', () => {
  it('depends on the roles, the log group, and the image when the service builds', () => {
    expect(taskDefinitionStep.instances(config(YAML))).toEqual([
      { scope: 'web', dependsOn: ['execution-role', 'task-role:web', 'logs:web'] },
      { scope: 'worker', dependsOn: ['execution-role', 'task-role:worker', 'logs:worker', 'image:worker'] },
    ]);
  });

  it('registers the first revision when the family does not exist', async () => {
    ecs.on(DescribeTaskDefinitionCommand).rejects(missing());
    ecs
      .on(RegisterTaskDefinitionCommand)
      .resolves({ taskDefinition: { family: 'shop-default-worker', taskDefinitionArn: arn('shop-default-worker', 1), revision: 1 } });
    const ctx = ctxFor('worker');
    const plan = await taskDefinitionStep.plan(ctx);
    expect(plan.action).toBe('create');
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand)[0]!.args[0].input).toEqual({
      taskDefinition: 'shop-default-worker',
      include: ['TAGS'],
    });
    const state = await taskDefinitionStep.apply(ctx, plan);
    expect(state).toEqual({ family: 'shop-default-worker', taskDefinitionArn: arn('shop-default-worker', 1), revision: 1 });
    const input = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input;
    expect(input.containerDefinitions![0]!.image).toBe(IMAGE);
    expect(input.tags).toEqual(OWNER_TAGS_ECS);
  });

  it('waits for its dependencies while planning a fresh environment', async () => {
    const ctx = stepContext(taskDefinitionStep, { config: config(YAML), scope: 'web' });
    await expect(taskDefinitionStep.plan(ctx)).rejects.toBeInstanceOf(PendingDependency);
    expect(ecs.calls()).toHaveLength(0);
  });

  it('plans no change and makes only a describe call when the latest revision matches', async () => {
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: described(), tags: OWNER_TAGS_ECS });
    const plan = await taskDefinitionStep.plan(ctxFor());
    expect(plan).toMatchObject({
      action: 'noop',
      changes: [],
      current: { family: 'shop-default-web', taskDefinitionArn: arn('shop-default-web', 3), revision: 3 },
    });
    expect(commandNames(ecs)).toEqual(['DescribeTaskDefinition']);
  });

  it('registers a new revision when the image, size or environment change, naming variables but not values', async () => {
    ecs.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: described({
        image: 'nginx:1.26',
        cpu: '512',
        env: [
          { name: 'ALPHA', value: 'old-secret' },
          { name: 'GONE', value: 'x' },
        ],
      }),
      tags: OWNER_TAGS_ECS,
    });
    ecs
      .on(RegisterTaskDefinitionCommand)
      .resolves({ taskDefinition: { ...described(), revision: 4, taskDefinitionArn: arn('shop-default-web', 4) } });
    const ctx = ctxFor();
    const plan = await taskDefinitionStep.plan(ctx);
    expect(plan.action).toBe('update');
    expect(plan.changes).toEqual([
      { field: 'cpu', before: '512', after: '256' },
      { field: 'containerDefinitions[web].image', before: 'nginx:1.26', after: 'nginx:1.27' },
      { field: 'environment.ALPHA', before: '(changed)', after: '(changed)' },
      { field: 'environment.GONE', before: '(changed)', after: undefined },
      { field: 'environment.ZED', before: undefined, after: '(changed)' },
    ]);
    expect(JSON.stringify(plan)).not.toMatch(/secret/);
    const state = await taskDefinitionStep.apply(ctx, plan);
    expect(state.revision).toBe(4);
    expect(ctx.messages.join('\n')).not.toMatch(/secret/);
  });

  it('runs Fargate tasks on the architecture the service is built for, and plans an architecture change as one', async () => {
    const arm = YAML.replace('    port: 8080\n', '    port: 8080\n    cpuArchitecture: arm64\n');
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: described(), tags: OWNER_TAGS_ECS });
    ecs
      .on(RegisterTaskDefinitionCommand)
      .resolves({ taskDefinition: { ...described(), revision: 4, taskDefinitionArn: arn('shop-default-web', 4) } });
    const ctx = ctxFor('web', arm);
    const plan = await taskDefinitionStep.plan(ctx);
    expect(plan).toMatchObject({
      action: 'update',
      changes: [{ field: 'runtimePlatform.cpuArchitecture', before: 'X86_64', after: 'ARM64' }],
      outputsChange: true,
    });
    await taskDefinitionStep.apply(ctx, plan);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input.runtimePlatform).toEqual({
      operatingSystemFamily: 'LINUX',
      cpuArchitecture: 'ARM64',
    });
  });

  it('takes the architecture from build.platform when cpuArchitecture is not set; EC2 tasks get no runtimePlatform', () => {
    const render = (yaml: string, svc: string) =>
      renderTaskDefinition({
        family: 'f',
        container: svc,
        service: config(yaml).services[svc]!,
        image: IMAGE,
        executionRoleArn: EXEC,
        taskRoleArn: 'r',
        logGroup: 'g',
        region: 'us-east-1',
        owner: { app: 'shop', env: 'default' },
      });
    const built = render('app: shop\nservices: { worker: { build: { context: ., platform: linux/arm64 } } }', 'worker');
    expect(built.runtimePlatform).toEqual({ operatingSystemFamily: 'LINUX', cpuArchitecture: 'ARM64' });
    const ec2 = render('app: shop\nec2: { instanceType: t3.small }\nservices: { web: { image: nginx, port: 80, capacity: ec2 } }', 'web');
    expect(ec2.runtimePlatform).toBeUndefined();
  });

  it('refuses to add revisions to a family that ecs-kit did not create', async () => {
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: described(), tags: [] });
    await expect(taskDefinitionStep.plan(ctxFor())).rejects.toThrow(/was not created by ecs-kit/);
  });

  describe('destroy', () => {
    const family = 'shop-default-web';
    const state = { family, taskDefinitionArn: arn(family, 12), revision: 12 };

    it('deregisters every active revision and deletes all revisions in batches of 10', async () => {
      const active = [11, 12].map((r) => arn(family, r));
      const inactive = Array.from({ length: 10 }, (_, i) => arn(family, i + 1));
      ecs.on(ListTaskDefinitionsCommand, { status: 'ACTIVE' }).resolves({ taskDefinitionArns: [...active, arn('shop-default-web2', 1)] });
      ecs.on(ListTaskDefinitionsCommand, { status: 'INACTIVE' }).resolves({ taskDefinitionArns: inactive });
      ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: described(), tags: OWNER_TAGS_ECS });
      ecs.on(DeregisterTaskDefinitionCommand).resolves({});
      ecs.on(DeleteTaskDefinitionsCommand).resolves({ taskDefinitions: [], failures: [] });
      const ctx = ctxFor();
      await taskDefinitionStep.destroy(ctx, state);
      expect(ecs.commandCalls(ListTaskDefinitionsCommand)[0]!.args[0].input).toMatchObject({ familyPrefix: family });
      // tags are checked on the newest revision
      expect(ecs.commandCalls(DescribeTaskDefinitionCommand)[0]!.args[0].input).toEqual({
        taskDefinition: arn(family, 12),
        include: ['TAGS'],
      });
      expect(
        ecs
          .commandCalls(DeregisterTaskDefinitionCommand)
          .map((c) => c.args[0].input.taskDefinition)
          .sort(),
      ).toEqual([...active].sort());
      const batches = ecs.commandCalls(DeleteTaskDefinitionsCommand).map((c) => c.args[0].input.taskDefinitions!);
      expect(batches.map((b) => b.length)).toEqual([10, 2]);
      expect(batches.flat().sort()).toEqual([...active, ...inactive].sort());
      expect(batches.flat()).not.toContain(arn('shop-default-web2', 1));
      expect(ctx.warnings).toEqual([]);
    });

    it('treats an already-deleted family as deleted', async () => {
      ecs.on(ListTaskDefinitionsCommand).resolves({ taskDefinitionArns: [] });
      await taskDefinitionStep.destroy(ctxFor(), state);
      expect(commandNames(ecs)).toEqual(['ListTaskDefinitions', 'ListTaskDefinitions']);
    });

    it('leaves the family alone when its tags say someone else owns it', async () => {
      ecs.on(ListTaskDefinitionsCommand, { status: 'ACTIVE' }).resolves({ taskDefinitionArns: [arn(family, 1)] });
      ecs.on(ListTaskDefinitionsCommand, { status: 'INACTIVE' }).resolves({ taskDefinitionArns: [] });
      ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: described(), tags: [{ key: 'ecs-kit:app', value: 'other' }] });
      const ctx = ctxFor();
      await taskDefinitionStep.destroy(ctx, state);
      expect(ctx.warningCodes).toEqual(['teardown.not-owned']);
      expect(commandNames(ecs)).toEqual(['ListTaskDefinitions', 'ListTaskDefinitions', 'DescribeTaskDefinition']);
    });

    it('warns and stops when the region cannot delete task definitions', async () => {
      ecs.on(ListTaskDefinitionsCommand, { status: 'ACTIVE' }).resolves({ taskDefinitionArns: [arn(family, 1)] });
      ecs.on(ListTaskDefinitionsCommand, { status: 'INACTIVE' }).resolves({ taskDefinitionArns: [] });
      ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: described(), tags: OWNER_TAGS_ECS });
      ecs.on(DeregisterTaskDefinitionCommand).resolves({});
      ecs.on(DeleteTaskDefinitionsCommand).rejects(Object.assign(new Error('Unknown operation'), { name: 'UnknownOperationException' }));
      const ctx = ctxFor();
      await taskDefinitionStep.destroy(ctx, state);
      expect(ecs.commandCalls(DeregisterTaskDefinitionCommand)).toHaveLength(1);
      expect(ctx.warningCodes).toEqual(['task-definition.revisions-kept']);
      expect(ctx.warnings[0]).toMatch(/does not support deleting task definitions/);
    });
  });
});
