import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRun } from './harness/cli.js';
import { startE2e, type E2e } from './harness/fixture.js';
import { inventory, nonEmpty, total } from './harness/inventory.js';

/**
 * Safe rollouts (issue 10) through the built CLI, the strict layer and its fake of ECS service deployments: what deploy
 * sends for each strategy, the stages it follows, an alarm rolling back a canary mid-bake, a pause with continue and
 * with abort, --wait-until, a timeout, re-deploys that change nothing, a strategy switch, and a teardown that leaves
 * nothing. The `it`s share one app and run in order.
 */

const APP = 'shop';
const FAST = ['--yes', '--poll-interval', '100ms'];

/** ECS_KIT_CAPTURE_DIR=dir keeps the output of the runs the README quotes. */
function capture(name: string, r: { stdout: string; stderr: string }): void {
  const dir = process.env.ECS_KIT_CAPTURE_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}.txt`), `${r.stderr}${r.stdout}`);
}

const config = (deployment: string, image = 'nginx:1.27') => `app: ${APP}
services:
  web:
    image: ${image}
    port: 80
    deployment: ${deployment}
`;

describe('safe rollouts: canary, blue/green, linear, alarms, pauses', () => {
  let env: E2e;
  const write = (text: string) => writeFileSync(path.join(env.dir, 'ecs-kit.yml'), text);
  const deploy = (extra: string[] = []) => env.cli(['deploy', ...FAST, ...extra]);

  beforeAll(async () => {
    env = await startE2e('rollouts', { strict: { windows: { deploymentStage: 100, bakeMinute: 100 } } });
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('canary: deploy creates the alternate group, weighted rule, infrastructure role and alarms, and sends them', async () => {
    write(config('{ strategy: canary, canary: { percent: 10, bakeMinutes: 2 }, bakeMinutes: 3 }'));
    const r = await deploy();
    expect(r.code, describeRun(r)).toBe(0);
    const create = env.proxy.sentOf('CreateService')[0]!.params as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    capture('sent-canary-create', {
      stdout: JSON.stringify({ deploymentConfiguration: create.deploymentConfiguration, loadBalancers: create.loadBalancers }, null, 2),
      stderr: '',
    });
    expect(create.deploymentConfiguration).toMatchObject({
      strategy: 'CANARY',
      bakeTimeInMinutes: 3,
      canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 2 },
      alarms: { enable: true, rollback: true },
    });
    expect(create.loadBalancers[0].advancedConfiguration).toMatchObject({
      alternateTargetGroupArn: expect.stringMatching(/targetgroup\/shop-default-web-[0-9a-f]{6}\//),
      productionListenerRule: expect.stringContaining('listener-rule/'),
      roleArn: expect.stringContaining('role/ecs-kit/shop/default/shop-default-ecs-lb-infra'),
    });
    const inv = await inventory(env.moto.endpoint, APP, 'default', env.aws);
    expect(inv.alarms.sort()).toEqual(['5xx', '5xx-alt', 'unhealthy', 'unhealthy-alt'].map((m) => `ecs-kit/shop/default/web/${m}`).sort());
    expect(inv.targetGroups).toHaveLength(2);
  });

  it('canary: a new revision goes through the stages, 10% then 100%, and a re-deploy changes nothing', async () => {
    write(config('{ strategy: canary, canary: { percent: 10, bakeMinutes: 2 }, bakeMinutes: 3 }', 'nginx:1.28'));
    const r = await deploy();
    capture('canary-rollout', r);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/PRODUCTION_TRAFFIC_SHIFT 10% of production traffic/);
    expect(r.stdout + r.stderr).toMatch(/10% → 100%/);
    expect(r.stdout + r.stderr).toMatch(/BAKE_TIME/);
    env.proxy.clear();
    const again = await deploy();
    expect(again.code, describeRun(again)).toBe(0);
    expect(env.mutating(), env.callList()).toEqual([]);
    expect(again.stdout).toMatch(/No changes/);
  });

  it('an alarm going into ALARM mid-bake rolls the canary back: exit 1, the alarm named, the old revision again', async () => {
    write(config('{ strategy: canary, canary: { percent: 10, bakeMinutes: 20 }, bakeMinutes: 1 }', 'nginx:1.29'));
    env.proxy.clear();
    const running = deploy();
    // Wait until the deployment follows its stages, then into the canary bake (5 stages of 100 ms, then 2 s at 10 %).
    while (!env.proxy.sentOf('DescribeServiceDeployments').length) await delay(50);
    await delay(1_200);
    await env.aws.cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: 'ecs-kit/shop/default/web/5xx', StateValue: 'ALARM', StateReason: 'test: 5xx answers' }),
    );
    const r = await running;
    capture('alarm-rollback', r);
    expect(r.code, describeRun(r)).toBe(1);
    expect(r.stderr).toMatch(/rolled back/);
    expect(r.stderr).toContain('ecs-kit/shop/default/web/5xx');
    await env.aws.cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: 'ecs-kit/shop/default/web/5xx', StateValue: 'OK', StateReason: 'test: recovered' }),
    );
    // ECS put the old revision back: the plan wants the new one again.
    const plan = await env.cli(['plan', '--detailed-exitcode']);
    expect(plan.code, describeRun(plan)).toBe(3);
    expect(plan.stdout).toMatch(/taskDefinition/);
  });

  it('pauseBefore: deploy stops at the hook (exit 0, outcome paused), continue goes on, and on to the end', async () => {
    write(config('{ strategy: canary, canary: { percent: 10, bakeMinutes: 1 }, bakeMinutes: 1, pauseBefore: [production-traffic-shift] }'));
    const r = await deploy(['--json']);
    expect(r.code, describeRun(r)).toBe(0);
    const update = env.proxy.sentOf('UpdateService').at(-1)!.params as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(update.deploymentConfiguration.lifecycleHooks).toEqual([
      { targetType: 'PAUSE', lifecycleStages: ['PRE_PRODUCTION_TRAFFIC_SHIFT'] },
    ]);
    expect(r.events.find((e) => e.type === 'run.done')?.outcome).toBe('paused');
    expect(r.events.some((e) => e.type === 'info' && e.code === 'rollout.paused')).toBe(true);
    // Canary: PRE_PRODUCTION_TRAFFIC_SHIFT runs before each of its two shifts.
    const first = await env.cli(['continue', 'web', '--poll-interval', '100ms', '--json']);
    expect(first.code, describeRun(first)).toBe(0);
    expect(first.events.find((e) => e.type === 'run.done')?.outcome).toBe('paused');
    expect(env.proxy.sentOf('ContinueServiceDeployment').at(-1)!.params).toMatchObject({ action: 'CONTINUE' });
    const second = await env.cli(['continue', 'web', '--poll-interval', '100ms']);
    expect(second.code, describeRun(second)).toBe(0);
    expect(second.stderr + second.stdout).toMatch(/deployment successful/);
    const none = await env.cli(['continue', 'web']);
    expect(none.code, describeRun(none)).toBe(1);
    expect(none.stderr).toMatch(/no rollout in progress|not waiting/);
  });

  it('abort at a pause rolls back (ContinueServiceDeployment ROLLBACK) and waits until ECS finished', async () => {
    write(
      config(
        '{ strategy: canary, canary: { percent: 10, bakeMinutes: 1 }, bakeMinutes: 1, pauseBefore: [production-traffic-shift] }',
        'nginx:1.30',
      ),
    );
    const r = await deploy();
    expect(r.code, describeRun(r)).toBe(0);
    const a = await env.cli(['abort', 'web', '--yes', '--poll-interval', '100ms']);
    expect(a.code, describeRun(a)).toBe(0);
    expect(env.proxy.sentOf('ContinueServiceDeployment').at(-1)!.params).toMatchObject({ action: 'ROLLBACK' });
    expect(a.stderr + a.stdout).toMatch(/rollback successful/);
  });

  it('--wait-until returns at the stage (exit 0) while ECS goes on; a bake longer than --timeout times out (exit 1)', async () => {
    write(config('{ strategy: canary, canary: { percent: 10, bakeMinutes: 1 }, bakeMinutes: 3 }', 'nginx:1.31'));
    const r = await deploy(['--wait-until', 'production-traffic-shift', '--json']);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.events.find((e) => e.type === 'run.done')?.outcome).toBe('stage-reached');
    await delay(1_500);
    write(config('{ strategy: canary, canary: { percent: 10, bakeMinutes: 1 }, bakeMinutes: 600 }', 'nginx:1.32'));
    const slow = await deploy(['--timeout', '3s', '--json']);
    expect(slow.code, describeRun(slow)).toBe(1);
    expect(slow.events.find((e) => e.type === 'error')?.code).toBe('rollout.timeout');
    // Truthful re-run: nothing to change, but the rollout is still baking. Not "No changes": it is followed (no write), and
    // since it cannot finish within --timeout the retry fails too.
    env.proxy.clear();
    const retry = await deploy(['--timeout', '2s', '--json']);
    expect(retry.code, describeRun(retry)).toBe(1);
    expect(retry.stdout).not.toMatch(/No changes/);
    expect(retry.events.find((e) => e.type === 'error')?.code).toBe('rollout.timeout');
    expect(env.mutating(), env.callList()).toEqual([]);
    const bad = await deploy(['--wait-until', 'nowhere']);
    expect(bad.code, describeRun(bad)).toBe(2);
  });

  it('rollback during the bake stops the deployment in flight and rolls it back', async () => {
    const r = await env.cli(['rollback', 'web', '--yes', '--poll-interval', '100ms']);
    expect(r.code, describeRun(r)).toBe(0);
    expect(env.proxy.sentOf('StopServiceDeployment').at(-1)!.params).toMatchObject({ stopType: 'ROLLBACK' });
  });

  it('teardown leaves nothing', async () => {
    const r = await env.cli(['teardown', '--yes']);
    expect(r.code, describeRun(r)).toBe(0);
    const inv = await inventory(env.moto.endpoint, APP, 'default', env.aws);
    expect(total(inv), JSON.stringify(nonEmpty(inv))).toBe(0);
  });
});
