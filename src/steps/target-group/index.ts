import { createHash } from 'node:crypto';
import {
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteRuleCommand,
  DeleteTargetGroupCommand,
  DescribeRulesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ModifyRuleCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
  SetRulePrioritiesCommand,
  type Rule,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { isAwsError } from '../../aws/errors.js';
import { createOnce } from '../../aws/idempotent.js';
import { isOwnedBy, ownerTags } from '../../aws/tags.js';
import type { ServiceConfig } from '../../config/schema.js';
import { EcsKitError } from '../../errors.js';
import type { Change, StepContext, StepModule, StepPlan } from '../../engine/types.js';
import { onceOptions } from '../../aws/create-once-options.js';
import { deleteWithRetry, ignoreErrors } from '../../aws/deletion.js';
import { ELB_NOT_FOUND, elbTags, notOwnedError } from '../../aws/ownership.js';
import { requireIds } from '../../engine/require-ids.js';
import { choosePriority, conditions, forward, forwardsTo, inBand, normalizePath, pathPatterns, rulePaths } from './routing.js';
import type { LoadBalancerState, NetworkState } from '../states.js';

export interface TargetGroupState {
  targetGroupArn: string;
  targetGroupName: string;
  ruleArn: string;
}

type Ctx = StepContext<TargetGroupState>;

/** A group ecs-kit replaced; it is deleted once no service and no rule use it. */
export interface RetiredTargetGroup {
  targetGroupArn: string;
  targetGroupName: string;
}

/** What the step records: the group in use, plus replaced groups not deleted yet. */
export interface TargetGroupStepState extends TargetGroupState {
  retired?: RetiredTargetGroup[];
}

export { ROOT_PRIORITY, choosePriority, normalizePath, pathPatterns, rulePriority } from './routing.js';

/** Bridge-mode tasks are reached at instance:dynamic port; every other task has its own IP. */
export function targetTypeFor(svc: Pick<ServiceConfig, 'capacity' | 'networkMode'>): 'ip' | 'instance' {
  return svc.capacity === 'ec2' && svc.networkMode === 'bridge' ? 'instance' : 'ip';
}

/** Port, protocol, target type and VPC: fixed when a target group is created. */
interface FixedFields {
  port: number;
  protocol: string;
  targetType: string;
  vpcId: string;
}

/**
 * The name of a replacement group. A group's fixed fields cannot change and its name is unique,
 * so the new one gets a name of its own (a hash of the fixed fields) and both can exist while
 * the service moves over; the same fields always give the same name, so a retry adopts it.
 * Target group names: at most 32 letters, digits and hyphens, not starting or ending with one.
 */
export function replacementName(base: string, f: FixedFields): string {
  const hash = createHash('sha256').update(`${base}|${f.protocol}:${f.port}|${f.targetType}|${f.vpcId}`).digest('hex').slice(0, 6);
  return `${base.slice(0, 32 - 7).replace(/-+$/, '')}-${hash}`;
}

export const HEALTH = { matcher: '200-399', intervalSeconds: 15, healthyThreshold: 2, unhealthyThreshold: 3 };
export const DEREGISTRATION_DELAY_SECONDS = '30';
const DEREGISTRATION_DELAY = 'deregistration_delay.timeout_seconds';

function serviceOf(ctx: Ctx): { name: string; svc: ServiceConfig & { port: number } } {
  const svc = ctx.service;
  if (!ctx.scope || !svc || svc.port === undefined) {
    throw new EcsKitError('target-group.scope', `The target-group step needs a service with a port (got ${ctx.scope ?? 'none'}).`);
  }
  return { name: ctx.scope, svc: svc as ServiceConfig & { port: number } };
}

function wantedFixed(svc: ServiceConfig & { port: number }, network: NetworkState): FixedFields {
  return { port: svc.port, protocol: 'HTTP', targetType: targetTypeFor(svc), vpcId: network.vpcId };
}

/**
 * The group the service uses: the one the manifest names, else one under the base name, else one
 * a replacement made for exactly these fixed fields (found again after a lost manifest). With a
 * manifest, the first look finds it: a deploy that changes nothing makes one call, as before.
 */
async function locateTargetGroup(ctx: Ctx, fixed: FixedFields, retired: RetiredTargetGroup[]): Promise<TargetGroup | undefined> {
  const base = ctx.names.targetGroup(ctx.scope!);
  const candidates = [...new Set([ctx.previous?.targetGroupName, base, replacementName(base, fixed)].filter((n): n is string => Boolean(n)))];
  for (const name of candidates) {
    if (retired.some((r) => r.targetGroupName === name)) continue;
    const tg = await findTargetGroup(ctx, name);
    if (tg) return tg;
  }
  return undefined;
}

/**
 * Groups an earlier deploy replaced and could not delete yet (it did not wait for the rollout, or
 * failed before the service moved): gone ones are forgotten; one with no registered target is
 * deleted now; one that still has targets (a service still sends it tasks) is kept for later.
 */
async function retiredStillThere(ctx: Ctx): Promise<{ all: RetiredTargetGroup[]; keep: RetiredTargetGroup[]; remove: RetiredTargetGroup[] }> {
  const all = (ctx.previous as TargetGroupStepState | undefined)?.retired ?? [];
  const keep: RetiredTargetGroup[] = [];
  const remove: RetiredTargetGroup[] = [];
  for (const r of all) {
    const there = await ctx.aws
      .elbv2()
      .send(new DescribeTargetGroupsCommand({ TargetGroupArns: [r.targetGroupArn] }))
      .then((o) => (o.TargetGroups?.length ?? 0) > 0)
      .catch(ignoreErrors(...ELB_NOT_FOUND));
    if (!there) continue;
    const targets = (await ctx.aws.elbv2().send(new DescribeTargetHealthCommand({ TargetGroupArn: r.targetGroupArn }))).TargetHealthDescriptions ?? [];
    (targets.length ? keep : remove).push(r);
  }
  return { all, keep, remove };
}

async function findTargetGroup(ctx: Ctx, name: string): Promise<TargetGroup | undefined> {
  let tg: TargetGroup | undefined;
  try {
    tg = (await ctx.aws.elbv2().send(new DescribeTargetGroupsCommand({ Names: [name] }))).TargetGroups?.[0];
  } catch (err) {
    if (isAwsError(err, 'TargetGroupNotFoundException', 'TargetGroupNotFound')) return undefined;
    throw err;
  }
  if (!tg?.TargetGroupArn) return undefined;
  const tags = await elbTags(ctx, tg.TargetGroupArn);
  if (!tags) return undefined;
  if (!isOwnedBy(tags, ctx.owner)) throw notOwnedError('target-group.not-owned', `A target group named ${name}`, ctx.owner);
  return tg;
}

async function listRules(ctx: Ctx, listenerArn: string): Promise<Rule[]> {
  const rules: Rule[] = [];
  let marker: string | undefined;
  do {
    const out = await ctx.aws.elbv2().send(new DescribeRulesCommand({ ListenerArn: listenerArn, Marker: marker }));
    rules.push(...(out.Rules ?? []));
    marker = out.NextMarker;
  } while (marker);
  return rules;
}

interface PlanData {
  tg?: { arn: string; name: string; healthDrift: boolean; attributeDrift: boolean };
  rule?: { arn: string; conditionsDrift: boolean; actionDrift: boolean; priority?: number };
  /** Our rule on the port 80 listener once HTTPS is on: deleted after the 443 rule exists. */
  staleRuleArn?: string;
  /** Replaced groups still there: `keep` ones still have targets, `remove` ones are deleted now. */
  retired?: { keep: RetiredTargetGroup[]; remove: RetiredTargetGroup[] };
}

/** What to do with our listener rule for an existing group; the changes found go into `changes`. */
function planRule(o: { rule?: Rule; rules: Rule[]; staleRuleArn?: string; path: string; tg: TargetGroup; name: string }, changes: Change[]): PlanData['rule'] {
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
  const actionDrift = !forwardsTo(rule, o.tg.TargetGroupArn!);
  if (actionDrift) changes.push({ field: 'rule.action', before: rule.Actions?.[0]?.Type, after: `forward to ${name}` });
  const current = Number(rule.Priority);
  const priority = inBand(path, current) ? undefined : choosePriority(path, o.rules, rule.RuleArn);
  if (priority !== undefined) changes.push({ field: 'rule.priority', before: current, after: priority });
  return { arn: rule.RuleArn!, conditionsDrift, actionDrift, priority };
}

/** With HTTPS the rules live on the 443 listener; port 80 only redirects there. */
const routingListener = (lb: LoadBalancerState) => lb.httpsListenerArn || lb.listenerArn;

function ownRule(rules: Rule[], previousArn: string | undefined, tg: TargetGroup | undefined): Rule | undefined {
  return rules.find((r) => previousArn && r.RuleArn === previousArn) ?? (tg ? rules.find((r) => !r.IsDefault && forwardsTo(r, tg.TargetGroupArn!)) : undefined);
}

function healthChanges(tg: TargetGroup, svc: ServiceConfig): Change[] {
  const changes: Change[] = [];
  // Only fields the API returned are compared, so a partial response never looks like drift.
  const check = (field: string, before: unknown, after: unknown) => {
    if (before !== undefined && before !== after) changes.push({ field, before, after });
  };
  check('healthCheckPath', tg.HealthCheckPath, svc.healthCheckPath);
  check('healthCheckMatcher', tg.Matcher?.HttpCode, HEALTH.matcher);
  check('healthCheckIntervalSeconds', tg.HealthCheckIntervalSeconds, HEALTH.intervalSeconds);
  check('healthyThresholdCount', tg.HealthyThresholdCount, HEALTH.healthyThreshold);
  check('unhealthyThresholdCount', tg.UnhealthyThresholdCount, HEALTH.unhealthyThreshold);
  return changes;
}

function healthSettings(svc: ServiceConfig) {
  return {
    HealthCheckProtocol: 'HTTP' as const,
    HealthCheckPath: svc.healthCheckPath,
    Matcher: { HttpCode: HEALTH.matcher },
    HealthCheckIntervalSeconds: HEALTH.intervalSeconds,
    HealthyThresholdCount: HEALTH.healthyThreshold,
    UnhealthyThresholdCount: HEALTH.unhealthyThreshold,
  };
}

export const targetGroupStep: StepModule<TargetGroupState> = {
  kind: 'target-group',
  title: (scope) => `Target group and listener rule (${scope})`,
  instances: (config) =>
    Object.entries(config.services)
      .filter(([, svc]) => svc.port !== undefined)
      .map(([name]) => ({ scope: name, dependsOn: ['network', 'load-balancer'] })),

  async plan(ctx): Promise<StepPlan<TargetGroupState>> {
    const network = ctx.dep<NetworkState>('network');
    requireIds('network', network.vpcId);
    const lb = ctx.dep<LoadBalancerState>('load-balancer');
    requireIds('load-balancer', lb.loadBalancerArn, lb.listenerArn);
    const { svc } = serviceOf(ctx);
    const base = ctx.names.targetGroup(ctx.scope!);
    const path = normalizePath(svc.path);
    const retired = await retiredStillThere(ctx);

    const tg = await locateTargetGroup(ctx, wantedFixed(svc, network), retired.all);
    const name = tg?.TargetGroupName ?? base;
    const rules = await listRules(ctx, routingListener(lb));
    const rule = ownRule(rules, ctx.previous?.ruleArn, tg);
    // HTTPS was just turned on (or a run died mid-move): our rule on port 80 moves to 443.
    const stale = lb.httpsListenerArn ? ownRule(await listRules(ctx, lb.listenerArn), ctx.previous?.ruleArn, tg) : undefined;
    const staleRuleArn = stale?.RuleArn;
    const retiredData = { keep: retired.keep, remove: retired.remove };
    const retiredChanges: Change[] = retired.remove.map((r) => ({ field: 'retiredTargetGroup', before: r.targetGroupName, after: null }));

    if (!tg) {
      return {
        action: 'create',
        changes: [
          { field: 'targetGroup', after: `${base} (HTTP:${svc.port}, health check ${svc.healthCheckPath})` },
          { field: 'rule', after: `${pathPatterns(path).join(', ')} → ${base}` },
          ...retiredChanges,
        ],
        data: { rule: rule && { arn: rule.RuleArn!, conditionsDrift: true, actionDrift: true }, staleRuleArn, retired: retiredData } satisfies PlanData,
      };
    }

    // Port, protocol, VPC and target type of a target group are fixed at creation.
    const fixed: Change[] = [];
    const fixedCheck = (field: string, before: unknown, after: unknown) => {
      if (before !== undefined && before !== after) fixed.push({ field, before, after });
    };
    fixedCheck('port', tg.Port, svc.port);
    fixedCheck('protocol', tg.Protocol, 'HTTP');
    fixedCheck('vpc', tg.VpcId, network.vpcId);
    fixedCheck('targetType', tg.TargetType, targetTypeFor(svc));
    if (fixed.length) {
      const data: PlanData = {
        tg: { arn: tg.TargetGroupArn!, name, healthDrift: true, attributeDrift: true },
        rule: rule && { arn: rule.RuleArn!, conditionsDrift: true, actionDrift: true },
        staleRuleArn,
        retired: retiredData,
      };
      return { action: 'replace', changes: [...fixed, ...retiredChanges], data };
    }

    const changes = [...healthChanges(tg, svc), ...retiredChanges];
    const attrs = (await ctx.aws.elbv2().send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn }))).Attributes ?? [];
    const delay = attrs.find((a) => a.Key === DEREGISTRATION_DELAY)?.Value;
    const attributeDrift = delay !== undefined && delay !== DEREGISTRATION_DELAY_SECONDS;
    if (attributeDrift) changes.push({ field: DEREGISTRATION_DELAY, before: delay, after: DEREGISTRATION_DELAY_SECONDS });

    const ruleData = planRule({ rule, rules, staleRuleArn, path, tg, name }, changes);
    const data: PlanData = { tg: { arn: tg.TargetGroupArn!, name, healthDrift: healthChanges(tg, svc).length > 0, attributeDrift }, rule: ruleData, staleRuleArn, retired: retiredData };
    // Replaced groups that still have targets stay recorded until a later deploy can delete them.
    const keep = [...retired.keep, ...retired.remove];
    const current: TargetGroupStepState = { targetGroupArn: tg.TargetGroupArn!, targetGroupName: name, ruleArn: rule?.RuleArn ?? '', ...(keep.length ? { retired: keep } : {}) };
    return { action: changes.length ? 'update' : 'noop', changes, current, data };
  },

  async apply(ctx, plan): Promise<TargetGroupState> {
    const network = ctx.dep<NetworkState>('network');
    const lb = ctx.dep<LoadBalancerState>('load-balancer');
    const { name: service, svc } = serviceOf(ctx);
    const elbv2 = ctx.aws.elbv2();
    const path = normalizePath(svc.path);
    const data = plan.data as PlanData;
    let tg = data.tg;
    const rule = data.rule;
    const retired = [...(data.retired?.keep ?? [])];
    const base = ctx.names.targetGroup(service);
    // A new group never takes the name of a replaced one that still exists.
    let name = tg?.name ?? (data.retired?.remove.concat(retired).some((r) => r.targetGroupName === base) ? replacementName(base, wantedFixed(svc, network)) : base);

    if (plan.action === 'replace') {
      // Create the new group beside the old one and point the rule at it; the service step then
      // moves the service (UpdateService) and only after that is the old group deleted: a group
      // that no rule uses can be deleted even while a service still sends it tasks (DeleteTargetGroup).
      const old = tg!;
      name = replacementName(base, wantedFixed(svc, network));
      ctx.progress(`replacing target group ${old.name} with ${name}: ${plan.changes.filter((c) => c.field !== 'retiredTargetGroup').map((c) => `${c.field} ${String(c.before)} → ${String(c.after)}`).join(', ')}`);
      retired.push({ targetGroupArn: old.arn, targetGroupName: old.name });
      tg = undefined;
    }

    let arn = tg?.arn;
    if (!arn) {
      ctx.progress(`creating target group ${name}`);
      arn = await createTargetGroup(ctx, name, svc, network.vpcId);
    } else if (tg!.healthDrift) {
      await elbv2.send(new ModifyTargetGroupCommand({ TargetGroupArn: arn, ...healthSettings(svc) }));
    }
    // Faster rollouts: the default 300 s drain holds every deployment for five minutes.
    if (!tg || tg.attributeDrift) {
      await elbv2.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes: [{ Key: DEREGISTRATION_DELAY, Value: DEREGISTRATION_DELAY_SECONDS }] }));
    }

    let ruleArn = rule?.arn;
    if (!ruleArn) {
      ruleArn = await createRule(ctx, routingListener(lb), path, arn, service);
    } else {
      if (rule!.conditionsDrift || rule!.actionDrift) {
        await elbv2.send(new ModifyRuleCommand({ RuleArn: ruleArn, Conditions: conditions(path), Actions: forward(arn) }));
      }
      if (rule!.priority !== undefined) {
        await elbv2.send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: ruleArn, Priority: rule!.priority }] }));
      }
    }
    // Only now: until the 443 rule exists, the old one keeps serving plain HTTP.
    if (data.staleRuleArn && data.staleRuleArn !== ruleArn) {
      await elbv2.send(new DeleteRuleCommand({ RuleArn: data.staleRuleArn })).catch(ignoreErrors(...ELB_NOT_FOUND));
    }
    // Replaced in an earlier run, and nothing is registered in them any more.
    for (const r of data.retired?.remove ?? []) {
      if (!(await deleteRetiredTargetGroup(ctx, r))) retired.push(r);
    }
    const state: TargetGroupStepState = { targetGroupArn: arn, targetGroupName: name, ruleArn, ...(retired.length ? { retired } : {}) };
    return state;
  },

  async destroy(ctx, state): Promise<void> {
    const elbv2 = ctx.aws.elbv2();
    if (state.ruleArn) {
      const exists = await elbv2
        .send(new DescribeRulesCommand({ RuleArns: [state.ruleArn] }))
        .then((o) => (o.Rules?.length ?? 0) > 0)
        .catch((err) => {
          if (isAwsError(err, ...ELB_NOT_FOUND)) return false;
          throw err;
        });
      if (exists) {
        const tags = await elbTags(ctx, state.ruleArn);
        if (tags && !isOwnedBy(tags, ctx.owner)) {
          // The rule keeps the target group in use, so the group has to stay too.
          ctx.warn(`Left listener rule ${state.ruleArn} and target group ${state.targetGroupName} in place: the rule's tags do not say ecs-kit created it for this app/env.`);
          return;
        }
        await elbv2.send(new DeleteRuleCommand({ RuleArn: state.ruleArn })).catch(ignoreErrors(...ELB_NOT_FOUND));
      }
    }
    await deleteTargetGroup(ctx, state.targetGroupArn, state.targetGroupName);
    // Groups replaced earlier and not deleted yet: the service is gone by now.
    for (const r of (state as TargetGroupStepState).retired ?? []) await deleteTargetGroup(ctx, r.targetGroupArn, r.targetGroupName);
  },
};

