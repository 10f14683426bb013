import type { DeploymentConfiguration, DeploymentLifecycleHook, LoadBalancer } from '@aws-sdk/client-ecs';
import type { ServiceConfig } from '../../config/schema.js';
import { after, type Change, type StepContext } from '../../engine/types.js';
import { alarmsStep } from '../alarms/index.js';
import { deploymentRoleStep } from '../deployment-role/index.js';
import { targetGroupStep } from '../target-group/index.js';
import { deploymentConfigurationFor, listedAlarms, shiftsTraffic, wantsOwnAlarms } from './deployment-config.js';

/**
 * The service step's part of safe rollouts (issue 10): the deploymentConfiguration the config asks for, the load
 * balancer's advancedConfiguration for blue/green, linear and canary, and how both compare with what ECS returns,
 * normalizing every default ECS now fills in so an untouched service shows no change.
 */

/** The alarms and the infrastructure role the service's deployments use are in place before it. */
export function safeRolloutDependencies(name: string, svc: ServiceConfig): string[] {
  return [...(wantsOwnAlarms(svc) ? [after(alarmsStep, name)] : []), ...(shiftsTraffic(svc) ? [after(deploymentRoleStep)] : [])];
}

/** The deploymentConfiguration for the service: strategy, bake, canary/linear, PAUSE hooks, and the alarms to roll back on. */
export function wantedDeploymentConfiguration(ctx: Pick<StepContext, 'dep'>, scope: string, svc: ServiceConfig): DeploymentConfiguration {
  const own = wantsOwnAlarms(svc) ? ctx.dep(alarmsStep, scope).alarmNames : [];
  return deploymentConfigurationFor(svc, [...own, ...listedAlarms(svc)]);
}

/**
 * The service's load balancer entry. For a strategy that shifts traffic it carries the alternate group, the production
 * listener rule ECS moves the weights of, the test listener rule (deployment.testPort), and the infrastructure role ECS does that with (ECS API reference,
 * AdvancedConfiguration, https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_AdvancedConfiguration.html).
 */
export function wantedLoadBalancer(ctx: Pick<StepContext, 'dep'>, scope: string, svc: ServiceConfig & { port: number }): LoadBalancer {
  const tg = ctx.dep(targetGroupStep, scope);
  const lb: LoadBalancer = { targetGroupArn: tg.targetGroupArn, containerName: scope, containerPort: svc.port };
  if (!shiftsTraffic(svc) || !tg.alternate) return lb;
  lb.advancedConfiguration = {
    alternateTargetGroupArn: tg.alternate.targetGroupArn,
    productionListenerRule: tg.ruleArn,
    // deployment.testPort: the rule ECS sends to the new revision first (TEST_TRAFFIC_SHIFT).
    ...(tg.testListener ? { testListenerRule: tg.testListener.ruleArn } : {}),
    roleArn: ctx.dep(deploymentRoleStep).roleArn,
  };
  return lb;
}

/** One load balancer entry as compared: the two groups as a set (ECS alternates them on every deployment), the rest as is. */
function lbKey(l: LoadBalancer): string {
  const a = l.advancedConfiguration;
  const groups = [l.targetGroupArn ?? l.loadBalancerName ?? '', a?.alternateTargetGroupArn ?? ''].sort().join('+');
  return [
    groups,
    l.containerName ?? '',
    l.containerPort ?? '',
    a?.productionListenerRule ?? '',
    a?.testListenerRule ?? '',
    a?.roleArn ?? '',
  ].join('|');
}

export function loadBalancersDiffer(actual: LoadBalancer[] | undefined, wanted: LoadBalancer[]): boolean {
  const keys = (lbs: LoadBalancer[]) => JSON.stringify(lbs.map(lbKey).sort());
  return keys(actual ?? []) !== keys(wanted);
}

/**
 * The entries to send: where ECS holds the same two groups the other way round (it swapped them in a deployment),
 * its order is kept, so an update never tells ECS the live group is the alternate.
 */
