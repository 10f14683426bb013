import { CloudWatchLogsClient, GetLogEventsCommand, ResourceNotFoundException } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  RunTaskCommand,
  type Service,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RUN_TASK_STARTED_BY, runRunTask, runTaskPlacement, type RunTaskOptions } from '../../../src/cli/commands/run-task/index.js';
import { strict } from '../../helpers/aws-mock.js';
import { ONE_SERVICE, TD, deployedManifest, mockIdentity, sts, workdir, type Workdir } from './day2-fixture.js';

const ecs = mockClient(ECSClient);
const logs = mockClient(CloudWatchLogsClient);
let w: Workdir;
beforeEach(() => {
  mockIdentity();
  ecs.reset();
  strict(ecs);
  logs.reset();
  strict(logs);
});
afterEach(() => w?.cleanup());

const TASK = 'arn:aws:ecs:us-east-1:123456789012:task/shop-default/0a1b2c3d';
const STREAM = 'ecs/web/0a1b2c3d';

function seedService(over: Partial<Service> = {}, networkMode = 'awsvpc'): void {
  ecs.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceName: 'web',
        status: 'ACTIVE',
        taskDefinition: TD(2),
        platformVersion: 'LATEST',
        capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1, base: 0 }],
        networkConfiguration: {
          awsvpcConfiguration: { subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-web'], assignPublicIp: 'ENABLED' },
        },
        ...over,
      },
    ],
  });
  ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: TD(2) }).resolves({
    taskDefinition: {
      taskDefinitionArn: TD(2),
      networkMode: networkMode as 'awsvpc',
      containerDefinitions: [
        {
          name: 'web',
          essential: true,
          logConfiguration: {
            logDriver: 'awslogs',
            options: { 'awslogs-group': '/ecs/shop/default/web', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'ecs' },
          },
        },
      ],
    },
  });
  ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK, lastStatus: 'PROVISIONING' }], failures: [] });
}

const opts = (w: Workdir, o: Partial<RunTaskOptions> = {}): RunTaskOptions => ({
  ...w.opts,
  service: 'web',
  command: ['npm', 'run', 'migrate'],
  timeoutMs: 5_000,
  pollIntervalMs: 1,
  ...o,
});

