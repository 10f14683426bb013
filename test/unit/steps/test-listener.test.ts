import {
  CreateListenerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteListenerCommand,
  DeleteRuleCommand,
  DeleteTargetGroupCommand,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  ModifyTargetGroupAttributesCommand,
  type Listener,
  type Rule,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EcsKitError } from '../../../src/errors.js';
import { lbIngress, loadBalancerStep } from '../../../src/steps/load-balancer/index.js';
import type { LoadBalancerState } from '../../../src/steps/load-balancer/index.js';
import type { NetworkState } from '../../../src/steps/network/index.js';
import { wantedLoadBalancer } from '../../../src/steps/service/safe-rollout.js';
import { targetGroupStep, type TargetGroupStepState } from '../../../src/steps/target-group/index.js';
import { commandNames, strict } from '../../helpers/aws-mock.js';
import { OWNER_TAGS, config, stepContext } from '../../helpers/context.js';

/**
 * deployment.testPort: the test listener the target-group step keeps beside the production rule, the ARN the service
 * sends as advancedConfiguration.testListenerRule, and who the load balancer's security group lets reach the port.
 */

const elb = mockClient(ElasticLoadBalancingV2Client);
beforeEach(() => {
  elb.reset();
  strict(elb);
});

const awsError = (name: string) => Object.assign(new Error(name), { name });
const ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012';
const LB_ARN = `${ARN}:loadbalancer/app/shop-default/a`;
const PROD_LISTENER = `${ARN}:listener/app/shop-default/a/l80`;
const TEST_LISTENER = `${ARN}:listener/app/shop-default/a/l8080`;
const PROD_RULE = `${ARN}:listener-rule/app/shop-default/a/l80/r1`;
const TEST_RULE = `${ARN}:listener-rule/app/shop-default/a/l8080/t1`;
const NETWORK = { vpcId: 'vpc-1', publicSubnetIds: ['subnet-1', 'subnet-2'] } as NetworkState;
const LB: LoadBalancerState = {
  securityGroupId: 'sg-lb',
  loadBalancerArn: LB_ARN,
  loadBalancerName: 'shop-default',
  dnsName: 'd',
  listenerArn: PROD_LISTENER,
};

const yaml = (deployment: string, top = '') =>
  `app: shop\n${top}services:\n  api: { image: nginx, port: 8080, path: /api, deployment: ${deployment} }\n`;
const BLUE_GREEN = config(yaml('{ strategy: blue-green, testPort: 9000 }'));
const ctxFor = (cfg = BLUE_GREEN, previous?: TargetGroupStepState) =>
  stepContext(targetGroupStep, { scope: 'api', config: cfg, deps: { network: NETWORK, 'load-balancer': LB }, previous });

