import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { DescribeListenersCommand, DescribeLoadBalancersCommand, DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
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
/** Who may reach the load balancer, and so its test port (deployment.testPort). */
const ALLOWED = 'loadBalancer: { allowedCidrs: [203.0.113.0/24] }';
const config = (deployment: string, image: string, top = '') => `app: ${APP}
${top}
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

  /** The load balancer's listeners and the port numbers its security group admits, read from moto directly. */
  async function loadBalancerNow(): Promise<{ listeners: { port: number; arn: string }[]; ingress: { port: number; cidrs: string[] }[] }> {
    const lb = (await env.aws.elb.send(new DescribeLoadBalancersCommand({ Names: [`${APP}-default`] }))).LoadBalancers![0]!;
    const listeners = (await env.aws.elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners ?? [];
    const sg = (await env.aws.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: lb.SecurityGroups }))).SecurityGroups![0]!;
    return {
      listeners: listeners.map((l) => ({ port: l.Port!, arn: l.ListenerArn! })),
      ingress: (sg.IpPermissions ?? []).map((p) => ({ port: p.FromPort!, cidrs: (p.IpRanges ?? []).map((r) => r.CidrIp!).sort() })),
    };
  }

  it('switching to blue-green is an in-place update: alternate group, weighted rule, role, test listener, then UpdateService', async () => {
    write(config('{ strategy: blue-green, bakeMinutes: 2, testPort: 8080 }', 'nginx:1.27', ALLOWED));
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
    // deployment.testPort: a listener on 8080 whose one rule forwards to both groups, and its ARN is the testListenerRule.
    const adv = update.loadBalancers[0].advancedConfiguration;
    const lb = await loadBalancerNow();
    const test = lb.listeners.find((l) => l.port === 8080);
    expect(test, JSON.stringify(lb.listeners)).toBeDefined();
    const rules = (await env.aws.elb.send(new DescribeRulesCommand({ ListenerArn: test!.arn }))).Rules!.filter((x) => !x.IsDefault);
    expect(rules.map((x) => x.RuleArn)).toEqual([adv.testListenerRule]);
    const groups = rules[0]!.Actions![0]!.ForwardConfig!.TargetGroups!.map((g) => g.TargetGroupArn).sort();
    expect(groups).toEqual([update.loadBalancers[0].targetGroupArn, adv.alternateTargetGroupArn].sort());
    expect(adv.productionListenerRule).not.toBe(adv.testListenerRule);
    // The test port is open to allowedCidrs only, like 80.
    expect(lb.ingress.find((p) => p.port === 8080)?.cidrs).toEqual(['203.0.113.0/24']);
    await noOp();
  });

  it('blue-green: a new revision shifts all traffic at once, bakes, and the groups swap; a re-deploy changes nothing', async () => {
    write(config('{ strategy: blue-green, bakeMinutes: 2, testPort: 8080 }', 'nginx:1.28', ALLOWED));
    const r = await deploy();
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.stderr).toMatch(/PRODUCTION_TRAFFIC_SHIFT 100% of production traffic/);
    await noOp();
  });

  it('switching to linear and rolling out in 25% steps', async () => {
    write(
      config(
        '{ strategy: linear, linear: { stepPercent: 25, stepBakeMinutes: 2 }, bakeMinutes: 1, testPort: 8080 }',
        'nginx:1.29',
        ALLOWED,
      ),
    );
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
    write(config('{ strategy: rolling }', 'nginx:1.29', ALLOWED));
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
    // No test port any more: its listener and its security group rule are gone.
    const lb = await loadBalancerNow();
    expect(lb.listeners.map((l) => l.port)).toEqual([80]);
    expect(lb.ingress.map((p) => p.port)).toEqual([80]);
  });

  it('teardown with a test listener in place deletes it before the groups its rule forwards to, and leaves nothing', async () => {
    write(config('{ strategy: canary, canary: { percent: 10, bakeMinutes: 1 }, bakeMinutes: 1, testPort: 8080 }', 'nginx:1.29', ALLOWED));
    const d = await deploy();
    expect(d.code, describeRun(d)).toBe(0);
    const listenerArn = (await loadBalancerNow()).listeners.find((l) => l.port === 8080)?.arn;
    expect(lastUpdate()!.loadBalancers[0].advancedConfiguration.testListenerRule).toContain(listenerArn!.split(':listener/')[1]);
    env.proxy.clear();
    const r = await env.cli(['teardown', '--yes']);
    expect(r.code, describeRun(r)).toBe(0);
    const deletes = env.mutating().filter((m) => /DeleteListener|DeleteTargetGroup/.test(m));
    expect(deletes[0], env.callList()).toMatch(/:DeleteListener$/);
    expect(env.proxy.sentOf('DeleteListener')[0]!.params.ListenerArn).toBe(listenerArn);
    const inv = await inventory(env.moto.endpoint, APP, 'default', env.aws);
    expect(total(inv), JSON.stringify(nonEmpty(inv))).toBe(0);
  });
});
