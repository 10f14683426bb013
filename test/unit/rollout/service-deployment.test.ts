import { DescribeServiceDeploymentsCommand, ECSClient, type ServiceDeployment } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DeploymentFollower, followServiceDeployment, type FollowContext } from '../../../src/rollout/service-deployment.js';
import { strict } from '../../helpers/aws-mock.js';

/**
 * The blue/green, linear and canary watcher driven through scripted DescribeServiceDeployments answers (ECS API
 * reference, ServiceDeployment): each stage and traffic step said once, and every way a rollout ends.
 */

const ecs = mockClient(ECSClient);
beforeEach(() => {
  ecs.reset();
  strict(ecs);
});

const ARN = 'arn:aws:ecs:us-east-1:123456789012:service-deployment/shop-default/web/abc';
const snap = (stage: string, over: Partial<ServiceDeployment> = {}, weight?: number): ServiceDeployment => ({
  serviceDeploymentArn: ARN,
  status: 'IN_PROGRESS',
  lifecycleStage: stage as ServiceDeployment['lifecycleStage'],
  deploymentConfiguration: { strategy: 'CANARY', bakeTimeInMinutes: 3 },
  ...(weight !== undefined ? { targetServiceRevision: { arn: 'rev', requestedProductionTrafficWeight: weight } } : {}),
  ...over,
});

function follow(snaps: ServiceDeployment[], until?: string) {
  const said: string[] = [];
  const f = new DeploymentFollower((m) => said.push(m), until);
  let outcome;
  let t = 0;
  for (const s of snaps) {
    outcome = f.observe(s, (t += 1_000));
    if (outcome) break;
  }
  return { said, outcome };
}

describe('DeploymentFollower (scripted snapshots)', () => {
  it('canary: each stage once, 10% then 100%, the bake time left, and completed', () => {
    const { said, outcome } = follow([
      snap('SCALE_UP'),
      snap('SCALE_UP'),
      snap('PRODUCTION_TRAFFIC_SHIFT', {}, 10),
      snap('PRODUCTION_TRAFFIC_SHIFT', {}, 10),
      snap('PRODUCTION_TRAFFIC_SHIFT', {}, 100),
      snap('BAKE_TIME'),
      snap('BAKE_TIME'),
      snap('CLEAN_UP'),
      snap('CLEAN_UP', { status: 'SUCCESSFUL' }),
    ]);
    expect(said).toEqual([
      'SCALE_UP',
      'PRODUCTION_TRAFFIC_SHIFT 10% of production traffic on the new revision',
      'PRODUCTION_TRAFFIC_SHIFT 10% → 100%',
      'BAKE_TIME',
      'BAKE_TIME about 3m left; both revisions run until then',
      'CLEAN_UP',
      'deployment successful',
    ]);
    expect(outcome).toEqual({ kind: 'completed' });
  });

  it('linear: one line per traffic step', () => {
    const { said } = follow([25, 50, 75, 100].map((w) => snap('PRODUCTION_TRAFFIC_SHIFT', {}, w)));
    expect(said).toEqual([
      'PRODUCTION_TRAFFIC_SHIFT 25% of production traffic on the new revision',
      'PRODUCTION_TRAFFIC_SHIFT 25% → 50%',
      'PRODUCTION_TRAFFIC_SHIFT 50% → 75%',
      'PRODUCTION_TRAFFIC_SHIFT 75% → 100%',
    ]);
  });

  it('an alarm mid-bake: rolled back, with the alarm named', () => {
    const { outcome } = follow([
      snap('BAKE_TIME'),
      snap('BAKE_TIME', {
        status: 'ROLLBACK_IN_PROGRESS',
        alarms: { status: 'TRIGGERED', triggeredAlarmNames: ['ecs-kit/shop/default/web/5xx'] },
        rollback: { reason: 'Alarm(s) went into ALARM state.' },
      }),
    ]);
    expect(outcome).toEqual({
      kind: 'rolled-back',
      status: 'ROLLBACK_IN_PROGRESS',
      alarms: ['ecs-kit/shop/default/web/5xx'],
      reason: 'alarm ecs-kit/shop/default/web/5xx went into ALARM; Alarm(s) went into ALARM state.',
    });
  });

  it('a PAUSE hook awaiting action: paused at its stage, with the hook id to continue', () => {
    const { outcome } = follow([
      snap('PRE_PRODUCTION_TRAFFIC_SHIFT', {
        lifecycleHookDetails: [{ hookId: 'hook-1', status: 'AWAITING_ACTION', targetType: 'PAUSE' } as never],
      }),
    ]);
    expect(outcome).toEqual({ kind: 'paused', stage: 'PRE_PRODUCTION_TRAFFIC_SHIFT', hookId: 'hook-1' });
  });

  it('--wait-until: returns at the stage asked for, or any later one seen first', () => {
    expect(follow([snap('SCALE_UP'), snap('BAKE_TIME')], 'PRODUCTION_TRAFFIC_SHIFT').outcome).toEqual({
      kind: 'reached',
      stage: 'BAKE_TIME',
    });
    expect(follow([snap('SCALE_UP')], 'PRODUCTION_TRAFFIC_SHIFT').outcome).toBeUndefined();
  });

  it('stopped and failed rollbacks end the wait', () => {
    expect(follow([snap('SCALE_UP', { status: 'STOPPED', statusReason: 'stopped by user' })]).outcome).toEqual({
      kind: 'stopped',
      reason: 'stopped by user',
    });
    expect(follow([snap('SCALE_UP', { status: 'ROLLBACK_FAILED' })]).outcome).toMatchObject({ kind: 'failed' });
  });

  it('abort waits a rollback out until ROLLBACK_SUCCESSFUL', () => {
    const f = new DeploymentFollower(() => undefined, undefined, true);
    expect(f.observe(snap('SCALE_UP', { status: 'ROLLBACK_IN_PROGRESS' }), 1)).toBeUndefined();
    expect(f.observe(snap('SCALE_UP', { status: 'ROLLBACK_SUCCESSFUL' }), 2)).toMatchObject({ kind: 'rolled-back' });
  });
});

