import type { RolloutDiagnosis } from '../../../src/engine/events.js';
import { diagnosisLines } from '../../../src/ui/diagnosis.js';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  UpdateServiceCommand,
  type Container,
  type Deployment,
  type Service,
  type Task,
} from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type EcsKitError, ExitCode } from '../../../src/errors.js';
import { RolloutError, assessRollout, watchRollout, type RolloutTarget } from '../../../src/rollout/watch.js';
import { serviceStep } from '../../../src/steps/service/index.js';
import { startedDeployment } from '../../../src/steps/service/rollout.js';
import { commandNames, strict } from '../../helpers/aws-mock.js';
import { OWNER_TAGS_ECS, stepContext } from '../../helpers/context.js';

/** What a person sees under "Why:": the reason, then the UI's wording of the diagnosis the error carries. */
function shown(err: { why?: string; diagnosis?: RolloutDiagnosis }): string {
  return [err.why ?? '', ...(err.diagnosis ? diagnosisLines(err.diagnosis) : [])].join('\n');
}

const ecs = mockClient(ECSClient);
const elb = mockClient(ElasticLoadBalancingV2Client);
const logs = mockClient(CloudWatchLogsClient);
beforeEach(() => {
  for (const m of [ecs, elb, logs]) {
    m.reset();
    strict(m);
  }
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const TD_OLD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/shop-default-web:1';
const TD_NEW = 'arn:aws:ecs:us-east-1:123456789012:task-definition/shop-default-web:2';
const TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-default-web/0123456789abcdef';
const DEP_OLD = 'ecs-svc/1111111111111111111';
const DEP_NEW = 'ecs-svc/2222222222222222222';
const target: RolloutTarget = { cluster: 'shop-default', service: 'web', taskDefinitionArn: TD_NEW };
/** An update that UpdateService answered with our deployment as PRIMARY. */
const update: RolloutTarget = { ...target, deploymentId: DEP_NEW, previousTaskDefinitionArn: TD_OLD };

const dep = (taskDefinition: string, status: string, rolloutState?: string, extra: Partial<Deployment> = {}): Deployment =>
  ({
    id: taskDefinition === TD_NEW ? DEP_NEW : DEP_OLD,
    status,
    taskDefinition,
    ...(rolloutState ? { rolloutState } : {}),
    ...extra,
  }) as Deployment;

const service = (over: Partial<Service> = {}): Service => ({
  serviceName: 'web',
  status: 'ACTIVE',
  taskDefinition: TD_NEW,
  desiredCount: 2,
  runningCount: 2,
  pendingCount: 0,
  deployments: [dep(TD_NEW, 'PRIMARY', 'COMPLETED')],
  events: [],
  ...over,
});
const out = (over: Partial<Service> = {}) => ({ services: [service(over)] });

/** A rolling update in progress: our deployment PRIMARY with no task running yet, the old one still serving. */
const inProgress = (over: Partial<Service> = {}) =>
  out({
    loadBalancers: [{ targetGroupArn: TG, containerName: 'web', containerPort: 8080 }],
    runningCount: 2,
    pendingCount: 0,
    deployments: [
      dep(TD_NEW, 'PRIMARY', 'IN_PROGRESS', { desiredCount: 2, runningCount: 0, pendingCount: 1 }),
      dep(TD_OLD, 'ACTIVE', 'COMPLETED', { desiredCount: 2, runningCount: 2, pendingCount: 0 }),
    ],
    ...over,
  });

function context(timeoutMs = 15 * 60_000, options: { rollback?: boolean; maxFailedTasks?: number } = {}) {
  const ctx = stepContext(serviceStep, { scope: 'web' });
  ctx.options = { ...ctx.options, pollIntervalMs: 10_000, timeoutMs, ...options };
  return ctx;
}

/** Run the watcher to completion under fake timers; resolves to the error if it threw. */
async function run(ctx: ReturnType<typeof context>, t: RolloutTarget = target, advanceMs = 16 * 60_000): Promise<unknown> {
  const p = watchRollout(ctx, t).then(
    () => undefined,
    (err: unknown) => err,
  );
  await vi.advanceTimersByTimeAsync(advanceMs);
  return p;
}

const T0 = new Date('2026-11-21T10:00:00Z');
const taskArn = (id: string) => `arn:aws:ecs:us-east-1:123456789012:task/shop-default/${id}`;

function task(id: string, over: Partial<Task> = {}, containers: Partial<Container>[] = [{}]): Task {
  const n = Number.parseInt(id.slice(-1), 16) || 0;
  return {
    taskArn: taskArn(id),
    taskDefinitionArn: TD_NEW,
    startedBy: DEP_NEW,
    group: 'service:web',
    lastStatus: 'STOPPED',
    desiredStatus: 'STOPPED',
    createdAt: new Date(T0.getTime() + n * 60_000),
    stoppedAt: new Date(T0.getTime() + n * 60_000 + 30_000),
    containers: containers.map((c) => ({ name: 'web', lastStatus: 'STOPPED', ...c })),
    ...over,
  };
}

/**
 * Scripted task API: ListTasks(STOPPED) answers with the next list on each call (the last one
 * repeats); DescribeTasks answers for whichever of `tasks` it is asked about.
 */
function scriptTasks(lists: string[][], tasks: Task[]) {
  let i = 0;
  ecs.on(ListTasksCommand).callsFake(() => ({ taskArns: (lists[Math.min(i++, lists.length - 1)] ?? []).map(taskArn) }));
  const byArn = new Map(tasks.map((t) => [t.taskArn, t]));
  ecs
    .on(DescribeTasksCommand)
    .callsFake((input: { tasks: string[] }) => ({ tasks: input.tasks.map((a) => byArn.get(a)).filter(Boolean), failures: [] }));
  ecs.on(DescribeTaskDefinitionCommand).resolves({
    taskDefinition: {
      taskDefinitionArn: TD_NEW,
      containerDefinitions: [
        {
          name: 'web',
          image: 'nginx',
          logConfiguration: {
            logDriver: 'awslogs',
            options: { 'awslogs-group': '/ecs/shop-default/web', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'ecs' },
          },
        },
      ],
    },
  });
}

const notFound = () => Object.assign(new Error('The specified log stream does not exist.'), { name: 'ResourceNotFoundException' });
const logLines = (...lines: string[]) => ({ events: lines.map((message, i) => ({ timestamp: T0.getTime() + i, message })) });
const noTargets = () => elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [] });