async function createTargetGroup(ctx: Ctx, name: string, svc: ServiceConfig & { port: number }, vpcId: string): Promise<string> {
  // A retry after a lost response can meet DuplicateTargetGroupName: adopt ours by name.
  return createOnce({
    create: async () =>
      (
        await ctx.aws.once.elbv2().send(
          new CreateTargetGroupCommand({
            Name: name,
            Protocol: 'HTTP',
            Port: svc.port,
            VpcId: vpcId,
            TargetType: targetTypeFor(svc),
            ...healthSettings(svc),
            Tags: ownerTags(ctx.owner, 'target-group'),
          }),
        )
      ).TargetGroups![0]!.TargetGroupArn!,
    find: async () => {
      const found = await ctx.aws.elbv2().send(new DescribeTargetGroupsCommand({ Names: [name] })).catch(ignoreErrors(...ELB_NOT_FOUND));
      const tgArn = found?.TargetGroups?.[0]?.TargetGroupArn;
      return tgArn && isOwnedBy(await elbTags(ctx, tgArn), ctx.owner) ? tgArn : undefined;
    },
    alreadyExists: ['DuplicateTargetGroupNameException', 'DuplicateTargetGroupName'],
    ...onceOptions(ctx),
  });
}

async function createRule(ctx: Ctx, listenerArn: string, path: string, targetGroupArn: string, service: string): Promise<string> {
  // Another service's target-group step may take the same priority at the same moment; re-read and pick again.
  // CreateRule has no idempotency token: after a lost response, a rule forwarding to our
  // (per-service) target group is the one an earlier attempt made.
  const ours = async () => (await listRules(ctx, listenerArn)).find((r) => !r.IsDefault && forwardsTo(r, targetGroupArn))?.RuleArn;
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
                Actions: forward(targetGroupArn),
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

/**
 * Delete a group this step replaced, once nothing uses it: one attempt, no waiting. Still in use
 * (a rule, or the service not moved yet) → false, and a later deploy tries again.
 */
export async function deleteRetiredTargetGroup(ctx: StepContext, r: RetiredTargetGroup): Promise<boolean> {
  ctx.progress(`deleting target group ${r.targetGroupName}, which was replaced`);
  try {
    await deleteTargetGroup(ctx, r.targetGroupArn, r.targetGroupName, false);
    return true;
  } catch (err) {
    if (!isAwsError(err, 'ResourceInUseException', 'ResourceInUse')) throw err;
    ctx.warn(`Target group ${r.targetGroupName} was replaced but is still in use; the next deploy deletes it.`);
    return false;
  }
}

async function deleteTargetGroup(ctx: StepContext, arn: string, name: string, retry = true): Promise<void> {
  let exists: boolean;
  try {
    exists = ((await ctx.aws.elbv2().send(new DescribeTargetGroupsCommand({ TargetGroupArns: [arn] }))).TargetGroups?.length ?? 0) > 0;
  } catch (err) {
    if (!isAwsError(err, ...ELB_NOT_FOUND)) throw err;
    exists = false;
  }
  if (!exists) return;
  const tags = await elbTags(ctx, arn);
  if (!tags) return;
  if (!isOwnedBy(tags, ctx.owner)) {
    ctx.warn(`Left target group ${name} in place: its tags do not say ecs-kit created it for this app/env.`);
    return;
  }
  if (!retry) {
    await ctx.aws.elbv2().send(new DeleteTargetGroupCommand({ TargetGroupArn: arn })).catch(ignoreErrors(...ELB_NOT_FOUND));
    return;
  }
  try {
    await deleteWithRetry(ctx, () => ctx.aws.elbv2().send(new DeleteTargetGroupCommand({ TargetGroupArn: arn })), {
      what: `target group ${name}`,
      retryOn: ['ResourceInUseException', 'ResourceInUse'],
      goneOn: ELB_NOT_FOUND,
    });
  } catch (err) {
    if (!isAwsError(err, 'ResourceInUseException', 'ResourceInUse')) throw err;
    throw new EcsKitError('target-group.in-use', `Target group ${name} is still in use and could not be deleted.`, {
      why: 'A listener rule still points at it.',
      fix: 'Run `ecs-kit teardown` and deploy again, or wait for the service to release the group and re-run the command.',
      cause: err,
    });
  }
}