const BASE = 'shop-default-api';
const tgArn = (name: string) => `${ARN}:targetgroup/${name}/1`;
const group = (name: string): TargetGroup => ({
  TargetGroupArn: tgArn(name),
  TargetGroupName: name,
  Protocol: 'HTTP',
  Port: 8080,
  VpcId: 'vpc-1',
  TargetType: 'ip',
  HealthCheckPath: '/',
  HealthCheckIntervalSeconds: 15,
  HealthyThresholdCount: 2,
  UnhealthyThresholdCount: 3,
  Matcher: { HttpCode: '200-399' },
});
const DEFAULT_RULE: Rule = { RuleArn: 'arn:default', IsDefault: true, Priority: 'default', Actions: [{ Type: 'fixed-response' }] };
const weighted = (a: string, b: string) => [
  {
    Type: 'forward' as const,
    ForwardConfig: {
      TargetGroups: [
        { TargetGroupArn: a, Weight: 100 },
        { TargetGroupArn: b, Weight: 0 },
      ],
    },
  },
];
const pathRule = (arn: string, actions: Rule['Actions']): Rule => ({
  RuleArn: arn,
  IsDefault: false,
  Priority: '1',
  Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api', '/api/*'] } }],
  Actions: actions,
});
const listener = (port: number, arn: string): Listener => ({
  ListenerArn: arn,
  Port: port,
  Protocol: 'HTTP',
  DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }],
});

function ownedTags(foreign: string[] = []) {
  elb.on(DescribeTagsCommand).callsFake((input: { ResourceArns: string[] }) => ({
    TagDescriptions: input.ResourceArns.map((ResourceArn) => ({
      ResourceArn,
      Tags: foreign.includes(ResourceArn) ? [{ Key: 'team', Value: 'other' }] : OWNER_TAGS,
    })),
  }));
}

/** Both groups, the production rule over them, and (when `test`) the test listener with its rule: all in place. */
function deployed(o: { test?: boolean; alternate: string; testRule?: Rule }) {
  const groups = [group(BASE), group(o.alternate)];
  elb.on(DescribeTargetGroupsCommand).callsFake((input: { Names?: string[] }) => ({
    TargetGroups: groups.filter((g) => input.Names?.includes(g.TargetGroupName!)),
  }));
  ownedTags();
  elb.on(DescribeTargetGroupAttributesCommand).resolves({ Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }] });
  elb.on(DescribeListenersCommand).resolves({
    Listeners: [listener(80, PROD_LISTENER), ...(o.test ? [listener(9000, TEST_LISTENER)] : [])],
  });
  const prodRule = pathRule(PROD_RULE, weighted(tgArn(BASE), tgArn(o.alternate)));
  prodRule.Priority = '39700';
  elb.on(DescribeRulesCommand).callsFake((input: { ListenerArn?: string }) => ({
    Rules:
      input.ListenerArn === TEST_LISTENER
        ? [o.testRule ?? pathRule(TEST_RULE, weighted(tgArn(o.alternate), tgArn(BASE))), DEFAULT_RULE]
        : [prodRule, DEFAULT_RULE],
  }));
}

