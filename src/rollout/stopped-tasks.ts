import { DescribeTasksCommand, ListTasksCommand, type ListTasksCommandInput, type Task } from '@aws-sdk/client-ecs';
import { errorName } from '../aws/errors.js';
import type { RolloutContext, RolloutTarget } from './watch.js';

/** ListTasks pages (100 tasks each) read per poll when listing the whole service's stopped tasks. */
const SERVICE_PAGES = 3;
/** A deployment's own stopped tasks: fail-fast stops long before this many pages. */
const DEPLOYMENT_PAGES = 20;

function shortError(err: unknown): string {
  const name = errorName(err);
  const message = err instanceof Error ? err.message : String(err);
  return name && !message.startsWith(name) ? `${name}: ${message}` : message;
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
function isIamPropagationStop(t: Task): boolean {
  const texts = [t.stoppedReason, ...(t.containers ?? []).map((c) => c.reason)].filter((x): x is string => Boolean(x));
  return texts.some(
    (x) =>
      /unable to assume the role/i.test(x) ||
      (/ResourceInitializationError|CannotPullContainerError/.test(x) && /AccessDenied|not authorized/i.test(x)),
  );
}

/**
 * Tracks stopped tasks of the new revision across polls. With the deployment id known, ListTasks
 * asks for exactly its tasks: ECS sets a service task's startedBy to the id of the deployment that
 * started it (ECS API reference, Task.startedBy), so a busy service's older stopped tasks cannot
 * push ours past the pages read. Otherwise it lists the service's stopped tasks. Either way
 * DescribeTasks (only for ARNs not seen before) decides which belong to our deployment.
 */
export class StoppedTasks {
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
      const input: ListTasksCommandInput = {
        cluster: this.target.cluster,
        ...filter,
        desiredStatus: 'STOPPED',
        ...(nextToken ? { nextToken } : {}),
      };
      const out = await this.ctx.aws.ecs().send(new ListTasksCommand(input));
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
        const tasks = `${n} task${n === 1 ? '' : 's'}`;
        this.ctx.progress(
          `${tasks} stopped because IAM has not made the new role usable yet; ECS starts replacements (not counted toward --max-failed-tasks)`,
        );
      }
    } catch (err) {
      // Without task reads the wait still works; it just cannot stop early.
      this.disabled = true;
      const message = `cannot read stopped tasks (${shortError(err)}); waiting for the rollout without failing fast`;
      if (this.ctx.warn) this.ctx.warn('rollout.stopped-tasks-unreadable', message);
      else this.ctx.progress(message);
    }
  }
}
