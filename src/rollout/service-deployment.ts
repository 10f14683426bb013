import {
  DescribeServiceDeploymentsCommand,
  ListServiceDeploymentsCommand,
  type ServiceDeployment,
  type ServiceDeploymentStatus,
} from '@aws-sdk/client-ecs';
import { formatDuration } from '../engine/duration.js';
import type { StepContext } from '../engine/types.js';
import { ecsStage, type WaitStage } from './stages.js';
import { pause } from './watch.js';

export type { WaitStage };

/**
 * Following one ECS service deployment (blue/green, linear, canary) through ListServiceDeployments and
 * DescribeServiceDeployments (ECS API reference, ServiceDeployment,
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeployment.html): its status, lifecycle stage,
 * the production traffic on the new revision, the bake time left, paused hooks, and why it rolled back. Each
 * transition is said once. The "services stable" wait is the wrong signal here: it blocks for the whole bake or says
 * done before traffic moved.
 */

export type FollowContext = Pick<StepContext, 'aws' | 'progress' | 'signal'> & {
  options: { timeoutMs: number; pollIntervalMs: number };
};

/** The order stages come in (ServiceDeployment lifecycleStage), to tell "reached or passed". */
const STAGE_ORDER = [
  'RECONCILE_SERVICE',
  'PRE_SCALE_UP',
  'SCALE_UP',
  'POST_SCALE_UP',
  'TEST_TRAFFIC_SHIFT',
  'POST_TEST_TRAFFIC_SHIFT',
  'PRE_PRODUCTION_TRAFFIC_SHIFT',
  'PRODUCTION_TRAFFIC_SHIFT',
  'POST_PRODUCTION_TRAFFIC_SHIFT',
  'BAKE_TIME',
  'CLEAN_UP',
];

export type DeploymentOutcome =
  | { kind: 'completed' }
  | { kind: 'rolled-back'; reason: string; alarms: string[]; status: ServiceDeploymentStatus }
  | { kind: 'failed'; reason: string }
  | { kind: 'stopped'; reason: string }
  | { kind: 'paused'; stage: string; hookId: string }
  | { kind: 'reached'; stage: string }
  | { kind: 'timed-out'; stage?: string; waitedMs: number };

const ROLLED_BACK: ServiceDeploymentStatus[] = ['ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_SUCCESSFUL'];

/** The deployment's reason in words: the alarms that fired, ECS's rollback reason, its status reason. */
function whyRolledBack(d: ServiceDeployment): { reason: string; alarms: string[] } {
  const alarms = d.alarms?.triggeredAlarmNames ?? [];
  const parts = [
    ...(alarms.length ? [`alarm${alarms.length === 1 ? '' : 's'} ${alarms.join(', ')} went into ALARM`] : []),
    ...(d.rollback?.reason ? [d.rollback.reason] : []),
    ...(d.statusReason && d.statusReason !== d.rollback?.reason ? [d.statusReason] : []),
  ];
  return { reason: parts.join('; ') || 'ECS rolled the deployment back.', alarms };
}

/** The PAUSE hook the deployment waits on, if any (lifecycleHookDetails status AWAITING_ACTION). */
export function awaitingHook(d: ServiceDeployment): string | undefined {
  return d.lifecycleHookDetails?.find((h) => h.status === 'AWAITING_ACTION' && (h.targetType ?? 'PAUSE') === 'PAUSE')?.hookId;
}

/**
 * Judges one DescribeServiceDeployments answer and says what changed since the last. Pure apart from the clock it is
 * given; the watcher loop below drives it, and unit tests feed it scripted snapshots.
 */
export class DeploymentFollower {
  private lastStage?: string;
  private lastStatus?: string;
  private lastWeight?: number;
  private stageSince = 0;
  private bakeSaid = -1;

  constructor(
    private readonly say: (message: string) => void,
    /** `deploy --wait-until`: return once the deployment reaches this ECS stage. */
    private readonly until?: string,
    /** `abort`: a rollback counts as the end only once ECS finished it (ROLLBACK_SUCCESSFUL). */
    private readonly rollbackToTheEnd = false,
  ) {}

  /** The outcome once the deployment ended, paused, or reached the stage asked for; undefined while it goes on. */
  observe(d: ServiceDeployment, now: number): DeploymentOutcome | undefined {
    this.transitions(d, now);
    const status = d.status;
    if (status === 'SUCCESSFUL') return { kind: 'completed' };
    if (status && ROLLED_BACK.includes(status) && (!this.rollbackToTheEnd || status === 'ROLLBACK_SUCCESSFUL'))
      return { kind: 'rolled-back', ...whyRolledBack(d), status };
    if (status && ROLLED_BACK.includes(status)) return undefined;
    if (status === 'ROLLBACK_FAILED') return { kind: 'failed', reason: d.statusReason ?? 'ECS could not roll the deployment back.' };
    if (status === 'STOPPED' || status === 'STOP_REQUESTED')
      return { kind: 'stopped', reason: d.statusReason ?? 'The deployment was stopped.' };
    const hook = awaitingHook(d);
    if (hook) return { kind: 'paused', stage: d.lifecycleStage ?? 'unknown', hookId: hook };
    if (this.until && d.lifecycleStage && STAGE_ORDER.indexOf(d.lifecycleStage) >= STAGE_ORDER.indexOf(this.until))
      return { kind: 'reached', stage: d.lifecycleStage };
    return undefined;
  }

