import { createHash } from 'node:crypto';
import {
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteRuleCommand,
  DeleteTargetGroupCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
  SetRulePrioritiesCommand,
  type Rule,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PendingDependency } from '../../../src/engine/types.js';
import type { LoadBalancerState } from '../../../src/steps/load-balancer/index.js';
import type { NetworkState } from '../../../src/steps/network/index.js';
import type { TargetGroupState } from '../../../src/steps/target-group/index.js';
import {
  ROOT_PRIORITY,
  choosePriority,
  normalizePath,
  pathPatterns,
  replacementName,
  rulePriority,
  targetGroupStep,
  type TargetGroupStepState,
} from '../../../src/steps/target-group/index.js';
import { commandNames, strict } from '../../helpers/aws-mock.js';
import { OWNER_TAGS, config, stepContext } from '../../helpers/context.js';

const elb = mockClient(ElasticLoadBalancingV2Client);
beforeEach(() => {
  elb.reset();
  strict(elb);
});
afterEach(() => {
  vi.useRealTimers();
});

const awsError = (name: string) => Object.assign(new Error(name), { name });
const readsOnly = (names: string[]) => names.every((n) => n.startsWith('Describe'));

const TG_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-default-api/1';
const RULE_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shop-default/a/b/r1';
const LISTENER_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop-default/a/b';
const NETWORK = { vpcId: 'vpc-1', publicSubnetIds: ['subnet-1', 'subnet-2'] } as NetworkState;
const LB: LoadBalancerState = {
  securityGroupId: 'sg-lb',
  loadBalancerArn: 'arn:lb',
  loadBalancerName: 'shop-default',
  dnsName: 'd',
  listenerArn: LISTENER_ARN,
};
const STATE: TargetGroupState = { targetGroupArn: TG_ARN, targetGroupName: 'shop-default-api', ruleArn: RULE_ARN };

const CONFIG = config(`
app: shop
services:
  api: { image: nginx, port: 8080, path: /api, healthCheckPath: /health }
  worker: { image: busybox }
`);
const ctxFor = (cfg = CONFIG, deps: Record<string, object> = { network: NETWORK, 'load-balancer': LB }, previous?: TargetGroupState) =>
  stepContext(targetGroupStep, { scope: 'api', config: cfg, deps, previous });

const apiPriority = rulePriority('/api');

const targetGroup = (extra: Partial<TargetGroup> = {}): TargetGroup => ({
  TargetGroupArn: TG_ARN,
  TargetGroupName: 'shop-default-api',
  Protocol: 'HTTP',
  Port: 8080,
  VpcId: 'vpc-1',
  TargetType: 'ip',
  HealthCheckPath: '/health',
  HealthCheckIntervalSeconds: 15,
  HealthyThresholdCount: 2,
  UnhealthyThresholdCount: 3,
  Matcher: { HttpCode: '200-399' },
  ...extra,
});

const DEFAULT_RULE: Rule = {
  RuleArn: 'arn:default',
  Priority: 'default',
  IsDefault: true,
  Conditions: [],
  Actions: [{ Type: 'fixed-response' }],
};
const rule = (extra: Partial<Rule> = {}): Rule => ({
  RuleArn: RULE_ARN,
  Priority: String(apiPriority),
  IsDefault: false,
  Conditions: [{ Field: 'path-pattern', Values: ['/api', '/api/*'], PathPatternConfig: { Values: ['/api', '/api/*'] } }],
  Actions: [{ Type: 'forward', TargetGroupArn: TG_ARN, ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG_ARN, Weight: 1 }] } }],
  ...extra,
});

function ownedTags(tags = OWNER_TAGS) {
  elb.on(DescribeTagsCommand).callsFake((input: { ResourceArns: string[] }) => ({
    TagDescriptions: input.ResourceArns.map((ResourceArn) => ({ ResourceArn, Tags: tags })),
  }));
}

function existing(o: { tg?: TargetGroup; rules?: Rule[]; delay?: string } = {}) {
  elb.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [o.tg ?? targetGroup()] });
  ownedTags();
  elb.on(DescribeRulesCommand).resolves({ Rules: o.rules ?? [rule(), DEFAULT_RULE] });
  elb.on(DescribeTargetGroupAttributesCommand).resolves({
    Attributes: [
      { Key: 'stickiness.enabled', Value: 'false' },
      { Key: 'deregistration_delay.timeout_seconds', Value: o.delay ?? '30' },
    ],
  });
}