export function alignWithLive(wanted: LoadBalancer[], actual: LoadBalancer[] | undefined): LoadBalancer[] {
  return wanted.map((w) => {
    const alt = w.advancedConfiguration?.alternateTargetGroupArn;
    const live = actual?.find((a) => a.targetGroupArn === alt && a.advancedConfiguration?.alternateTargetGroupArn === w.targetGroupArn);
    if (!alt || !live) return w;
    return { ...w, targetGroupArn: alt, advancedConfiguration: { ...w.advancedConfiguration, alternateTargetGroupArn: w.targetGroupArn } };
  });
}

const hookKey = (hooks: DeploymentLifecycleHook[] | undefined) =>
  JSON.stringify(
    (hooks ?? [])
      // ecs-kit makes only PAUSE hooks; an absent targetType means AWS_LAMBDA (ECS API reference, DeploymentLifecycleHook).
      .map((h) => `${h.targetType ?? 'AWS_LAMBDA'}:${h.hookTargetArn ?? ''}:${[...(h.lifecycleStages ?? [])].sort().join(',')}`)
      .sort(),
  );

const alarmKey = (a: DeploymentConfiguration['alarms']) =>
  a?.enable ? JSON.stringify({ names: [...(a.alarmNames ?? [])].sort(), rollback: Boolean(a.rollback) }) : 'off';

/**
 * What differs in deploymentConfiguration. Only fields ECS returned are compared, and the defaults it fills in are not
 * drift: the circuit breaker's resetOnHealthyTask and thresholdConfiguration, a hook's timeoutConfiguration,
 * earlySuccessCriteria, a missing strategy (ROLLING), and minimumHealthyPercent of a strategy that does not use it.
 */
export function deploymentConfigChanges(actual: DeploymentConfiguration, wanted: DeploymentConfiguration): Change[] {
  const changes: Change[] = [];
  const add = (field: string, before: unknown, after: unknown) => changes.push({ field: `deployment.${field}`, before, after });
  const cb = actual.deploymentCircuitBreaker;
  const wcb = wanted.deploymentCircuitBreaker;
  if (cb && (cb.enable !== wcb?.enable || cb.rollback !== wcb?.rollback))
    add('circuitBreaker', { enable: cb.enable, rollback: cb.rollback }, { enable: wcb?.enable, rollback: wcb?.rollback });
  if (actual.maximumPercent !== undefined && actual.maximumPercent !== wanted.maximumPercent)
    add('maxPercent', actual.maximumPercent, wanted.maximumPercent);
  const strategy = actual.strategy ?? 'ROLLING';
  if (strategy !== wanted.strategy) add('strategy', strategy, wanted.strategy);
  const rolling = wanted.strategy === 'ROLLING';
  if (rolling && actual.minimumHealthyPercent !== undefined && actual.minimumHealthyPercent !== wanted.minimumHealthyPercent)
    add('minHealthyPercent', actual.minimumHealthyPercent, wanted.minimumHealthyPercent);
  if (!rolling) {
    if (actual.bakeTimeInMinutes !== wanted.bakeTimeInMinutes) add('bakeMinutes', actual.bakeTimeInMinutes, wanted.bakeTimeInMinutes);
    const canary = (c: DeploymentConfiguration['canaryConfiguration']) =>
      c ? `${c.canaryPercent}%/${c.canaryBakeTimeInMinutes}m` : undefined;
    if (wanted.canaryConfiguration && canary(actual.canaryConfiguration) !== canary(wanted.canaryConfiguration))
      add('canary', canary(actual.canaryConfiguration), canary(wanted.canaryConfiguration));
    const linear = (l: DeploymentConfiguration['linearConfiguration']) => (l ? `${l.stepPercent}%/${l.stepBakeTimeInMinutes}m` : undefined);
    if (wanted.linearConfiguration && linear(actual.linearConfiguration) !== linear(wanted.linearConfiguration))
      add('linear', linear(actual.linearConfiguration), linear(wanted.linearConfiguration));
    if (hookKey(actual.lifecycleHooks) !== hookKey(wanted.lifecycleHooks))
      add('pauseBefore', actual.lifecycleHooks ?? [], wanted.lifecycleHooks ?? []);
  }
  if (alarmKey(actual.alarms) !== alarmKey(wanted.alarms)) add('alarms', actual.alarms?.alarmNames ?? [], wanted.alarms?.alarmNames ?? []);
  return changes;
}
