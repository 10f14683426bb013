import { isPublic } from '../../config/services.js';
import type { Rule, TargetGroup } from '@aws-sdk/client-elastic-load-balancing-v2';
import { requireIds } from '../../engine/require-ids.js';
import { after, type Change, type StepContext, type StepModule, type StepPlan } from '../../engine/types.js';
import { EcsKitError } from '../../errors.js';
import { loadBalancerStep } from '../load-balancer/index.js';
import { networkStep, type NetworkState } from '../network/index.js';
import {
  deleteRetiredTargetGroup,
  deleteTargetGroup,
  ensureTargetGroup,
  locateTargetGroup,
  replacementName,
  retiredStillThere,
  targetTypeFor,
  type FixedFields,
  type PlannedTargetGroup,
  type PortService,
  type RetiredTargetGroup,
} from './groups.js';
import { deregistrationDelayChange, healthChanges } from './health.js';
import { normalizePath, pathPatterns } from './routing.js';
import { deleteOwnRule, deleteRule, ensureRule, findRules, planRule, routingListener, type FoundRules, type PlannedRule } from './rules.js';
import { targetGroupPermissions } from './permissions.js';
import { shiftsTraffic, testPortOf } from '../service/deployment-config.js';
import { deleteTestListener, ensureTestListener, planTestListener, type PlannedTestListener, type TestListener } from './test-listener.js';
import {
  deleteAlternate,
  ensureAlternate,
  forwardsToPair,
  liveGroup,
  planAlternate,
  weightedForward,
  type AlternateGroup,
  type PlannedAlternate,
} from './alternate.js';

export interface TargetGroupState {
  targetGroupArn: string;
  targetGroupName: string;
  ruleArn: string;
  /** Blue/green, linear and canary: the second group ECS shifts traffic to (the rule forwards to both). */
  alternate?: AlternateGroup;
  /** deployment.testPort: the test listener and its rule (advancedConfiguration.testListenerRule). */
  testListener?: TestListener;
  /** A test listener no longer wanted: the service step deletes it once the service no longer names its rule. */
  retiredTestListener?: TestListener;
}

/** What the step records: the group in use, plus replaced groups not deleted yet. */
export interface TargetGroupStepState extends TargetGroupState {
  retired?: RetiredTargetGroup[];
}

/** What plan read that apply needs. */
export interface TargetGroupPlanData {
  tg?: PlannedTargetGroup;
  rule?: PlannedRule;
  /** Our rule on the port 80 listener once HTTPS is on: deleted after the 443 rule exists. */
  staleRuleArn?: string;
  /** Replaced groups still there: `keep` ones still have targets, `remove` ones are deleted now. */
  retired?: { keep: RetiredTargetGroup[]; remove: RetiredTargetGroup[] };
  alternate?: PlannedAlternate;
  testListener?: PlannedTestListener;
}

export { ROOT_PRIORITY, choosePriority, normalizePath, pathPatterns, rulePriority } from './routing.js';
export { deleteRetiredTargetGroup, replacementName, targetTypeFor } from './groups.js';
export { deleteTestListener } from './test-listener.js';

type Ctx = StepContext<TargetGroupStepState>;
type Plan = StepPlan<TargetGroupStepState, TargetGroupPlanData>;

function serviceOf(ctx: Ctx): { name: string; svc: PortService } {
  const svc = ctx.service;
  if (!ctx.scope || !svc || svc.port === undefined) {
    throw new EcsKitError('target-group.scope', `The target-group step needs a service with a port (got ${ctx.scope ?? 'none'}).`);
  }
  return { name: ctx.scope, svc: { ...svc, port: svc.port } };
}

function wantedFixed(svc: PortService, network: NetworkState): FixedFields {
  return { port: svc.port, protocol: 'HTTP', targetType: targetTypeFor(svc), vpcId: network.vpcId };
}