describe('run-task', () => {
  it("runs the service's task definition on the service's network with the command, streams its logs and exits with its code", async () => {
    w = await workdir(undefined, deployedManifest());
    seedService();
    ecs
      .on(DescribeTasksCommand)
      .resolvesOnce({ tasks: [{ taskArn: TASK, lastStatus: 'RUNNING', containers: [{ name: 'web' }] }] })
      .resolves({
        tasks: [
          {
            taskArn: TASK,
            lastStatus: 'STOPPED',
            stoppedReason: 'Essential container in task exited',
            containers: [{ name: 'web', exitCode: 3 }],
          },
        ],
      });
    logs
      .on(GetLogEventsCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'The specified log stream does not exist.', $metadata: {} }))
      .resolvesOnce({ events: [{ timestamp: 1000, message: 'migrating…' }], nextForwardToken: 'f1' })
      .resolves({ events: [], nextForwardToken: 'f1' });

    expect(await runRunTask(opts(w), w.io, w.reporter)).toBe(3);
    expect(ecs.commandCalls(RunTaskCommand)[0]!.args[0].input).toEqual({
      cluster: 'shop-default',
      taskDefinition: TD(2),
      // the service's own capacity, as DescribeServices reports it
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
      platformVersion: 'LATEST',
      count: 1,
      startedBy: 'ecs-kit/run-task',
      clientToken: expect.stringMatching(/^[0-9a-f-]{36}$/),
      networkConfiguration: {
        awsvpcConfiguration: { subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-web'], assignPublicIp: 'ENABLED' },
      },
      overrides: { containerOverrides: [{ name: 'web', command: ['npm', 'run', 'migrate'] }] },
    });
    expect(
      logs
        .commandCalls(GetLogEventsCommand)
        .every((c) => c.args[0].input.logStreamName === STREAM && c.args[0].input.logGroupName === '/ecs/shop/default/web'),
    ).toBe(true);
    expect(w.reporter.ofType('log').map((l) => [l.taskId, l.message])).toEqual([['0a1b2c3d', 'migrating…']]);
    expect(w.reporter.ofType('output')).toContainEqual({ type: 'output', name: 'exitCode', value: '3' });
    expect(w.reporter.ofType('warn').map((e) => e.code)).toEqual(['run-task.exit-code']);
    expect(
      w.reporter
        .ofType('warn')
        .map((e) => e.message)
        .join('\n'),
    ).toContain('exited with code 3: Essential container in task exited');
  });

  it("runs an EC2 service's task on its EC2 capacity provider, without a Fargate platform version", async () => {
    w = await workdir(
      ONE_SERVICE.replace('    port: 80\n', '    port: 80\n    capacity: ec2\n').replace(
        'services:',
        'ec2: { instanceType: t3.small }\nservices:',
      ),
      deployedManifest(),
    );
    seedService(
      {
        capacityProviderStrategy: [{ capacityProvider: 'shop-default-ec2', weight: 1, base: 0 }],
        platformVersion: undefined,
        networkConfiguration: undefined,
      },
      'bridge',
    );
    ecs
      .on(DescribeTasksCommand)
      .resolves({ tasks: [{ taskArn: TASK, lastStatus: 'STOPPED', containers: [{ name: 'web', exitCode: 0 }] }] });
    logs.on(GetLogEventsCommand).resolves({ events: [] });
    expect(await runRunTask(opts(w, { command: [] }), w.io, w.reporter)).toBe(0);
    const input = ecs.commandCalls(RunTaskCommand)[0]!.args[0].input;
    expect(input.capacityProviderStrategy).toEqual([{ capacityProvider: 'shop-default-ec2', weight: 1 }]);
    expect(input.launchType).toBeUndefined();
    expect(input.platformVersion).toBeUndefined();
    // bridge mode: the task shares its instance's network
    expect(input.networkConfiguration).toBeUndefined();
  });

  it('gives every invocation its own client token, and a startedBy ECS accepts', async () => {
    w = await workdir(undefined, deployedManifest());
    seedService();
    ecs
      .on(DescribeTasksCommand)
      .resolves({ tasks: [{ taskArn: TASK, lastStatus: 'STOPPED', containers: [{ name: 'web', exitCode: 0 }] }] });
    logs.on(GetLogEventsCommand).resolves({ events: [] });
    await runRunTask(opts(w), w.io, w.reporter);
    await runRunTask(opts(w), w.io, w.reporter);
    const [a, b] = ecs.commandCalls(RunTaskCommand).map((c) => c.args[0].input);
    expect(a!.clientToken).not.toBe(b!.clientToken);
    expect(a!.clientToken!.length).toBeLessThanOrEqual(64);
    // RunTask startedBy: up to 128 letters, digits, hyphens, underscores and forward slashes
    expect(RUN_TASK_STARTED_BY).toMatch(/^[A-Za-z0-9_/-]{1,128}$/);
    expect(a!.startedBy).toBe(RUN_TASK_STARTED_BY);
  });

  it('exit code 0 → 0; no command keeps the image command', async () => {
    w = await workdir(undefined, deployedManifest());
    seedService();
    ecs
      .on(DescribeTasksCommand)
      .resolves({ tasks: [{ taskArn: TASK, lastStatus: 'STOPPED', containers: [{ name: 'web', exitCode: 0 }] }] });
    logs.on(GetLogEventsCommand).resolves({ events: [] });
    expect(await runRunTask(opts(w, { command: [] }), w.io, w.reporter)).toBe(0);
    expect(ecs.commandCalls(RunTaskCommand)[0]!.args[0].input.overrides).toBeUndefined();
  });

  it('a task that stops without an exit code (e.g. the image could not be pulled) exits 1 and says why', async () => {
    w = await workdir(undefined, deployedManifest());
    seedService();
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        {
          taskArn: TASK,
          lastStatus: 'STOPPED',
          stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 5 time(s)',
          containers: [{ name: 'web' }],
        },
      ],
    });
    logs.on(GetLogEventsCommand).rejects(new ResourceNotFoundException({ message: 'no stream', $metadata: {} }));
    expect(await runRunTask(opts(w), w.io, w.reporter)).toBe(1);
    expect(w.reporter.ofType('warn').map((e) => e.code)).toContain('run-task.no-exit-code');
    expect(
      w.reporter
        .ofType('warn')
        .map((e) => e.message)
        .join('\n'),
    ).toMatch(/stopped without an exit code: CannotPullContainerError/);
  });

  it('gives up at --timeout, says the task keeps running and how to stop it', async () => {
    w = await workdir(undefined, deployedManifest());
    seedService();
    ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: TASK, lastStatus: 'RUNNING', containers: [{ name: 'web' }] }] });
    logs.on(GetLogEventsCommand).resolves({ events: [] });
    await expect(runRunTask(opts(w, { timeoutMs: 30, pollIntervalMs: 5 }), w.io, w.reporter)).rejects.toMatchObject({
      code: 'run-task.timeout',
      exitCode: 1,
      fix: expect.stringContaining('aws ecs stop-task --cluster shop-default --task 0a1b2c3d'),
    });
  });

  it('RunTask failures (no capacity, bad subnet) are reported, exit 1', async () => {
    w = await workdir(undefined, deployedManifest());
    seedService();
    ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [{ reason: 'RESOURCE:ENI', detail: 'no free addresses in subnet-a' }] });
    await expect(runRunTask(opts(w), w.io, w.reporter)).rejects.toMatchObject({
      code: 'run-task.failed-to-start',
      message: expect.stringContaining('RESOURCE:ENI (no free addresses in subnet-a)'),
    });
  });

  it('an undeployed service is explained; an unknown one exits 2 before any AWS call', async () => {
    w = await workdir();
    ecs.on(DescribeServicesCommand).resolves({ services: [] });
    await expect(runRunTask(opts(w), w.io, w.reporter)).rejects.toMatchObject({ code: 'run-task.no-service', exitCode: 1 });
    sts.resetHistory();
    await expect(runRunTask(opts(w, { service: 'api' }), w.io, w.reporter)).rejects.toMatchObject({ exitCode: 2 });
    expect(sts.calls()).toHaveLength(0);
  });
});

