import {
  CreateRuleCommand,
  DeleteRuleCommand,
  DescribeRulesCommand,
  ModifyRuleCommand,
  SetRulePrioritiesCommand,
  type Action,
  type Rule,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { onceOptions } from '../../aws/create-once-options.js';
import { ignoreErrors } from '../../aws/deletion.js';
import { isAwsError } from '../../aws/errors.js';
import { createOnce } from '../../aws/idempotent.js';
import { ELB_NOT_FOUND, elbTags } from '../../aws/elb-ownership.js';
import { warnLeftInPlace } from '../../aws/ownership.js';
import { isOwnedBy, ownerTags } from '../../aws/tags.js';
import type { Change, StepContext } from '../../engine/types.js';
import type { LoadBalancerState } from '../load-balancer/index.js';
import { forwardTargets } from './alternate.js';
import { choosePriority, conditions, forward, forwardsTo, inBand, pathPatterns, rulePaths } from './routing.js';

/** A service's listener rule: path patterns forwarding to its target group, on the listener that routes. */

/** Our rule as plan found it, and what apply must fix. */
export interface PlannedRule {
  arn: string;
  conditionsDrift: boolean;
  actionDrift: boolean;
  priority?: number;
}

/** With HTTPS the rules live on the 443 listener; port 80 only redirects there. */
export const routingListener = (lb: LoadBalancerState) => lb.httpsListenerArn || lb.listenerArn;

async function listRules(ctx: StepContext, listenerArn: string): Promise<Rule[]> {
  const rules: Rule[] = [];
  let marker: string | undefined;
  do {
    const out = await ctx.aws.elbv2().send(new DescribeRulesCommand({ ListenerArn: listenerArn, Marker: marker }));
    rules.push(...(out.Rules ?? []));
    marker = out.NextMarker;
  } while (marker);
  return rules;
}

/** The rule forwards to the group, alone or weighted beside another (blue/green, linear, canary). */
const sendsTo = (rule: Rule, targetGroupArn: string) => forwardTargets(rule)?.some((t) => t.arn === targetGroupArn) ?? false;

function ownRule(rules: Rule[], previousArn: string | undefined, tg: TargetGroup | undefined): Rule | undefined {
  return (
    rules.find((r) => previousArn && r.RuleArn === previousArn) ??
    (tg ? rules.find((r) => !r.IsDefault && sendsTo(r, tg.TargetGroupArn!)) : undefined)
  );
}

/** The rules on the routing listener (for free priorities), ours among them, and our rule left on port 80 once HTTPS is on. */
export interface FoundRules {
  rules: Rule[];
  rule?: Rule;
  staleRuleArn?: string;
}

export async function findRules(
  ctx: StepContext,
  lb: LoadBalancerState,
  previousArn: string | undefined,
  tg: TargetGroup | undefined,
): Promise<FoundRules> {
  const rules = await listRules(ctx, routingListener(lb));
  const rule = ownRule(rules, previousArn, tg);
  // HTTPS was just turned on (or a run died mid-move): our rule on port 80 moves to 443.
  const stale = lb.httpsListenerArn ? ownRule(await listRules(ctx, lb.listenerArn), previousArn, tg) : undefined;
  return { rules, rule, staleRuleArn: stale?.RuleArn };
}

/** What to do with our listener rule for an existing group; the changes found go into `changes`. */
export function planRule(
  o: FoundRules & { path: string; tg: TargetGroup; name: string; forwardsAsWanted?: (rule: Rule) => boolean },
  changes: Change[],
): PlannedRule | undefined {
  const { rule, path, name } = o;
  if (!rule && o.staleRuleArn) {
    changes.push({ field: 'rule.listener', before: 'HTTP:80', after: 'HTTPS:443' });
    return undefined;
  }
  if (!rule) {
    changes.push({ field: 'rule', after: `${pathPatterns(path).join(', ')} → ${name}` });
    return undefined;
  }
  if (o.staleRuleArn) changes.push({ field: 'rule.onHttpListener', before: o.staleRuleArn, after: null });
  const wantedPaths = [...pathPatterns(path)].sort();
  const actualPaths = rulePaths(rule);
  const conditionsDrift = !actualPaths || actualPaths.join('\n') !== wantedPaths.join('\n');
  if (conditionsDrift) changes.push({ field: 'rule.pathPattern', before: actualPaths, after: wantedPaths });
  const actionDrift = !(o.forwardsAsWanted ?? ((r: Rule) => forwardsTo(r, o.tg.TargetGroupArn!)))(rule);
  if (actionDrift) changes.push({ field: 'rule.action', before: rule.Actions?.[0]?.Type, after: `forward to ${name}` });
  const current = Number(rule.Priority);
  const priority = inBand(path, current) ? undefined : choosePriority(path, o.rules, rule.RuleArn);
  if (priority !== undefined) changes.push({ field: 'rule.priority', before: current, after: priority });
  return { arn: rule.RuleArn!, conditionsDrift, actionDrift, priority };
}

async function createRule(
  ctx: StepContext,
  o: { listenerArn: string; path: string; targetGroupArn: string; service: string; actions?: Action[] },
): Promise<string> {
  const { listenerArn, path, targetGroupArn, service } = o;
  // Another service's target-group step may take the same priority at the same moment; re-read and pick again.
  // CreateRule has no idempotency token: after a lost response, a rule forwarding to our
  // (per-service) target group is the one an earlier attempt made.
  const ours = async () => (await listRules(ctx, listenerArn)).find((r) => !r.IsDefault && sendsTo(r, targetGroupArn))?.RuleArn;
  for (let attempt = 1; ; attempt++) {
    const rules = await listRules(ctx, listenerArn);
    const priority = choosePriority(path, rules);
    try {
      return await createOnce({
        create: async () =>
          (
            await ctx.aws.once.elbv2().send(
              new CreateRuleCommand({
                ListenerArn: listenerArn,
                Priority: priority,
                Conditions: conditions(path),
                Actions: o.actions ?? forward(targetGroupArn),
                Tags: ownerTags(ctx.owner, `listener-rule:${service}`),
              }),
            )
          ).Rules![0]!.RuleArn!,
        find: ours,
        ...onceOptions(ctx),
      });
    } catch (err) {
      if (!isAwsError(err, 'PriorityInUseException', 'PriorityInUse') || attempt >= 3) throw err;
      const existing = await ours();
      if (existing) return existing;
    }
  }
}

/** Create our rule when plan found none, else fix what drifted; returns its ARN. */
export async function ensureRule(
  ctx: StepContext,
  planned: PlannedRule | undefined,
  o: { listenerArn: string; path: string; targetGroupArn: string; service: string; actions?: Action[] },
): Promise<string> {
  if (!planned?.arn) return createRule(ctx, o);
  const elbv2 = ctx.aws.elbv2();
  if (planned.conditionsDrift || planned.actionDrift) {
    const Actions = o.actions ?? forward(o.targetGroupArn);
    await elbv2.send(new ModifyRuleCommand({ RuleArn: planned.arn, Conditions: conditions(o.path), Actions }));
  }
  if (planned.priority !== undefined) {
    await elbv2.send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: planned.arn, Priority: planned.priority }] }));
  }
  return planned.arn;
}