/** Port, protocol, VPC and target type of a target group are fixed at creation: a change means a new group. */
function fixedFieldChanges(tg: TargetGroup, svc: PortService, network: NetworkState): Change[] {
  const fixed: Change[] = [];
  const check = (field: string, before: unknown, after: unknown) => {
    if (before !== undefined && before !== after) fixed.push({ field, before, after });
  };
  check('port', tg.Port, svc.port);
  check('protocol', tg.Protocol, 'HTTP');
  check('vpc', tg.VpcId, network.vpcId);
  check('targetType', tg.TargetType, targetTypeFor(svc));
  return fixed;
}

/** What plan found for one service, passed to the plan for each case. */
interface Found extends FoundRules {
  svc: PortService;
  path: string;
  base: string;
  retired: { keep: RetiredTargetGroup[]; remove: RetiredTargetGroup[] };
  /** Replaced groups deleted by this deploy. */
  retiredChanges: Change[];
  alternate: PlannedAlternate;
  alternateChanges: Change[];
  test: { plan: PlannedTestListener; current?: TestListener };
}

/** Rules on a replaced group must move to the new one: they count as drifted. */
const ruleToMove = (rule: FoundRules['rule']): PlannedRule | undefined =>
  rule && { arn: rule.RuleArn!, conditionsDrift: true, actionDrift: true };

function planNewGroup(f: Found): Plan {
  return {
    action: 'create',
    changes: [
      { field: 'targetGroup', after: `${f.base} (HTTP:${f.svc.port}, health check ${f.svc.healthCheckPath})` },
      { field: 'rule', after: `${pathPatterns(f.path).join(', ')} → ${f.base}` },
      ...f.retiredChanges,
      ...f.alternateChanges,
    ],
    data: { rule: ruleToMove(f.rule), staleRuleArn: f.staleRuleArn, retired: f.retired, alternate: f.alternate, testListener: f.test.plan },
  };
}

/** Blue/green, linear, canary: the rule must forward to both groups (ECS sets the weights); otherwise to ours alone. */
function ruleForwardsAsWanted(f: Found, tg: TargetGroup): ((rule: Rule) => boolean) | undefined {
  if (!shiftsTraffic(f.svc)) return undefined;
  const alternate = f.alternate.keep?.arn;
  return (rule) => Boolean(alternate) && forwardsToPair(rule, tg.TargetGroupArn!, alternate!);
}

/**
 * Back to rolling after blue/green, linear or canary, with production on the alternate group (ECS alternates them on every
 * deployment): the alternate becomes the service's one group and ours is retired, so no request meets an empty group.
 */
function keepLiveGroup(f: Found, tg: TargetGroup): { tg: TargetGroup; found: Found } {
  const retire = f.alternate.retire;
  if (!retire || liveGroup(f.rule) !== retire.targetGroupArn) return { tg, found: f };
  const replaced = { targetGroupArn: tg.TargetGroupArn!, targetGroupName: tg.TargetGroupName ?? f.base };
  return { tg: retire.group, found: { ...f, alternate: {}, retired: { ...f.retired, keep: [...f.retired.keep, replaced] } } };
}

async function planExistingGroup(ctx: Ctx, f: Found, tg: TargetGroup, name: string): Promise<Plan> {
  const changes = [...healthChanges(tg, f.svc), ...f.retiredChanges, ...f.alternateChanges];
  const delay = await deregistrationDelayChange(ctx, tg.TargetGroupArn!, f.svc);
  if (delay) changes.push(delay);
  const forwardsAsWanted = ruleForwardsAsWanted(f, tg);
  const rule = planRule({ ...f, tg, name, ...(forwardsAsWanted ? { forwardsAsWanted } : {}) }, changes);
  const data: TargetGroupPlanData = {
    tg: { arn: tg.TargetGroupArn!, name, healthDrift: healthChanges(tg, f.svc).length > 0, attributeDrift: delay !== undefined },
    rule,
    staleRuleArn: f.staleRuleArn,
    retired: f.retired,
    alternate: f.alternate,
    testListener: f.test.plan,
  };
  // Replaced groups that still have targets stay recorded until a later deploy can delete them.
  const keep = [...f.retired.keep, ...f.retired.remove];
  const current: TargetGroupStepState = {
    targetGroupArn: tg.TargetGroupArn!,
    targetGroupName: name,
    ruleArn: f.rule?.RuleArn ?? '',
    ...(keep.length ? { retired: keep } : {}),
    ...(f.alternate.keep?.arn ? { alternate: { targetGroupArn: f.alternate.keep.arn, targetGroupName: f.alternate.keep.name } } : {}),
    ...(f.test.current ? { testListener: f.test.current } : {}),
  };
  return { action: changes.length ? 'update' : 'noop', changes, current, data };
}

