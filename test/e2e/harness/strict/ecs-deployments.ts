import {
  advance,
  DEFAULT_CLOCK,
  DeploymentState,
  describeShape,
  phasesFor,
  withDefaults,
  type DeploymentClock,
  type FakeDeployment,
} from './deployments.js';
import type { AccountState } from './state.js';
import { serviceKey } from './track.js';
import { ecsName, list, refuse, str, type AwsRequest, type Rule, type RuleContext, type Verdict } from './types.js';

/**
 * The rule that puts the service-deployment fake (./deployments.ts) in front of moto: it answers the four service
 * deployment APIs itself, learns what Create/UpdateService sent, and shows it back on Create/Update/DescribeServices
 * (deploymentConfiguration with ECS's defaults, advancedConfiguration, enableExecuteCommand, the revision a rollback
 * went back to). What the CLI sent stays in the proxy's `sent` log for tests to assert.
 */

type Json = Record<string, unknown>;

const states = new WeakMap<AccountState, DeploymentState>();
const fake = (state: AccountState) => {
  let s = states.get(state);
  if (!s) states.set(state, (s = new DeploymentState()));
  return s;
};

/** The shrunk clock of a run: `windows.deploymentStage` / `windows.bakeMinute` when a test gives them. */
const clockOf = (ctx: RuleContext): DeploymentClock => ({
  stageMs: ctx.windows.deploymentStage ?? DEFAULT_CLOCK.stageMs,
  minuteMs: ctx.windows.bakeMinute ?? DEFAULT_CLOCK.minuteMs,
});

const json = (body: Json): Verdict => ({ answer: JSON.stringify(body) });

function findDeployment(state: DeploymentState, arn: string): { d: FakeDeployment; key: string } | undefined {
  for (const [key, svc] of state.services) {
    const d = svc.deployments.find((x) => x.arn === arn);
    if (d) return { d, key };
  }
  return undefined;
}

async function advanceAll(state: DeploymentState, ctx: RuleContext, key?: string): Promise<void> {
  for (const [k, svc] of state.services) {
    if (key && k !== key) continue;
    for (const d of svc.deployments) await advance(d, svc, ctx, clockOf(ctx));
  }
}

async function answer(req: AwsRequest, ctx: RuleContext): Promise<Verdict | undefined> {
  const state = fake(ctx.state);
  const j = req.json;
  switch (req.operation) {
    case 'ListServiceDeployments': {
      const key = serviceKey(j);
      await advanceAll(state, ctx, key);
      const after = (j.createdAt as Json | undefined)?.after;
      const statuses = list<string>(j.status);
      const found = (state.services.get(key)?.deployments ?? [])
        .filter((d) => typeof after !== 'number' || d.createdAt / 1000 >= after)
        .filter((d) => statuses.length === 0 || statuses.includes(d.status))
        .sort((a, b) => b.createdAt - a.createdAt);
      return json({
        serviceDeployments: found.map((d) => ({
          serviceDeploymentArn: d.arn,
          serviceArn: d.serviceArn,
          clusterArn: d.clusterArn,
          createdAt: d.createdAt / 1000,
          status: d.status,
          ...(d.statusReason ? { statusReason: d.statusReason } : {}),
        })),
      });
    }
    case 'DescribeServiceDeployments': {
      await advanceAll(state, ctx);
      const arns = list<string>(j.serviceDeploymentArns);
      const found = arns.map((a) => findDeployment(state, a)).filter((x): x is { d: FakeDeployment; key: string } => Boolean(x));
      for (const f of found) f.d.observed = { index: f.d.index, at: ctx.now };
      return json({
        serviceDeployments: found.map((f) => describeShape(f.d)),
        failures: arns.filter((a) => !found.some((f) => f.d.arn === a)).map((arn) => ({ arn, reason: 'MISSING' })),
      });
    }
    case 'ContinueServiceDeployment':
      return continueDeployment(state, j, ctx);
    case 'StopServiceDeployment':
      return stopDeployment(state, j, ctx);
    case 'DescribeServices':
      // The service shows where its deployments got to (a finished rollback runs the old revision again).
      await advanceAll(state, ctx);
      return undefined;
  }
  return undefined;
}

async function continueDeployment(state: DeploymentState, j: Json, ctx: RuleContext): Promise<Verdict> {
  const arn = str(j.serviceDeploymentArn) ?? '';
  const found = findDeployment(state, arn);
  if (!found) return refuse('ServiceDeploymentNotFoundException', `Service deployment ${arn} not found.`);
  await advance(found.d, state.service(found.key), ctx, clockOf(ctx));
  const d = found.d;
  // ContinueServiceDeployment acts on a hook that awaits an action (ECS API reference); any other state is refused.
  if (!d.hookId || d.hookId !== str(j.hookId)) {
    return refuse('InvalidParameterException', `The lifecycle hook ${str(j.hookId) ?? ''} of ${arn} is not awaiting an action.`);
  }
  d.hookId = undefined;
  if ((str(j.action) ?? 'CONTINUE') === 'ROLLBACK') {
    d.status = 'ROLLBACK_IN_PROGRESS';
    d.rollbackReason = 'The deployment was rolled back at a paused lifecycle hook (ContinueServiceDeployment ROLLBACK).';
    d.statusReason = d.rollbackReason;
    d.rollbackAt = ctx.now;
  } else {
    d.resumed.add(d.index);
    d.phaseStartedAt = ctx.now;
  }
  return json({ serviceDeploymentArn: arn });
}