describe('routing priorities', () => {
  it('routes "/" last with the catch-all pattern', () => {
    expect(rulePriority('/')).toBe(ROOT_PRIORITY);
    expect(pathPatterns('/')).toEqual(['/*']);
  });

  it('matches a path and everything below it', () => {
    expect(pathPatterns('/api')).toEqual(['/api', '/api/*']);
    expect(pathPatterns('/api/')).toEqual(['/api', '/api/*']);
    expect(normalizePath('/api//')).toBe('/api');
  });

  it('is (100 − depth) × 400 + a stable hash of the path mod 400', () => {
    const hash = createHash('sha256').update('/api/v1').digest().readUInt32BE(0) % 400;
    expect(rulePriority('/api/v1')).toBe(98 * 400 + hash);
    expect(rulePriority('/api/v1/')).toBe(rulePriority('/api/v1'));
    expect(rulePriority('/api')).toBeGreaterThanOrEqual(99 * 400);
    expect(rulePriority('/api')).toBeLessThan(100 * 400);
  });

  it('puts deeper paths before shallower ones and everything before "/"', () => {
    const ps = ['/a/b/c', '/zz/y', '/api', '/'].map(rulePriority);
    expect([...ps].sort((a, b) => a - b)).toEqual(ps);
    expect(new Set(ps).size).toBe(4);
  });

  it('moves to the next free priority in the same band when another rule holds it', () => {
    const p = rulePriority('/api');
    expect(choosePriority('/api', [DEFAULT_RULE])).toBe(p);
    const other = { RuleArn: 'arn:other', Priority: String(p) };
    const next = choosePriority('/api', [other]);
    expect(next).not.toBe(p);
    expect(Math.floor(next / 400)).toBe(Math.floor(p / 400));
    // Our own rule holding it is fine.
    expect(choosePriority('/api', [{ ...other, RuleArn: RULE_ARN }], RULE_ARN)).toBe(p);
  });
});