/**
 * The group apply works on and the name a new one gets. A new group never takes the name of a
 * replaced one that still exists; on replace, the old group joins `retired`.
 */
function groupToUse(
  ctx: Ctx,
  plan: Plan,
  data: TargetGroupPlanData,
  fixed: FixedFields,
  retired: RetiredTargetGroup[],
): { tg?: PlannedTargetGroup; name: string } {
  const base = ctx.names.targetGroup(ctx.scope!);
  const tg = data.tg;
  if (plan.action !== 'replace') {
    const taken = data.retired?.remove.concat(retired).some((r) => r.targetGroupName === base);
    return { tg, name: tg?.name ?? (taken ? replacementName(base, fixed) : base) };
  }
  // Create the new group beside the old one and point the rule at it; the service step then
  // moves the service (UpdateService) and only after that is the old group deleted: a group
  // that no rule uses can be deleted even while a service still sends it tasks (DeleteTargetGroup).
  const old = tg!;
  const name = replacementName(base, fixed);
  const what = plan.changes
    .filter((c) => c.field !== 'retiredTargetGroup')
    .map((c) => `${c.field} ${String(c.before)} → ${String(c.after)}`);
  ctx.progress(`replacing target group ${old.name} with ${name}: ${what.join(', ')}`);
  retired.push({ targetGroupArn: old.arn, targetGroupName: old.name });
  return { tg: undefined, name };
}

