import type { Service } from '@aws-sdk/client-ecs';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { WaitTimeoutError, waitFor } from '../../aws/poll.js';
import { PendingDependency, type StepContext, type StepRef } from '../../engine/types.js';
import { waitForServiceDeployment } from '../../rollout/strategy-wait.js';
import { RolloutError, watchRollout } from '../../rollout/watch.js';
import { shiftsTraffic } from './deployment-config.js';
import { loadBalancerStep } from '../load-balancer/index.js';
import { executionRoleStep, taskRoleStep } from '../roles/index.js';
import { deleteRetiredTargetGroup, deleteTestListener, targetGroupStep, type TargetGroupStepState } from '../target-group/index.js';
import type { Desired } from './desired.js';
import type { ServiceState } from './index.js';

type Ctx = StepContext<ServiceState>;

/**
 * How long after a task or execution role changed ECS may still fail to use it: IAM takes 10–30 s
 * to make a new role assumable (terraform-provider-aws#6566) and ECS retries a failed launch about
 * 30 s later (pulumi-awsx#927). Two minutes leaves room for both.
 */
const IAM_GRACE_MS = 2 * 60_000;

/** A dependency's state, or undefined when the context has none to give (PendingDependency). */
function optionalDep<T extends object>(ctx: Pick<StepContext, 'dep'>, step: StepRef<T>, scope?: string): T | undefined {
  try {
    return ctx.dep(step, scope);
  } catch (err) {
    if (err instanceof PendingDependency) return undefined;
    throw err;
  }
}

/**
 * Until when the rollout watcher should not count tasks that IAM stopped: set only when the
 * service's execution or task role was created or changed within the grace period (real-aws.md #21).
 */
function iamGraceUntil(ctx: Pick<StepContext, 'dep' | 'scope'>, now = Date.now()): Date | undefined {
  const times = [optionalDep(ctx, executionRoleStep), optionalDep(ctx, taskRoleStep, ctx.scope)]
    .map((role) => role?.changedAt)
    .map((at) => (at ? Date.parse(at) : Number.NaN))
    .filter((t) => Number.isFinite(t));
  if (times.length === 0) return undefined;
  const until = Math.max(...times) + IAM_GRACE_MS;
  return until > now ? new Date(until) : undefined;
}

/**
 * The deployment a Create/UpdateService started: the PRIMARY one in its response, when that runs
 * our revision. An API that leaves deployments[] stale gets none, and the wait follows the revision.
 */
export function startedDeployment(service: Service | undefined, taskDefinition: string): string | undefined {
  const primary = service?.deployments?.find((x) => x.status === 'PRIMARY');
  return primary?.taskDefinition === taskDefinition ? primary.id : undefined;
}

interface RolloutStart {
  /** Events older than this were there before our change. */
  since: Date;
  /** What Create/UpdateService returned. */
  started: Service | undefined;
  /** What the service ran before this update: a failed rollout goes back to it. */
  previous?: string;
}

/**
 * Wait for the rollout Create/UpdateService started. Blue/green, linear and canary are followed through their service
 * deployment (stages, traffic, bake, pause hooks); rolling through DescribeServices. Returns the state to record: with
 * a note when the deployment paused at a hook or reached the `--wait-until` stage (it goes on without ecs-kit).
 */
export async function waitForRollout(ctx: Ctx, d: Desired, state: ServiceState, start: RolloutStart): Promise<ServiceState> {
  if (!ctx.options.wait) return state;
  if (ctx.service && shiftsTraffic(ctx.service)) return waitForStrategy(ctx, d, state, start.since);
  const deploymentId = startedDeployment(start.started, d.taskDefinition);
  const graceUntil = iamGraceUntil(ctx);
  try {
    await watchRollout(ctx, {
      cluster: d.cluster,
      service: d.serviceName,
      taskDefinitionArn: d.taskDefinition,
      since: start.since,
      ...(deploymentId ? { deploymentId } : {}),
      ...(start.previous ? { previousTaskDefinitionArn: start.previous } : {}),
      ...(graceUntil ? { iamGraceUntil: graceUntil } : {}),
    });
  } catch (err) {
    // The manifest says what the service runs: after a rollback that is the earlier revision.
    if (err instanceof RolloutError && err.rolledBackTo) await ctx.record({ ...state, taskDefinitionArn: err.rolledBackTo });
    throw err;
  }
  return state;
}