describe('runTaskPlacement', () => {
  const FARGATE = { capacity: 'fargate' as const, capacityStrategy: undefined };
  it("keeps the service's launch type FARGATE (services from before capacity providers)", () => {
    expect(runTaskPlacement({ launchType: 'FARGATE', platformVersion: '1.4.0' }, FARGATE, 'cp')).toEqual({
      launchType: 'FARGATE',
      platformVersion: '1.4.0',
    });
  });
  it('uses the configured strategy when the API reports EC2 without one (it dropped it)', () => {
    expect(runTaskPlacement({ launchType: 'EC2' }, { capacity: 'fargate-spot', capacityStrategy: undefined }, 'cp')).toEqual({
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
    });
    expect(runTaskPlacement({ launchType: 'EC2' }, { capacity: 'ec2', capacityStrategy: undefined }, 'shop-default-ec2')).toEqual({
      capacityProviderStrategy: [{ capacityProvider: 'shop-default-ec2', weight: 1 }],
    });
  });
  it('keeps a real launchType EC2 service (no config for it) on EC2', () => {
    expect(runTaskPlacement({ launchType: 'EC2', platformVersion: 'LATEST' }, undefined, 'cp')).toEqual({ launchType: 'EC2' });
  });
  it('passes a mixed Fargate strategy with its base, and the platform version', () => {
    const strategy = [
      { capacityProvider: 'FARGATE', weight: 1, base: 1 },
      { capacityProvider: 'FARGATE_SPOT', weight: 3, base: 0 },
    ];
    expect(runTaskPlacement({ capacityProviderStrategy: strategy, platformVersion: 'LATEST' }, FARGATE, 'cp')).toEqual({
      capacityProviderStrategy: [
        { capacityProvider: 'FARGATE', weight: 1, base: 1 },
        { capacityProvider: 'FARGATE_SPOT', weight: 3 },
      ],
      platformVersion: 'LATEST',
    });
  });
});