export const targetGroupStep: StepModule<TargetGroupStepState, TargetGroupPlanData> = {
  kind: 'target-group',
  title: (scope) => `Target group and listener rule (${scope})`,
  resourceKinds: ['elasticloadbalancing:targetgroup'],
  permissions: targetGroupPermissions,
  instances: (config) =>
    Object.entries(config.services)
      .filter(([, svc]) => isPublic(svc))
      .map(([name]) => ({ scope: name, dependsOn: [after(networkStep), after(loadBalancerStep)] })),

  async plan(ctx): Promise<Plan> {
    const network = ctx.dep(networkStep);
    requireIds(after(networkStep), network.vpcId);
    const lb = ctx.dep(loadBalancerStep);
    requireIds(after(loadBalancerStep), lb.loadBalancerArn, lb.listenerArn);
    const { svc } = serviceOf(ctx);
    const base = ctx.names.targetGroup(ctx.scope!);
    const retired = await retiredStillThere(ctx);

    const tg = await locateTargetGroup(ctx, wantedFixed(svc, network), retired.all);
    const found: Found = {
      ...(await findRules(ctx, lb, ctx.previous?.ruleArn, tg)),
      svc,
      path: normalizePath(svc.path),
      base,
      retired: { keep: retired.keep, remove: retired.remove },
      retiredChanges: retired.remove.map((r) => ({ field: 'retiredTargetGroup', before: r.targetGroupName, after: null })),
      alternate: {},
      alternateChanges: [],
      test: { plan: {} },
    };
    found.alternate = await planAlternate(ctx, svc, ctx.previous?.alternate, found.alternateChanges);
    const alternateArn = found.alternate.keep?.arn;
    found.test = await planTestListener(
      ctx,
      {
        service: ctx.scope!,
        port: testPortOf(svc),
        path: found.path,
        loadBalancerArn: lb.loadBalancerArn,
        ...(ctx.previous?.testListener ? { previous: ctx.previous.testListener } : {}),
        ...(ctx.previous?.retiredTestListener ? { retired: ctx.previous.retiredTestListener } : {}),
        ...(tg?.TargetGroupArn && alternateArn ? { pair: [tg.TargetGroupArn, alternateArn] as [string, string] } : {}),
      },
      found.alternateChanges,
    );
    if (!tg) return planNewGroup(found);
    const fixed = fixedFieldChanges(tg, svc, network);
    if (fixed.length) {
      const data: TargetGroupPlanData = {
        tg: { arn: tg.TargetGroupArn!, name: tg.TargetGroupName ?? base, healthDrift: true, attributeDrift: true },
        rule: ruleToMove(found.rule),
        staleRuleArn: found.staleRuleArn,
        retired: found.retired,
        testListener: found.test.plan,
      };
      return { action: 'replace', changes: [...fixed, ...found.retiredChanges], data };
    }
    const live = keepLiveGroup(found, tg);
    return planExistingGroup(ctx, live.found, live.tg, live.tg.TargetGroupName ?? base);
  },

  async apply(ctx, plan): Promise<TargetGroupStepState> {
    const network = ctx.dep(networkStep);
    const lb = ctx.dep(loadBalancerStep);
    const { name: service, svc } = serviceOf(ctx);
    // Every plan this step makes carries what it read.
    const data = plan.data!;
    const retired = [...(data.retired?.keep ?? [])];
    const { tg, name } = groupToUse(ctx, plan, data, wantedFixed(svc, network), retired);
    const arn = await ensureTargetGroup(ctx, tg, name, svc, network.vpcId);
    const keep = data.alternate?.keep;
    const alternate = keep ? await ensureAlternate(ctx, keep, svc, network.vpcId) : undefined;
    // An alternate no longer wanted goes once nothing uses it (after the service's rollout, or a later deploy).
    if (data.alternate?.retire)
      retired.push({ targetGroupArn: data.alternate.retire.targetGroupArn, targetGroupName: data.alternate.retire.targetGroupName });
    const path = normalizePath(svc.path);
    const ruleArn = await ensureRule(ctx, data.rule, {
      listenerArn: routingListener(lb),
      path,
      targetGroupArn: arn,
      service,
      ...(alternate ? { actions: weightedForward(arn, alternate.targetGroupArn) } : {}),
    });
    const testListener = await ensureTestListener(ctx, data.testListener, {
      service,
      path,
      loadBalancerArn: lb.loadBalancerArn,
      ...(alternate ? { pair: [arn, alternate.targetGroupArn] as [string, string] } : {}),
    });
    // Only now: until the 443 rule exists, the old one keeps serving plain HTTP.
    if (data.staleRuleArn && data.staleRuleArn !== ruleArn) await deleteRule(ctx, data.staleRuleArn);
    // Replaced in an earlier run, and nothing is registered in them any more.
    for (const r of data.retired?.remove ?? []) {
      if (!(await deleteRetiredTargetGroup(ctx, r))) retired.push(r);
    }
    return {
      targetGroupArn: arn,
      targetGroupName: name,
      ruleArn,
      ...(retired.length ? { retired } : {}),
      ...(alternate ? { alternate } : {}),
      ...(testListener ? { testListener } : {}),
      ...(data.testListener?.retire ? { retiredTestListener: data.testListener.retire } : {}),
    };
  },

  async destroy(ctx, state): Promise<void> {
    // Its rule forwards to both groups: it goes first, or neither group could be deleted.
    for (const l of [state.testListener, state.retiredTestListener]) if (l) await deleteTestListener(ctx, l);
    // A rule that is not ours keeps the target group in use, so the group stays too.
    if (state.ruleArn && !(await deleteOwnRule(ctx, state.ruleArn, state.targetGroupName))) return;
    await deleteTargetGroup(ctx, state.targetGroupArn, state.targetGroupName);
    if (state.alternate) await deleteAlternate(ctx, state.alternate);
    // Groups replaced earlier and not deleted yet: the service is gone by now.
    for (const r of state.retired ?? []) await deleteTargetGroup(ctx, r.targetGroupArn, r.targetGroupName);
  },
};
