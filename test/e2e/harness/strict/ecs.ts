import { providersOf, serviceKey, strategyKey } from './track.js';
import { ecsName, list, refuse, str, taskDefinitionKey, type AwsRequest, type Rule, type RuleContext } from './types.js';

/**
 * ECS service preconditions that moto skips. moto drops much of a service on describe
 * (capacityProviderStrategy, and a task definition's requiresCompatibilities), so these rules
 * read what the caller sent, as kept by the trackers.
 */

const FARGATE_PROVIDERS = ['FARGATE', 'FARGATE_SPOT'];

const targetGroupNeedsLoadBalancer: Rule = {
  id: 'ecs.target-group-needs-load-balancer',
  description: 'CreateService/UpdateService with a target group no listener or rule forwards to: InvalidParameterException',
  // ECS Developer Guide, service load balancing ("the target group must be associated with a load balancer"); the error text is
  // the one ECS returns ("The target group with targetGroupArn … does not have an associated load balancer.").
  source: 'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb.html',
  async check(req, ctx) {
    if (req.service !== 'ecs' || (req.operation !== 'CreateService' && req.operation !== 'UpdateService')) return undefined;
    for (const lb of list(req.json.loadBalancers)) {
      const arn = str(lb.targetGroupArn);
      if (!arn) continue;
      // moto fills LoadBalancerArns from listeners' default actions and rules: ask it, in the caller's account.
      const form = { Action: 'DescribeTargetGroups', Version: '2015-12-01', 'TargetGroupArns.member.1': arn };
      const out = await ctx.upstream({ service: 'elasticloadbalancing', form });
      if (out.status !== 200) continue; // an unknown target group is moto's (and AWS's) own error
      const associated = /<LoadBalancerArns>\s*<member>/.test(out.body);
      if (!associated)
        return refuse(
          'InvalidParameterException',
          `The target group with targetGroupArn ${arn} does not have an associated load balancer.`,
        );
    }
    return undefined;
  },
};

/** The launch type a call needs from its task definition: from launchType, a strategy, or the service as it runs. */
function neededLaunchType(req: AwsRequest, ctx: RuleContext): string | undefined {
  const providers = providersOf(req.json);
  if (providers?.length) return providers.some((p) => FARGATE_PROVIDERS.includes(p)) ? 'FARGATE' : 'EC2';
  const launchType = str(req.json.launchType);
  if (launchType) return launchType;
  if (req.operation !== 'UpdateService') return undefined; // none given: the cluster's default strategy decides
  const svc = ctx.state.services.get(serviceKey(req.json));
  if (svc?.providers?.length) return svc.providers.some((p) => FARGATE_PROVIDERS.includes(p)) ? 'FARGATE' : 'EC2';
  return svc?.launchType;
}

const launchTypeCompatibility: Rule = {
  id: 'ecs.launch-type-compatibility',
  description: 'CreateService/RunTask/UpdateService: launch type or providers must match the task definition requiresCompatibilities',
  // aws/aws-cli#3983 ("Task definition does not support launch_type FARGATE"); real-aws.md #3. The text for a strategy is unconfirmed.
  source: 'https://github.com/aws/aws-cli/issues/3983',
  check(req, ctx) {
    if (req.service !== 'ecs' || !['CreateService', 'RunTask', 'StartTask', 'UpdateService'].includes(req.operation)) return undefined;
    const ref = str(req.json.taskDefinition);
    if (!ref) return undefined;
    const need = neededLaunchType(req, ctx);
    if (!need) return undefined;
    let key = taskDefinitionKey(ref);
    if (!key.includes(':')) key = `${key}:${ctx.state.latestRevision.get(key) ?? 0}`;
    const compat = ctx.state.taskDefinitions.get(key);
    if (!compat || compat.includes(need)) return undefined; // unknown to the layer, or compatible
    return refuse('InvalidParameterException', `Task definition does not support launch_type ${need}.`);
  },
};

