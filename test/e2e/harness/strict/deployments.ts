import { list, str, type RuleContext } from './types.js';

/**
 * A stateful fake of ECS service deployments (moto drops `deploymentConfiguration` and has no ListServiceDeployments,
 * DescribeServiceDeployments, ContinueServiceDeployment or StopServiceDeployment). It keeps what the caller sent and
 * runs each deployment through the lifecycle stages AWS documents for its strategy, on a shrunk clock:
 *
 * - ROLLING: IN_PROGRESS, then SUCCESSFUL ("Deploy Amazon ECS services by replacing tasks").
 * - BLUE_GREEN: PRE_SCALE_UP → SCALE_UP → POST_SCALE_UP → TEST_TRAFFIC_SHIFT → POST_TEST_TRAFFIC_SHIFT →
 *   PRE_PRODUCTION_TRAFFIC_SHIFT → PRODUCTION_TRAFFIC_SHIFT (0 → 100 %) → POST_PRODUCTION_TRAFFIC_SHIFT → BAKE_TIME
 *   (bakeTimeInMinutes) → CLEAN_UP → SUCCESSFUL ("Amazon ECS blue/green deployments", lifecycle stages).
 * - CANARY: as blue/green, but production shifts canaryPercent first, holds canaryBakeTimeInMinutes, then shifts the
 *   rest; PRE_PRODUCTION_TRAFFIC_SHIFT runs before each shift ("Amazon ECS canary deployments").
 * - LINEAR: production shifts stepPercent at a time with stepBakeTimeInMinutes between steps ("Amazon ECS linear
 *   deployments").
 *
 * PAUSE hooks stop the deployment on entering their stages, with the hook AWAITING_ACTION, until ContinueServiceDeployment
 * (CONTINUE goes on, ROLLBACK rolls back). With deploymentConfiguration.alarms enabled, an alarm in ALARM (read from
 * moto's CloudWatch) once production traffic started to move rolls the deployment back ("How CloudWatch alarms detect
 * Amazon ECS deployment failures"); StopServiceDeployment ROLLBACK does too. A rolled-back service runs its previous
 * revision again, and a completed blue/green-type deployment swaps the service's two target groups, as ECS does.
 */

export interface DeploymentClock {
  /** How long each stage without a bake lasts. */
  stageMs: number;
  /** One minute of bake time. */
  minuteMs: number;
}

export const DEFAULT_CLOCK: DeploymentClock = { stageMs: 150, minuteMs: 100 };

type Json = Record<string, unknown>;

interface Phase {
  stage: string;
  ms: number;
  /** Production traffic on the new revision during this phase. */
  weight: number;
}

export interface FakeDeployment {
  arn: string;
  serviceKey: string;
  serviceArn: string;
  clusterArn: string;
  createdAt: number;
  status: string;
  statusReason?: string;
  config: Json;
  target: string;
  source?: string;
  phases: Phase[];
  index: number;
  phaseStartedAt: number;
  /** Stages whose PAUSE hook was answered (CONTINUE). */
  resumed: Set<number>;
  hookId?: string;
  triggered: string[];
  rollbackReason?: string;
  rollbackAt?: number;
  finishedAt?: number;
  /** The stage a DescribeServiceDeployments answer last showed, and when (see WATCHED_MS). */
  observed?: { index: number; at: number };
}

/**
 * Real stages last minutes, far longer than a watcher's poll interval, so a watcher sees every one; on the shrunk
 * clock a loaded machine could poll past a whole stage. While someone is watching (a DescribeServiceDeployments of
 * this deployment within WATCHED_MS), a stage is left only once it has been shown; unwatched, time alone moves it.
 */
const WATCHED_MS = 3000;

export interface FakeService {
  config?: Json;
  loadBalancers?: Json[];
  enableExecuteCommand?: boolean;
  taskDefinition?: string;
  deployments: FakeDeployment[];
}

/** Per account: what the fake knows of each `cluster/service`. */
export class DeploymentState {
  readonly services = new Map<string, FakeService>();
  private seq = 0;

  service(key: string): FakeService {
    let s = this.services.get(key);
    if (!s) this.services.set(key, (s = { deployments: [] }));
    return s;
  }

  nextId(): string {
    this.seq += 1;
    return `fake${String(this.seq).padStart(6, '0')}`;
  }
}

const percentSteps = (step: number): number[] => {
  const out: number[] = [];
  for (let w = step; w < 100 - 1e-9; w += step) out.push(Math.round(w * 10) / 10);
  return [...out, 100];
};

