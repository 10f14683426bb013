import { DescribeServicesCommand, type Service, type ServiceEvent } from '@aws-sdk/client-ecs';
import { sleep } from '../aws/errors.js';
import { EcsKitError } from '../errors.js';
import type { StepContext } from '../engine/types.js';

/** What the rollout watcher needs from a step context (kept narrow so it is easy to test). */
export type RolloutContext = Pick<StepContext, 'aws' | 'options' | 'progress' | 'signal'>;

export interface RolloutTarget {
  cluster: string;
  service: string;
  /** The task definition this deploy asked for; the rollout is about this revision. */
  taskDefinitionArn: string;
  /** Events older than this were there before our change and are not streamed. */
  since?: Date;
}

export type RolloutVerdict =
  | { state: 'waiting' }
  | { state: 'completed' }
  | { state: 'failed'; reason: string; rolledBackTo?: string }
  | { state: 'rolled-back'; rolledBackTo: string };

/** "arn:…:task-definition/shop-default-web:7" → "shop-default-web:7". */
export function revisionName(arn: string | undefined): string {
  if (!arn) return 'an unknown revision';
  const i = arn.lastIndexOf('/');
  return i >= 0 ? arn.slice(i + 1) : arn;
}

/**
 * Decide, from one DescribeServices answer, whether the rollout of `taskDefinitionArn`
 * has finished, failed, been rolled back, or is still going. Pure.
 */
