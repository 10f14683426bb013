import type { Service } from '@aws-sdk/client-ecs';
import { formatDuration } from '../engine/duration.js';
import type { RolloutDiagnosis } from '../engine/events.js';
import type { ErrorCode } from '../engine/messages.js';
import { EcsKitError } from '../errors.js';
import { diagnose, revisionName } from './diagnosis.js';
import { chronological, type Counts } from './progress.js';
import type { RolloutContext, RolloutTarget } from './watch.js';

/** How a rollout that did not complete ended; carried by the error the watcher throws. */
export class RolloutError extends EcsKitError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly diagnosis: RolloutDiagnosis,
    opts: { why: string; fix: string },
    /** Full ARN of the revision the service was put back on, by ECS or by ecs-kit. */
    readonly rolledBackTo?: string,
  ) {
    super(code, message, opts);
    this.name = 'RolloutError';
  }
}

export type Outcome =
  | { kind: 'failed'; reason: string }
  | { kind: 'rolled-back'; by: 'ecs' | 'ecs-kit'; to: string; reason?: string }
  | { kind: 'timed-out'; waitedMs: number };

/** What the watcher had seen when the rollout ended. */
interface LastSeen {
  service: Service;
  counts: Counts;
  /** Stopped tasks of the new revision, newest first. */
  stoppedTaskArns: string[];
  /** Service events since the change, oldest first. */
  events: string[];
}

/** The error's wording, before the diagnosis is added to `reason`. */
interface Wording {
  code: ErrorCode;
  message: string;
  reason: string;
  fix: string;
}

const FIX_THE_CAUSE =
  'Fix the cause shown above (image, command, memory, secrets, health check path or port) and run `ecs-kit deploy` again';

/** The RolloutError for a rollout that ended without completing, with a diagnosis read from AWS. */
export async function rolloutFailure(ctx: RolloutContext, target: RolloutTarget, outcome: Outcome, seen: LastSeen): Promise<RolloutError> {
  const { code, message, reason, fix } = wordingOf(ctx, target, outcome, seen);
  ctx.progress(`diagnosing: reading stopped tasks, target health and logs`);
  const region = ctx.region ?? ctx.aws.options.region ?? (await ctx.aws.region().catch(() => 'us-east-1'));
  const recent = (seen.events.length ? seen.events : chronological(seen.service.events ?? []).map((e) => e.message ?? '')).slice(-5);
  const diagnosis = await diagnose(ctx, {
    cluster: target.cluster,
    service: target.service,
    region,
    taskDefinitionArn: target.taskDefinitionArn,
    verdict: outcome.kind,
    summary: message,
    ...(outcome.kind === 'rolled-back' ? { rolledBackTo: outcome.to, rolledBackBy: outcome.by } : {}),
    counts: seen.counts,
    stoppedTaskArns: seen.stoppedTaskArns,
    targetGroupArns: (seen.service.loadBalancers ?? []).map((l) => l.targetGroupArn).filter((a): a is string => Boolean(a)),
    events: recent,
  });
  // The diagnosis travels as data; the reporters print it under "Why:".
  return new RolloutError(code, message, diagnosis, { why: reason, fix }, outcome.kind === 'rolled-back' ? outcome.to : undefined);
}

function wordingOf(ctx: RolloutContext, target: RolloutTarget, outcome: Outcome, seen: LastSeen): Wording {
  const subject = `Rollout of ${revisionName(target.taskDefinitionArn)} to service ${target.service}`;
  switch (outcome.kind) {
    case 'failed':
      return failedWording(target, subject, outcome.reason);
    case 'rolled-back':
      return rolledBackWording(subject, outcome);
    case 'timed-out':
      return timedOutWording(ctx, target, subject, outcome.waitedMs, seen);
  }
}

function failedWording(target: RolloutTarget, subject: string, reason: string): Wording {
  const rev = revisionName(target.taskDefinitionArn);
  const previous = target.previousTaskDefinitionArn;
  return {
    code: 'rollout.failed',
    message: `${subject} failed.`,
    reason,
    fix:
      previous && previous !== target.taskDefinitionArn
        ? `${FIX_THE_CAUSE}. The service was left on ${rev} (--no-rollback); ECS keeps retrying it, or its circuit breaker rolls it back.`
        : `${FIX_THE_CAUSE}. There is no earlier revision to go back to; ECS keeps retrying until then, and \`ecs-kit teardown\` removes it.`,
  };
}

function rolledBackWording(subject: string, outcome: Extract<Outcome, { kind: 'rolled-back' }>): Wording {
  const to = revisionName(outcome.to);
  const byEcs = outcome.by === 'ecs';
  const ecsSays = outcome.reason ? ` ECS says: ${outcome.reason}` : '';
  return {
    code: 'rollout.rolled-back',
    message: `${subject} rolled back: ${byEcs ? 'ECS' : 'ecs-kit'} put the service back on ${to}.`,
    reason: byEcs
      ? `The new tasks did not become healthy, so the deployment circuit breaker restored the previous revision.${ecsSays}`
      : `${outcome.reason ?? 'The deployment failed.'} ECS is now replacing its tasks with ${to}; \`ecs-kit status\` shows the progress.`,
    fix: `${FIX_THE_CAUSE}. Use --no-rollback to leave a failing revision in place while you investigate.`,
  };
}

function timedOutWording(ctx: RolloutContext, target: RolloutTarget, subject: string, waitedMs: number, seen: LastSeen): Wording {
  const { desired, running, pending } = seen.counts;
  const waited = formatDuration(waitedMs);
  const deployments = seen.service.deployments?.length ?? 0;
  const stoppedHint = `aws ecs list-tasks --cluster ${target.cluster} --service-name ${target.service} --desired-status STOPPED lists the stopped tasks`;
  return {
    code: 'rollout.timeout',
    message:
      `${subject} timed out: it did not finish rolling out within ${formatDuration(ctx.options.timeoutMs)} ` +
      `(desired ${desired}, running ${running}, pending ${pending}).`,
    reason:
      running < desired
        ? `tasks are not reaching RUNNING: ${running} of ${desired} running, ${pending} pending after ${waited}.`
        : deployments > 1
          ? `${running} of ${desired} tasks are running but the previous deployment has not drained yet (${deployments} deployments active) after ${waited}.`
          : `${running} of ${desired} tasks running, ${pending} pending, but the deployment has not been marked complete after ${waited}.`,
    fix:
      `Look at the diagnosis above (${stoppedHint}); or re-run with a larger --timeout; --no-wait skips waiting. ` +
      'ECS keeps rolling out in the background either way.',
  };
}
