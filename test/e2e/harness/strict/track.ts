import type { AccountState, LaunchTemplateInfo } from './state.js';
import { ecsName, formValues, list, str, taskDefinitionKey, xmlValue, type AwsRequest, type RuleContext, type Tracker } from './types.js';

/**
 * The layer's model of the account, learned from successful calls (and from what the caller
 * sent, where moto drops it on describe). Trackers always run, whichever rules are switched on,
 * so switching one rule off never leaves another with a stale picture.
 */

/** Create operation → the response tag that holds the new id. */
const EC2_CREATES: Record<string, string> = {
  CreateVpc: 'vpcId',
  CreateSubnet: 'subnetId',
  CreateSecurityGroup: 'groupId',
  CreateInternetGateway: 'internetGatewayId',
  CreateRouteTable: 'routeTableId',
  AllocateAddress: 'allocationId',
  CreateNatGateway: 'natGatewayId',
  CreateLaunchTemplate: 'launchTemplateId',
};

export const SERVICE_LINKED_ROLES: Record<string, { roleName: string; path: string }> = {
  'ecs.amazonaws.com': { roleName: 'AWSServiceRoleForECS', path: '/aws-service-role/ecs.amazonaws.com/' },
  'elasticloadbalancing.amazonaws.com': {
    roleName: 'AWSServiceRoleForElasticLoadBalancing',
    path: '/aws-service-role/elasticloadbalancing.amazonaws.com/',
  },
  'ecs.application-autoscaling.amazonaws.com': {
    roleName: 'AWSServiceRoleForApplicationAutoScaling_ECSService',
    path: '/aws-service-role/ecs.application-autoscaling.amazonaws.com/',
  },
  'autoscaling.amazonaws.com': { roleName: 'AWSServiceRoleForAutoScaling', path: '/aws-service-role/autoscaling.amazonaws.com/' },
};

/** A service made its own service-linked role on first use (it exists from now on, usable after the window). */
export function serviceCreatesRole(state: AccountState, awsService: string, now: number): void {
  const role = SERVICE_LINKED_ROLES[awsService]!.roleName;
  if (!state.serviceLinkedRoles.has(role)) state.serviceLinkedRoles.set(role, now);
}

function launchTemplateFrom(
  form: Record<string, string>,
  id: string,
  name: string | undefined,
  previous?: LaunchTemplateInfo,
): LaunchTemplateInfo {
  const arn = form['LaunchTemplateData.IamInstanceProfile.Arn'];
  const profileName = form['LaunchTemplateData.IamInstanceProfile.Name'];
  const profile = arn ? { by: 'arn' as const, value: arn } : profileName ? { by: 'name' as const, value: profileName } : previous?.profile;
  const groups = Object.entries(form)
    .filter(([k, v]) => k.startsWith('LaunchTemplateData.') && /SecurityGroupId|Groups|SecurityGroup\./.test(k) && v.startsWith('sg-'))
    .map(([, v]) => v);
  const publicIp = Object.entries(form).some(
    ([k, v]) => k.startsWith('LaunchTemplateData.') && k.endsWith('AssociatePublicIpAddress') && v === 'true',
  );
  return { id, name: name ?? previous?.name, ...(profile ? { profile } : {}), securityGroups: groups, publicIp };
}

/** Launch template named by an Auto Scaling request (plain or inside a MixedInstancesPolicy). */
export function launchTemplateOf(state: AccountState, form: Record<string, string>): LaunchTemplateInfo | undefined {
  const ref = formValues(form, /LaunchTemplate(Id|Name)$/)[0];
  return ref ? state.launchTemplates.get(ref) : undefined;
}

