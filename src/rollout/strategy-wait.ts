import type { ServiceDeployment, ServiceDeploymentStatus } from '@aws-sdk/client-ecs';
import { formatDuration } from '../engine/duration.js';
import type { ErrorCode } from '../engine/messages.js';
import { diagnose, revisionName } from './diagnosis.js';
import { RolloutError } from './failure.js';
import {
  describeServiceDeployment,
  findServiceDeployment,
  followServiceDeployment,
  type DeploymentOutcome,
  type WaitStage,
} from './service-deployment.js';
import { pause, type RolloutContext } from './watch.js';

/**
 * The wait of a blue/green, linear or canary rollout: find the service deployment ecs-kit started, follow it (one line per
 * stage and traffic step), and end as completed, paused at a hook, at the stage `--wait-until` asked for, or with a
 * RolloutError (rolled back with the alarm or reason, failed, stopped, timed out) carrying a diagnosis.
 */

export interface StrategyTarget {
  cluster: string;
  service: string;
  /** The revision being rolled out. */
  taskDefinitionArn: string;
  /** Service deployments created from this moment on are ours. */
  since?: Date;
  targetGroupArns: string[];
}

export type Settled =
  | { kind: 'completed'; deploymentArn: string }
  | { kind: 'paused'; stage: string; hookId: string; deploymentArn: string }
  | { kind: 'reached'; stage: string; deploymentArn: string };

/** Service deployments still going (ECS API reference, ServiceDeploymentStatus). */
export const IN_FLIGHT: ServiceDeploymentStatus[] = [
  'PENDING',
  'IN_PROGRESS',
  'ROLLBACK_REQUESTED',
  'ROLLBACK_IN_PROGRESS',
  'STOP_REQUESTED',
];

/**
 * ListServiceDeployments may not list a deployment in the first seconds after UpdateService answered; a few looks
 * within one poll interval (bounded) before it counts as missing.
 */
async function findOurs(ctx: RolloutContext, target: StrategyTarget): Promise<string | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const arn = await findServiceDeployment(ctx, target.cluster, target.service, target.since);
    if (arn) return arn;
    await pause(Math.min(ctx.options.pollIntervalMs, 2_000), ctx.signal);
  }
  return undefined;
}

/** Follow the deployment (`arn`, else the one started since target.since) to where it settles; throws when it did not complete. */
export async function waitForServiceDeployment(
  ctx: RolloutContext,
  target: StrategyTarget,
  opts: { arn?: string; until?: WaitStage } = {},
): Promise<Settled> {
  const arn = opts.arn ?? (await findOurs(ctx, target));
  if (!arn) {
    throw new RolloutError(
      'rollout.failed',
      `ECS lists no service deployment of ${target.service} since the update; ecs-kit cannot follow its rollout.`,
      emptyDiagnosis(ctx, target, 'failed', 'No service deployment was found.'),
      { why: 'ListServiceDeployments returned none for the service.', fix: 'Run `ecs-kit status` to see the service, then deploy again.' },
    );
  }
  const outcome = await followServiceDeployment(ctx, arn, opts.until);
  switch (outcome.kind) {
    case 'completed':
      return { kind: 'completed', deploymentArn: arn };
    case 'paused':
      return { kind: 'paused', stage: outcome.stage, hookId: outcome.hookId, deploymentArn: arn };
    case 'reached':
      return { kind: 'reached', stage: outcome.stage, deploymentArn: arn };
    default:
      throw await strategyFailure(ctx, target, outcome, await describeServiceDeployment(ctx, arn).catch(() => undefined));
  }
}

type Ended = Exclude<DeploymentOutcome, { kind: 'completed' | 'paused' | 'reached' }>;

function wording(ctx: RolloutContext, target: StrategyTarget, o: Ended): { code: ErrorCode; message: string; why: string; fix: string } {
  const subject = `Rollout of ${revisionName(target.taskDefinitionArn)} to service ${target.service}`;
  const fix = 'Fix the cause above and run `ecs-kit deploy` again.';
  switch (o.kind) {
    case 'rolled-back':
      return {
        code: 'rollout.rolled-back',
        message: `${subject} rolled back: ECS moved production traffic back to the previous revision.`,
        why: o.reason,
        fix: o.alarms.length
          ? `${fix} The alarms watch the target group's 5xx answers and unhealthy targets: \`ecs-kit logs ${target.service}\` shows what the new revision did.`
          : fix,
      };
    case 'failed':
      return { code: 'rollout.failed', message: `${subject} failed.`, why: o.reason, fix };
    case 'stopped':
      return { code: 'rollout.stopped', message: `${subject} was stopped before it completed.`, why: o.reason, fix };
    case 'timed-out':
      return {
        code: 'rollout.timeout',
        message: `${subject} timed out${o.stage ? ` at ${o.stage}` : ''} after ${formatDuration(o.waitedMs)}.`,
        why: `The deployment had not finished within --timeout ${formatDuration(ctx.options.timeoutMs)} (a bake time counts too).`,
        fix:
          'ECS keeps going in the background: `ecs-kit status` shows where it is. Re-run with a larger --timeout, or ' +
          '`--wait-until <stage>` to return at a stage.',
      };
  }
}

const VERDICT = { 'rolled-back': 'rolled-back', failed: 'failed', stopped: 'failed', 'timed-out': 'timed-out' } as const;

async function strategyFailure(
  ctx: RolloutContext,
  target: StrategyTarget,
  o: Ended,
  d: ServiceDeployment | undefined,
): Promise<RolloutError> {
  const { code, message, why, fix } = wording(ctx, target, o);
  const region = ctx.region ?? ctx.aws.options.region ?? 'us-east-1';
  const t = d?.targetServiceRevision;
  const diagnosis = await diagnose(ctx, {
    cluster: target.cluster,
    service: target.service,
    region,
    taskDefinitionArn: target.taskDefinitionArn,
    verdict: VERDICT[o.kind],
    summary: message,
    ...(o.kind === 'rolled-back' ? { rolledBackBy: 'ecs' as const } : {}),
    counts: { desired: t?.requestedTaskCount ?? 0, running: t?.runningTaskCount ?? 0, pending: t?.pendingTaskCount ?? 0, failed: 0 },
    stoppedTaskArns: [],
    targetGroupArns: target.targetGroupArns,
    events: [message, why],
  });
  return new RolloutError(code, message, diagnosis, { why, fix });
}

function emptyDiagnosis(ctx: RolloutContext, target: StrategyTarget, verdict: 'failed', summary: string) {
  return {
    service: target.service,
    cluster: target.cluster,
    verdict,
    summary,
    taskDefinition: revisionName(target.taskDefinitionArn),
    counts: { desired: 0, running: 0, pending: 0, failed: 0 },
    stoppedTotal: 0,
    stoppedTasks: [],
    targets: [],
    events: [],
    consoleUrl: '',
    notes: [`region ${ctx.region ?? 'unknown'}`],
  };
}
