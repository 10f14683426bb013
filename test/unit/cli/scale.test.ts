import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runScale, type ScaleOptions } from '../../../src/cli/commands/scale/index.js';
import { strict } from '../../helpers/aws-mock.js';
import { ONE_SERVICE, TD, deployedManifest, mockIdentity, sts, workdir, type Workdir } from './day2-fixture.js';

const ecs = mockClient(ECSClient);
const aas = mockClient(ApplicationAutoScalingClient);
let w: Workdir;
beforeEach(() => {
  mockIdentity();
  ecs.reset();
  strict(ecs);
  aas.reset();
  strict(aas);
});
afterEach(() => w?.cleanup());

const AUTOSCALED = `${ONE_SERVICE}    autoscaling: { min: 1, max: 4 }\n`;
const RESOURCE = 'service/shop-default/web';

function service(desired: number) {
  const s = {
    serviceName: 'web',
    status: 'ACTIVE',
    desiredCount: desired,
    runningCount: desired,
    pendingCount: 0,
    taskDefinition: TD(2),
    deployments: [
      {
        id: 'd',
        status: 'PRIMARY',
        taskDefinition: TD(2),
        desiredCount: desired,
        runningCount: desired,
        pendingCount: 0,
        rolloutState: 'COMPLETED' as const,
      },
    ],
  };
  return { services: [s] };
}

const opts = (w: Workdir, o: Partial<ScaleOptions>): ScaleOptions => ({
  ...w.opts,
  service: 'web',
  wait: true,
  timeoutMs: 5_000,
  pollIntervalMs: 1,
  ...o,
});

describe('scale', () => {
  it('without autoscaling: sets desiredCount, waits, and warns that the config still says otherwise', async () => {
    w = await workdir(ONE_SERVICE, deployedManifest());
    ecs.on(DescribeServicesCommand).resolvesOnce(service(1)).resolves(service(3));
    ecs.on(UpdateServiceCommand).resolves({});
    expect(await runScale(opts(w, { count: 3 }), w.io, w.reporter)).toBe(0);
    expect(ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: 'shop-default', service: 'web', desiredCount: 3 },
    ]);
    expect(ecs.commandCalls(DescribeServicesCommand).length).toBeGreaterThanOrEqual(2);
    expect(w.reporter.ofType('warn').map((e) => e.code)).toEqual(['scale.config-differs']);
    expect(
      w.reporter
        .ofType('warn')
        .map((e) => e.message)
        .join('\n'),
    ).toMatch(/ecs-kit.yml still says desiredCount: 1 .* next deploy sets that back/);
    expect(w.reporter.ofType('output')).toEqual([{ type: 'output', name: 'desiredCount.web', value: '3' }]);
  });

  it('with autoscaling: a --count outside the live range is refused (exit 2) and nothing changes', async () => {
    w = await workdir(AUTOSCALED, deployedManifest());
    ecs.on(DescribeServicesCommand).resolves(service(2));
    aas.on(DescribeScalableTargetsCommand).resolves({
      ScalableTargets: [
        {
          ResourceId: RESOURCE,
          ScalableDimension: 'ecs:service:DesiredCount',
          ServiceNamespace: 'ecs',
          MinCapacity: 1,
          MaxCapacity: 4,
          RoleARN: 'r',
          CreationTime: new Date(),
        },
      ],
    });
    await expect(runScale(opts(w, { count: 9 }), w.io, w.reporter)).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('outside the autoscaling range 1–4'),
    });
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    expect(aas.commandCalls(RegisterScalableTargetCommand)).toHaveLength(0);
  });

  it('--min/--max update the scalable target and pull the desired count into the new range', async () => {
    w = await workdir(AUTOSCALED, deployedManifest());
    ecs.on(DescribeServicesCommand).resolvesOnce(service(1)).resolves(service(2));
    aas.on(DescribeScalableTargetsCommand).resolves({
      ScalableTargets: [
        {
          ResourceId: RESOURCE,
          ScalableDimension: 'ecs:service:DesiredCount',
          ServiceNamespace: 'ecs',
          MinCapacity: 1,
          MaxCapacity: 4,
          RoleARN: 'r',
          CreationTime: new Date(),
        },
      ],
    });
    aas.on(RegisterScalableTargetCommand).resolves({});
    ecs.on(UpdateServiceCommand).resolves({});
    expect(await runScale(opts(w, { min: 2, max: 6 }), w.io, w.reporter)).toBe(0);
    expect(aas.commandCalls(RegisterScalableTargetCommand).map((c) => c.args[0].input)).toEqual([
      { ServiceNamespace: 'ecs', ResourceId: RESOURCE, ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: 2, MaxCapacity: 6 },
    ]);
    expect(ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input.desiredCount)).toEqual([2]);
    expect(w.reporter.ofType('warn').map((e) => e.code)).toEqual(['scale.config-differs']);
    expect(
      w.reporter
        .ofType('warn')
        .map((e) => e.message)
        .join('\n'),
    ).toMatch(/autoscaling min 1, max 4/);
  });

  it('a --count already in place changes nothing', async () => {
    w = await workdir(ONE_SERVICE, deployedManifest());
    ecs.on(DescribeServicesCommand).resolves(service(1));
    expect(await runScale(opts(w, { count: 1 }), w.io, w.reporter)).toBe(0);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it.each([
    [{}, /needs --count/],
    [{ min: 1 }, /--min\/--max need autoscaling/],
  ])('flag mistakes exit 2 before any AWS call: %j', async (o, message) => {
    w = await workdir(ONE_SERVICE, deployedManifest());
    await expect(runScale(opts(w, o), w.io, w.reporter)).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(message) });
    expect(sts.calls()).toHaveLength(0);
  });

  it('--min above --max exits 2 before any AWS call', async () => {
    w = await workdir(AUTOSCALED, deployedManifest());
    await expect(runScale(opts(w, { min: 5, max: 2 }), w.io, w.reporter)).rejects.toMatchObject({ exitCode: 2 });
    expect(sts.calls()).toHaveLength(0);
  });
});