export function assessRollout(service: Service, taskDefinitionArn: string): RolloutVerdict {
  const desired = service.desiredCount ?? 0;
  const running = service.runningCount ?? 0;
  const pending = service.pendingCount ?? 0;
  const deployments = service.deployments ?? [];
  const ours = deployments.find((d) => d.taskDefinition === taskDefinitionArn);
  const primary = deployments.find((d) => d.status === 'PRIMARY');
  const countsSettled = running === desired && pending === 0;

  if (ours?.rolloutState === 'FAILED') {
    const rolledBackTo = primary && primary !== ours && primary.taskDefinition !== taskDefinitionArn ? primary.taskDefinition : undefined;
    return { state: 'failed', reason: ours.rolloutStateReason ?? 'ECS marked the deployment as failed.', ...(rolledBackTo ? { rolledBackTo } : {}) };
  }
  if (desired === 0) return { state: 'completed' };

  if (ours && ours === primary) {
    if (ours.rolloutState === 'COMPLETED') return { state: 'completed' };
    // Services without rollout tracking: one deployment left and every task running means stable.
    if ((ours.rolloutState === undefined || ours.rolloutState === 'IN_PROGRESS') && deployments.length === 1 && countsSettled) return { state: 'completed' };
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

function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  const rest = s % 60;
  return rest ? `${m}m${rest}s` : `${m}m`;
}

/** Events newest-last (ECS lists them newest-first). */
function chronological(events: ServiceEvent[]): ServiceEvent[] {
  return [...events].sort((a, b) => (a.createdAt?.getTime() ?? 0) - (b.createdAt?.getTime() ?? 0));
}

function eventKey(e: ServiceEvent): string {
  return e.id ?? `${e.createdAt?.toISOString() ?? ''} ${e.message ?? ''}`;
}

function recentEvents(service: Service | undefined, n = 5): string {
  const events = chronological(service?.events ?? []).slice(-n);
  if (events.length === 0) return '';
  return ` Recent service events:\n${events.map((e) => `  - ${e.message ?? ''}`).join('\n')}`;
}

function stoppedTasksHint(target: RolloutTarget): string {
  return `check stopped tasks: aws ecs list-tasks --cluster ${target.cluster} --service-name ${target.service} --desired-status STOPPED, then aws ecs describe-tasks --cluster ${target.cluster} --tasks <task-arn> to read stoppedReason`;
}

async function describe(ctx: RolloutContext, target: RolloutTarget): Promise<Service> {
  const out = await ctx.aws.ecs().send(new DescribeServicesCommand({ cluster: target.cluster, services: [target.service] }));
  const service = out.services?.[0];
  if (!service || service.status === 'INACTIVE') {
    throw new EcsKitError('rollout.service-missing', `Service ${target.service} disappeared from cluster ${target.cluster} while waiting for it to roll out.`, {
      why: 'Something deleted the service during the deploy.',
      fix: 'Run the deploy again to recreate it.',
    });
  }
  return service;
}

/**
 * sleep() leaves its abort listener on the signal after the timer fires; a long rollout
 * polls often enough to pile them up on the run's signal, so give each wait its own.
 */
async function pause(ms: number, signal: AbortSignal): Promise<void> {
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
 * Poll the service until the deployment of `target.taskDefinitionArn` is stable, streaming
 * new service events and task counts as progress. Throws an EcsKitError on failure,
 * rollback or timeout. Timing comes from ctx.options so tests can drive it with fake timers.
 */
export async function watchRollout(ctx: RolloutContext, target: RolloutTarget): Promise<Service> {
  const started = Date.now();
  const deadline = started + ctx.options.timeoutMs;
  const seen = new Set<string>();
  const since = target.since?.getTime();
  let lastCounts = '';
  let service: Service | undefined;

  for (;;) {
    service = await describe(ctx, target);

    for (const e of chronological(service.events ?? [])) {
      const key = eventKey(e);
      if (seen.has(key)) continue;
      seen.add(key);
      if (since !== undefined && e.createdAt && e.createdAt.getTime() < since) continue;
      if (e.message) ctx.progress(e.message);
    }

    const desired = service.desiredCount ?? 0;
    const running = service.runningCount ?? 0;
    const pending = service.pendingCount ?? 0;
    const counts = `${running}/${desired} running, ${pending} pending`;
    if (counts !== lastCounts) {
      ctx.progress(counts);
      lastCounts = counts;
    }

    const verdict = assessRollout(service, target.taskDefinitionArn);
    if (verdict.state === 'completed') return service;
    if (verdict.state === 'failed') {
      const back = verdict.rolledBackTo ? ` ECS rolled the service back to ${revisionName(verdict.rolledBackTo)}.` : '';
      throw new EcsKitError('rollout.failed', `The deployment of ${revisionName(target.taskDefinitionArn)} to service ${target.service} failed.${back}`, {
        why: `${verdict.reason}${recentEvents(service)}`,
        fix: `Fix the container (image, command, health check, port) and deploy again; ${stoppedTasksHint(target)}.`,
      });
    }
    if (verdict.state === 'rolled-back') {
      throw new EcsKitError('rollout.rolled-back', `ECS rolled service ${target.service} back to ${revisionName(verdict.rolledBackTo)} instead of running ${revisionName(target.taskDefinitionArn)}.`, {
        why: `The new tasks did not become healthy, so the deployment circuit breaker restored the previous revision.${recentEvents(service)}`,
        fix: `Fix the container (image, command, health check, port) and deploy again; ${stoppedTasksHint(target)}.`,
      });
    }

    const now = Date.now();
    if (now >= deadline) {
      const waited = formatDuration(now - started);
      const deployments = service.deployments?.length ?? 0;
      const why =
        running < desired
          ? `tasks are not reaching RUNNING: ${running} of ${desired} running, ${pending} pending after ${waited}.`
          : deployments > 1
            ? `${running} of ${desired} tasks are running but the previous deployment has not drained yet (${deployments} deployments active) after ${waited}.`
            : `${running} of ${desired} tasks running, ${pending} pending, but the deployment has not been marked complete after ${waited}.`;
      throw new EcsKitError('rollout.timeout', `Service ${target.service} did not finish rolling out within ${formatDuration(ctx.options.timeoutMs)} (desired ${desired}, running ${running}, pending ${pending}).`, {
        why: `${why}${recentEvents(service)}`,
        fix: `${stoppedTasksHint(target)}; or re-run with a larger --timeout; --no-wait skips waiting. ECS keeps rolling out in the background either way.`,
      });
    }
    await pause(Math.min(ctx.options.pollIntervalMs, deadline - now), ctx.signal);
  }
}