/** A rule that is already gone counts as deleted. */
export async function deleteRule(ctx: StepContext, ruleArn: string): Promise<void> {
  await ctx.aws
    .elbv2()
    .send(new DeleteRuleCommand({ RuleArn: ruleArn }))
    .catch(ignoreErrors(...ELB_NOT_FOUND));
}

/**
 * At teardown: delete our rule. False when its tags say someone else made it: the rule keeps the
 * target group in use, so the caller leaves the group too.
 */
export async function deleteOwnRule(ctx: StepContext, ruleArn: string, targetGroupName: string): Promise<boolean> {
  const exists = await ctx.aws
    .elbv2()
    .send(new DescribeRulesCommand({ RuleArns: [ruleArn] }))
    .then((o) => (o.Rules?.length ?? 0) > 0)
    .catch((err) => {
      if (isAwsError(err, ...ELB_NOT_FOUND)) return false;
      throw err;
    });
  if (!exists) return true;
  const tags = await elbTags(ctx, ruleArn);
  if (tags && !isOwnedBy(tags, ctx.owner)) {
    warnLeftInPlace(ctx, `listener rule ${ruleArn} and target group ${targetGroupName}`, "the rule's");
    return false;
  }
  await deleteRule(ctx, ruleArn);
  return true;
}
