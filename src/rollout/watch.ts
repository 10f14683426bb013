import { DescribeServicesCommand, UpdateServiceCommand, type Deployment, type Service } from '@aws-sdk/client-ecs';
import { sleep } from '../aws/retry.js';
import { EcsKitError } from '../errors.js';
import type { StepContext } from '../engine/types.js';
import { revisionName } from './diagnosis.js';
import { rolloutFailure, type Outcome } from './failure.js';
import { RolloutProgress, type Counts } from './progress.js';
import { StoppedTasks } from './stopped-tasks.js';

export { revisionName };
export { RolloutError } from './failure.js';

/** What the rollout watcher needs from a step context (kept narrow so it is easy to test). */
export type RolloutContext = Pick<StepContext, 'aws' | 'options' | 'progress' | 'signal'> &
  Partial<Pick<StepContext, 'id' | 'region' | 'warn'>>;

export interface RolloutTarget {
  cluster: string;
  service: string;
  /** The task definition this deploy asked for; the rollout is about this revision. */
  taskDefinitionArn: string;
  /**
   * The deployment our CreateService/UpdateService started (its PRIMARY deployment, when the
   * response showed one running our revision). Without it the rollout is followed by revision.
   */
  deploymentId?: string;
  /** What the service ran before this deploy; the fail-fast rollback goes back to it. Absent on create. */
  previousTaskDefinitionArn?: string;
  /** Events and tasks older than this were there before our change and are ignored. */
  since?: Date;
  /**
   * A task or execution role was created or changed in this run: until then, tasks that stop
   * because IAM has not made it usable yet are not counted toward --max-failed-tasks.
   */
  iamGraceUntil?: Date;
}

export type RolloutVerdict =
  | { state: 'waiting' }
  | { state: 'completed' }
  | { state: 'failed'; reason: string; rolledBackTo?: string }
  | { state: 'rolled-back'; rolledBackTo: string };

type EndedVerdict = Extract<RolloutVerdict, { state: 'failed' | 'rolled-back' }>;

function findOurs(deployments: Deployment[], taskDefinitionArn: string, deploymentId?: string): Deployment | undefined {
  return (
    (deploymentId ? deployments.find((d) => d.id === deploymentId) : undefined) ??
    deployments.find((d) => d.taskDefinition === taskDefinitionArn)
  );
}

/**
 * Decide, from one DescribeServices answer, whether the rollout of `taskDefinitionArn`
 * (deployment `deploymentId` when known) has finished, failed, been rolled back, or is still going. Pure.
 */
export function assessRollout(service: Service, taskDefinitionArn: string, deploymentId?: string): RolloutVerdict {
  const desired = service.desiredCount ?? 0;
  const running = service.runningCount ?? 0;
  const pending = service.pendingCount ?? 0;
  const deployments = service.deployments ?? [];
  const ours = findOurs(deployments, taskDefinitionArn, deploymentId);
  const primary = deployments.find((d) => d.status === 'PRIMARY');
  const countsSettled = running === desired && pending === 0;

  if (ours?.rolloutState === 'FAILED') {
    const rolledBackTo = primary && primary !== ours && primary.taskDefinition !== taskDefinitionArn ? primary.taskDefinition : undefined;
    return {
      state: 'failed',
      reason: ours.rolloutStateReason ?? 'ECS marked the deployment as failed.',
      ...(rolledBackTo ? { rolledBackTo } : {}),
    };
  }
  if (desired === 0) return { state: 'completed' };

  if (ours && ours === primary) {
    if (ours.rolloutState === 'COMPLETED') return { state: 'completed' };
    // Services without rollout tracking: one deployment left and every task running means stable.
    if ((ours.rolloutState === undefined || ours.rolloutState === 'IN_PROGRESS') && deployments.length === 1 && countsSettled)
      return { state: 'completed' };
    return { state: 'waiting' };
  }

  if (primary && primary.taskDefinition !== taskDefinitionArn) {
    if (service.taskDefinition === taskDefinitionArn) {
      // The service already points at our revision but the only deployment still names the old one:
      // an API that reports the change on the service but not on deployments[]. Judge by the
      // service-level counts of a deployment that has otherwise finished.
      if (deployments.length === 1 && countsSettled && primary.rolloutState === 'COMPLETED') return { state: 'completed' };
      return { state: 'waiting' };
    }
    if (!ours) return { state: 'rolled-back', rolledBackTo: primary.taskDefinition ?? 'unknown' };
  }
  return { state: 'waiting' };
}

async function describe(ctx: RolloutContext, target: RolloutTarget): Promise<Service> {
  const out = await ctx.aws.ecs().send(new DescribeServicesCommand({ cluster: target.cluster, services: [target.service] }));
  const service = out.services?.[0];
  if (!service || service.status === 'INACTIVE') {
    throw new EcsKitError(
      'rollout.service-missing',
      `Service ${target.service} disappeared from cluster ${target.cluster} while waiting for it to roll out.`,
      {
        why: 'Something deleted the service during the deploy.',
        fix: 'Run the deploy again to recreate it.',
      },
    );
  }
  return service;
}