/** The stages of one deployment of `config` (its strategy, bake times, percentages). */
export function phasesFor(config: Json, clock: DeploymentClock, firstDeployment: boolean): Phase[] {
  const strategy = str(config.strategy) ?? 'ROLLING';
  const s = clock.stageMs;
  if (strategy === 'ROLLING' || firstDeployment) return [{ stage: 'SCALE_UP', ms: s, weight: 100 }];
  const minutes = (v: unknown, fallback: number) => (typeof v === 'number' ? v : fallback) * clock.minuteMs;
  const head: Phase[] = ['PRE_SCALE_UP', 'SCALE_UP', 'POST_SCALE_UP', 'TEST_TRAFFIC_SHIFT', 'POST_TEST_TRAFFIC_SHIFT'].map((stage) => ({
    stage,
    ms: s,
    weight: 0,
  }));
  let shifts: { weight: number; bakeMs: number }[];
  if (strategy === 'CANARY') {
    const c = (config.canaryConfiguration ?? {}) as Json;
    const pct = typeof c.canaryPercent === 'number' ? c.canaryPercent : 5;
    shifts = [
      { weight: pct, bakeMs: minutes(c.canaryBakeTimeInMinutes, 10) },
      { weight: 100, bakeMs: 0 },
    ];
  } else if (strategy === 'LINEAR') {
    const l = (config.linearConfiguration ?? {}) as Json;
    const bake = minutes(l.stepBakeTimeInMinutes, 6);
    shifts = percentSteps(typeof l.stepPercent === 'number' ? l.stepPercent : 10).map((weight) => ({
      weight,
      bakeMs: weight < 100 ? bake : 0,
    }));
  } else {
    shifts = [{ weight: 100, bakeMs: 0 }];
  }
  const middle: Phase[] = [];
  let before = 0;
  for (const shift of shifts) {
    middle.push({ stage: 'PRE_PRODUCTION_TRAFFIC_SHIFT', ms: s, weight: before });
    middle.push({ stage: 'PRODUCTION_TRAFFIC_SHIFT', ms: s + shift.bakeMs, weight: shift.weight });
    before = shift.weight;
  }
  return [
    ...head,
    ...middle,
    { stage: 'POST_PRODUCTION_TRAFFIC_SHIFT', ms: s, weight: 100 },
    { stage: 'BAKE_TIME', ms: minutes(config.bakeTimeInMinutes, 0), weight: 100 },
    { stage: 'CLEAN_UP', ms: s, weight: 100 },
  ];
}

/** Stages a PAUSE hook of `config` stops at. */
function pauseStages(config: Json): Set<string> {
  return new Set(
    list(config.lifecycleHooks)
      .filter((h) => h.targetType === 'PAUSE')
      .flatMap((h) => list<string>(h.lifecycleStages)),
  );
}

/** Alarm names of `config` that are in ALARM in moto's CloudWatch. */
async function alarmsFiring(config: Json, ctx: RuleContext): Promise<string[]> {
  const alarms = (config.alarms ?? {}) as Json;
  const names = list<string>(alarms.alarmNames);
  if (!alarms.enable || names.length === 0) return [];
  const form: Record<string, string> = { Action: 'DescribeAlarms', Version: '2010-08-01' };
  names.forEach((n, i) => (form[`AlarmNames.member.${i + 1}`] = n));
  const out = await ctx.upstream({ service: 'monitoring', form });
  if (out.status !== 200) return [];
  const firing: string[] = [];
  for (const m of out.body.matchAll(/<member>[\s\S]*?<AlarmName>([^<]+)<\/AlarmName>[\s\S]*?<StateValue>([^<]+)<\/StateValue>/g)) {
    if (m[2] === 'ALARM') firing.push(m[1]!);
  }
  return firing;
}

function rollBack(d: FakeDeployment, now: number, reason: string): void {
  d.status = 'ROLLBACK_IN_PROGRESS';
  d.rollbackReason = reason;
  d.statusReason = reason;
  d.rollbackAt = now;
  d.hookId = undefined;
}

/** Moves a deployment along to `now`: stages, pauses, alarms, rollbacks. */
export async function advance(d: FakeDeployment, svc: FakeService, ctx: RuleContext, clock: DeploymentClock): Promise<void> {
  const now = ctx.now;
  if (d.status === 'ROLLBACK_IN_PROGRESS' && now - (d.rollbackAt ?? now) >= clock.stageMs) {
    d.status = 'ROLLBACK_SUCCESSFUL';
    d.finishedAt = now;
    if (d.source) svc.taskDefinition = d.source;
  }
  if (d.status !== 'IN_PROGRESS' && d.status !== 'PENDING') return;
  d.status = 'IN_PROGRESS';
  const pauses = pauseStages(d.config);
  for (;;) {
    const phase = d.phases[d.index];
    if (!phase) {
      d.status = 'SUCCESSFUL';
      d.finishedAt = d.phaseStartedAt;
      swapGroups(svc, d);
      return;
    }
    if (pauses.has(phase.stage) && !d.resumed.has(d.index)) {
      d.hookId ??= `hook-${d.arn.slice(-6)}-${d.index}`;
      return;
    }
    if (phase.weight > 0 && phase.stage === 'PRODUCTION_TRAFFIC_SHIFT') {
      const firing = await alarmsFiring(d.config, ctx);
      if (firing.length) {
        d.triggered = firing;
        rollBack(d, now, `Alarm(s) ${firing.join(', ')} went into ALARM state.`);
        return;
      }
    }
    if (phase.stage === 'BAKE_TIME' || phase.stage === 'POST_PRODUCTION_TRAFFIC_SHIFT') {
      const firing = await alarmsFiring(d.config, ctx);
      if (firing.length) {
        d.triggered = firing;
        rollBack(d, now, `Alarm(s) ${firing.join(', ')} went into ALARM state.`);
        return;
      }
    }
    if (now - d.phaseStartedAt < phase.ms) return;
    if (d.observed && now - d.observed.at < WATCHED_MS && d.observed.index < d.index) return;
    d.phaseStartedAt += phase.ms;
    d.index += 1;
  }
}