describe('followServiceDeployment (scripted DescribeServiceDeployments)', () => {
  const ctx = (timeoutMs: number): FollowContext & { said: string[] } => {
    const said: string[] = [];
    return {
      aws: { ecs: () => new ECSClient({ region: 'us-east-1' }) } as unknown as FollowContext['aws'],
      progress: (m: string) => said.push(m),
      signal: new AbortController().signal,
      options: { timeoutMs, pollIntervalMs: 1 },
      said,
    };
  };

  it('polls until the deployment completes', async () => {
    ecs
      .on(DescribeServiceDeploymentsCommand)
      .resolvesOnce({ serviceDeployments: [snap('SCALE_UP')] })
      .resolvesOnce({ serviceDeployments: [snap('PRODUCTION_TRAFFIC_SHIFT', {}, 10)] })
      .resolves({ serviceDeployments: [snap('CLEAN_UP', { status: 'SUCCESSFUL' })] });
    const c = ctx(5_000);
    expect(await followServiceDeployment(c, ARN)).toEqual({ kind: 'completed' });
    expect(c.said).toContain('PRODUCTION_TRAFFIC_SHIFT 10% of production traffic on the new revision');
    expect(ecs.commandCalls(DescribeServiceDeploymentsCommand)[0]!.args[0].input).toEqual({ serviceDeploymentArns: [ARN] });
  });

  it('times out at the stage it was in when --timeout ends', async () => {
    ecs.on(DescribeServiceDeploymentsCommand).resolves({ serviceDeployments: [snap('BAKE_TIME')] });
    const outcome = await followServiceDeployment(ctx(30), ARN);
    expect(outcome).toMatchObject({ kind: 'timed-out', stage: 'BAKE_TIME' });
  });
});