async function stopDeployment(state: DeploymentState, j: Json, ctx: RuleContext): Promise<Verdict> {
  const arn = str(j.serviceDeploymentArn) ?? '';
  const found = findDeployment(state, arn);
  if (!found) return refuse('ServiceDeploymentNotFoundException', `Service deployment ${arn} not found.`);
  await advance(found.d, state.service(found.key), ctx, clockOf(ctx));
  const d = found.d;
  if (d.status !== 'IN_PROGRESS' && d.status !== 'PENDING') {
    return refuse('ConflictException', `Service deployment ${arn} is ${d.status} and cannot be stopped.`);
  }
  d.hookId = undefined;
  if ((str(j.stopType) ?? 'ROLLBACK') === 'ROLLBACK') {
    d.status = 'ROLLBACK_IN_PROGRESS';
    d.rollbackReason = 'The deployment was stopped and rolled back (StopServiceDeployment ROLLBACK).';
    d.statusReason = d.rollbackReason;
    d.rollbackAt = ctx.now;
  } else {
    d.status = 'STOPPED';
    d.statusReason = 'The deployment was stopped (StopServiceDeployment ABORT).';
  }
  return json({ serviceDeploymentArn: arn });
}

type ServiceShape = Json & { serviceName?: string; clusterArn?: string; serviceArn?: string; taskDefinition?: string };

/** Learn what Create/UpdateService sent, start a deployment when the call starts one, and show the service as ECS would. */
function learn(req: AwsRequest, service: ServiceShape | undefined, ctx: RuleContext): void {
  if (!service?.serviceName) return;
  const state = fake(ctx.state);
  const key = `${ecsName(service.clusterArn)}/${service.serviceName}`;
  const svc = state.service(key);
  const j = req.json;
  const creating = req.operation === 'CreateService';
  if (j.deploymentConfiguration) svc.config = j.deploymentConfiguration as Json;
  if (Array.isArray(j.loadBalancers)) svc.loadBalancers = list(j.loadBalancers);
  if (typeof j.enableExecuteCommand === 'boolean') svc.enableExecuteCommand = j.enableExecuteCommand;
  const sentTd = str(j.taskDefinition);
  const before = svc.taskDefinition;
  const target = sentTd ?? before ?? service.taskDefinition ?? '';
  const starts =
    creating ||
    (sentTd !== undefined && sentTd !== before && !before?.endsWith(`/${sentTd}`)) ||
    j.forceNewDeployment === true ||
    Array.isArray(j.loadBalancers) ||
    j.networkConfiguration !== undefined ||
    Array.isArray(j.capacityProviderStrategy);
  if (!starts) return;
  const config = svc.config ?? {};
  const id = state.nextId();
  const now = ctx.now;
  const firstDeployment = creating || svc.deployments.length === 0;
  svc.deployments.push({
    arn: `arn:aws:ecs:us-east-1:${accountOf(service)}:service-deployment/${key}/${id}`,
    serviceKey: key,
    serviceArn: service.serviceArn ?? '',
    clusterArn: service.clusterArn ?? '',
    createdAt: now,
    status: 'PENDING',
    config,
    target,
    ...(before && !creating ? { source: before } : {}),
    phases: phasesFor(config, clockOf(ctx), firstDeployment),
    index: 0,
    phaseStartedAt: now,
    resumed: new Set(),
    triggered: [],
  });
  svc.taskDefinition = target;
}

const accountOf = (service: ServiceShape) => /:(\d{12}):/.exec(service.serviceArn ?? '')?.[1] ?? '123456789012';

/** Shows the service as ECS keeps it: the config as sent with ECS's defaults, the swapped groups, a rollback's revision. */
function show(service: ServiceShape | undefined, ctx: RuleContext): boolean {
  if (!service?.serviceName) return false;
  const svc = fake(ctx.state).services.get(`${ecsName(service.clusterArn)}/${service.serviceName}`);
  if (!svc) return false;
  if (svc.config) service.deploymentConfiguration = withDefaults(svc.config);
  if (svc.loadBalancers) service.loadBalancers = svc.loadBalancers;
  if (svc.enableExecuteCommand !== undefined) service.enableExecuteCommand = svc.enableExecuteCommand;
  if (svc.taskDefinition) service.taskDefinition = svc.taskDefinition;
  return true;
}

export const serviceDeployments: Rule = {
  id: 'ecs.service-deployments',
  description:
    'A stateful fake of ECS service deployments (rolling, blue/green, linear, canary; pause hooks, alarm rollback, stop), ' +
    'and Create/Update/DescribeServices showing the deploymentConfiguration moto drops',
  source: 'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeployment.html',
  check(req, ctx) {
    if (req.service !== 'ecs') return undefined;
    return answer(req, ctx);
  },
  rewrite(req, body, ctx) {
    if (req.service !== 'ecs' || !['CreateService', 'UpdateService', 'DescribeServices', 'DeleteService'].includes(req.operation))
      return undefined;
    const out = JSON.parse(body || '{}') as { service?: ServiceShape; services?: ServiceShape[] };
    if (req.operation === 'DeleteService') {
      fake(ctx.state).services.delete(serviceKey(req.json));
      return undefined;
    }
    if (req.operation !== 'DescribeServices') learn(req, out.service, ctx);
    let changed = false;
    for (const svc of [out.service, ...(out.services ?? [])]) changed = show(svc, ctx) || changed;
    return changed ? JSON.stringify(out) : undefined;
  },
};

export const DEPLOYMENT_RULES: Rule[] = [serviceDeployments];
