import {
  CreateListenerCommand,
  CreateRuleCommand,
  DescribeRulesCommand,
  ModifyListenerCommand,
  ModifyRuleCommand,
  type Listener,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { onceOptions } from '../../aws/create-once-options.js';
import { elbTags } from '../../aws/elb-ownership.js';
import { warnLeftInPlace } from '../../aws/ownership.js';
import { createOnce } from '../../aws/idempotent.js';
import { TAG_ROLE, isOwnedBy, ownerTags } from '../../aws/tags.js';
import type { Change, StepContext } from '../../engine/types.js';
import { EcsKitError } from '../../errors.js';
import { NOT_ROUTED_ACTIONS, deleteListener, listListeners } from '../load-balancer/listeners.js';
import { forwardsToPair, weightedForward } from './alternate.js';
import { conditions, pathPatterns, rulePaths } from './routing.js';

/**
 * The test listener (services.<name>.deployment.testPort): an HTTP listener on that port of the shared load balancer,
 * 404 by default, with one rule for the service's path that forwards (forward only, weighted) to the same two target
 * groups as the production rule. Its ARN is advancedConfiguration.testListenerRule: ECS points it at the new revision
 * at TEST_TRAFFIC_SHIFT, before production traffic moves. ECS wants a listener *rule* ARN for an Application Load
 * Balancer (ECS API reference, AdvancedConfiguration, testListenerRule), and, like the production rule, one whose
 * actions are forward only (ECS Developer Guide, "Application Load Balancer resources for blue/green, linear, and
 * canary deployments", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb-resources-for-blue-green.html).
 */

export interface TestListener {
  port: number;
  listenerArn: string;
  ruleArn: string;
}

/** What plan found: the wanted port (absent: none wanted), our listener and rule on it and what drifted, and what goes. */
export interface PlannedTestListener {
  port?: number;
  listenerArn?: string;
  listenerDrift?: boolean;
  ruleArn?: string;
  ruleDrift?: boolean;
  /** Our listeners on a port no longer wanted, that nothing refers to any more: deleted now. */
  remove?: string[];
  /**
   * The listener on the port no longer wanted while the service still names its rule (testListenerRule): recorded, and
   * deleted by the service step once UpdateService no longer refers to it (or by the next deploy).
   */
  retire?: TestListener;
}

/** The single rule on the test listener: it is ours, so any priority does. */
const TEST_RULE_PRIORITY = 1;

const label = (port: number, path: string) => `HTTP:${port}, ${pathPatterns(path).join(', ')} → both target groups (test traffic)`;

async function listenerRules(ctx: StepContext, listenerArn: string): Promise<Rule[]> {
  // One listener of ours holds one rule (plus the default): no paging needed.
  return (await ctx.aws.elbv2().send(new DescribeRulesCommand({ ListenerArn: listenerArn }))).Rules ?? [];
}

/** Only what the API returned is compared: HTTP, and the 404 default. */
function listenerDrifted(l: Listener): boolean {
  if (l.Protocol !== undefined && l.Protocol !== 'HTTP') return true;
  const actions = l.DefaultActions;
  if (!actions?.length) return false;
  return actions.length !== 1 || actions[0]!.Type !== 'fixed-response';
}

function portTaken(port: number, service: string, what: string, holder?: string): EcsKitError {
  return new EcsKitError('target-group.test-port-taken', `Port ${port} of the load balancer is taken by ${what}.`, {
    why: `services.${service}.deployment.testPort asks for a test listener on that port, and ecs-kit never takes over another listener.`,
    fix: holder
      ? `Deploy once with port ${port} on neither service (that deletes the test listener of ${holder}), then give it to services.${service}.`
      : `Choose another services.${service}.deployment.testPort, or delete that listener yourself.`,
  });
}

/** Our listener on the port, or none; one that ecs-kit did not create for this app/env stops the deploy. */
async function ownListenerOn(ctx: StepContext, listeners: Listener[], port: number, service: string): Promise<Listener | undefined> {
  const found = listeners.find((l) => l.Port === port);
  if (!found?.ListenerArn) return undefined;
  const tags = await elbTags(ctx, found.ListenerArn);
  if (!tags) return undefined;
  if (!isOwnedBy(tags, ctx.owner)) throw portTaken(port, service, 'a listener that ecs-kit did not create');
  // Another service's test listener (its testPort moved here in this very deploy): that service's step deletes it.
  const role = tags.find((t) => t.Key === TAG_ROLE)?.Value;
  const holder = role?.startsWith('test-listener:') ? role.slice('test-listener:'.length) : undefined;
  if (holder && holder !== service) throw portTaken(port, service, `the test listener of service ${holder}`, holder);
  return found;
}

/**
 * Plan the test listener of a service: none read when none is wanted or was made; `pair` is the production and
 * alternate group when both exist (the rule must forward to exactly those two).
 */
export async function planTestListener(
  ctx: StepContext,
  o: {
    service: string;
    port: number | undefined;
    path: string;
    loadBalancerArn: string;
    previous?: TestListener;
    retired?: TestListener;
    pair?: [string, string];
  },
  changes: Change[],
): Promise<{ plan: PlannedTestListener; current?: TestListener }> {
  const { port, previous, retired } = o;
  if (port === undefined && !previous && !retired) return { plan: {} };
  const listeners = await listListeners(ctx, o.loadBalancerArn);
  const exists = (l: TestListener | undefined): l is TestListener => !!l && listeners.some((x) => x.ListenerArn === l.listenerArn);
  const plan: PlannedTestListener = {};
  // Retired by an earlier deploy that did not wait for the service: nothing refers to it now.
  if (exists(retired) && retired.port !== port) {
    plan.remove = [retired.listenerArn];
    changes.push({ field: 'testListener', before: `HTTP:${retired.port}`, after: null });
  }
  if (exists(previous) && previous.port !== port) {
    plan.retire = previous;
    changes.push({ field: 'testListener', before: `HTTP:${previous.port}`, after: port === undefined ? null : `HTTP:${port}` });
  }
  if (port === undefined) return { plan };
  plan.port = port;
  const listener = await ownListenerOn(ctx, listeners, port, o.service);
  if (!listener) {
    if (!plan.retire) changes.push({ field: 'testListener', after: label(port, o.path) });
    return { plan };
  }
  plan.listenerArn = listener.ListenerArn!;
  plan.listenerDrift = listenerDrifted(listener);
  if (plan.listenerDrift)
    changes.push({ field: 'testListener.defaultAction', before: listener.DefaultActions?.[0]?.Type, after: 'fixed-response 404' });
  const rule = (await listenerRules(ctx, plan.listenerArn)).find((r) => !r.IsDefault);
  if (!rule?.RuleArn) {
    changes.push({ field: 'testListener.rule', after: label(port, o.path) });
    return { plan };
  }
  plan.ruleArn = rule.RuleArn;
  const wantedPaths = [...pathPatterns(o.path)].sort();
  const paths = rulePaths(rule);
  const pathDrift = !paths || paths.join('\n') !== wantedPaths.join('\n');
  // ECS sets the weights during a deployment: any weights over exactly the two groups are as wanted.
  const actionDrift = !o.pair || !forwardsToPair(rule, ...o.pair);
  plan.ruleDrift = pathDrift || actionDrift;
  if (pathDrift) changes.push({ field: 'testListener.rule.pathPattern', before: paths, after: wantedPaths });
  if (actionDrift)
    changes.push({ field: 'testListener.rule.action', before: rule.Actions?.[0]?.Type, after: 'forward to both target groups' });
  return { plan, current: { port, listenerArn: plan.listenerArn, ruleArn: rule.RuleArn } };
}

async function createTestListener(ctx: StepContext, loadBalancerArn: string, port: number, service: string): Promise<string> {
  ctx.progress(`creating the test listener on port ${port} (${service})`);
  // A listener is unique per port on its load balancer: a lost response is found by port.
  return createOnce({
    create: async () => {
      const command = new CreateListenerCommand({
        LoadBalancerArn: loadBalancerArn,
        Protocol: 'HTTP',
        Port: port,
        DefaultActions: NOT_ROUTED_ACTIONS,
        Tags: ownerTags(ctx.owner, `test-listener:${service}`),
      });
      return (await ctx.aws.once.elbv2().send(command)).Listeners![0]!.ListenerArn!;
    },
    find: async () => (await listListeners(ctx, loadBalancerArn)).find((l) => l.Port === port)?.ListenerArn,
    alreadyExists: ['DuplicateListenerException', 'DuplicateListener'],
    ...onceOptions(ctx),
  });
}

async function createTestRule(
  ctx: StepContext,
  listenerArn: string,
  path: string,
  pair: [string, string],
  service: string,
): Promise<string> {
  // CreateRule has no idempotency token: after a lost response, the rule on our own listener is the one an earlier attempt made.
  return createOnce({
    create: async () =>
      (
        await ctx.aws.once.elbv2().send(
          new CreateRuleCommand({
            ListenerArn: listenerArn,
            Priority: TEST_RULE_PRIORITY,
            Conditions: conditions(path),
            Actions: weightedForward(...pair),
            Tags: ownerTags(ctx.owner, `test-listener-rule:${service}`),
          }),
        )
      ).Rules![0]!.RuleArn!,
    find: async () => (await listenerRules(ctx, listenerArn)).find((r) => !r.IsDefault)?.RuleArn,
    alreadyExists: ['PriorityInUseException', 'PriorityInUse'],
    ...onceOptions(ctx),
  });
}

/** Delete what is no longer wanted, then create the listener and its rule or fix what drifted; returns what exists. */
export async function ensureTestListener(
  ctx: StepContext,
  planned: PlannedTestListener | undefined,
  o: { service: string; path: string; loadBalancerArn: string; pair?: [string, string] },
): Promise<TestListener | undefined> {
  for (const arn of planned?.remove ?? []) await deleteListener(ctx, arn);
  const port = planned?.port;
  if (port === undefined) return undefined;
  if (!o.pair) throw new EcsKitError('target-group.scope', `The test listener of ${o.service} needs its alternate target group.`);
  const elbv2 = ctx.aws.elbv2();
  const listenerArn = planned!.listenerArn ?? (await createTestListener(ctx, o.loadBalancerArn, port, o.service));
  if (planned!.listenerDrift) {
    await elbv2.send(
      new ModifyListenerCommand({ ListenerArn: listenerArn, Protocol: 'HTTP', Port: port, DefaultActions: NOT_ROUTED_ACTIONS }),
    );
  }
  const ruleArn = planned!.ruleArn ?? (await createTestRule(ctx, listenerArn, o.path, o.pair, o.service));
  if (planned!.ruleArn && planned!.ruleDrift) {
    await elbv2.send(new ModifyRuleCommand({ RuleArn: ruleArn, Conditions: conditions(o.path), Actions: weightedForward(...o.pair) }));
  }
  return { port, listenerArn, ruleArn };
}

/** At teardown: delete our test listener (its rule goes with it), so the target groups are no longer in use. */
export async function deleteTestListener(ctx: StepContext, listener: TestListener): Promise<void> {
  const tags = await elbTags(ctx, listener.listenerArn);
  if (!tags) return;
  if (!isOwnedBy(tags, ctx.owner)) {
    warnLeftInPlace(ctx, `listener ${listener.listenerArn} on port ${listener.port}`);
    return;
  }
  await deleteListener(ctx, listener.listenerArn);
}