function trackEc2(req: AwsRequest, body: string, { state, now, windows }: RuleContext): void {
  const tag = EC2_CREATES[req.operation];
  const id = tag ? xmlValue(body, tag) : undefined;
  if (id) state.fresh.set(id, now);
  const f = req.form;
  switch (req.operation) {
    case 'CreateSubnet':
      if (id && f.VpcId) state.subnetVpc.set(id, f.VpcId);
      break;
    case 'CreateNatGateway':
      if (!id) break;
      state.nats.set(id, { createdAt: now, ...(f.AllocationId ? { allocationId: f.AllocationId } : {}) });
      state.setHolder({
        kind: 'NAT gateway',
        id,
        subnets: f.SubnetId ? [f.SubnetId] : [],
        securityGroups: [],
        publicIp: f.ConnectivityType !== 'private',
      });
      break;
    case 'DeleteNatGateway': {
      const nat = f.NatGatewayId ? state.nats.get(f.NatGatewayId) : undefined;
      if (nat && nat.deletedAt === undefined) nat.deletedAt = now;
      // Its ENI and address are released once it is really gone, after `deleting`.
      if (f.NatGatewayId) state.release('NAT gateway', f.NatGatewayId, now, now + windows.natDeleting);
      break;
    }
    case 'DescribeNatGateways':
      // What the caller was shown (after any rewrite): the release-after-NAT rule counts from the first `deleted`.
      for (const m of body.matchAll(/<natGatewayId>([^<]+)<\/natGatewayId>\s*<state>([^<]+)<\/state>/g)) {
        const nat = state.nats.get(m[1]!);
        if (nat && m[2] === 'deleted' && nat.deletedAt !== undefined && nat.shownDeletedAt === undefined) nat.shownDeletedAt = now;
      }
      break;
    case 'CreateLaunchTemplate': {
      if (!id) break;
      const lt = launchTemplateFrom(f, id, f.LaunchTemplateName);
      state.launchTemplates.set(id, lt);
      if (lt.name) state.launchTemplates.set(lt.name, lt);
      break;
    }
    case 'CreateLaunchTemplateVersion': {
      const prev = state.launchTemplates.get(f.LaunchTemplateId ?? f.LaunchTemplateName ?? '');
      if (!prev) break;
      const lt = launchTemplateFrom(f, prev.id, prev.name, prev);
      state.launchTemplates.set(lt.id, lt);
      if (lt.name) state.launchTemplates.set(lt.name, lt);
      break;
    }
  }
}

function trackIam(req: AwsRequest, _body: string, { state, now }: RuleContext): void {
  const f = req.form;
  if (req.operation === 'CreateInstanceProfile' || req.operation === 'AddRoleToInstanceProfile') {
    if (f.InstanceProfileName) state.profiles.set(f.InstanceProfileName, now);
  }
  const awsService = f.AWSServiceName ?? '';
  if (req.operation === 'CreateServiceLinkedRole' && SERVICE_LINKED_ROLES[awsService]) serviceCreatesRole(state, awsService, now);
}

function trackElb(req: AwsRequest, body: string, { state, now }: RuleContext): void {
  const f = req.form;
  const subnets = [...formValues(f, /^Subnets\.member\.\d+$/), ...formValues(f, /^SubnetMappings\.member\.\d+\.SubnetId$/)];
  const groups = formValues(f, /^SecurityGroups\.member\.\d+$/);
  if (req.operation === 'CreateLoadBalancer') {
    const arn = xmlValue(body, 'LoadBalancerArn');
    if (!arn) return;
    state.loadBalancers.set(arn, now);
    state.setHolder({ kind: 'load balancer', id: arn, subnets, securityGroups: groups, publicIp: f.Scheme !== 'internal' });
    serviceCreatesRole(state, 'elasticloadbalancing.amazonaws.com', now);
  }
  const lb = f.LoadBalancerArn ? state.holder('load balancer', f.LoadBalancerArn) : undefined;
  if (lb && req.operation === 'SetSecurityGroups') lb.securityGroups = groups;
  if (lb && req.operation === 'SetSubnets') lb.subnets = subnets;
  if (req.operation === 'DeleteLoadBalancer' && f.LoadBalancerArn) state.release('load balancer', f.LoadBalancerArn, now);
}