async function failureOf(ctx: ReturnType<typeof context>, t: RolloutTarget): Promise<RolloutError> {
  const err = await run(ctx, t);
  expect(err).toBeInstanceOf(RolloutError);
  return err as RolloutError;
}

describe('rollout watcher: success', () => {
  it('completes at once when our deployment is PRIMARY and COMPLETED', async () => {
    ecs.on(DescribeServicesCommand).resolves(out());
    const ctx = context();
    expect(await run(ctx)).toBeUndefined();
    expect(commandNames(ecs)).toEqual(['DescribeServices']);
    expect(ctx.messages).toEqual(['2/2 running, 0 pending']);
  });

  it('keeps polling through a slow start until the deployment completes', async () => {
    const oldActive = dep(TD_OLD, 'ACTIVE', 'COMPLETED');
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce(out({ runningCount: 0, pendingCount: 2, deployments: [dep(TD_NEW, 'PRIMARY', 'IN_PROGRESS'), oldActive] }))
      .resolvesOnce(out({ runningCount: 0, pendingCount: 2, deployments: [dep(TD_NEW, 'PRIMARY', 'IN_PROGRESS'), oldActive] }))
      .resolvesOnce(out({ runningCount: 1, pendingCount: 1, deployments: [dep(TD_NEW, 'PRIMARY', 'IN_PROGRESS'), oldActive] }))
      // counts look settled, but the old deployment is still draining
      .resolvesOnce(out({ runningCount: 2, pendingCount: 0, deployments: [dep(TD_NEW, 'PRIMARY', 'IN_PROGRESS'), oldActive] }))
      .resolves(out());
    scriptTasks([[]], []);
    const ctx = context();
    expect(await run(ctx, update)).toBeUndefined();
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(5);
    // while waiting, each poll also looks for stopped tasks of the new revision; none → no DescribeTasks
    expect(ecs.commandCalls(ListTasksCommand)).toHaveLength(4);
    // the deployment id is known: list exactly its stopped tasks
    expect(ecs.commandCalls(ListTasksCommand)[0]!.args[0].input).toEqual({
      cluster: 'shop-default',
      startedBy: DEP_NEW,
      desiredStatus: 'STOPPED',
    });
    expect(ecs.commandCalls(DescribeTasksCommand)).toHaveLength(0);
    // a progress line only when the counts change
    expect(ctx.messages).toEqual(['0/2 running, 2 pending', '1/2 running, 1 pending', '2/2 running, 0 pending']);
  });

  it('success after a slow start survives a crash of an old task and a scale-in stop of a new one', async () => {
    // Stopped tasks that are not failures of the new revision must not trip fail-fast.
    const old = task('0ld1', { taskDefinitionArn: TD_OLD, startedBy: DEP_OLD, stopCode: 'EssentialContainerExited' }, [{ exitCode: 1 }]);
    const scaledIn = task('a1', {
      stopCode: 'ServiceSchedulerInitiated',
      stoppedReason: `Scaling activity initiated by (deployment ${DEP_NEW})`,
    });
    const byHand = task('a2', { stopCode: 'UserInitiated', stoppedReason: 'Task stopped by user' });
    const crashed = task('a3', { stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' }, [
      { exitCode: 1 },
    ]);
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce(inProgress())
      .resolvesOnce(inProgress())
      .resolvesOnce(inProgress())
      .resolves(out({ deployments: [dep(TD_NEW, 'PRIMARY', 'COMPLETED', { desiredCount: 2, runningCount: 2, pendingCount: 0 })] }));
    scriptTasks([['0ld1'], ['0ld1', 'a1', 'a2'], ['0ld1', 'a1', 'a2', 'a3']], [old, scaledIn, byHand, crashed]);
    const ctx = context();
    expect(await run(ctx, update)).toBeUndefined();
    // each stopped task is described once, however many polls list it
    const described = ecs.commandCalls(DescribeTasksCommand).flatMap((c) => c.args[0].input.tasks ?? []);
    expect(described).toEqual([taskArn('0ld1'), taskArn('a1'), taskArn('a2'), taskArn('a3')]);
    expect(ctx.messages).toEqual(['0/2 running, 1 pending', '0/2 running, 1 pending, 1 failed', '2/2 running, 0 pending, 1 failed']);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it('completes a deployment without rollout tracking once it is alone and every task runs', async () => {
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce(out({ runningCount: 1, pendingCount: 1, deployments: [dep(TD_NEW, 'PRIMARY')] }))
      .resolves(out({ deployments: [dep(TD_NEW, 'PRIMARY')] }));
    scriptTasks([[]], []);
    expect(await run(context())).toBeUndefined();
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(2);
  });

  it('accepts a service that points at our revision while its only deployment still names the old one', async () => {
    // An UpdateService answer with a stale deployments[] gives no deployment id: follow the revision.
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce(out({ runningCount: 1, pendingCount: 1, deployments: [dep(TD_OLD, 'PRIMARY', 'COMPLETED')] }))
      .resolves(out({ deployments: [dep(TD_OLD, 'PRIMARY', 'COMPLETED')] }));
    scriptTasks([[]], []);
    expect(await run(context(), { ...target, previousTaskDefinitionArn: TD_OLD })).toBeUndefined();
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(2);
  });

  it('is done at once when the service wants no tasks', async () => {
    ecs
      .on(DescribeServicesCommand)
      .resolves(out({ desiredCount: 0, runningCount: 0, deployments: [dep(TD_NEW, 'PRIMARY', 'IN_PROGRESS')] }));
    expect(await run(context())).toBeUndefined();
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(1);
  });

  it('reports each new service event once, oldest first, and skips events from before the change', async () => {
    const t0 = Date.now();
    const at = (s: number) => new Date(t0 + s * 1000);
    const stale = { id: 'old', message: 'has reached a steady state (previous deploy)', createdAt: at(-3600) };
    const e1 = { id: 'e1', message: 'has started 2 tasks', createdAt: at(1) };
    const e2 = { id: 'e2', message: 'registered 2 targets', createdAt: at(12) };
    const e3 = { id: 'e3', message: 'has reached a steady state', createdAt: at(22) };
    const waiting = { runningCount: 1, pendingCount: 1, deployments: [dep(TD_NEW, 'PRIMARY', 'IN_PROGRESS')] };
    ecs
      .on(DescribeServicesCommand)
      // ECS lists events newest-first
      .resolvesOnce(out({ ...waiting, events: [e1, stale] }))
      .resolvesOnce(out({ ...waiting, events: [e2, e1, stale] }))
      .resolves(out({ events: [e3, e2, e1, stale] }));
    scriptTasks([[]], []);
    const ctx = context();
    expect(await run(ctx, { ...target, since: new Date(t0 - 10_000) })).toBeUndefined();
    expect(ctx.messages).toEqual([
      'has started 2 tasks',
      '1/2 running, 1 pending',
      'registered 2 targets',
      'has reached a steady state',
      '2/2 running, 0 pending',
    ]);
  });
});

describe('rollout watcher: failures, with diagnosis', () => {
  it('image pull failure: fails fast after 3 stopped tasks, rolls back to the previous revision and says why', async () => {
    const pull =
      'CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref docker.io/library/ngnix:1.27: docker.io/library/ngnix:1.27: not found';
    const failed = (id: string) => task(id, { stopCode: 'TaskFailedToStart', stoppedReason: pull }, [{ reason: pull }]);
    ecs.on(DescribeServicesCommand).resolves(inProgress());
    scriptTasks([['b1'], ['b1', 'b2'], ['b1', 'b2', 'b3']], [failed('b1'), failed('b2'), failed('b3')]);
    ecs.on(UpdateServiceCommand).resolves({ service: { serviceName: 'web' } });
    logs.on(GetLogEventsCommand).rejects(notFound());
    noTargets();
    const ctx = context();
    const err = await failureOf(ctx, update);

    expect(err.code).toBe('rollout.rolled-back');
    expect(err.exitCode).toBe(ExitCode.Failure);
    expect(err.message).toBe(
      'Rollout of shop-default-web:2 to service web rolled back: ecs-kit put the service back on shop-default-web:1.',
    );
    // stopped waiting on the third poll, long before the 15-minute timeout
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(3);
    expect(ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: 'shop-default', service: 'web', taskDefinition: TD_OLD },
    ]);
    expect(err.rolledBackTo).toBe(TD_OLD);
    expect(ctx.messages).toContain('rolling service web back to shop-default-web:1');
    expect(shown(err)).toMatch(
      /^3 tasks of shop-default-web:2 stopped \(--max-failed-tasks 3\)\. ECS is now replacing its tasks with shop-default-web:1/,
    );
    expect(shown(err)).toContain(`task b3 (shop-default-web:2) — TaskFailedToStart: ${pull}`);
    expect(shown(err)).toMatch(/that image name or tag does not exist in the registry/);
    expect(shown(err)).toContain('logs: no logs were written');
    // identical failures are not repeated in full
    expect(shown(err)).toContain(`task b2 (shop-default-web:2) — TaskFailedToStart: ${pull} (same as task b3)`);
    expect(shown(err).match(/does not exist in the registry/g)).toHaveLength(1);
    expect(shown(err)).toContain(
      'Console: https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/shop-default/services/web/deployments?region=us-east-1',
    );
    // newest first, and the log stream the awslogs driver would have used
    expect(err.diagnosis.stoppedTasks.map((t) => t.taskId)).toEqual(['b3', 'b2', 'b1']);
    expect(logs.commandCalls(GetLogEventsCommand)[0]!.args[0].input).toEqual({
      logGroupName: '/ecs/shop-default/web',
      logStreamName: 'ecs/web/b3',
      limit: 20,
      startFromHead: false,
    });
    expect(err.diagnosis).toMatchObject({
      verdict: 'rolled-back',
      rolledBackBy: 'ecs-kit',
      rolledBackTo: 'shop-default-web:1',
      stoppedTotal: 3,
      taskDefinition: 'shop-default-web:2',
    });
    expect(err.fix).toMatch(/--no-rollback/);
  });

  it('OOM (exit 137): explains the kill and shows the last log lines', async () => {
    const oom = (id: string) =>
      task(id, { stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' }, [
        { exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' },
      ]);
    ecs.on(DescribeServicesCommand).resolves(inProgress());
    scriptTasks([['c1', 'c2', 'c3']], [oom('c1'), oom('c2'), oom('c3')]);
    ecs.on(UpdateServiceCommand).resolves({});
    logs.on(GetLogEventsCommand).resolves(logLines('Loading catalog into memory…', 'loaded 1200000 products', 'building search index'));
    noTargets();
    const err = await failureOf(context(), update);
    expect(err.code).toBe('rollout.rolled-back');
    expect(shown(err)).toContain('container web: exit code 137 — OutOfMemoryError: Container killed due to memory usage');
    expect(shown(err)).toMatch(/ran out of memory and was killed; raise `memory`/);
    expect(shown(err)).toMatch(/an essential container stopped, so ECS stopped the whole task/);
    expect(shown(err)).toContain('last 3 log lines (/ecs/shop-default/web ecs/web/c3):');
    expect(shown(err)).toContain('| building search index');
    expect(err.diagnosis.stoppedTasks[0]!.containers[0]).toMatchObject({
      exitCode: 137,
      logs: ['Loading catalog into memory…', 'loaded 1200000 products', 'building search index'],
    });
  });

  it('essential container exit 1: points at the app error in its logs', async () => {
    const crash = (id: string) =>
      task(id, { stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' }, [{ exitCode: 1 }]);
    ecs.on(DescribeServicesCommand).resolves(inProgress());
    scriptTasks(
      [
        ['d1', 'd2'],
        ['d1', 'd2', 'd3'],
      ],
      [crash('d1'), crash('d2'), crash('d3')],
    );
    ecs.on(UpdateServiceCommand).resolves({});
    logs
      .on(GetLogEventsCommand)
      .resolves(logLines('> shop@1.0.0 start', 'Error: DATABASE_URL is not set\n    at config (/app/config.js:3:9)'));
    noTargets();
    const err = await failureOf(context(), update);
    expect(shown(err)).toContain('container web: exit code 1');
    expect(shown(err)).toMatch(/the app exited with an error \(exit 1\)/);
    // a multi-line log message becomes separate lines
    expect(shown(err)).toContain('| Error: DATABASE_URL is not set\n');
    expect(shown(err)).toContain('|     at config (/app/config.js:3:9)');
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(2);
  });

  it('failing health check: shows the target health reason from the load balancer', async () => {
    const tg =
      'Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-default-web/0123456789abcdef)';
    const unhealthy = (id: string) => task(id, { stopCode: 'ServiceSchedulerInitiated', stoppedReason: tg }, [{ exitCode: 143 }]);
    ecs.on(DescribeServicesCommand).resolves(inProgress());
    scriptTasks([['e1', 'e2', 'e3']], [unhealthy('e1'), unhealthy('e2'), unhealthy('e3')]);
    ecs.on(UpdateServiceCommand).resolves({});
    logs.on(GetLogEventsCommand).resolves(logLines('listening on 127.0.0.1:8080', 'GET /health 404'));
    elb.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [
        {
          Target: { Id: '10.0.1.23', Port: 8080 },
          TargetHealth: {
            State: 'unhealthy',
            Reason: 'Target.ResponseCodeMismatch',
            Description: 'Health checks failed with these codes: [404]',
          },
        },
        { Target: { Id: '10.0.0.7', Port: 8080 }, TargetHealth: { State: 'healthy' } },
        { Target: { Id: '10.0.0.8', Port: 8080 }, TargetHealth: { State: 'draining', Reason: 'Target.DeregistrationInProgress' } },
      ],
    });
    const err = await failureOf(context(), update);
    expect(elb.commandCalls(DescribeTargetHealthCommand)[0]!.args[0].input).toEqual({ TargetGroupArn: TG });
    expect(shown(err)).toMatch(/the load balancer health check kept failing/);
    expect(shown(err)).toContain(
      '10.0.1.23:8080 in shop-default-web: unhealthy — Target.ResponseCodeMismatch: Health checks failed with these codes: [404]',
    );
    expect(shown(err)).toMatch(/often 404: the path does not exist/);
    // healthy and draining targets need no explaining
    expect(err.diagnosis.targets.map((t) => t.id)).toEqual(['10.0.1.23']);
  });

  it('circuit-breaker rollback: reports that ECS rolled back, without rolling back itself', async () => {
    const failing = (id: string) =>
      task(id, { stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' }, [{ exitCode: 1 }]);
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce(inProgress())
      .resolves(
        out({
          taskDefinition: TD_OLD,
          runningCount: 2,
          deployments: [
            dep(TD_OLD, 'PRIMARY', 'IN_PROGRESS', { id: 'ecs-svc/333' }),
            dep(TD_NEW, 'ACTIVE', 'FAILED', {
              rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
              desiredCount: 0,
              runningCount: 0,
              pendingCount: 0,
              failedTasks: 2,
            }),
          ],
          events: [{ id: 'ev1', message: '(service web) rolling back to deployment ecs-svc/1111111111111111111.', createdAt: new Date() }],
        }),
      );
    scriptTasks([['f1'], ['f1', 'f2']], [failing('f1'), failing('f2')]);
    logs.on(GetLogEventsCommand).resolves(logLines('boom'));
    const err = await failureOf(context(), update);
    expect(err.code).toBe('rollout.rolled-back');
    expect(err.message).toBe('Rollout of shop-default-web:2 to service web rolled back: ECS put the service back on shop-default-web:1.');
    expect(shown(err)).toMatch(
      /circuit breaker restored the previous revision\. ECS says: ECS deployment circuit breaker: tasks failed to start\./,
    );
    expect(shown(err)).toContain('- (service web) rolling back to deployment');
    expect(err.diagnosis).toMatchObject({ verdict: 'rolled-back', rolledBackBy: 'ecs', stoppedTotal: 2, counts: { failed: 2 } });
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    expect(err.rolledBackTo).toBe(TD_OLD);
  });

  it('--no-rollback: stops waiting and reports, leaving the service on the new revision', async () => {
    const crash = (id: string) =>
      task(id, { stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' }, [{ exitCode: 139 }]);
    ecs.on(DescribeServicesCommand).resolves(inProgress());
    scriptTasks([['g1', 'g2', 'g3', 'g4']], ['g1', 'g2', 'g3', 'g4'].map(crash));
    logs.on(GetLogEventsCommand).resolves(logLines('Segmentation fault (core dumped)'));
    noTargets();
    const err = await failureOf(context(15 * 60_000, { rollback: false }), update);
    expect(err.code).toBe('rollout.failed');
    expect(err.message).toBe('Rollout of shop-default-web:2 to service web failed.');
    expect(shown(err)).toMatch(/^4 tasks of shop-default-web:2 stopped/);
    expect(shown(err)).toMatch(/segmentation fault/);
    expect(shown(err)).toContain('Stopped tasks (the newest 3 of 4):');
    expect(err.fix).toMatch(/left on shop-default-web:2 \(--no-rollback\)/);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    expect(err.rolledBackTo).toBeUndefined();
  });

  it('a failed create has no earlier revision: it reports without rolling back', async () => {
    const crash = (id: string) =>
      task(id, { stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' }, [{ exitCode: 1 }]);
    ecs.on(DescribeServicesCommand).resolves(
      out({
        runningCount: 0,
        pendingCount: 1,
        deployments: [dep(TD_NEW, 'PRIMARY', 'IN_PROGRESS', { desiredCount: 2, runningCount: 0, pendingCount: 1 })],
      }),
    );
    scriptTasks([['h1', 'h2', 'h3']], ['h1', 'h2', 'h3'].map(crash));
    logs.on(GetLogEventsCommand).resolves(logLines('crash'));
    const err = await failureOf(context(), { ...target, deploymentId: DEP_NEW });
    expect(err.code).toBe('rollout.failed');
    expect(err.fix).toMatch(/no earlier revision to go back to/);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it('--max-failed-tasks 1 stops at the first stopped task', async () => {
    ecs.on(DescribeServicesCommand).resolves(inProgress());
    scriptTasks(
      [['k1']],
      [task('k1', { stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' }, [{ exitCode: 1 }])],
    );
    ecs.on(UpdateServiceCommand).resolves({});
    logs.on(GetLogEventsCommand).resolves(logLines('x'));
    noTargets();
    const err = await failureOf(context(15 * 60_000, { maxFailedTasks: 1 }), update);
    expect(shown(err)).toMatch(/^1 task of shop-default-web:2 stopped \(--max-failed-tasks 1\)/);
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(1);
  });

  it('ECS marking our deployment FAILED without its own rollback: ecs-kit rolls back', async () => {
    ecs.on(DescribeServicesCommand).resolves(
      out({
        runningCount: 0,
        pendingCount: 0,
        deployments: [dep(TD_NEW, 'PRIMARY', 'FAILED', { rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.' })],
      }),
    );
    scriptTasks([[]], []);
    ecs.on(UpdateServiceCommand).resolves({});
    const err = await failureOf(context(), update);
    expect(err.code).toBe('rollout.rolled-back');
    expect(shown(err)).toMatch(/^ECS deployment circuit breaker: tasks failed to start\. ECS is now replacing/);
    expect(ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input.taskDefinition).toBe(TD_OLD);
  });

  it('times out with the counts, the diagnosis and a way forward', async () => {
    ecs.on(DescribeServicesCommand).resolves(
      out({
        runningCount: 0,
        pendingCount: 2,
        deployments: [dep(TD_NEW, 'PRIMARY', 'IN_PROGRESS')],
        events: [{ id: 'e1', message: '(service web) was unable to place a task.', createdAt: new Date() }],
      }),
    );
    scriptTasks([[]], []);
    const ctx = context(15 * 60_000);
    const err = await failureOf(ctx, { ...target, deploymentId: DEP_NEW });
    expect(err.code).toBe('rollout.timeout');
    expect(err.exitCode).toBe(1);
    expect(err.message).toBe(
      'Rollout of shop-default-web:2 to service web timed out: it did not finish rolling out within 15m (desired 2, running 0, pending 2).',
    );
    expect(shown(err)).toMatch(/^tasks are not reaching RUNNING: 0 of 2 running, 2 pending after 15m\./);
    expect(shown(err)).toContain('No stopped tasks of this revision were found.');
    expect(shown(err)).toContain('- (service web) was unable to place a task.');
    expect(shown(err)).toContain('Console: https://us-east-1.console.aws.amazon.com/');
    expect(err.diagnosis.verdict).toBe('timed-out');
    expect(err.fix).toMatch(/--desired-status STOPPED/);
    expect(err.fix).toMatch(/--timeout/);
    expect(err.fix).toMatch(/--no-wait/);
    // no rollback on a timeout: ECS keeps going
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    // first poll at 0, then every 10s up to and including the deadline
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(91);
  });

  it('does not take the stale-deployments fallback while the counts are off', async () => {
    ecs
      .on(DescribeServicesCommand)
      .resolves(out({ runningCount: 2, desiredCount: 3, pendingCount: 1, deployments: [dep(TD_OLD, 'PRIMARY', 'COMPLETED')] }));
    scriptTasks([[]], []);
    const err = (await run(context(60_000), target, 70_000)) as EcsKitError;
    expect(err.code).toBe('rollout.timeout');
  });

  it('without a deployment id, counts stopped tasks of our revision created after the change', async () => {
    const since = new Date(T0.getTime() + 60_000);
    const before = task('m1', { startedBy: undefined, createdAt: new Date(T0.getTime()) }, [{ exitCode: 1 }]); // an earlier deploy of the same revision
    const after = (id: string) => task(id, { startedBy: undefined }, [{ exitCode: 1 }]);
    ecs.on(DescribeServicesCommand).resolves(out({ runningCount: 0, pendingCount: 2, deployments: [dep(TD_OLD, 'PRIMARY', 'COMPLETED')] }));
    scriptTasks(
      [
        ['m1', 'm2', 'm3'],
        ['m1', 'm2', 'm3', 'm4'],
      ],
      [before, after('m2'), after('m3'), after('m4')],
    );
    ecs.on(UpdateServiceCommand).resolves({});
    logs.on(GetLogEventsCommand).resolves(logLines('x'));
    const err = await failureOf(context(), { ...target, previousTaskDefinitionArn: TD_OLD, since });
    expect(err.diagnosis.stoppedTotal).toBe(3);
    expect(err.diagnosis.stoppedTasks.map((t) => t.taskId)).toEqual(['m4', 'm3', 'm2']);
  });

  it('keeps waiting (without failing fast) when stopped tasks cannot be read', async () => {
    ecs.on(DescribeServicesCommand).resolvesOnce(inProgress()).resolves(out());
    ecs.on(ListTasksCommand).rejects(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }));
    const ctx = context();
    expect(await run(ctx, update)).toBeUndefined();
    expect(ctx.warningCodes).toEqual(['rollout.stopped-tasks-unreadable']);
    expect(ctx.warnings).toEqual([
      'cannot read stopped tasks (AccessDeniedException: not allowed); waiting for the rollout without failing fast',
    ]);
  });

  it("a busy service cannot hide the new deployment's failures behind pages of older stopped tasks", async () => {
    // 5 pages of the service's older stopped tasks come first; only startedBy=<deployment> finds ours.
    const olds = Array.from({ length: 500 }, (_, i) => `01d${i.toString(16).padStart(3, '0')}`);
    const crash = (id: string) =>
      task(id, { stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' }, [{ exitCode: 1 }]);
    const old = (id: string) => task(id, { taskDefinitionArn: TD_OLD, startedBy: DEP_OLD, stopCode: 'EssentialContainerExited' });
    const mine = ['e1', 'e2', 'e3'];
    ecs.on(ListTasksCommand).callsFake((input: { startedBy?: string; nextToken?: string }) => {
      if (input.startedBy === DEP_NEW) return { taskArns: mine.map(taskArn) };
      const page = Number(input.nextToken ?? 0);
      const arns = page < 5 ? olds.slice(page * 100, page * 100 + 100) : mine;
      return { taskArns: arns.map(taskArn), ...(page < 5 ? { nextToken: String(page + 1) } : {}) };
    });
    const byArn = new Map([...olds.map(old), ...mine.map(crash)].map((t) => [t.taskArn, t]));
    ecs
      .on(DescribeTasksCommand)
      .callsFake((input: { tasks: string[] }) => ({ tasks: input.tasks.map((a) => byArn.get(a)).filter(Boolean) }));
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { containerDefinitions: [] } });
    ecs.on(DescribeServicesCommand).resolves(inProgress());
    ecs.on(UpdateServiceCommand).resolves({});
    noTargets();
    const err = await failureOf(context(), update);
    expect(err.code).toBe('rollout.rolled-back');
    expect(err.diagnosis.stoppedTotal).toBe(3);
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(1);
    expect(ecs.commandCalls(ListTasksCommand).map((c) => c.args[0].input.serviceName)).toEqual([undefined]);
  });

  it('lists the service instead when ECS refuses startedBy together with the status filter', async () => {
    const crash = (id: string) =>
      task(id, { stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' }, [{ exitCode: 1 }]);
    scriptTasks([['f1', 'f2', 'f3']], ['f1', 'f2', 'f3'].map(crash));
    ecs
      .on(ListTasksCommand, { startedBy: DEP_NEW })
      .rejects(Object.assign(new Error('startedBy must be the only filter'), { name: 'InvalidParameterException' }));
    ecs.on(DescribeServicesCommand).resolves(inProgress());
    ecs.on(UpdateServiceCommand).resolves({});
    logs.on(GetLogEventsCommand).resolves(logLines('x'));
    noTargets();
    const err = await failureOf(context(), update);
    expect(err.diagnosis.stoppedTotal).toBe(3);
    expect(ecs.commandCalls(ListTasksCommand).map((c) => c.args[0].input.startedBy ?? c.args[0].input.serviceName)).toEqual([
      DEP_NEW,
      'web',
    ]);
  });

  it('does not count tasks that IAM stopped while a role changed in this run was propagating', async () => {
    const assume =
      "ECS was unable to assume the role 'arn:aws:iam::123456789012:role/ecs-kit/shop/default/shop-default-web-task' that was provided for this task.";
    const secret =
      'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/shop-default-execution/x is not authorized to perform: secretsmanager:GetSecretValue';
    const iam = [
      task('c1', { stopCode: 'TaskFailedToStart', stoppedReason: assume }),
      task('c2', { stopCode: 'TaskFailedToStart', stoppedReason: secret }),
      task('c3', { stopCode: 'TaskFailedToStart', stoppedReason: assume }),
    ];
    ecs.on(DescribeServicesCommand).resolvesOnce(inProgress()).resolvesOnce(inProgress()).resolves(out());
    scriptTasks(
      [
        ['c1', 'c2'],
        ['c1', 'c2', 'c3'],
      ],
      iam,
    );
    const ctx = context();
    // the roles changed at T0; every stop above happened within the grace period
    expect(await run(ctx, { ...update, iamGraceUntil: new Date(T0.getTime() + 10 * 60_000) })).toBeUndefined();
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    expect(ctx.messages).toContain(
      '2 tasks stopped because IAM has not made the new role usable yet; ECS starts replacements (not counted toward --max-failed-tasks)',
    );
    expect(ctx.messages).toContain(
      '3 tasks stopped because IAM has not made the new role usable yet; ECS starts replacements (not counted toward --max-failed-tasks)',
    );
  });

  it('counts IAM stops after the grace period, and any stop when no role changed in this run', async () => {
    const assume = "ECS was unable to assume the role 'arn:aws:iam::123456789012:role/x' that was provided for this task.";
    const stops = ['g1', 'g2', 'g3'].map((id) => task(id, { stopCode: 'TaskFailedToStart', stoppedReason: assume }));
    for (const t of [{ ...update, iamGraceUntil: T0 }, update]) {
      ecs.reset();
      strict(ecs);
      ecs.on(DescribeServicesCommand).resolves(inProgress());
      scriptTasks([['g1', 'g2', 'g3']], stops);
      ecs.on(UpdateServiceCommand).resolves({});
      logs.on(GetLogEventsCommand).resolves(logLines('x'));
      noTargets();
      const err = await failureOf(context(), t);
      expect(shown(err)).toMatch(/^3 tasks of shop-default-web:2 stopped/);
    }
  });

  it('stops waiting at once when the run is aborted', async () => {
    ecs
      .on(DescribeServicesCommand)
      .resolves(out({ runningCount: 0, pendingCount: 2, deployments: [dep(TD_NEW, 'PRIMARY', 'IN_PROGRESS')] }));
    scriptTasks([[]], []);
    const ctx = context();
    const ac = new AbortController();
    ctx.signal = ac.signal;
    const p = watchRollout(ctx, target).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(25_000);
    ac.abort(new Error('interrupted'));
    expect(((await p) as Error).message).toBe('interrupted');
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(3);
  });

  it('stops when the service disappears', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ reason: 'MISSING' }] });
    expect(((await run(context())) as EcsKitError).code).toBe('rollout.service-missing');
  });
});

describe('assessRollout', () => {
  it('waits while our deployment is still IN_PROGRESS next to another one', () => {
    expect(
      assessRollout(service({ deployments: [dep(TD_NEW, 'PRIMARY', 'IN_PROGRESS'), dep(TD_OLD, 'ACTIVE', 'COMPLETED')] }), TD_NEW),
    ).toEqual({ state: 'waiting' });
  });
  it('treats a lone IN_PROGRESS deployment with every task running as complete', () => {
    expect(assessRollout(service({ deployments: [dep(TD_NEW, 'PRIMARY', 'IN_PROGRESS')] }), TD_NEW)).toEqual({ state: 'completed' });
  });
  it('follows the exact deployment: a newer deployment of the same revision does not complete ours', () => {
    const svc = service({
      deployments: [dep(TD_NEW, 'PRIMARY', 'COMPLETED', { id: 'ecs-svc/newer' }), dep(TD_NEW, 'ACTIVE', 'IN_PROGRESS')],
    });
    expect(assessRollout(svc, TD_NEW, DEP_NEW)).toEqual({ state: 'waiting' });
    expect(assessRollout(svc, TD_NEW, 'ecs-svc/newer')).toEqual({ state: 'completed' });
  });
  it('names the rollback when ECS already restored the old revision', () => {
    const svc = service({
      taskDefinition: TD_OLD,
      deployments: [dep(TD_OLD, 'PRIMARY', 'IN_PROGRESS'), dep(TD_NEW, 'ACTIVE', 'FAILED', { rolloutStateReason: 'circuit breaker' })],
    });
    expect(assessRollout(svc, TD_NEW, DEP_NEW)).toEqual({ state: 'failed', reason: 'circuit breaker', rolledBackTo: TD_OLD });
  });
  it('our deployment gone and the old revision primary: rolled back', () => {
    expect(assessRollout(service({ taskDefinition: TD_OLD, deployments: [dep(TD_OLD, 'PRIMARY', 'COMPLETED')] }), TD_NEW, DEP_NEW)).toEqual(
      { state: 'rolled-back', rolledBackTo: TD_OLD },
    );
  });
});

describe('service step: the rollout it starts', () => {
  const SERVICE_ARN = 'arn:aws:ecs:us-east-1:123456789012:service/shop-default/web';
  const deps = {
    cluster: { clusterName: 'shop-default', clusterArn: 'arn:c' },
    network: {
      vpcId: 'vpc-1',
      cidr: '10.0.0.0/16',
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      publicSubnetIds: ['subnet-a', 'subnet-b'],
      internetGatewayId: 'igw-1',
      publicRouteTableId: 'rtb-1',
    },
    'task-definition:web': { family: 'shop-default-web', taskDefinitionArn: TD_NEW, revision: 2 },
    'security-group:web': { groupId: 'sg-web' },
    'load-balancer': {
      securityGroupId: 'sg-lb',
      loadBalancerArn: 'arn:lb',
      loadBalancerName: 'shop-default',
      dnsName: 'shop-1.elb.amazonaws.com',
      listenerArn: 'arn:l',
    },
    'target-group:web': { targetGroupArn: TG, targetGroupName: 'shop-default-web', ruleArn: 'arn:r' },
    'alarms:web': { alarmNames: ['ecs-kit/shop/default/web/5xx', 'ecs-kit/shop/default/web/unhealthy'] },
  };

  it('takes the deployment id only from a PRIMARY deployment running our revision', () => {
    expect(startedDeployment({ deployments: [dep(TD_NEW, 'PRIMARY', 'IN_PROGRESS'), dep(TD_OLD, 'ACTIVE', 'COMPLETED')] }, TD_NEW)).toBe(
      DEP_NEW,
    );
    // a response whose deployments[] still shows the old revision
    expect(startedDeployment({ deployments: [dep(TD_OLD, 'PRIMARY', 'COMPLETED')] }, TD_NEW)).toBeUndefined();
    expect(startedDeployment(undefined, TD_NEW)).toBeUndefined();
  });

  it('on a failed update, rolls back to the revision the service ran before and records it', async () => {
    const existing = out({
      serviceArn: SERVICE_ARN,
      taskDefinition: TD_OLD,
      desiredCount: 1,
      runningCount: 1,
      launchType: 'FARGATE',
      loadBalancers: [{ targetGroupArn: TG, containerName: 'web', containerPort: 80 }],
      networkConfiguration: {
        awsvpcConfiguration: { subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-web'], assignPublicIp: 'ENABLED' },
      },
      deployments: [dep(TD_OLD, 'PRIMARY', 'COMPLETED')],
      tags: OWNER_TAGS_ECS,
    });
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce(existing)
      .resolves(inProgress({ desiredCount: 1 }));
    ecs.on(UpdateServiceCommand).resolves({
      service: {
        serviceName: 'web',
        serviceArn: SERVICE_ARN,
        deployments: [dep(TD_NEW, 'PRIMARY', 'IN_PROGRESS'), dep(TD_OLD, 'ACTIVE', 'COMPLETED')],
      },
    });
    const crash = (id: string) =>
      task(id, { stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' }, [{ exitCode: 1 }]);
    scriptTasks([['p1', 'p2', 'p3']], ['p1', 'p2', 'p3'].map(crash));
    logs.on(GetLogEventsCommand).resolves(logLines('bye'));
    noTargets();
    const ctx = stepContext(serviceStep, { scope: 'web', deps });
    ctx.options = { ...ctx.options, pollIntervalMs: 10_000, timeoutMs: 15 * 60_000 };
    const plan = await serviceStep.plan(ctx);
    expect(plan.action).toBe('update');
    const p = serviceStep.apply(ctx, plan).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(60_000);
    const err = (await p) as RolloutError;
    expect(err.code).toBe('rollout.rolled-back');
    const updates = ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input);
    expect(updates).toEqual([
      { cluster: 'shop-default', service: 'web', taskDefinition: TD_NEW },
      { cluster: 'shop-default', service: 'web', taskDefinition: TD_OLD },
    ]);
    // recorded with the new revision before waiting, then with the one it runs after the rollback
    expect(ctx.recorded.map((s) => s.taskDefinitionArn)).toEqual([TD_NEW, TD_OLD]);
  });
});
