import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRun } from './harness/cli.js';
import { startE2e, type E2e } from './harness/fixture.js';
import { inventory, nonEmpty, total } from './harness/inventory.js';

/**
 * Each strategy's life through the built CLI and the strict layer's fake of ECS service deployments: rolling, then an
 * in-place switch to blue/green, a new revision, a switch to linear and a new revision in steps, and back to rolling;
 * after every change a re-deploy makes no mutating call, and teardown leaves nothing.
 */

const APP = 'shop';
const FAST = ['--yes', '--poll-interval', '100ms'];
const config = (deployment: string, image: string) => `app: ${APP}
services:
  web:
    image: ${image}
    port: 80
    deployment: ${deployment}
`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- what the CLI sent, read loosely
type Sent = Record<string, any>;

/** ECS_KIT_CAPTURE_DIR=dir keeps what the CLI sent for each strategy (the closing note lists it). */
function captureSent(name: string, sent: Sent): void {
  const dir = process.env.ECS_KIT_CAPTURE_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  const { deploymentConfiguration, loadBalancers } = sent;
  writeFileSync(path.join(dir, `${name}.json`), JSON.stringify({ deploymentConfiguration, loadBalancers }, null, 2));
}

describe('strategies: rolling → blue/green → linear → rolling, in place', () => {
  let env: E2e;
  const write = (text: string) => writeFileSync(path.join(env.dir, 'ecs-kit.yml'), text);
  const deploy = () => env.cli(['deploy', ...FAST]);
  const lastUpdate = (): Sent | undefined => env.proxy.sentOf('UpdateService').at(-1)?.params;
  async function noOp(): Promise<void> {
    env.proxy.clear();
    const r = await deploy();
    expect(r.code, describeRun(r)).toBe(0);
    expect(env.mutating(), env.callList()).toEqual([]);
    expect(r.stdout).toMatch(/No changes/);
  }

  beforeAll(async () => {
    env = await startE2e('rollout-strategies', { strict: { windows: { deploymentStage: 100, bakeMinute: 100 } } });
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('rolling (the default) sends strategy ROLLING with the alarms, and a re-deploy changes nothing', async () => {
    write(config('{ strategy: rolling }', 'nginx:1.27'));
    const r = await deploy();
    expect(r.code, describeRun(r)).toBe(0);
    const create = env.proxy.sentOf('CreateService')[0]!.params as Sent;
    captureSent('sent-rolling-create', create);
    expect(create.deploymentConfiguration).toMatchObject({
      strategy: 'ROLLING',
      minimumHealthyPercent: 100,
      maximumPercent: 200,
      alarms: { alarmNames: ['ecs-kit/shop/default/web/5xx', 'ecs-kit/shop/default/web/unhealthy'], enable: true, rollback: true },
    });
    expect(create.loadBalancers[0].advancedConfiguration).toBeUndefined();
    await noOp();
  });

  it('switching to blue-green is an in-place update: alternate group, weighted rule, role, then UpdateService', async () => {
    write(config('{ strategy: blue-green, bakeMinutes: 2 }', 'nginx:1.27'));
    const r = await deploy();
    expect(r.code, describeRun(r)).toBe(0);
    expect(env.proxy.sentOf('CreateService')).toEqual([]);
    const update = lastUpdate()!;
    captureSent('sent-blue-green-update', update);
    expect(update.deploymentConfiguration).toMatchObject({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 2 });
    expect(update.loadBalancers[0].advancedConfiguration.alternateTargetGroupArn).toMatch(/targetgroup\/shop-default-web-[0-9a-f]{6}\//);
    const rule = env.proxy.sentOf('ModifyRule').at(-1)!.params as Sent;
    expect(rule['Actions.member.1.ForwardConfig.TargetGroups.member.1.Weight']).toBe('100');
    expect(rule['Actions.member.1.ForwardConfig.TargetGroups.member.2.Weight']).toBe('0');
    await noOp();
  });

  it('blue-green: a new revision shifts all traffic at once, bakes, and the groups swap; a re-deploy changes nothing', async () => {
    write(config('{ strategy: blue-green, bakeMinutes: 2 }', 'nginx:1.28'));
    const r = await deploy();
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.stderr).toMatch(/PRODUCTION_TRAFFIC_SHIFT 100% of production traffic/);
    await noOp();
  });

  it('switching to linear and rolling out in 25% steps', async () => {
    write(config('{ strategy: linear, linear: { stepPercent: 25, stepBakeMinutes: 2 }, bakeMinutes: 1 }', 'nginx:1.29'));
    const r = await deploy();
    expect(r.code, describeRun(r)).toBe(0);
    captureSent('sent-linear-update', lastUpdate()!);
    expect(lastUpdate()!.deploymentConfiguration).toMatchObject({
      strategy: 'LINEAR',
      linearConfiguration: { stepPercent: 25, stepBakeTimeInMinutes: 2 },
    });
    expect(r.stderr).toMatch(/25% → 50%/);
    expect(r.stderr).toMatch(/50% → 75%/);
    await noOp();
  });

  it('back to rolling keeps the group production is on and retires the other', async () => {
    write(config('{ strategy: rolling }', 'nginx:1.29'));
    const r = await deploy();
    expect(r.code, describeRun(r)).toBe(0);
    const update = lastUpdate()!;
    captureSent('sent-back-to-rolling-update', update);
    expect(update.deploymentConfiguration.strategy).toBe('ROLLING');
    expect(update.loadBalancers[0].advancedConfiguration).toBeUndefined();
    const rules = await env.aws.elb.send(
      new DescribeRulesCommand({ RuleArns: [env.proxy.sentOf('ModifyRule').at(-1)!.params.RuleArn as string] }),
    );
    const forwards = rules.Rules![0]!.Actions![0]!;
    expect(forwards.ForwardConfig?.TargetGroups?.length ?? 1).toBe(1);
    await noOp();
    const inv = await inventory(env.moto.endpoint, APP, 'default', env.aws);
    expect(inv.targetGroups).toHaveLength(1);
  });

  it('teardown leaves nothing', async () => {
    const r = await env.cli(['teardown', '--yes']);
    expect(r.code, describeRun(r)).toBe(0);
    const inv = await inventory(env.moto.endpoint, APP, 'default', env.aws);
    expect(total(inv), JSON.stringify(nonEmpty(inv))).toBe(0);
  });
});