/** After a blue/green, linear or canary deployment, the new revision lives in what was the alternate group. */
function swapGroups(svc: FakeService, d: FakeDeployment): void {
  if ((str(d.config.strategy) ?? 'ROLLING') === 'ROLLING' || d.phases.length <= 1) return;
  svc.loadBalancers = (svc.loadBalancers ?? []).map((lb) => {
    const adv = (lb.advancedConfiguration ?? {}) as Json;
    const alt = str(adv.alternateTargetGroupArn);
    if (!alt) return lb;
    return { ...lb, targetGroupArn: alt, advancedConfiguration: { ...adv, alternateTargetGroupArn: lb.targetGroupArn } };
  });
}

/** DescribeServiceDeployments' shape of a deployment (dates as epoch seconds, as awsJson sends them). */
export function describeShape(d: FakeDeployment): Json {
  const phase = d.phases[Math.min(d.index, d.phases.length - 1)];
  const weight = d.status === 'SUCCESSFUL' ? 100 : d.status.startsWith('ROLLBACK') ? 0 : (phase?.weight ?? 0);
  const alarms = (d.config.alarms ?? {}) as Json;
  return {
    serviceDeploymentArn: d.arn,
    serviceArn: d.serviceArn,
    clusterArn: d.clusterArn,
    createdAt: d.createdAt / 1000,
    startedAt: d.createdAt / 1000,
    updatedAt: Date.now() / 1000,
    ...(d.finishedAt ? { finishedAt: d.finishedAt / 1000 } : {}),
    status: d.status,
    ...(d.statusReason ? { statusReason: d.statusReason } : {}),
    lifecycleStage: d.status === 'SUCCESSFUL' ? 'CLEAN_UP' : phase?.stage,
    targetServiceRevision: {
      arn: `${d.arn}/revision/${d.target.slice(d.target.lastIndexOf('/') + 1)}`,
      requestedTaskCount: 1,
      runningTaskCount: 1,
      pendingTaskCount: 0,
      requestedProductionTrafficWeight: weight,
    },
    ...(d.source ? { sourceServiceRevisions: [{ arn: `${d.arn}/revision/source`, requestedProductionTrafficWeight: 100 - weight }] } : {}),
    deploymentConfiguration: d.config,
    ...(d.hookId
      ? { lifecycleHookDetails: [{ hookId: d.hookId, targetType: 'PAUSE', status: 'AWAITING_ACTION', timeoutAction: 'ROLLBACK' }] }
      : {}),
    ...(d.rollbackReason ? { rollback: { reason: d.rollbackReason, startedAt: (d.rollbackAt ?? 0) / 1000 } } : {}),
    alarms: {
      status: alarms.enable ? (d.triggered.length ? 'TRIGGERED' : 'MONITORING') : 'DISABLED',
      alarmNames: list<string>(alarms.alarmNames),
      ...(d.triggered.length ? { triggeredAlarmNames: d.triggered } : {}),
    },
  };
}

/**
 * What ECS returns for a deploymentConfiguration it stored: what was sent, plus the defaults it fills in
 * (DeploymentCircuitBreaker resetOnHealthyTask true and thresholdConfiguration BOUNDED_PERCENT 50; a lifecycle hook's
 * timeoutConfiguration 1440 minutes, ROLLBACK: ECS API reference), so a caller that compares them naively sees drift.
 */
export function withDefaults(config: Json): Json {
  const cb = (config.deploymentCircuitBreaker ?? {}) as Json;
  return {
    ...config,
    deploymentCircuitBreaker: { resetOnHealthyTask: true, thresholdConfiguration: { type: 'BOUNDED_PERCENT', value: 50 }, ...cb },
    ...(config.lifecycleHooks
      ? {
          lifecycleHooks: list(config.lifecycleHooks).map((h) => ({
            timeoutConfiguration: { timeoutInMinutes: 1440, action: 'ROLLBACK' },
            ...h,
          })),
        }
      : {}),
  };
}