  get stage(): string | undefined {
    return this.lastStage;
  }

  private transitions(d: ServiceDeployment, now: number): void {
    const stage = d.lifecycleStage;
    const weight = d.targetServiceRevision?.requestedProductionTrafficWeight;
    if (stage && stage !== this.lastStage) {
      this.lastStage = stage;
      this.stageSince = now;
      this.bakeSaid = -1;
      this.say(stage === 'PRODUCTION_TRAFFIC_SHIFT' && weight !== undefined ? this.shift(weight) : stage);
    } else if (stage === 'PRODUCTION_TRAFFIC_SHIFT' && weight !== undefined && weight !== this.lastWeight) {
      this.say(this.shift(weight));
    }
    if (stage === 'BAKE_TIME') this.bake(d, now);
    if (d.status && d.status !== this.lastStatus) {
      if (this.lastStatus !== undefined || d.status !== 'IN_PROGRESS') this.say(`deployment ${d.status.toLowerCase().replace(/_/g, ' ')}`);
      this.lastStatus = d.status;
    }
  }

  /** "PRODUCTION_TRAFFIC_SHIFT 10% → 100%", or the first step's share. */
  private shift(weight: number): string {
    const before = this.lastWeight;
    this.lastWeight = weight;
    return before !== undefined && before !== weight
      ? `PRODUCTION_TRAFFIC_SHIFT ${pct(before)} → ${pct(weight)}`
      : `PRODUCTION_TRAFFIC_SHIFT ${pct(weight)} of production traffic on the new revision`;
  }

  /** Bake time left, once a minute (ECS gives the bake length, not when the bake started: counted from when it was seen). */
  private bake(d: ServiceDeployment, now: number): void {
    const minutes = d.deploymentConfiguration?.bakeTimeInMinutes;
    if (minutes === undefined) return;
    const left = Math.max(0, minutes * 60_000 - (now - this.stageSince));
    const minute = Math.ceil(left / 60_000);
    if (minute === this.bakeSaid) return;
    this.bakeSaid = minute;
    this.say(`BAKE_TIME about ${formatDuration(minute * 60_000)} left; both revisions run until then`);
  }
}

const pct = (n: number) => `${Math.round(n * 10) / 10}%`;

/**
 * The service deployment a Create/UpdateService (or ContinueServiceDeployment) started: the newest one created at or
 * after `since`. ListServiceDeployments lists newest first and takes a createdAt filter (ECS API reference).
 */
export async function findServiceDeployment(
  ctx: Pick<StepContext, 'aws'>,
  cluster: string,
  service: string,
  since?: Date,
  statuses?: ServiceDeploymentStatus[],
): Promise<string | undefined> {
  const out = await ctx.aws.ecs().send(
    new ListServiceDeploymentsCommand({
      cluster,
      service,
      ...(since ? { createdAt: { after: since } } : {}),
      ...(statuses ? { status: statuses } : {}),
    }),
  );
  const newest = [...(out.serviceDeployments ?? [])].sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0))[0];
  return newest?.serviceDeploymentArn;
}

export async function describeServiceDeployment(ctx: Pick<StepContext, 'aws'>, arn: string): Promise<ServiceDeployment | undefined> {
  const out = await ctx.aws.ecs().send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] }));
  return out.serviceDeployments?.[0];
}

/** Follow the deployment until it ends, pauses or reaches `until`, or the timeout: the outcome says which. */
export async function followServiceDeployment(
  ctx: FollowContext,
  arn: string,
  until?: WaitStage,
  rollbackToTheEnd = false,
): Promise<DeploymentOutcome> {
  const started = Date.now();
  const deadline = started + ctx.options.timeoutMs;
  const follower = new DeploymentFollower((m) => ctx.progress(m), until ? ecsStage(until) : undefined, rollbackToTheEnd);
  for (;;) {
    const d = await describeServiceDeployment(ctx, arn);
    const outcome = d ? follower.observe(d, Date.now()) : undefined;
    if (outcome) return outcome;
    const now = Date.now();
    if (now >= deadline) return { kind: 'timed-out', waitedMs: now - started, ...(follower.stage ? { stage: follower.stage } : {}) };
    await pause(Math.min(ctx.options.pollIntervalMs, deadline - now), ctx.signal);
  }
}
