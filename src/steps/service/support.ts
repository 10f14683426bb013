import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { sleep } from '../../aws/retry.js';
import { PendingDependency, type StepContext } from '../../engine/types.js';
import type { RoleStepState } from '../roles/index.js';
import { deleteRetiredTargetGroup, type TargetGroupStepState } from '../target-group/index.js';

/**
 * How long after a task or execution role changed ECS may still fail to use it: IAM takes 10–30 s
 * to make a new role assumable (terraform-provider-aws#6566) and ECS retries a failed launch about
 * 30 s later (pulumi-awsx#927). Two minutes leaves room for both.
 */
export const IAM_GRACE_MS = 2 * 60_000;

function optionalDep<T extends object>(ctx: Pick<StepContext, 'dep'>, id: string): T | undefined {
  try {
    return ctx.dep<T>(id);
  } catch (err) {
    if (err instanceof PendingDependency) return undefined;
    throw err;
  }
}

/**
 * Until when the rollout watcher should not count tasks that IAM stopped: set only when the
 * service's execution or task role was created or changed within the grace period (real-aws.md #21).
 */
export function iamGraceUntil(ctx: Pick<StepContext, 'dep' | 'scope'>, now = Date.now()): Date | undefined {
  const times = ['execution-role', `task-role:${ctx.scope}`]
    .map((id) => optionalDep<RoleStepState>(ctx, id)?.changedAt)
    .map((at) => (at ? Date.parse(at) : Number.NaN))
    .filter((t) => Number.isFinite(t));
  if (times.length === 0) return undefined;
  const until = Math.max(...times) + IAM_GRACE_MS;
  return until > now ? new Date(until) : undefined;
}

/**
 * A new load balancer is `provisioning` for a few minutes and its DNS name may not answer yet
 * (ELB User Guide, "Load balancer state"). Called where the service's URL is produced, after its
 * rollout, so creating target groups and the service is never held up by it; by then the wait is
 * usually over, since targets only turn healthy once the load balancer is active. Polls like
 * waitUntilLoadBalancerAvailable, but every ≤ 5 s and within --timeout (at most 10 minutes).
 * With --no-wait it only says so. Never fails the deploy: the service itself is in place.
 */
export async function waitForLoadBalancer(ctx: StepContext, loadBalancerArn: string, name: string): Promise<void> {
  const state = async () => (await ctx.aws.elbv2().send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [loadBalancerArn] }))).LoadBalancers?.[0]?.State;
  let current = await state();
  if (current?.Code !== 'provisioning') return;
  if (!ctx.options.wait) {
    ctx.warn(`Load balancer ${name} is still provisioning; its URL may take a few minutes to answer.`);
    return;
  }
  ctx.progress(`load balancer ${name} is provisioning; waiting for it to become active`);
  const bound = Math.min(ctx.options.timeoutMs, 10 * 60_000);
  const deadline = Date.now() + bound;
  while (current?.Code === 'provisioning' && Date.now() < deadline) {
    await sleep(Math.min(ctx.options.pollIntervalMs, 5_000, Math.max(1, deadline - Date.now())), ctx.signal);
    current = await state();
  }
  if (current?.Code === 'provisioning') ctx.warn(`Load balancer ${name} was still provisioning after ${Math.round(bound / 1000)}s; its URL may not answer yet.`);
  else if (current?.Code && current.Code !== 'active') ctx.warn(`Load balancer ${name} is ${current.Code}${current.Reason ? ` (${current.Reason})` : ''}; its URL may not answer.`);
}

/**
 * After the service has moved to a replacement target group and its rollout finished, delete the
 * groups the target-group step replaced: only now does no running task depend on them (#27).
 */
export async function deleteReplacedTargetGroups(ctx: StepContext, scope: string, inUse: string[]): Promise<void> {
  const tg = optionalDep<TargetGroupStepState>(ctx, `target-group:${scope}`);
  for (const r of tg?.retired ?? []) {
    if (!inUse.includes(r.targetGroupArn)) await deleteRetiredTargetGroup(ctx, r);
  }
}