async function waitForStrategy(ctx: Ctx, d: Desired, state: ServiceState, since: Date): Promise<ServiceState> {
  const target = {
    cluster: d.cluster,
    service: d.serviceName,
    taskDefinitionArn: d.taskDefinition,
    since,
    targetGroupArns: d.loadBalancers
      .flatMap((l) => [l.targetGroupArn, l.advancedConfiguration?.alternateTargetGroupArn])
      .filter((a): a is string => Boolean(a)),
  };
  const settled = await waitForServiceDeployment(ctx, target, ctx.options.waitUntil ? { until: ctx.options.waitUntil } : {});
  if (settled.kind === 'completed') return state;
  if (settled.kind === 'paused') {
    ctx.progress(
      `paused at ${settled.stage}: \`ecs-kit continue ${ctx.scope}\` goes on, \`ecs-kit abort ${ctx.scope}\` rolls back (both follow the rollout)`,
    );
  } else {
    ctx.progress(`reached ${settled.stage} (--wait-until); ECS carries on, \`ecs-kit status\` shows where it is`);
  }
  const noted: ServiceState = { ...state, rollout: { outcome: settled.kind, stage: settled.stage, deploymentArn: settled.deploymentArn } };
  await ctx.record(noted);
  return noted;
}

/** After the rollout: a new load balancer must be active before its URL is printed; replaced target groups can go. */
export async function afterRollout(ctx: Ctx, d: Desired, movedLoadBalancers: boolean): Promise<void> {
  if (!movedLoadBalancers || !d.url) return;
  const lb = ctx.dep(loadBalancerStep);
  await waitForLoadBalancer(ctx, lb.loadBalancerArn, lb.loadBalancerName);
  // Without the wait the old tasks may still be draining from them: a later deploy deletes them.
  if (ctx.options.wait) await deleteReplacedTargetGroups(ctx, ctx.scope!, d);
}

/**
 * A new load balancer is `provisioning` for a few minutes and its DNS name may not answer yet
 * (ELB User Guide, "Load balancer state"). Called where the service's URL is produced, after its
 * rollout, so creating target groups and the service is never held up by it; by then the wait is
 * usually over, since targets only turn healthy once the load balancer is active. Polls like
 * waitUntilLoadBalancerAvailable, at the pace of every wait (src/aws/poll.ts) and within --timeout (at most 10 minutes).
 * With --no-wait it only says so. Never fails the deploy: the service itself is in place.
 */
async function waitForLoadBalancer(ctx: Ctx, loadBalancerArn: string, name: string): Promise<void> {
  const state = async () =>
    (await ctx.aws.elbv2().send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [loadBalancerArn] }))).LoadBalancers?.[0]?.State;
  let current = await state();
  if (current?.Code !== 'provisioning') return;
  if (!ctx.options.wait) {
    ctx.warn('load-balancer.provisioning', `Load balancer ${name} is still provisioning; its URL may take a few minutes to answer.`);
    return;
  }
  ctx.progress(`load balancer ${name} is provisioning; waiting for it to become active`);
  const bound = Math.min(ctx.options.timeoutMs, 10 * 60_000);
  try {
    current = await waitFor({
      what: `load balancer ${name} to become active`,
      check: async () => {
        const s = await state();
        return s?.Code === 'provisioning' ? undefined : (s ?? {});
      },
      timeoutMs: bound,
      signal: ctx.signal,
      progress: (m) => ctx.progress(m),
    });
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    ctx.warn(
      'load-balancer.provisioning',
      `Load balancer ${name} was still provisioning after ${Math.round(bound / 1000)}s; its URL may not answer yet.`,
    );
    return;
  }
  if (current.Code && current.Code !== 'active') {
    ctx.warn(
      'load-balancer.not-active',
      `Load balancer ${name} is ${current.Code}${current.Reason ? ` (${current.Reason})` : ''}; its URL may not answer.`,
    );
  }
}

/**
 * After the service has moved to a replacement target group and its rollout finished, delete the
 * groups the target-group step replaced: only now does no running task depend on them (#27).
 */
async function deleteReplacedTargetGroups(ctx: Ctx, scope: string, d: Desired): Promise<void> {
  // The target-group step records replaced groups beside the state it declares.
  const tg: TargetGroupStepState | undefined = optionalDep(ctx, targetGroupStep, scope);
  // A test listener no longer wanted (deployment.testPort removed or moved) goes first: its rule may forward to a retired group.
  const test = tg?.retiredTestListener;
  if (test && !d.loadBalancers.some((l) => l.advancedConfiguration?.testListenerRule === test.ruleArn)) await deleteTestListener(ctx, test);
  const inUse = d.loadBalancers.map((l) => l.targetGroupArn ?? '');
  for (const r of tg?.retired ?? []) {
    if (!inUse.includes(r.targetGroupArn)) await deleteRetiredTargetGroup(ctx, r);
  }
}
