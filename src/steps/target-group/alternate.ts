import { DescribeTargetGroupsCommand, type Action, type Rule, type TargetGroup } from '@aws-sdk/client-elastic-load-balancing-v2';
import { findOwnedElb } from '../../aws/elb-ownership.js';
import { notOwnedError } from '../../aws/ownership.js';
import type { Change, StepContext } from '../../engine/types.js';
import { shiftsTraffic } from '../service/deployment-config.js';
import { deleteTargetGroup, ensureTargetGroup, type PlannedTargetGroup, type PortService } from './groups.js';
import { deregistrationDelayChange, healthChanges } from './health.js';
import type { TargetGroupStepState } from './index.js';

/**
 * Blue/green, linear and canary (services.<name>.deployment.strategy): ECS shifts production traffic between two
 * target groups by changing the weights of one forward-only listener rule ("Application Load Balancer resources for
 * blue/green, linear, and canary deployments", ECS Developer Guide,
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb-resources-for-blue-green.html). This module keeps
 * the second (alternate) group and says what the rule must forward to. ECS owns the weights and alternates which group
 * is live on every deployment (it rewrites the rule to a weighted ForwardConfig, go-to-k/cdk-real-drift#1730), so a
 * rule forwarding to exactly the two groups, with any weights, is as wanted.
 */

type Ctx = StepContext<TargetGroupStepState>;

export interface AlternateGroup {
  targetGroupArn: string;
  targetGroupName: string;
}

/** What plan found for the alternate group: the group to keep in shape (or create), or the one to delete. */
export interface PlannedAlternate {
  /** Wanted: the group as found (arn absent: create it). */
  keep?: PlannedTargetGroup;
  /** Not wanted any more (the service went back to rolling): delete it once the service no longer uses it. */
  retire?: AlternateGroup & { group: TargetGroup };
}

async function findByName(ctx: Ctx, name: string): Promise<TargetGroup | undefined> {
  return findOwnedElb(
    ctx,
    async () => (await ctx.aws.elbv2().send(new DescribeTargetGroupsCommand({ Names: [name] }))).TargetGroups?.[0],
    (tg) => tg.TargetGroupArn,
    () => notOwnedError('target-group.not-owned', `A target group named ${name}`, ctx.owner),
  );
}

/** Plan the alternate group of a service: create or fix it when the strategy shifts traffic, else retire one left over. */
export async function planAlternate(
  ctx: Ctx,
  svc: PortService,
  previous: AlternateGroup | undefined,
  changes: Change[],
): Promise<PlannedAlternate> {
  // A rolling service that never had one reads nothing more than before.
  if (!shiftsTraffic(svc) && !previous) return {};
  const name = previous?.targetGroupName ?? ctx.names.alternateTargetGroup(ctx.scope!);
  const found = await findByName(ctx, name);
  if (!shiftsTraffic(svc)) {
    if (!found?.TargetGroupArn) return {};
    changes.push({ field: 'alternateTargetGroup', before: name, after: null });
    return { retire: { targetGroupArn: found.TargetGroupArn, targetGroupName: name, group: found } };
  }
  if (!found?.TargetGroupArn) {
    changes.push({ field: 'alternateTargetGroup', after: `${name} (HTTP:${svc.port}, for ${svc.deployment.strategy} deployments)` });
    return { keep: { arn: '', name, healthDrift: true, attributeDrift: true } };
  }
  const health = healthChanges(found, svc).map((c) => ({ ...c, field: `alternateTargetGroup.${c.field}` }));
  const delay = await deregistrationDelayChange(ctx, found.TargetGroupArn, svc);
  changes.push(...health, ...(delay ? [{ ...delay, field: `alternateTargetGroup.${delay.field}` }] : []));
  return { keep: { arn: found.TargetGroupArn, name, healthDrift: health.length > 0, attributeDrift: delay !== undefined } };
}

/** Create the alternate group or fix what drifted; returns it. */
export async function ensureAlternate(ctx: Ctx, planned: PlannedTargetGroup, svc: PortService, vpcId: string): Promise<AlternateGroup> {
  const arn = await ensureTargetGroup(ctx, planned.arn ? planned : undefined, planned.name, svc, vpcId);
  return { targetGroupArn: arn, targetGroupName: planned.name };
}

export async function deleteAlternate(ctx: StepContext, group: AlternateGroup): Promise<void> {
  await deleteTargetGroup(ctx, group.targetGroupArn, group.targetGroupName);
}

/** The groups a rule forwards to, with their weights (a plain forward is one group at weight 1). */
export function forwardTargets(rule: Rule): { arn: string; weight: number }[] | undefined {
  const actions = rule.Actions ?? [];
  if (actions.length !== 1 || actions[0]!.Type !== 'forward') return undefined;
  const a = actions[0]!;
  const groups = a.ForwardConfig?.TargetGroups;
  if (groups?.length) return groups.map((g) => ({ arn: g.TargetGroupArn ?? '', weight: g.Weight ?? 1 }));
  return a.TargetGroupArn ? [{ arn: a.TargetGroupArn, weight: 1 }] : undefined;
}

/** The rule forwards to exactly these two groups, whatever the weights ECS set. */
export function forwardsToPair(rule: Rule, a: string, b: string): boolean {
  const targets = forwardTargets(rule);
  return targets?.length === 2 && targets.some((t) => t.arn === a) && targets.some((t) => t.arn === b);
}

/**
 * The production rule's action for a strategy that shifts traffic: forward only (ECS refuses rules that mix forward
 * with redirect or fixed-response), all traffic to `live`, none to the alternate; ECS moves the weights from there.
 */
export function weightedForward(live: string, alternate: string): Action[] {
  return [
    {
      Type: 'forward',
      ForwardConfig: {
        TargetGroups: [
          { TargetGroupArn: live, Weight: 100 },
          { TargetGroupArn: alternate, Weight: 0 },
        ],
      },
    },
  ];
}

/** The group a weighted rule sends (most) production traffic to: where the service's tasks are now. */
export function liveGroup(rule: Rule | undefined): string | undefined {
  const targets = rule ? forwardTargets(rule) : undefined;
  if (!targets?.length) return undefined;
  return [...targets].sort((x, y) => y.weight - x.weight)[0]!.arn;
}
