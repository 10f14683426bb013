import { DescribeServicesCommand, ECSClient, type Deployment, type Service } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EcsKitError } from '../../../src/errors.js';
import { assessRollout, watchRollout, type RolloutTarget } from '../../../src/steps/rollout.js';
import { serviceStep } from '../../../src/steps/service.js';
import { strict } from '../../helpers/aws-mock.js';
import { stepContext } from '../../helpers/context.js';

const ecs = mockClient(ECSClient);
beforeEach(() => {
  ecs.reset();
  strict(ecs);
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const TD_OLD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/shop-default-web:1';
const TD_NEW = 'arn:aws:ecs:us-east-1:123456789012:task-definition/shop-default-web:2';
const target: RolloutTarget = { cluster: 'shop-default', service: 'web', taskDefinitionArn: TD_NEW };

const dep = (taskDefinition: string, status: string, rolloutState?: string, extra: Partial<Deployment> = {}): Deployment =>
  ({ id: `ecs-svc/${taskDefinition.slice(-1)}`, status, taskDefinition, ...(rolloutState ? { rolloutState } : {}), ...extra }) as Deployment;

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

function context(timeoutMs = 15 * 60_000) {
  const ctx = stepContext(serviceStep, { scope: 'web' });
  ctx.options = { ...ctx.options, pollIntervalMs: 10_000, timeoutMs };
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

describe('rollout watcher', () => {
  it('completes at once when our deployment is PRIMARY and COMPLETED', async () => {
    ecs.on(DescribeServicesCommand).resolves(out());
    const ctx = context();
    expect(await run(ctx)).toBeUndefined();
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(1);
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
    const ctx = context();
    expect(await run(ctx)).toBeUndefined();
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(5);
    // a progress line only when the counts change
    expect(ctx.messages).toEqual(['0/2 running, 2 pending', '1/2 running, 1 pending', '2/2 running, 0 pending']);
  });

  it('completes a deployment without rollout tracking once it is alone and every task runs', async () => {
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce(out({ runningCount: 1, pendingCount: 1, deployments: [dep(TD_NEW, 'PRIMARY')] }))
      .resolves(out({ deployments: [dep(TD_NEW, 'PRIMARY')] }));
    expect(await run(context())).toBeUndefined();
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(2);
  });

  it('fails with the rollout reason when ECS marks our deployment FAILED', async () => {
    ecs.on(DescribeServicesCommand).resolves(
      out({
        runningCount: 0,
        pendingCount: 0,
        deployments: [dep(TD_NEW, 'PRIMARY', 'FAILED', { rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.' })],
        events: [{ id: 'e1', message: '(service web) has started 2 tasks', createdAt: new Date() }],
      }),
    );
    const err = (await run(context())) as EcsKitError;
    expect(err).toBeInstanceOf(EcsKitError);
    expect(err.code).toBe('rollout.failed');
    expect(err.why).toMatch(/circuit breaker: tasks failed to start/);
    expect(err.why).toMatch(/has started 2 tasks/);
  });

  it('reports a rollback naming the revision ECS went back to', async () => {
    ecs.on(DescribeServicesCommand).resolves(out({ taskDefinition: TD_OLD, deployments: [dep(TD_OLD, 'PRIMARY', 'COMPLETED')] }));
    const err = (await run(context())) as EcsKitError;
    expect(err.code).toBe('rollout.rolled-back');
    expect(err.message).toMatch(/back to shop-default-web:1/);
  });

  it('names the rollback in a FAILED deployment when ECS already restored the old revision', async () => {
    ecs.on(DescribeServicesCommand).resolves(
      out({ taskDefinition: TD_OLD, deployments: [dep(TD_OLD, 'PRIMARY', 'IN_PROGRESS'), dep(TD_NEW, 'ACTIVE', 'FAILED', { rolloutStateReason: 'circuit breaker' })] }),
    );
    const err = (await run(context())) as EcsKitError;
    expect(err.code).toBe('rollout.failed');
    expect(err.message).toMatch(/rolled the service back to shop-default-web:1/);
  });

  it('times out with the counts, recent events and a way forward', async () => {
    ecs.on(DescribeServicesCommand).resolves(
      out({
        runningCount: 0,
        pendingCount: 2,
        deployments: [dep(TD_NEW, 'PRIMARY', 'IN_PROGRESS')],
        events: [{ id: 'e1', message: '(service web) was unable to place a task.', createdAt: new Date() }],
      }),
    );
    const ctx = context(15 * 60_000);
    const err = (await run(ctx)) as EcsKitError;
    expect(err.code).toBe('rollout.timeout');
    expect(err.message).toMatch(/desired 2, running 0, pending 2/);
    expect(err.why).toMatch(/tasks are not reaching RUNNING: 0 of 2 running, 2 pending after 15m/);
    expect(err.why).toMatch(/unable to place a task/);
    expect(err.fix).toMatch(/--desired-status STOPPED/);
    expect(err.fix).toMatch(/--timeout/);
    expect(err.fix).toMatch(/--no-wait/);
    // first poll at 0, then every 10s up to and including the deadline
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(91);
  });

  it('accepts a service that points at our revision while its only deployment still names the old one', async () => {
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce(out({ runningCount: 1, pendingCount: 1, deployments: [dep(TD_OLD, 'PRIMARY', 'COMPLETED')] }))
      .resolves(out({ deployments: [dep(TD_OLD, 'PRIMARY', 'COMPLETED')] }));
    expect(await run(context())).toBeUndefined();
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(2);
  });

  it('does not take that fallback while the counts are off', async () => {
    ecs.on(DescribeServicesCommand).resolves(out({ runningCount: 2, desiredCount: 3, pendingCount: 1, deployments: [dep(TD_OLD, 'PRIMARY', 'COMPLETED')] }));
    const err = (await run(context(60_000), target, 70_000)) as EcsKitError;
    expect(err.code).toBe('rollout.timeout');
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
    const ctx = context();
    expect(await run(ctx, { ...target, since: new Date(t0 - 10_000) })).toBeUndefined();
    expect(ctx.messages).toEqual(['has started 2 tasks', '1/2 running, 1 pending', 'registered 2 targets', 'has reached a steady state', '2/2 running, 0 pending']);
  });

  it('is done at once when the service wants no tasks', async () => {
    ecs.on(DescribeServicesCommand).resolves(out({ desiredCount: 0, runningCount: 0, deployments: [dep(TD_NEW, 'PRIMARY', 'IN_PROGRESS')] }));
    expect(await run(context())).toBeUndefined();
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(1);
  });

  it('stops waiting at once when the run is aborted', async () => {
    ecs.on(DescribeServicesCommand).resolves(out({ runningCount: 0, pendingCount: 2, deployments: [dep(TD_NEW, 'PRIMARY', 'IN_PROGRESS')] }));
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
    expect(assessRollout(service({ deployments: [dep(TD_NEW, 'PRIMARY', 'IN_PROGRESS'), dep(TD_OLD, 'ACTIVE', 'COMPLETED')] }), TD_NEW)).toEqual({ state: 'waiting' });
  });
  it('treats a lone IN_PROGRESS deployment with every task running as complete', () => {
    expect(assessRollout(service({ deployments: [dep(TD_NEW, 'PRIMARY', 'IN_PROGRESS')] }), TD_NEW)).toEqual({ state: 'completed' });
  });
});