const updateCapacityTransition: Rule = {
  id: 'ecs.update-capacity-transition',
  description: 'UpdateService: a FARGATE launch-type service cannot move to FARGATE/FARGATE_SPOT providers (unconfirmed text)',
  // ECS API, UpdateService `capacityProviderStrategy`: the documented transitions do not include Fargate launch type → Fargate
  // providers (real-aws.md #17; ansible-collections/community.aws#1181). The error text is not on record: this one is plausible.
  source: 'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html',
  check(req, { state }) {
    if (req.service !== 'ecs' || req.operation !== 'UpdateService') return undefined;
    const providers = providersOf(req.json);
    if (!providers?.length || !providers.every((p) => FARGATE_PROVIDERS.includes(p))) return undefined;
    if (state.services.get(serviceKey(req.json))?.launchType !== 'FARGATE') return undefined;
    return refuse(
      'InvalidParameterException',
      'Updating a service that uses the FARGATE launch type to the FARGATE or FARGATE_SPOT capacity providers is not supported. ' +
        'Recreate the service with a capacity provider strategy.',
    );
  },
};

const updateStrategyForces: Rule = {
  id: 'ecs.update-strategy-needs-new-deployment',
  description: 'UpdateService changing the capacity provider strategy (or leaving a launch type) without forceNewDeployment is refused',
  // Text from pipe-cd/pipecd#6385; ECS API, UpdateService `capacityProviderStrategy`.
  source: 'https://github.com/pipe-cd/pipecd/pull/6385',
  check(req, { state }) {
    if (req.service !== 'ecs' || req.operation !== 'UpdateService' || req.json.forceNewDeployment === true) return undefined;
    const providers = providersOf(req.json);
    const svc = state.services.get(serviceKey(req.json));
    if (!providers?.length || !svc) return undefined;
    if (svc.strategy === strategyKey(req.json)) return undefined; // the same strategy again is no change
    return refuse(
      'InvalidParameterException',
      'When switching from launch type to capacity provider strategy on an existing service, or making a change to a capacity provider ' +
        'strategy on a service that is already using one, you must force a new deployment.',
    );
  },
};

type ServiceShape = { serviceName?: string; clusterArn?: string; launchType?: string; capacityProviderStrategy?: unknown[] };

const describeEchoesStrategy: Rule = {
  id: 'ecs.service-echoes-strategy',
  description: 'Create/Update/DescribeServices show the capacityProviderStrategy that was sent and no launchType (moto drops it, says EC2)',
  // ECS API, Service: `capacityProviderStrategy` is returned, and a service on a strategy has no `launchType`.
  source: 'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Service.html',
  rewrite(req, body, { state }) {
    if (req.service !== 'ecs' || !['CreateService', 'UpdateService', 'DescribeServices'].includes(req.operation)) return undefined;
    const out = JSON.parse(body || '{}') as { service?: ServiceShape; services?: ServiceShape[] };
    let changed = false;
    for (const svc of [out.service, ...(out.services ?? [])]) {
      if (!svc?.serviceName) continue;
      const key = `${ecsName(svc.clusterArn)}/${svc.serviceName}`;
      // This very call's strategy (trackers learn it after the rewrite), else the one last sent.
      const own = req.operation !== 'DescribeServices' && Array.isArray(req.json.capacityProviderStrategy);
      const sent = own ? list(req.json.capacityProviderStrategy) : state.services.get(key)?.items;
      if (!sent?.length || JSON.stringify(svc.capacityProviderStrategy) === JSON.stringify(sent)) continue;
      svc.capacityProviderStrategy = sent;
      delete svc.launchType;
      changed = true;
    }
    return changed ? JSON.stringify(out) : undefined;
  },
};

export const ECS_RULES: Rule[] = [
  targetGroupNeedsLoadBalancer,
  launchTypeCompatibility,
  updateCapacityTransition,
  updateStrategyForces,
  describeEchoesStrategy,
];
