import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DescribeNatGatewaysCommand } from '@aws-sdk/client-ec2';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRun, type CliResult } from './harness/cli.js';
import { startE2e, type E2e } from './harness/fixture.js';
import { inventory, nonEmpty, total } from './harness/inventory.js';

const APP = 'pins';

/** One public service whose tag comes from the environment, with production overrides for --env prod. */
const CONFIG = `app: ${APP}
services:
  web:
    image: "nginx:\${WEB_TAG:-1.27}"
    port: 80
    autoscaling: { min: 1, max: 4, targetCpu: 60 }
environments:
  prod:
    network: { profile: production, nat: per-az }
    services:
      web: { desiredCount: 3, cpu: 1024, memory: 2048, autoscaling: { min: 3, max: 30 } }
  staging:
    services:
      web: { cpu: 300 }
`;

const FAST = ['--no-wait', '--poll-interval', '200ms'];

/** The error events' text of a run (message, why, fix), for "names the field" checks. */
function errors(r: CliResult): string {
  return JSON.stringify(r.events.filter((e) => e.type === 'error')) + r.stderr;
}

/**
 * Environments and CI pins through the built CLI and the strict AWS layer: bad config exits 2 naming the field before any
 * call; --image and ${VAR} change exactly the task definition (RegisterTaskDefinition + UpdateService, and the plan says
 * so); --env prod deploys the production network with the override's sizes. The `it`s share one moto in order.
 */
describe('environments, ${VAR} and --image pins', () => {
  let env: E2e;
  const cli = (args: string[], extra: Record<string, string> = {}) => env.cli(args, { env: extra });
  const write = (text: string) => writeFile(path.join(env.dir, 'ecs-kit.yml'), text);

  beforeAll(async () => {
    env = await startE2e('environments');
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('bad schedules, queue settings, overrides and unset variables exit 2 naming the field, before any AWS call', async () => {
    const cases: [string, string[], string][] = [
      [`app: ${APP}\nservices:\n  nightly: { image: x:1, schedule: "cron(0 3 * * *)" }\n`, [], 'services.nightly.schedule'],
      [
        `app: ${APP}\nservices:\n  nightly: { image: x:1, schedule: "rate(1 hour)", timezone: Mars/Olympus }\n`,
        [],
        'services.nightly.timezone',
      ],
      [
        `app: ${APP}\nservices:\n  jobs: { image: x:1, queue: { visibilityTimeout: 60, maxReceives: 0 } }\n`,
        [],
        'services.jobs.queue.maxReceives',
      ],
      [CONFIG, ['--env', 'staging'], 'environments.staging.services.web.cpu'],
      [`app: ${APP}\nservices:\n  web: { image: "nginx:\${NOT_SET_ANYWHERE}", port: 80 }\n`, [], 'NOT_SET_ANYWHERE'],
    ];
    for (const [text, args, field] of cases) {
      await write(text);
      env.proxy.clear();
      const r = await cli(['deploy', '--yes', '--json', ...args]);
      expect(r.code, `${field}\n${describeRun(r)}`).toBe(2);
      expect(errors(r), field).toContain(field);
      expect(env.proxy.calls, field).toEqual([]);
    }
  });

  it('an image-only change from --image or ${VAR} is exactly RegisterTaskDefinition and UpdateService, and the plan says so', async () => {
    await write(CONFIG);
    const first = await cli(['deploy', '--yes', '--json', ...FAST]);
    expect(first.code, describeRun(first)).toBe(0);

    const image = async () => {
      const svc = (await env.aws.ecs.send(new DescribeServicesCommand({ cluster: `${APP}-default`, services: ['web'] }))).services![0]!;
      const td = await env.aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: svc.taskDefinition }));
      return td.taskDefinition!.containerDefinitions![0]!.image;
    };
    expect(await image()).toBe('nginx:1.27');

    // The plan shows the two changes and nothing else.
    const plan = await cli(['plan', '--json', '--image', 'web=nginx:1.28']);
    expect(plan.code, describeRun(plan)).toBe(0);
    const planned = (plan.events.find((e) => e.type === 'plan') as { steps: { id: string; action: string; changes: unknown[] }[] }).steps;
    const changing = planned.filter((s) => s.action !== 'noop');
    expect(changing.map((s) => [s.id, s.action])).toEqual([
      ['task-definition:web', 'update'],
      ['service:web', 'update'],
    ]);
    expect(JSON.stringify(changing[0]!.changes)).toContain('nginx:1.28');

    for (const [args, vars, want] of [
      [['--image', 'web=nginx:1.28'], {}, 'nginx:1.28'],
      [[], { WEB_TAG: '1.29' }, 'nginx:1.29'],
    ] as const) {
      env.proxy.clear();
      const r = await cli(['deploy', '--yes', '--json', ...FAST, ...args], vars);
      expect(r.code, describeRun(r)).toBe(0);
      expect(env.mutating(), env.callList()).toEqual(['ecs:RegisterTaskDefinition', 'ecs:UpdateService']);
      expect(await image()).toBe(want);
    }
  });

  it('--env prod deploys the production network and the override’s sizes, and tears down to nothing', async () => {
    await write(CONFIG);
    const r = await cli(['deploy', '--yes', '--json', '--env', 'prod', ...FAST]);
    expect(r.code, describeRun(r)).toBe(0);
    const inv = await inventory(env.moto.endpoint, APP, 'prod', env.aws);
    expect(inv.subnets, JSON.stringify(nonEmpty(inv))).toHaveLength(4);
    expect(inv.natGateways).toHaveLength(2);
    const nats = (await env.aws.ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: inv.natGateways }))).NatGateways ?? [];
    expect(new Set(nats.map((n) => n.SubnetId)).size).toBe(2);
    const svc = (await env.aws.ecs.send(new DescribeServicesCommand({ cluster: `${APP}-prod`, services: ['web'] }))).services![0]!;
    expect(svc.desiredCount).toBe(3);
    expect(svc.networkConfiguration?.awsvpcConfiguration?.assignPublicIp).toBe('DISABLED');
    const td = (await env.aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: svc.taskDefinition }))).taskDefinition!;
    expect([td.cpu, td.memory]).toEqual(['1024', '2048']);
    const targets = await env.aws.aas.send(
      new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [`service/${APP}-prod/web`] }),
    );
    expect(targets.ScalableTargets?.map((t) => [t.MinCapacity, t.MaxCapacity])).toEqual([[3, 30]]);
    // The default env is untouched by the override.
    const base = (await env.aws.ecs.send(new DescribeServicesCommand({ cluster: `${APP}-default`, services: ['web'] }))).services![0]!;
    expect(base.desiredCount).toBe(1);

    for (const e of ['prod', 'default']) {
      const down = await cli(['teardown', '--yes', '--json', '--env', e]);
      expect(down.code, describeRun(down)).toBe(0);
      const left = await inventory(env.moto.endpoint, APP, e, env.aws);
      expect(total(left), JSON.stringify(nonEmpty(left))).toBe(0);
    }
  });
});