/**
 * sleep() leaves its abort listener on the signal after the timer fires; a long rollout
 * polls often enough to pile them up on the run's signal, so give each wait its own.
 */
export async function pause(ms: number, signal: AbortSignal): Promise<void> {
  const local = new AbortController();
  const onAbort = () => local.abort(signal.reason);
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  try {
    await sleep(ms, local.signal);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Follow the deployment our CreateService/UpdateService started until it completes, streaming
 * new service events (once each) and task counts as progress. Ends with one verdict: completed
 * (returns), or failed / rolled back / timed out (throws a RolloutError carrying a diagnosis).
 * After `maxFailedTasks` stopped tasks of the new revision it stops waiting and, when allowed
 * and there is a previous revision, rolls the service back to it. Timing comes from ctx.options
 * so tests can drive it with fake timers.
 */
export async function watchRollout(ctx: RolloutContext, target: RolloutTarget): Promise<Service> {
  const started = Date.now();
  const deadline = started + ctx.options.timeoutMs;
  const stopped = new StoppedTasks(ctx, target);
  const progress = new RolloutProgress(ctx, target.since?.getTime());
  const fail = (service: Service, outcome: Outcome, counts: Counts) =>
    rolloutFailure(ctx, target, outcome, { service, counts, stoppedTaskArns: stopped.arns(), events: progress.events });

  for (;;) {
    const service = await describe(ctx, target);
    progress.showEvents(service);
    const ours = findOurs(service.deployments ?? [], target.taskDefinitionArn, target.deploymentId);
    const verdict = assessRollout(service, target.taskDefinitionArn, target.deploymentId);
    if (verdict.state === 'completed') {
      progress.showCounts(service, ours, stopped.count);
      return service;
    }
    if (verdict.state === 'failed' || verdict.state === 'rolled-back') {
      await stopped.poll(); // so the diagnosis can show the tasks that made ECS give up
      const counts = progress.showCounts(service, ours, stopped.count);
      const outcome = await endedByEcs(ctx, target, verdict);
      if (outcome) throw await fail(service, outcome, counts);
    }

    await stopped.poll();
    const counts = progress.showCounts(service, ours, stopped.count);
    if (stopped.count >= ctx.options.maxFailedTasks) throw await fail(service, await tooManyStopped(ctx, target, stopped.count), counts);

    const now = Date.now();
    if (now >= deadline) throw await fail(service, { kind: 'timed-out', waitedMs: now - started }, counts);
    await pause(Math.min(ctx.options.pollIntervalMs, deadline - now), ctx.signal);
  }
}

/** ECS ended the rollout: it rolled back by itself, or the deployment failed and ecs-kit rolls back when it may. */
async function endedByEcs(ctx: RolloutContext, target: RolloutTarget, verdict: EndedVerdict): Promise<Outcome | undefined> {
  if (verdict.rolledBackTo) {
    return { kind: 'rolled-back', by: 'ecs', to: verdict.rolledBackTo, reason: verdict.state === 'failed' ? verdict.reason : undefined };
  }
  return verdict.state === 'failed' ? rollBackAfter(ctx, target, verdict.reason) : undefined;
}

/** Tasks of the new revision keep stopping (--max-failed-tasks): stop waiting instead of letting ECS retry for the whole timeout. */
function tooManyStopped(ctx: RolloutContext, target: RolloutTarget, n: number): Promise<Outcome> {
  const reason = `${n} task${n === 1 ? '' : 's'} of ${revisionName(target.taskDefinitionArn)} stopped (--max-failed-tasks ${ctx.options.maxFailedTasks}).`;
  return rollBackAfter(ctx, target, reason);
}

/** The rollout failed for `reason`: the outcome says whether ecs-kit put the service back. */
async function rollBackAfter(ctx: RolloutContext, target: RolloutTarget, reason: string): Promise<Outcome> {
  const back = await rollBack(ctx, target);
  return back ? { kind: 'rolled-back', by: 'ecs-kit', to: back, reason } : { kind: 'failed', reason };
}

/** Put the service back on the revision it ran before; returns that revision, or undefined when there is none or it is not allowed. */
async function rollBack(ctx: RolloutContext, target: RolloutTarget): Promise<string | undefined> {
  const previous = target.previousTaskDefinitionArn;
  if (!ctx.options.rollback || !previous || previous === target.taskDefinitionArn) return undefined;
  ctx.progress(`rolling service ${target.service} back to ${revisionName(previous)}`);
  await ctx.aws.ecs().send(new UpdateServiceCommand({ cluster: target.cluster, service: target.service, taskDefinition: previous }));
  return previous;
}