describe('target-group step', () => {
  it('has one instance per service with a port', () => {
    expect(targetGroupStep.instances(CONFIG)).toEqual([{ scope: 'api', dependsOn: ['network', 'load-balancer'] }]);
  });

  it('waits for the load balancer and its listener', async () => {
    await expect(targetGroupStep.plan(ctxFor(CONFIG, { network: NETWORK }))).rejects.toBeInstanceOf(PendingDependency);
    await expect(
      targetGroupStep.plan(ctxFor(CONFIG, { network: NETWORK, 'load-balancer': { ...LB, listenerArn: '' } })),
    ).rejects.toBeInstanceOf(PendingDependency);
    expect(commandNames(elb)).toEqual([]);
  });

  it('creates an ip target group with fast health checks, a 30 s drain and a path rule', async () => {
    elb.on(DescribeTargetGroupsCommand).rejects(awsError('TargetGroupNotFoundException'));
    elb.on(DescribeRulesCommand).resolves({ Rules: [DEFAULT_RULE] });
    elb.on(CreateTargetGroupCommand).resolves({ TargetGroups: [targetGroup()] });
    elb.on(ModifyTargetGroupAttributesCommand).resolves({});
    elb.on(CreateRuleCommand).resolves({ Rules: [rule()] });

    const ctx = ctxFor();
    const plan = await targetGroupStep.plan(ctx);
    expect(plan.action).toBe('create');
    expect(plan.changes.map((c) => c.field)).toEqual(['targetGroup', 'rule']);
    expect(await targetGroupStep.apply(ctx, plan)).toEqual(STATE);

    expect(elb.commandCalls(CreateTargetGroupCommand)[0]!.args[0].input).toEqual({
      Name: 'shop-default-api',
      Protocol: 'HTTP',
      Port: 8080,
      VpcId: 'vpc-1',
      TargetType: 'ip',
      HealthCheckProtocol: 'HTTP',
      HealthCheckPath: '/health',
      Matcher: { HttpCode: '200-399' },
      HealthCheckIntervalSeconds: 15,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 3,
      Tags: [...OWNER_TAGS, { Key: 'ecs-kit:resource', Value: 'target-group' }],
    });
    expect(elb.commandCalls(ModifyTargetGroupAttributesCommand)[0]!.args[0].input).toEqual({
      TargetGroupArn: TG_ARN,
      Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }],
    });
    expect(elb.commandCalls(CreateRuleCommand)[0]!.args[0].input).toEqual({
      ListenerArn: LISTENER_ARN,
      Priority: apiPriority,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api', '/api/*'] } }],
      Actions: [{ Type: 'forward', TargetGroupArn: TG_ARN }],
      Tags: [...OWNER_TAGS, { Key: 'ecs-kit:resource', Value: 'listener-rule:api' }],
    });
  });

  it('routes "/" with priority 50000 and /*', async () => {
    elb.on(DescribeTargetGroupsCommand).rejects(awsError('TargetGroupNotFoundException'));
    elb.on(DescribeRulesCommand).resolves({ Rules: [DEFAULT_RULE] });
    elb.on(CreateTargetGroupCommand).resolves({ TargetGroups: [targetGroup()] });
    elb.on(ModifyTargetGroupAttributesCommand).resolves({});
    elb.on(CreateRuleCommand).resolves({ Rules: [rule()] });
    const ctx = ctxFor(config('app: shop\nservices: { api: { image: nginx, port: 80 } }'));
    await targetGroupStep.apply(ctx, await targetGroupStep.plan(ctx));
    expect(elb.commandCalls(CreateRuleCommand)[0]!.args[0].input).toMatchObject({
      Priority: 50000,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/*'] } }],
    });
  });

  it('picks another priority in the band when a concurrent create took it', async () => {
    elb.on(DescribeTargetGroupsCommand).rejects(awsError('TargetGroupNotFoundException'));
    elb
      .on(DescribeRulesCommand)
      .resolvesOnce({ Rules: [DEFAULT_RULE] })
      .resolvesOnce({ Rules: [DEFAULT_RULE] })
      .resolves({ Rules: [DEFAULT_RULE, { RuleArn: 'arn:other', Priority: String(apiPriority) }] });
    elb.on(CreateTargetGroupCommand).resolves({ TargetGroups: [targetGroup()] });
    elb.on(ModifyTargetGroupAttributesCommand).resolves({});
    elb
      .on(CreateRuleCommand)
      .rejectsOnce(awsError('PriorityInUseException'))
      .resolves({ Rules: [rule()] });
    const ctx = ctxFor();
    await targetGroupStep.apply(ctx, await targetGroupStep.plan(ctx));
    const priorities = elb.commandCalls(CreateRuleCommand).map((c) => c.args[0].input.Priority);
    expect(priorities[0]).toBe(apiPriority);
    expect(priorities[1]).not.toBe(apiPriority);
  });

  it('plans no change and makes only read calls when everything matches', async () => {
    existing();
    const plan = await targetGroupStep.plan(ctxFor());
    expect(plan).toMatchObject({ action: 'noop', changes: [], current: STATE });
    expect(commandNames(elb)).toEqual(['DescribeTargetGroups', 'DescribeTags', 'DescribeRules', 'DescribeTargetGroupAttributes']);
  });

  it('keeps a priority that was moved within the band because of a collision', async () => {
    existing({ rules: [rule({ Priority: String(apiPriority + 1 - (apiPriority % 400 === 399 ? 2 : 0)) }), DEFAULT_RULE] });
    expect((await targetGroupStep.plan(ctxFor())).action).toBe('noop');
  });

  it('updates health checks, the drain delay and the rule path in place', async () => {
    existing({
      tg: targetGroup({ HealthCheckPath: '/', Matcher: { HttpCode: '200' } }),
      delay: '300',
      rules: [
        rule({
          Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/old/v1', '/old/v1/*'] } }],
          Priority: String(rulePriority('/old/v1')),
        }),
        DEFAULT_RULE,
      ],
    });
    elb.on(ModifyTargetGroupCommand).resolves({});
    elb.on(ModifyTargetGroupAttributesCommand).resolves({});
    elb.on(ModifyRuleCommand).resolves({});
    elb.on(SetRulePrioritiesCommand).resolves({});

    const ctx = ctxFor();
    const plan = await targetGroupStep.plan(ctx);
    expect(plan.action).toBe('update');
    expect(plan.changes).toEqual([
      { field: 'healthCheckPath', before: '/', after: '/health' },
      { field: 'healthCheckMatcher', before: '200', after: '200-399' },
      { field: 'deregistration_delay.timeout_seconds', before: '300', after: '30' },
      { field: 'rule.pathPattern', before: ['/old/v1', '/old/v1/*'], after: ['/api', '/api/*'] },
      { field: 'rule.priority', before: rulePriority('/old/v1'), after: apiPriority },
    ]);
    elb.resetHistory();
    expect(await targetGroupStep.apply(ctx, plan)).toEqual(STATE);
    expect(commandNames(elb)).toEqual(['ModifyTargetGroup', 'ModifyTargetGroupAttributes', 'ModifyRule', 'SetRulePriorities']);
    expect(elb.commandCalls(ModifyTargetGroupCommand)[0]!.args[0].input).toMatchObject({
      TargetGroupArn: TG_ARN,
      HealthCheckPath: '/health',
      Matcher: { HttpCode: '200-399' },
    });
    expect(elb.commandCalls(ModifyRuleCommand)[0]!.args[0].input).toEqual({
      RuleArn: RULE_ARN,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api', '/api/*'] } }],
      Actions: [{ Type: 'forward', TargetGroupArn: TG_ARN }],
    });
    expect(elb.commandCalls(SetRulePrioritiesCommand)[0]!.args[0].input).toEqual({
      RulePriorities: [{ RuleArn: RULE_ARN, Priority: apiPriority }],
    });
  });

  it('adds a missing rule to an existing target group', async () => {
    existing({ rules: [DEFAULT_RULE] });
    elb.on(CreateRuleCommand).resolves({ Rules: [rule()] });
    const ctx = ctxFor();
    const plan = await targetGroupStep.plan(ctx);
    expect(plan).toMatchObject({ action: 'update', changes: [{ field: 'rule' }], current: { ruleArn: '' } });
    elb.resetHistory();
    expect(await targetGroupStep.apply(ctx, plan)).toEqual(STATE);
    expect(commandNames(elb)).toEqual(['DescribeRules', 'CreateRule']);
  });

  const NEW_NAME = replacementName('shop-default-api', { port: 8080, protocol: 'HTTP', targetType: 'ip', vpcId: 'vpc-1' });
  const NEW_ARN = `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${NEW_NAME}/2`;
  const RETIRED = { targetGroupArn: TG_ARN, targetGroupName: 'shop-default-api' };

  it('replaces the target group when the port changes: a new group beside the old one, the rule moved to it, the old one kept for the service', async () => {
    existing({ tg: targetGroup({ Port: 80 }) });
    elb.on(CreateTargetGroupCommand).resolves({ TargetGroups: [targetGroup({ TargetGroupArn: NEW_ARN, TargetGroupName: NEW_NAME })] });
    elb.on(ModifyTargetGroupAttributesCommand).resolves({});
    elb.on(ModifyRuleCommand).resolves({});

    const ctx = ctxFor();
    const plan = await targetGroupStep.plan(ctx);
    expect(plan).toMatchObject({ action: 'replace', changes: [{ field: 'port', before: 80, after: 8080 }] });
    elb.resetHistory();
    const state = await targetGroupStep.apply(ctx, plan);
    expect(state).toEqual({ targetGroupArn: NEW_ARN, targetGroupName: NEW_NAME, ruleArn: RULE_ARN, retired: [RETIRED] });
    // never a delete here: the service still runs on the old group until the service step moves it
    expect(commandNames(elb).filter((n) => !n.startsWith('Describe'))).toEqual([
      'CreateTargetGroup',
      'ModifyTargetGroupAttributes',
      'ModifyRule',
    ]);
    expect(elb.commandCalls(CreateTargetGroupCommand)[0]!.args[0].input).toMatchObject({ Name: NEW_NAME, Port: 8080 });
    expect(elb.commandCalls(ModifyRuleCommand)[0]!.args[0].input.Actions).toEqual([{ Type: 'forward', TargetGroupArn: NEW_ARN }]);
    expect(ctx.messages).toContain(`replacing target group shop-default-api with ${NEW_NAME}: port 80 → 8080`);
  });

  it('names a replacement by its fixed fields: ≤ 32 characters, stable, different per port', () => {
    const long = 'abcdefghijklmnopqrstuvwx-732830';
    const a = replacementName(long, { port: 80, protocol: 'HTTP', targetType: 'ip', vpcId: 'vpc-1' });
    expect(a).toMatch(/^[a-z0-9][a-z0-9-]{0,30}[a-z0-9]$/);
    expect(a.length).toBeLessThanOrEqual(32);
    expect(replacementName(long, { port: 80, protocol: 'HTTP', targetType: 'ip', vpcId: 'vpc-1' })).toBe(a);
    expect(replacementName(long, { port: 81, protocol: 'HTTP', targetType: 'ip', vpcId: 'vpc-1' })).not.toBe(a);
  });

  it('finds a replacement group by the name the manifest recorded, with the same calls as before', async () => {
    existing({
      tg: targetGroup({ TargetGroupArn: NEW_ARN, TargetGroupName: NEW_NAME }),
      rules: [rule({ Actions: [{ Type: 'forward', TargetGroupArn: NEW_ARN }] }), DEFAULT_RULE],
    });
    const previous: TargetGroupState = { targetGroupArn: NEW_ARN, targetGroupName: NEW_NAME, ruleArn: RULE_ARN };
    const plan = await targetGroupStep.plan(ctxFor(CONFIG, undefined, previous));
    expect(plan).toMatchObject({ action: 'noop', current: previous });
    expect(commandNames(elb)).toEqual(['DescribeTargetGroups', 'DescribeTags', 'DescribeRules', 'DescribeTargetGroupAttributes']);
    expect(elb.commandCalls(DescribeTargetGroupsCommand)[0]!.args[0].input).toEqual({ Names: [NEW_NAME] });
  });

  it('forgets a replaced group that is gone, and deletes one that has no targets left', async () => {
    const previous: TargetGroupStepState = {
      ...STATE,
      retired: [
        { targetGroupArn: 'arn:gone', targetGroupName: 'gone' },
        { targetGroupArn: 'arn:empty', targetGroupName: 'empty' },
      ],
    };
    existing();
    elb.on(DescribeTargetGroupsCommand, { TargetGroupArns: ['arn:gone'] }).rejects(awsError('TargetGroupNotFoundException'));
    elb
      .on(DescribeTargetGroupsCommand, { TargetGroupArns: ['arn:empty'] })
      .resolves({ TargetGroups: [targetGroup({ TargetGroupArn: 'arn:empty' })] });
    elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [] });
    elb.on(DeleteTargetGroupCommand).resolves({});
    const ctx = ctxFor(CONFIG, undefined, previous);
    const plan = await targetGroupStep.plan(ctx);
    expect(plan).toMatchObject({ action: 'update', changes: [{ field: 'retiredTargetGroup', before: 'empty', after: null }] });
    expect(await targetGroupStep.apply(ctx, plan)).toEqual(STATE);
    expect(elb.commandCalls(DeleteTargetGroupCommand).map((c) => c.args[0].input)).toEqual([{ TargetGroupArn: 'arn:empty' }]);
  });

  it('keeps a replaced group that still has targets (the service has not moved yet), without changing anything', async () => {
    const previous: TargetGroupStepState = { ...STATE, retired: [{ targetGroupArn: 'arn:busy', targetGroupName: 'busy' }] };
    existing();
    elb
      .on(DescribeTargetGroupsCommand, { TargetGroupArns: ['arn:busy'] })
      .resolves({ TargetGroups: [targetGroup({ TargetGroupArn: 'arn:busy' })] });
    elb
      .on(DescribeTargetHealthCommand)
      .resolves({ TargetHealthDescriptions: [{ Target: { Id: '10.0.0.5', Port: 80 }, TargetHealth: { State: 'healthy' } }] });
    const plan = await targetGroupStep.plan(ctxFor(CONFIG, undefined, previous));
    expect(plan).toMatchObject({ action: 'noop', current: previous });
    expect(readsOnly(commandNames(elb))).toBe(true);
  });

  it('refuses to adopt a target group with our name that ecs-kit did not create', async () => {
    existing();
    ownedTags([]);
    await expect(targetGroupStep.plan(ctxFor())).rejects.toThrow(/target group named shop-default-api .*not created by ecs-kit/);
  });
});

describe('target-group destroy', () => {
  function owned() {
    elb.on(DescribeRulesCommand).resolves({ Rules: [rule()] });
    elb.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [targetGroup()] });
    ownedTags();
    elb.on(DeleteRuleCommand).resolves({});
    elb.on(DeleteTargetGroupCommand).resolves({});
  }

  it('deletes the rule, then the target group', async () => {
    owned();
    await targetGroupStep.destroy(ctxFor(), STATE);
    expect(commandNames(elb).filter((n) => !n.startsWith('Describe'))).toEqual(['DeleteRule', 'DeleteTargetGroup']);
    expect(elb.commandCalls(DescribeRulesCommand)[0]!.args[0].input).toEqual({ RuleArns: [RULE_ARN] });
  });

  it('also deletes groups that were replaced and not deleted yet', async () => {
    owned();
    await targetGroupStep.destroy(ctxFor(), {
      ...STATE,
      retired: [{ targetGroupArn: 'arn:old', targetGroupName: 'old' }],
    });
    expect(elb.commandCalls(DeleteTargetGroupCommand).map((c) => c.args[0].input.TargetGroupArn)).toEqual([TG_ARN, 'arn:old']);
  });

  it('retries while the target group is still in use', async () => {
    owned();
    elb.on(DeleteTargetGroupCommand).rejectsOnce(awsError('ResourceInUseException')).resolves({});
    vi.useFakeTimers();
    const ctx = ctxFor();
    ctx.options.destroyRetryMs = 60_000;
    const p = targetGroupStep.destroy(ctx, STATE);
    await vi.advanceTimersByTimeAsync(2_500);
    await p;
    expect(elb.commandCalls(DeleteTargetGroupCommand)).toHaveLength(2);
  });

  it('explains when the target group stays in use past the retry bound', async () => {
    owned();
    elb.on(DeleteTargetGroupCommand).rejects(awsError('ResourceInUseException'));
    vi.useFakeTimers();
    const ctx = ctxFor();
    ctx.options.destroyRetryMs = 3_000;
    const p = targetGroupStep.destroy(ctx, STATE);
    const assertion = expect(p).rejects.toMatchObject({ code: 'target-group.in-use' });
    await vi.advanceTimersByTimeAsync(10_000);
    await assertion;
  });

  it('treats an already-deleted rule and target group as deleted', async () => {
    elb.on(DescribeRulesCommand).rejects(awsError('RuleNotFoundException'));
    elb.on(DescribeTargetGroupsCommand).rejects(awsError('TargetGroupNotFoundException'));
    await targetGroupStep.destroy(ctxFor(), STATE);
    expect(readsOnly(commandNames(elb))).toBe(true);
  });

  it('leaves a rule or group whose tags say someone else owns it', async () => {
    owned();
    ownedTags([{ Key: 'ecs-kit:app', Value: 'other' }]);
    const ctx = ctxFor();
    await targetGroupStep.destroy(ctx, STATE);
    expect(ctx.warningCodes).toEqual(['teardown.not-owned']);
    expect(ctx.warnings[0]).toMatch(/Left listener rule .* and target group shop-default-api in place: the rule's tags/);
    expect(readsOnly(commandNames(elb))).toBe(true);

    elb.reset();
    strict(elb);
    elb.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [targetGroup()] });
    ownedTags([{ Key: 'ecs-kit:app', Value: 'other' }]);
    const ctx2 = ctxFor();
    await targetGroupStep.destroy(ctx2, { ...STATE, ruleArn: '' });
    expect(ctx2.warningCodes).toEqual(['teardown.not-owned']);
    expect(ctx2.warnings[0]).toContain('target group shop-default-api');
    expect(readsOnly(commandNames(elb))).toBe(true);
  });
});