describe('deployment.testPort: the test listener', () => {
  const alternate = ctxFor().names.alternateTargetGroup('api');

  it('creates an HTTP listener on the port (404 by default) with one forward-only rule over both groups, and records it', async () => {
    elb.on(DescribeTargetGroupsCommand).rejects(awsError('TargetGroupNotFoundException'));
    elb.on(DescribeRulesCommand).resolves({ Rules: [DEFAULT_RULE] });
    elb.on(DescribeListenersCommand).resolves({ Listeners: [listener(80, PROD_LISTENER)] });
    elb.on(CreateTargetGroupCommand).callsFake((input: { Name: string }) => ({ TargetGroups: [group(input.Name)] }));
    elb.on(ModifyTargetGroupAttributesCommand).resolves({});
    elb.on(CreateListenerCommand).resolves({ Listeners: [{ ListenerArn: TEST_LISTENER }] });
    elb.on(CreateRuleCommand).callsFake((input: { ListenerArn: string }) => ({
      Rules: [{ RuleArn: input.ListenerArn === TEST_LISTENER ? TEST_RULE : PROD_RULE }],
    }));

    const ctx = ctxFor();
    const plan = await targetGroupStep.plan(ctx);
    expect(plan.changes).toContainEqual({ field: 'testListener', after: 'HTTP:9000, /api, /api/* → both target groups (test traffic)' });
    const state = await targetGroupStep.apply(ctx, plan);
    expect(state.testListener).toEqual({ port: 9000, listenerArn: TEST_LISTENER, ruleArn: TEST_RULE });

    expect(elb.commandCalls(CreateListenerCommand)[0]!.args[0].input).toMatchObject({
      LoadBalancerArn: LB_ARN,
      Protocol: 'HTTP',
      Port: 9000,
      DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }],
      Tags: [...OWNER_TAGS, { Key: 'ecs-kit:resource', Value: 'test-listener:api' }],
    });
    const testRule = elb.commandCalls(CreateRuleCommand).find((c) => c.args[0].input.ListenerArn === TEST_LISTENER)!.args[0].input;
    expect(testRule).toEqual({
      ListenerArn: TEST_LISTENER,
      Priority: 1,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api', '/api/*'] } }],
      Actions: weighted(tgArn(BASE), tgArn(alternate)),
      Tags: [...OWNER_TAGS, { Key: 'ecs-kit:resource', Value: 'test-listener-rule:api' }],
    });
  });

  it('plans no change and only reads when the listener and its rule are as wanted, whatever weights ECS set', async () => {
    deployed({ test: true, alternate });
    const previous: TargetGroupStepState = {
      targetGroupArn: tgArn(BASE),
      targetGroupName: BASE,
      ruleArn: PROD_RULE,
      alternate: { targetGroupArn: tgArn(alternate), targetGroupName: alternate },
      testListener: { port: 9000, listenerArn: TEST_LISTENER, ruleArn: TEST_RULE },
    };
    const plan = await targetGroupStep.plan(ctxFor(BLUE_GREEN, previous));
    expect(plan.changes).toEqual([]);
    expect(plan.action).toBe('noop');
    expect(plan.current?.testListener).toEqual(previous.testListener);
    expect(commandNames(elb).every((n) => n.startsWith('Describe'))).toBe(true);
  });

  it('puts the rule back over both groups when it drifted', async () => {
    deployed({ test: true, alternate, testRule: pathRule(TEST_RULE, [{ Type: 'forward', TargetGroupArn: tgArn(BASE) }]) });
    const plan = await targetGroupStep.plan(ctxFor());
    expect(plan.changes.map((c) => c.field)).toEqual(['testListener.rule.action']);
  });

  it('when testPort is removed, keeps the listener until the service no longer names its rule; a later deploy deletes it', async () => {
    deployed({ test: true, alternate });
    elb.on(DeleteListenerCommand).resolves({});
    const previous: TargetGroupStepState = {
      targetGroupArn: tgArn(BASE),
      targetGroupName: BASE,
      ruleArn: PROD_RULE,
      alternate: { targetGroupArn: tgArn(alternate), targetGroupName: alternate },
      testListener: { port: 9000, listenerArn: TEST_LISTENER, ruleArn: TEST_RULE },
    };
    const cfg = config(yaml('{ strategy: blue-green }'));
    const ctx = ctxFor(cfg, previous);
    const plan = await targetGroupStep.plan(ctx);
    expect(plan.changes).toEqual([{ field: 'testListener', before: 'HTTP:9000', after: null }]);
    const state = await targetGroupStep.apply(ctx, plan);
    // The service step deletes it after UpdateService (it still names the rule until then).
    expect(elb.commandCalls(DeleteListenerCommand)).toHaveLength(0);
    expect(state.testListener).toBeUndefined();
    expect(state.retiredTestListener).toEqual(previous.testListener);

    // The service step did not get to it (deploy --no-wait): the next deploy does.
    const next = ctxFor(cfg, state);
    const again = await targetGroupStep.plan(next);
    expect(again.changes).toEqual([{ field: 'testListener', before: 'HTTP:9000', after: null }]);
    const after = await targetGroupStep.apply(next, again);
    expect(elb.commandCalls(DeleteListenerCommand).map((c) => c.args[0].input)).toEqual([{ ListenerArn: TEST_LISTENER }]);
    expect(after.retiredTestListener).toBeUndefined();
  });

  it('refuses a port held by a listener ecs-kit did not create, naming the field, and changes nothing', async () => {
    deployed({ alternate });
    elb.on(DescribeListenersCommand).resolves({ Listeners: [listener(80, PROD_LISTENER), listener(9000, TEST_LISTENER)] });
    ownedTags([TEST_LISTENER]);
    const err = await targetGroupStep.plan(ctxFor()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EcsKitError);
    expect((err as EcsKitError).code).toBe('target-group.test-port-taken');
    expect(`${(err as EcsKitError).message} ${(err as EcsKitError).fix}`).toContain('services.api.deployment.testPort');
    expect(commandNames(elb).every((n) => n.startsWith('Describe'))).toBe(true);
  });

  it("refuses a port that is still another service's test listener, saying how to move it", async () => {
    deployed({ alternate });
    elb.on(DescribeListenersCommand).resolves({ Listeners: [listener(80, PROD_LISTENER), listener(9000, TEST_LISTENER)] });
    elb.on(DescribeTagsCommand).resolves({
      TagDescriptions: [{ ResourceArn: TEST_LISTENER, Tags: [...OWNER_TAGS, { Key: 'ecs-kit:resource', Value: 'test-listener:web' }] }],
    });
    const err = (await targetGroupStep.plan(ctxFor()).catch((e: unknown) => e)) as EcsKitError;
    expect(err.code).toBe('target-group.test-port-taken');
    expect(err.message).toContain('the test listener of service web');
    expect(err.fix).toContain('port 9000 on neither service');
    expect(commandNames(elb).every((n) => n.startsWith('Describe'))).toBe(true);
  });

  it('teardown deletes the test listener before the rule and the groups it forwards to', async () => {
    ownedTags();
    elb.on(DescribeRulesCommand).resolves({ Rules: [pathRule(PROD_RULE, [])] });
    elb.on(DeleteListenerCommand).resolves({});
    elb.on(DeleteRuleCommand).resolves({});
    elb.on(DescribeTargetGroupsCommand).callsFake((input: { TargetGroupArns?: string[] }) => ({
      TargetGroups: (input.TargetGroupArns ?? []).map((a) => group(a.split('/')[1]!)),
    }));
    elb.on(DeleteTargetGroupCommand).resolves({});
    await targetGroupStep.destroy(ctxFor(), {
      targetGroupArn: tgArn(BASE),
      targetGroupName: BASE,
      ruleArn: PROD_RULE,
      alternate: { targetGroupArn: tgArn(alternate), targetGroupName: alternate },
      testListener: { port: 9000, listenerArn: TEST_LISTENER, ruleArn: TEST_RULE },
    });
    const mutating = commandNames(elb).filter((n) => n.startsWith('Delete'));
    expect(mutating[0]).toBe('DeleteListener');
    expect(mutating).toEqual(['DeleteListener', 'DeleteRule', 'DeleteTargetGroup', 'DeleteTargetGroup']);
  });
});

describe('deployment.testPort: the service and the security group', () => {
  const deps = {
    'target-group:api': {
      targetGroupArn: 'arn:tg',
      targetGroupName: BASE,
      ruleArn: PROD_RULE,
      alternate: { targetGroupArn: 'arn:alt', targetGroupName: 'alt' },
      testListener: { port: 9000, listenerArn: TEST_LISTENER, ruleArn: TEST_RULE },
    },
    'deployment-role': { roleArn: 'arn:role' },
  };

  it('the service sends the test rule as advancedConfiguration.testListenerRule', () => {
    const ctx = stepContext(targetGroupStep, { scope: 'api', config: BLUE_GREEN, deps });
    const svc = BLUE_GREEN.services.api!;
    expect(wantedLoadBalancer(ctx, 'api', { ...svc, port: 8080 }).advancedConfiguration).toEqual({
      alternateTargetGroupArn: 'arn:alt',
      productionListenerRule: PROD_RULE,
      testListenerRule: TEST_RULE,
      roleArn: 'arn:role',
    });
    const { testListener: _none, ...withoutTest } = deps['target-group:api'];
    const plain = stepContext(targetGroupStep, { scope: 'api', config: BLUE_GREEN, deps: { ...deps, 'target-group:api': withoutTest } });
    expect(wantedLoadBalancer(plain, 'api', { ...svc, port: 8080 }).advancedConfiguration).not.toHaveProperty('testListenerRule');
  });

  it('opens the test port only to loadBalancer.allowedCidrs', () => {
    const rules = lbIngress(config(yaml('{ strategy: canary, testPort: 9000 }', 'loadBalancer: { allowedCidrs: [203.0.113.0/24] }\n')));
    expect(rules.map((r) => [r.fromPort, r.source.value])).toEqual([
      [80, '203.0.113.0/24'],
      [9000, '203.0.113.0/24'],
    ]);
  });

  it('without allowedCidrs the test port is opened to no one, and the plan says so', async () => {
    const cfg = config(yaml('{ strategy: canary, testPort: 9000 }'));
    expect(lbIngress(cfg).map((r) => r.fromPort)).toEqual([80]);
    const ctx = stepContext(loadBalancerStep, { config: cfg, deps: {} });
    await loadBalancerStep.plan(ctx).catch(() => undefined);
    expect(ctx.warningCodes).toContain('load-balancer.test-port-closed');
    expect(ctx.warnings.join('\n')).toContain('9000 (api)');
  });
});
