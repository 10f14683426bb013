import { formatDuration } from '../engine/duration.js';
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  UpdateServiceCommand,
  type Deployment,
  type Service,
  type ServiceEvent,
  type Task,
} from '@aws-sdk/client-ecs';
import { errorName } from '../aws/errors.js';
import { sleep } from '../aws/retry.js';
import { EcsKitError } from '../errors.js';
import type { RolloutDiagnosis } from '../engine/events.js';
import type { StepContext } from '../engine/types.js';
import { diagnose, diagnosisLines, revisionName } from './diagnosis.js';

export { revisionName };

/** What the rollout watcher needs from a step context (kept narrow so it is easy to test). */
export type RolloutContext = Pick<StepContext, 'aws' | 'options' | 'progress' | 'signal'> & Partial<Pick<StepContext, 'id' | 'region' | 'warn'>>;

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

/** How a rollout that did not complete ended; carried by the error the watcher throws. */
export class RolloutError extends EcsKitError {
  constructor(
    code: string,
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

function findOurs(deployments: Deployment[], taskDefinitionArn: string, deploymentId?: string): Deployment | undefined {
  return (deploymentId ? deployments.find((d) => d.id === deploymentId) : undefined) ?? deployments.find((d) => d.taskDefinition === taskDefinitionArn);
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

/** Events newest-last (ECS lists them newest-first). */
function chronological(events: ServiceEvent[]): ServiceEvent[] {
  return [...events].sort((a, b) => (a.createdAt?.getTime() ?? 0) - (b.createdAt?.getTime() ?? 0));
}

function eventKey(e: ServiceEvent): string {
  return e.id ?? `${e.createdAt?.toISOString() ?? ''} ${e.message ?? ''}`;
}

function shortError(err: unknown): string {
  const name = errorName(err);
  const message = err instanceof Error ? err.message : String(err);
  return name && !message.startsWith(name) ? `${name}: ${message}` : message;
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

/** A normal stop of one of our tasks (scale-in, someone stopping it by hand), not a failure of the revision. */
function isRoutineStop(t: Task): boolean {
  return t.stopCode === 'UserInitiated' || /^Scaling activity initiated by/i.test(t.stoppedReason ?? '');
}

/**
 * A stop caused by a role IAM has not propagated yet: "ECS was unable to assume the role … provided
 * for this task" (pulumi-awsx#927), or AccessDenied while fetching secrets, the image or logs with a
 * just-changed execution role. ECS launches a replacement; once IAM catches up (10–30 s,
 * terraform-provider-aws#6566) it starts.
 */
export function isIamPropagationStop(t: Task): boolean {
  const texts = [t.stoppedReason, ...(t.containers ?? []).map((c) => c.reason)].filter((x): x is string => Boolean(x));
  return texts.some(
    (x) => /unable to assume the role/i.test(x) || (/ResourceInitializationError|CannotPullContainerError/.test(x) && /AccessDenied|not authorized/i.test(x)),
  );
}

/** ListTasks pages (100 tasks each) read per poll when listing the whole service's stopped tasks. */
const SERVICE_PAGES = 3;
/** A deployment's own stopped tasks: fail-fast stops long before this many pages. */
const DEPLOYMENT_PAGES = 20;

/**
 * Tracks stopped tasks of the new revision across polls. With the deployment id known, ListTasks
 * asks for exactly its tasks: ECS sets a service task's startedBy to the id of the deployment that
 * started it (ECS API reference, Task.startedBy), so a busy service's older stopped tasks cannot
 * push ours past the pages read. Otherwise it lists the service's stopped tasks. Either way
 * DescribeTasks (only for ARNs not seen before) decides which belong to our deployment.
 */
class StoppedTasks {
  private readonly failed = new Map<string, Task>();
  private readonly other = new Set<string>();
  /** Our tasks that stopped while IAM was still propagating a role changed in this run. */
  private readonly tolerated = new Set<string>();
  private disabled = false;
  private byDeployment: boolean;

  constructor(
    private readonly ctx: RolloutContext,
    private readonly target: RolloutTarget,
  ) {
    this.byDeployment = Boolean(target.deploymentId);
  }

  get count(): number {
    return this.failed.size;
  }

  /** ARNs of failed tasks, newest first. */
  arns(): string[] {
    const at = (t: Task) => (t.stoppedAt ?? t.stoppingAt ?? t.createdAt)?.getTime() ?? 0;
    return [...this.failed.values()].sort((a, b) => at(b) - at(a)).map((t) => t.taskArn!);
  }

  private ours(t: Task): boolean {
    const { deploymentId, taskDefinitionArn, since } = this.target;
    if (deploymentId && t.startedBy) return t.startedBy === deploymentId;
    if (t.taskDefinitionArn !== taskDefinitionArn) return false;
    return !since || !t.createdAt || t.createdAt.getTime() >= since.getTime();
  }

  /** Stopped task ARNs not seen before; the deployment's own list when ECS accepts that filter. */
  private async freshArns(): Promise<string[]> {
    if (this.byDeployment) {
      try {
        return await this.list({ startedBy: this.target.deploymentId }, DEPLOYMENT_PAGES);
      } catch (err) {
        // "startedBy must be the only filter": should ECS count desiredStatus as one, list the service instead.
        if (errorName(err) !== 'InvalidParameterException') throw err;
        this.byDeployment = false;
      }
    }
    return this.list({ serviceName: this.target.service }, SERVICE_PAGES);
  }

  private async list(filter: { startedBy?: string; serviceName?: string }, pages: number): Promise<string[]> {
    const fresh: string[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < pages; page++) {
      const out = await this.ctx.aws.ecs().send(new ListTasksCommand({ cluster: this.target.cluster, ...filter, desiredStatus: 'STOPPED', ...(nextToken ? { nextToken } : {}) }));
      for (const arn of out.taskArns ?? []) if (!this.failed.has(arn) && !this.other.has(arn) && !this.tolerated.has(arn)) fresh.push(arn);
      nextToken = out.nextToken;
      if (!nextToken) break;
    }
    return fresh;
  }

  /** Stops during the IAM grace period do not count: ECS retries them once the role works. */
  private inIamGrace(t: Task): boolean {
    const until = this.target.iamGraceUntil?.getTime();
    if (until === undefined || !isIamPropagationStop(t)) return false;
    return ((t.stoppedAt ?? t.stoppingAt ?? t.createdAt)?.getTime() ?? Date.now()) < until;
  }

  async poll(): Promise<void> {
    if (this.disabled) return;
    const ecs = this.ctx.aws.ecs();
    try {
      const fresh = await this.freshArns();
      const tolerated = this.tolerated.size;
      for (let i = 0; i < fresh.length; i += 100) {
        const out = await ecs.send(new DescribeTasksCommand({ cluster: this.target.cluster, tasks: fresh.slice(i, i + 100) }));
        for (const t of out.tasks ?? []) {
          if (!t.taskArn) continue;
          if (!this.ours(t) || isRoutineStop(t)) this.other.add(t.taskArn);
          else if (this.inIamGrace(t)) this.tolerated.add(t.taskArn);
          else this.failed.set(t.taskArn, t);
        }
      }
      if (this.tolerated.size > tolerated) {
        const n = this.tolerated.size;
        this.ctx.progress(`${n} task${n === 1 ? '' : 's'} stopped because IAM has not made the new role usable yet; ECS starts replacements (not counted toward --max-failed-tasks)`);
      }
    } catch (err) {
      // Without task reads the wait still works; it just cannot stop early.
      this.disabled = true;
      const message = `cannot read stopped tasks (${shortError(err)}); waiting for the rollout without failing fast`;
      if (this.ctx.warn) this.ctx.warn(message);
      else this.ctx.progress(message);
    }
  }
}

interface Counts {
  desired: number;
  running: number;
  pending: number;
  failed: number;
}

/** Counts of the new revision's deployment when ECS reports them, else of the whole service. */
function countsOf(service: Service, ours: Deployment | undefined, stopped: number): Counts {
  const useDeployment = ours?.runningCount !== undefined && ours.desiredCount !== undefined;
  return {
    desired: (useDeployment ? ours!.desiredCount : service.desiredCount) ?? 0,
    running: (useDeployment ? ours!.runningCount : service.runningCount) ?? 0,
    pending: (useDeployment ? ours!.pendingCount : service.pendingCount) ?? 0,
    failed: Math.max(ours?.failedTasks ?? 0, stopped),
  };
}

function stoppedHint(target: RolloutTarget): string {
  return `aws ecs list-tasks --cluster ${target.cluster} --service-name ${target.service} --desired-status STOPPED lists the stopped tasks`;
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
  const seen = new Set<string>();
  const since = target.since?.getTime();
  const stopped = new StoppedTasks(ctx, target);
  const newEvents: string[] = [];
  let lastCounts = '';

  for (;;) {
    const service = await describe(ctx, target);

    for (const e of chronological(service.events ?? [])) {
      const key = eventKey(e);
      if (seen.has(key)) continue;
      seen.add(key);
      if (since !== undefined && e.createdAt && e.createdAt.getTime() < since) continue;
      if (e.message) {
        newEvents.push(e.message);
        ctx.progress(e.message);
      }
    }

    const ours = findOurs(service.deployments ?? [], target.taskDefinitionArn, target.deploymentId);
    const showCounts = () => {
      const c = countsOf(service, ours, stopped.count);
      const text = `${c.running}/${c.desired} running, ${c.pending} pending${c.failed ? `, ${c.failed} failed` : ''}`;
      if (text !== lastCounts) {
        ctx.progress(text);
        lastCounts = text;
      }
      return c;
    };

    const verdict = assessRollout(service, target.taskDefinitionArn, target.deploymentId);
    if (verdict.state === 'completed') {
      showCounts();
      return service;
    }
    if (verdict.state === 'failed' || verdict.state === 'rolled-back') {
      await stopped.poll(); // so the diagnosis can show the tasks that made ECS give up
      const counts = showCounts();
      const byEcs = verdict.rolledBackTo;
      if (byEcs) throw await failure(ctx, target, service, { kind: 'rolled-back', by: 'ecs', to: byEcs, reason: verdict.state === 'failed' ? verdict.reason : undefined }, counts, stopped, newEvents);
      if (verdict.state === 'failed') {
        const back = await rollBack(ctx, target);
        throw await failure(ctx, target, service, back ? { kind: 'rolled-back', by: 'ecs-kit', to: back, reason: verdict.reason } : { kind: 'failed', reason: verdict.reason }, counts, stopped, newEvents);
      }
    }

    await stopped.poll();
    const counts = showCounts();
    if (stopped.count >= ctx.options.maxFailedTasks) {
      const n = stopped.count;
      const reason = `${n} task${n === 1 ? '' : 's'} of ${revisionName(target.taskDefinitionArn)} stopped (--max-failed-tasks ${ctx.options.maxFailedTasks}).`;
      const back = await rollBack(ctx, target);
      throw await failure(ctx, target, service, back ? { kind: 'rolled-back', by: 'ecs-kit', to: back, reason } : { kind: 'failed', reason }, counts, stopped, newEvents);
    }

    const now = Date.now();
    if (now >= deadline) throw await failure(ctx, target, service, { kind: 'timed-out', waitedMs: now - started }, counts, stopped, newEvents);
    await pause(Math.min(ctx.options.pollIntervalMs, deadline - now), ctx.signal);
  }
}

/** Put the service back on the revision it ran before; returns that revision, or undefined when there is none or it is not allowed. */
async function rollBack(ctx: RolloutContext, target: RolloutTarget): Promise<string | undefined> {
  const previous = target.previousTaskDefinitionArn;
  if (!ctx.options.rollback || !previous || previous === target.taskDefinitionArn) return undefined;
  ctx.progress(`rolling service ${target.service} back to ${revisionName(previous)}`);
  await ctx.aws.ecs().send(new UpdateServiceCommand({ cluster: target.cluster, service: target.service, taskDefinition: previous }));
  return previous;
}

type Outcome =
  | { kind: 'failed'; reason: string }
  | { kind: 'rolled-back'; by: 'ecs' | 'ecs-kit'; to: string; reason?: string }
  | { kind: 'timed-out'; waitedMs: number };

async function failure(ctx: RolloutContext, target: RolloutTarget, service: Service, outcome: Outcome, counts: Counts, stopped: StoppedTasks, newEvents: string[]): Promise<RolloutError> {
  const rev = revisionName(target.taskDefinitionArn);
  const subject = `Rollout of ${rev} to service ${target.service}`;
  let code: string;
  let message: string;
  let reason: string;
  let fix: string;
  const fixTheCause = 'Fix the cause shown above (image, command, memory, secrets, health check path or port) and run `ecs-kit deploy` again';

  switch (outcome.kind) {
    case 'failed':
      code = 'rollout.failed';
      message = `${subject} failed.`;
      reason = outcome.reason;
      fix = target.previousTaskDefinitionArn && target.previousTaskDefinitionArn !== target.taskDefinitionArn
        ? `${fixTheCause}. The service was left on ${rev} (--no-rollback); ECS keeps retrying it, or its circuit breaker rolls it back.`
        : `${fixTheCause}. There is no earlier revision to go back to; ECS keeps retrying until then, and \`ecs-kit teardown\` removes it.`;
      break;
    case 'rolled-back':
      code = 'rollout.rolled-back';
      message =
        outcome.by === 'ecs'
          ? `${subject} rolled back: ECS put the service back on ${revisionName(outcome.to)}.`
          : `${subject} rolled back: ecs-kit put the service back on ${revisionName(outcome.to)}.`;
      reason =
        outcome.by === 'ecs'
          ? `The new tasks did not become healthy, so the deployment circuit breaker restored the previous revision.${outcome.reason ? ` ECS says: ${outcome.reason}` : ''}`
          : `${outcome.reason ?? 'The deployment failed.'} ECS is now replacing its tasks with ${revisionName(outcome.to)}; \`ecs-kit status\` shows the progress.`;
      fix = `${fixTheCause}. Use --no-rollback to leave a failing revision in place while you investigate.`;
      break;
    case 'timed-out': {
      code = 'rollout.timeout';
      const waited = formatDuration(outcome.waitedMs);
      message = `${subject} timed out: it did not finish rolling out within ${formatDuration(ctx.options.timeoutMs)} (desired ${counts.desired}, running ${counts.running}, pending ${counts.pending}).`;
      const deployments = service.deployments?.length ?? 0;
      reason =
        counts.running < counts.desired
          ? `tasks are not reaching RUNNING: ${counts.running} of ${counts.desired} running, ${counts.pending} pending after ${waited}.`
          : deployments > 1
            ? `${counts.running} of ${counts.desired} tasks are running but the previous deployment has not drained yet (${deployments} deployments active) after ${waited}.`
            : `${counts.running} of ${counts.desired} tasks running, ${counts.pending} pending, but the deployment has not been marked complete after ${waited}.`;
      fix = `Look at the diagnosis above (${stoppedHint(target)}); or re-run with a larger --timeout; --no-wait skips waiting. ECS keeps rolling out in the background either way.`;
      break;
    }
  }

  ctx.progress(`diagnosing: reading stopped tasks, target health and logs`);
  const region = ctx.region ?? ctx.aws.options.region ?? (await ctx.aws.region().catch(() => 'us-east-1'));
  const recent = (newEvents.length ? newEvents : chronological(service.events ?? []).map((e) => e.message ?? '')).slice(-5);
  const diagnosis = await diagnose(ctx, {
    cluster: target.cluster,
    service: target.service,
    region,
    taskDefinitionArn: target.taskDefinitionArn,
    verdict: outcome.kind,
    summary: message,
    ...(outcome.kind === 'rolled-back' ? { rolledBackTo: outcome.to, rolledBackBy: outcome.by } : {}),
    counts,
    stoppedTaskArns: stopped.arns(),
    targetGroupArns: (service.loadBalancers ?? []).map((l) => l.targetGroupArn).filter((a): a is string => Boolean(a)),
    events: recent,
  });
  const why = [reason, ...diagnosisLines(diagnosis)].join('\n');
  return new RolloutError(code, message, diagnosis, { why, fix }, outcome.kind === 'rolled-back' ? outcome.to : undefined);
}