function trackAutoScaling(req: AwsRequest, _body: string, { state, now }: RuleContext): void {
  const f = req.form;
  const name = f.AutoScalingGroupName ?? '';
  const subnets = (f.VPCZoneIdentifier ?? '').split(',').filter(Boolean);
  if (req.operation === 'CreateAutoScalingGroup') {
    const lt = launchTemplateOf(state, f);
    state.setHolder({
      kind: 'Auto Scaling group',
      id: name,
      subnets,
      securityGroups: lt?.securityGroups ?? [],
      publicIp: lt?.publicIp ?? false,
    });
    serviceCreatesRole(state, 'autoscaling.amazonaws.com', now);
  }
  const asg = state.holder('Auto Scaling group', name);
  if (asg && req.operation === 'UpdateAutoScalingGroup') {
    if (subnets.length) asg.subnets = subnets;
    const lt = launchTemplateOf(state, f);
    if (lt) Object.assign(asg, { securityGroups: lt.securityGroups, publicIp: lt.publicIp });
  }
  if (req.operation === 'DeleteAutoScalingGroup') state.release('Auto Scaling group', name, now);
}

/** `cluster/service` for the layer's maps. */
export function serviceKey(json: Record<string, unknown>): string {
  return `${ecsName(str(json.cluster))}/${ecsName(str(json.serviceName) ?? str(json.service))}`;
}

/** A strategy as sent, canonical (order-free), to compare two of them. */
export function strategyKey(json: Record<string, unknown>): string {
  return JSON.stringify(
    list(json.capacityProviderStrategy)
      .map((i) => [String(i.capacityProvider), Number(i.weight ?? 0), Number(i.base ?? 0)])
      .sort(),
  );
}

/** Providers of a strategy, or undefined when none was sent. */
export function providersOf(json: Record<string, unknown>): string[] | undefined {
  const items = json.capacityProviderStrategy;
  return Array.isArray(items) ? list(items).map((i) => String(i.capacityProvider)) : undefined;
}

function trackEcs(req: AwsRequest, body: string, { state, now }: RuleContext): void {
  const j = req.json;
  switch (req.operation) {
    case 'RegisterTaskDefinition': {
      const arn = str((JSON.parse(body || '{}') as { taskDefinition?: { taskDefinitionArn?: string } }).taskDefinition?.taskDefinitionArn);
      if (!arn) break;
      const key = taskDefinitionKey(arn);
      const [family, revision] = key.split(':');
      state.taskDefinitions.set(key, Array.isArray(j.requiresCompatibilities) ? list<string>(j.requiresCompatibilities) : undefined);
      state.latestRevision.set(family!, Math.max(Number(revision), state.latestRevision.get(family!) ?? 0));
      break;
    }
    case 'CreateService':
    case 'UpdateService': {
      const key = serviceKey(j);
      const providers = providersOf(j);
      const moved = providers?.length ? { providers, strategy: strategyKey(j), items: list(j.capacityProviderStrategy) } : undefined;
      if (req.operation === 'CreateService') state.services.set(key, moved ?? { launchType: str(j.launchType) ?? 'EC2' });
      // An empty strategy moves the service back to a launch type (UpdateService docs); which one is not said.
      else if (providers && state.services.has(key)) state.services.set(key, moved ?? { launchType: 'EC2' });
      type Vpc = { subnets?: string[]; securityGroups?: string[]; assignPublicIp?: string };
      const vpc = (j.networkConfiguration as { awsvpcConfiguration?: Vpc } | undefined)?.awsvpcConfiguration;
      if (vpc) {
        const publicIp = vpc.assignPublicIp === 'ENABLED';
        state.setHolder({ kind: 'service', id: key, subnets: vpc.subnets ?? [], securityGroups: vpc.securityGroups ?? [], publicIp });
      }
      break;
    }
    case 'DeleteService':
      state.release('service', serviceKey(j), now);
      break;
    case 'CreateCluster':
    case 'CreateCapacityProvider':
      serviceCreatesRole(state, 'ecs.amazonaws.com', now);
      break;
  }
}

function trackAppAutoScaling(req: AwsRequest, _body: string, { state, now }: RuleContext): void {
  if (req.operation !== 'RegisterScalableTarget' || req.json.ServiceNamespace !== 'ecs') return;
  serviceCreatesRole(state, 'ecs.application-autoscaling.amazonaws.com', now);
}

const BY_SERVICE: Record<string, Tracker> = {
  ec2: trackEc2,
  iam: trackIam,
  elasticloadbalancing: trackElb,
  autoscaling: trackAutoScaling,
  ecs: trackEcs,
  'application-autoscaling': trackAppAutoScaling,
};

export const track: Tracker = (req, body, ctx) => BY_SERVICE[req.service]?.(req, body, ctx);
