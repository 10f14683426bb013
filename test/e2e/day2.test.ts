import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRun } from './harness/cli.js';
import { startE2e, type E2e } from './harness/fixture.js';
import type { Clients } from './harness/inventory.js';
import type { StrictProxy } from './harness/strict/proxy.js';

const CONFIG = `app: shop
services:
  web:
    image: nginx:1.27
    port: 80
    cpu: 256
    memory: 512
    desiredCount: 1
`;
const TD = (rev: number) => `arn:aws:ecs:us-east-1:123456789012:task-definition/shop-default-web:${rev}`;
// moto answers in milliseconds; these keep every wait short.
const FAST = ['--timeout', '20s', '--poll-interval', '200ms'];

/**
 * plan, status, logs, scale, rollback and run-task through the built CLI and the strict AWS
 * layer. The `it`s share one environment and run in order. moto runs no containers: the test
 * seeds what a real account would show (log lines), and reads results with its own clients.
 */
describe('day-2: plan → deploy → plan → status/logs → change → scale → rollback → run-task', () => {
  let env: E2e;
  let proxy: StrictProxy;
  let aws: Clients;
  const cli = (args: string[]) => env.cli(args);
  const mutating = () => env.mutating();
  const service = async () =>
    (await aws.ecs.send(new DescribeServicesCommand({ cluster: 'shop-default', services: ['web'] }))).services![0]!;

  beforeAll(async () => {
    env = await startE2e('day2');
    ({ proxy, aws } = env);
    await writeFile(path.join(env.dir, 'ecs-kit.yml'), CONFIG);
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('plan on an empty environment lists every step as a create and makes no mutating call', async () => {
    proxy.clear();
    const r = await cli(['plan', '--json', '--detailed-exitcode']);
    expect(r.code, describeRun(r)).toBe(3);
    const plan = r.events.find((e) => e.type === 'plan');
    expect(plan.steps.length).toBeGreaterThanOrEqual(10);
    expect(
      plan.steps.filter((s: { action: string }) => s.action !== 'create'),
      JSON.stringify(plan.steps),
    ).toEqual([]);
    expect(proxy.calls.length).toBeGreaterThan(0);
    expect(mutating()).toEqual([]);
  });

  it('after a deploy, plan shows no changes and exits 0 with --detailed-exitcode, still without writing', async () => {
    const d = await cli(['deploy', '--yes', ...FAST]);
    expect(d.code, describeRun(d)).toBe(0);
    proxy.clear();
    const r = await cli(['plan', '--detailed-exitcode']);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.stdout).toMatch(/No changes/);
    expect(mutating()).toEqual([]);
  });

  it('status --json reports the running service, its revision and URL in one status event', async () => {
    const r = await cli(['status', '--json']);
    expect(r.code, describeRun(r)).toBe(0);
    const statuses = r.events.filter((e) => e.type === 'status');
    expect(statuses).toHaveLength(1);
    expect(statuses[0].services[0]).toMatchObject({
      service: 'web',
      exists: true,
      desired: 1,
      running: 1,
      pending: 0,
      taskDefinition: 'shop-default-web:1',
    });
    expect(statuses[0].services[0].url).toMatch(/^http:\/\/shop-default-.*\.elb\.amazonaws\.com\/$/);
  });

  it('logs prints the service’s log lines in time order with their task ids', async () => {
    // moto runs no containers, so write what the awslogs driver of two tasks would have.
    const group = '/ecs/shop/default/web';
    const now = Date.now();
    for (const [task, lines] of [
      [
        'task0001',
        [
          [now - 3000, 'GET / 200'],
          [now - 1000, 'GET /health 200'],
        ],
      ],
      ['task0002', [[now - 2000, 'listening on :80']]],
    ] as const) {
      await aws.logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: `ecs/web/${task}` }));
      await aws.logs.send(
        new PutLogEventsCommand({
          logGroupName: group,
          logStreamName: `ecs/web/${task}`,
          logEvents: lines.map(([timestamp, message]) => ({ timestamp, message })),
        }),
      );
    }
    const r = await cli(['logs', 'web', '--json', '--since', '5m']);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.events.filter((e) => e.type === 'log').map((e) => `${e.taskId} ${e.message}`)).toEqual([
      'task0001 GET / 200',
      'task0002 listening on :80',
      'task0001 GET /health 200',
    ]);
  });

  it('changing cpu/memory shows exactly the task definition change (and the service following it) and exits 3', async () => {
    const file = path.join(env.dir, 'ecs-kit.yml');
    await writeFile(file, CONFIG.replace('cpu: 256', 'cpu: 512').replace('memory: 512', 'memory: 1024'));
    proxy.clear();
    const r = await cli(['plan', '--json', '--detailed-exitcode']);
    expect(r.code, describeRun(r)).toBe(3);
    const plan = r.events.find((e) => e.type === 'plan');
    const changed = plan.steps.filter((s: { action: string }) => s.action !== 'noop');
    // A new revision means a new ARN: the service will be updated to it, after the task definition.
    expect(changed.map((s: { id: string }) => s.id)).toEqual(['task-definition:web', 'service:web']);
    expect(changed[1]).toMatchObject({ action: 'update', pendingOn: 'task-definition:web' });
    expect(changed[0].changes).toEqual([
      { field: 'cpu', before: '256', after: '512' },
      { field: 'memory', before: '512', after: '1024' },
    ]);
    expect(mutating()).toEqual([]);
  });

  it('deploying the change records it in the deploy history', async () => {
    const d = await cli(['deploy', '--yes', ...FAST]);
    expect(d.code, describeRun(d)).toBe(0);
    expect((await service()).taskDefinition).toBe(TD(2));
    const manifest = JSON.parse(await readFile(path.join(env.dir, '.ecs-kit', 'default.json'), 'utf8'));
    expect(manifest.history.map((h: { taskDefinitionArn: string }) => h.taskDefinitionArn)).toEqual([TD(1), TD(2)]);
  });

  it('scale sets the desired count and waits for it', async () => {
    const r = await cli(['scale', 'web', '--count', '2', ...FAST]);
    expect(r.code, describeRun(r)).toBe(0);
    const s = await service();
    expect([s.desiredCount, s.runningCount]).toEqual([2, 2]);
    expect(r.stderr).toMatch(/next deploy sets that back/);
  });

  it('rollback returns the service to the previous revision and records it', async () => {
    const r = await cli(['rollback', '--yes', '--json', ...FAST]);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.events.filter((e) => e.type === 'output')).toEqual([
      expect.objectContaining({ name: 'taskDefinition.web', value: 'shop-default-web:1' }),
    ]);
    expect((await service()).taskDefinition).toBe(TD(1));
    const manifest = JSON.parse(await readFile(path.join(env.dir, '.ecs-kit', 'default.json'), 'utf8'));
    expect(manifest.steps['service:web'].state.taskDefinitionArn).toBe(TD(1));
    // Nothing older than revision 1 was deployed: a second rollback explains and changes nothing.
    const again = await cli(['rollback', '--yes', ...FAST]);
    expect(again.code, describeRun(again)).toBe(1);
    expect(again.stderr).toMatch(/no earlier revision/);
    expect((await service()).taskDefinition).toBe(TD(1));
  });

  it('run-task sends a RunTask that AWS accepts, for the service’s revision on its network, and explains moto’s crash', async () => {
    const svc = await service();
    proxy.clear();
    const r = await cli(['run-task', 'web', '--timeout', '10s', '--poll-interval', '200ms', '--', 'echo', 'hi']);
    const runs = proxy.sentOf('RunTask');
    expect(runs, env.callList()).toHaveLength(1);
    const sent = runs[0]!;
    // The strict layer checks it as AWS would (startedBy, clientToken, launch type vs the task definition).
    expect(sent.answeredBy, `refused by the strict layer: ${describeRun(r)}`).toBeUndefined();
    const overrides = { containerOverrides: [{ name: 'web', command: ['echo', 'hi'] }] };
    expect(sent.params).toMatchObject({ cluster: 'shop-default', taskDefinition: svc.taskDefinition, count: 1, overrides });
    expect(sent.params.networkConfiguration).toEqual({ awsvpcConfiguration: svc.networkConfiguration!.awsvpcConfiguration });
    // moto 5.2.1 crashes (HTTP 500) on RunTask for a Fargate task definition without container-level
    // memory, which AWS accepts: the run cannot reach an exit code here, so the CLI must explain and exit 1.
    expect(r.code, describeRun(r)).toBe(1);
    expect(r.stderr).toMatch(/starting a task from shop-default-web:1/);
    expect(r.stderr).toMatch(/Why: .*HTTP 500/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  });
});
