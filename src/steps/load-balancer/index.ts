import { hasLoadBalancer, isPublic } from '../../config/services.js';
import {
  CreateLoadBalancerCommand,
  DeleteLoadBalancerCommand,
  DescribeLoadBalancersCommand,
  SetSecurityGroupsCommand,
  SetSubnetsCommand,
  type Listener,
  type LoadBalancer,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { onceOptions } from '../../aws/create-once-options.js';
import { ignoreErrors } from '../../aws/deletion.js';
import { waitFor } from '../../aws/poll.js';
import { isAwsError } from '../../aws/errors.js';
import { createOnce } from '../../aws/idempotent.js';
import { ELB_NOT_FOUND, elbTags, findOwnedElb } from '../../aws/elb-ownership.js';
import { notOwnedError, warnLeftInPlace } from '../../aws/ownership.js';
import type { IngressRule } from '../../aws/security-group-rules.js';
import { applySecurityGroup, destroySecurityGroup, planSecurityGroup, type SecurityGroupPlan } from '../../aws/security-groups.js';
import { prepareServiceLinkedRole, retryWhileRoleIsNew } from '../../aws/service-linked-roles.js';
import { isOwnedBy, ownerTags } from '../../aws/tags.js';
import type { Config } from '../../config/schema.js';
import { requireIds } from '../../engine/require-ids.js';
import { after, type Change, type StepContext, type StepModule, type StepPlan } from '../../engine/types.js';
import { networkStep, type NetworkState } from '../network/index.js';
import { testPortOf } from '../service/deployment-config.js';
import {
  HTTPS_PORT,
  LISTENER_PORT,
  deleteListener,
  ensureHttpListener,
  ensureHttpsListener,
  httpListenerLabel,
  httpsListenerLabel,
  listListeners,
  planListeners,
  type HttpListenerPlan,
  type HttpsListenerPlan,
} from './listeners.js';
import { loadBalancerPermissions } from './permissions.js';

export { TLS_POLICY } from './listeners.js';

export interface LoadBalancerState {
  securityGroupId: string;
  loadBalancerArn: string;
  loadBalancerName: string;
  dnsName: string;
  /** The port 80 listener: 404 by default, or a redirect to HTTPS when there is a certificate. */
  listenerArn: string;
  /** The port 443 listener, present only with loadBalancer.certificateArn; service rules live here then. */
  httpsListenerArn?: string;
}

/** What plan read that apply needs. */
export interface LoadBalancerPlanData {
  sg: SecurityGroupPlan;
  lb?: { arn: string; dnsName: string; subnetsDrift: boolean; sgDrift: boolean };
  listener?: HttpListenerPlan;
  https?: HttpsListenerPlan;
}

type Ctx = StepContext<LoadBalancerState>;
type Plan = StepPlan<LoadBalancerState, LoadBalancerPlanData>;

const certificateOf = (config: Config | undefined) => config?.loadBalancer?.certificateArn;

/**
 * HTTP (and HTTPS with a certificate) from anywhere, or only from loadBalancer.allowedCidrs.
 * Port 80 stays open with a certificate so http:// links get the redirect instead of a timeout.
 */
export function lbIngress(config: Config | undefined): IngressRule[] {
  const cidrs = config?.loadBalancer?.allowedCidrs;
  const sources = cidrs?.length ? cidrs : ['0.0.0.0/0'];
  const from = cidrs?.length ? 'loadBalancer.allowedCidrs' : 'the internet';
  const ports: [number, string][] = [
    [LISTENER_PORT, 'HTTP'],
    ...(certificateOf(config) ? [[HTTPS_PORT, 'HTTPS'] as [number, string]] : []),
  ];
  // Test listeners (deployment.testPort) serve a revision not yet approved: only to allowedCidrs, never to the internet.
  const testPorts: [number, string][] = cidrs?.length
    ? testListenerPorts(config).map(([svc, port]) => [port, `test traffic (${svc})`])
    : [];
  return [...ports, ...testPorts].flatMap(([port, proto]) =>
    sources.map((value) => ({
      protocol: 'tcp',
      fromPort: port,
      toPort: port,
      source: { kind: 'cidr' as const, value },
      description: `${proto} from ${from}`,
    })),
  );
}

/** Each service's test listener port (services.<name>.deployment.testPort), for blue-green, linear and canary. */
function testListenerPorts(config: Config | undefined): [string, number][] {
  return Object.entries(config?.services ?? {}).flatMap(([name, svc]) => {
    const port = isPublic(svc) ? testPortOf(svc) : undefined;
    return port === undefined ? [] : [[name, port] as [string, number]];
  });
}

async function findLoadBalancer(ctx: Ctx): Promise<LoadBalancer | undefined> {
  const name = ctx.names.loadBalancer;
  return findOwnedElb(
    ctx,
    async () => (await ctx.aws.elbv2().send(new DescribeLoadBalancersCommand({ Names: [name] }))).LoadBalancers?.[0],
    (lb) => lb.LoadBalancerArn,
    () => notOwnedError('load-balancer.not-owned', `A load balancer named ${name}`, ctx.owner),
  );
}

const sorted = (xs: (string | undefined)[]) => xs.filter((x): x is string => !!x).sort();
const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Subnets and security groups of an existing load balancer that differ from the network's and ours. */
function loadBalancerDrift(
  ctx: Ctx,
  lb: LoadBalancer,
  network: NetworkState,
  sg: SecurityGroupPlan,
): { changes: Change[]; subnetsDrift: boolean; sgDrift: boolean } {
  const changes: Change[] = [];
  const subnets = sorted(lb.AvailabilityZones?.map((z) => z.SubnetId) ?? []);
  const subnetsDrift = lb.AvailabilityZones !== undefined && !sameSet(subnets, sorted(network.publicSubnetIds));
  if (subnetsDrift) changes.push({ field: 'loadBalancer.subnets', before: subnets, after: sorted(network.publicSubnetIds) });
  const groups = sorted(lb.SecurityGroups ?? []);
  const sgDrift = !sg.groupId || (lb.SecurityGroups !== undefined && !sameSet(groups, [sg.groupId]));
  if (sgDrift) changes.push({ field: 'loadBalancer.securityGroups', before: groups, after: [sg.groupId ?? ctx.names.lbSecurityGroup] });
  return { changes, subnetsDrift, sgDrift };
}

/** No load balancer yet: everything but (perhaps) its security group is created. */
function planNewLoadBalancer(ctx: Ctx, sg: SecurityGroupPlan, changes: Change[], certificateArn: string | undefined): Plan {
  changes.push({ field: 'loadBalancer', after: ctx.names.loadBalancer }, { field: 'listener', after: httpListenerLabel(certificateArn) });
  if (certificateArn) changes.push({ field: 'httpsListener', after: httpsListenerLabel(certificateArn) });
  const data: LoadBalancerPlanData = { sg, ...(certificateArn ? { https: { action: 'create' } } : {}) };
  if (!sg.groupId) return { action: 'create', changes, data };
  return { action: 'update', changes, data, current: state(ctx, sg.groupId, undefined, undefined), outputsChange: true };
}

/** Make the load balancer exist in the network's public subnets with our security group. */
async function ensureLoadBalancer(
  ctx: Ctx,
  planned: LoadBalancerPlanData['lb'],
  network: NetworkState,
  groupId: string,
): Promise<{ arn: string; dnsName: string }> {
  if (planned?.arn) {
    const elbv2 = ctx.aws.elbv2();
    if (planned.subnetsDrift) await elbv2.send(new SetSubnetsCommand({ LoadBalancerArn: planned.arn, Subnets: network.publicSubnetIds }));
    if (planned.sgDrift) await elbv2.send(new SetSecurityGroupsCommand({ LoadBalancerArn: planned.arn, SecurityGroups: [groupId] }));
    return { arn: planned.arn, dnsName: planned.dnsName };
  }
  ctx.progress(`creating load balancer ${ctx.names.loadBalancer}`);
  // A fresh account has no AWSServiceRoleForElasticLoadBalancing yet: make it first (real-aws.md #22).
  await prepareServiceLinkedRole(ctx, 'elb');
  // No token; the name is unique, so a lost response is found by name (and our tags).
  const createLoadBalancer = () =>
    createOnce({
      create: async () =>
        (
          await ctx.aws.once.elbv2().send(
            new CreateLoadBalancerCommand({
              Name: ctx.names.loadBalancer,
              Type: 'application',
              Scheme: 'internet-facing',
              IpAddressType: 'ipv4',
              Subnets: network.publicSubnetIds,
              SecurityGroups: [groupId],
              Tags: ownerTags(ctx.owner, 'load-balancer'),
            }),
          )
        ).LoadBalancers![0]!,
      find: () => findLoadBalancer(ctx),
      alreadyExists: ['DuplicateLoadBalancerNameException', 'DuplicateLoadBalancerName'],
      ...onceOptions(ctx),
    });
  const lb = await retryWhileRoleIsNew(ctx, 'elb', createLoadBalancer);
  return { arn: lb.LoadBalancerArn!, dnsName: lb.DNSName ?? '' };
}

/** Delete our load balancer with its listeners, and wait until it is gone (its ENIs hold the security group). */
async function deleteLoadBalancer(ctx: Ctx, s: LoadBalancerState): Promise<void> {
  const elbv2 = ctx.aws.elbv2();
  await Promise.all((await listListeners(ctx, s.loadBalancerArn)).map((l) => deleteListener(ctx, l.ListenerArn)));
  ctx.progress(`deleting load balancer ${s.loadBalancerName}`);
  await elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: s.loadBalancerArn })).catch(ignoreErrors(...ELB_NOT_FOUND));
  // The security group cannot go until the ALB (and its ENIs) are gone.
  await waitFor({
    what: `load balancer ${s.loadBalancerName} to be deleted`,
    check: async () => {
      try {
        const out = await elbv2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [s.loadBalancerArn] }));
        return out.LoadBalancers?.length ? undefined : true;
      } catch (err) {
        if (isAwsError(err, ...ELB_NOT_FOUND)) return true;
        throw err;
      }
    },
    timeoutMs: ctx.options.destroyRetryMs,
    signal: ctx.signal,
    progress: (m) => ctx.progress(m),
  });
}

export const loadBalancerStep: StepModule<LoadBalancerState, LoadBalancerPlanData> = {
  kind: 'load-balancer',
  title: () => 'Load balancer (ALB, HTTP/HTTPS listeners)',
  resourceKinds: ['elasticloadbalancing:loadbalancer', 'ec2:security-group'],
  permissions: loadBalancerPermissions,
  instances: (config) => (hasLoadBalancer(config) ? [{ dependsOn: [after(networkStep)] }] : []),

  async plan(ctx): Promise<Plan> {
    // Before anything that can wait on the network, so even a first deploy's plan says it.
    const certificateArn = certificateOf(ctx.config);
    // The engine says each warning once per run, however often this step plans.
    if (!certificateArn && ctx.config) {
      ctx.warn(
        'load-balancer.http-only',
        `Load balancer ${ctx.names.loadBalancer} is HTTP-only: set loadBalancer.certificateArn to serve HTTPS`,
      );
    }
    const closed = ctx.config?.loadBalancer?.allowedCidrs?.length ? [] : testListenerPorts(ctx.config);
    if (closed.length) {
      ctx.warn(
        'load-balancer.test-port-closed',
        `Test port ${closed.map(([svc, port]) => `${port} (${svc})`).join(', ')} admits no one: list who may send test traffic in loadBalancer.allowedCidrs`,
      );
    }
    const network = ctx.dep(networkStep);
    requireIds(after(networkStep), network.vpcId, ...network.publicSubnetIds);
    const { plan: sg, changes } = await planSecurityGroup(ctx, {
      vpcId: network.vpcId,
      name: ctx.names.lbSecurityGroup,
      wanted: lbIngress(ctx.config),
      notOwnedCode: 'load-balancer.sg-not-owned',
    });

    const lb = await findLoadBalancer(ctx);
    if (!lb) return planNewLoadBalancer(ctx, sg, changes, certificateArn);

    const { subnetsDrift, sgDrift, changes: lbChanges } = loadBalancerDrift(ctx, lb, network, sg);
    const listeners = await planListeners(ctx, lb.LoadBalancerArn!, certificateArn);
    changes.push(...lbChanges, ...listeners.changes);
    const data: LoadBalancerPlanData = {
      sg,
      lb: { arn: lb.LoadBalancerArn!, dnsName: lb.DNSName ?? '', subnetsDrift, sgDrift },
      listener: listeners.http,
      https: listeners.https,
    };
    // A 443 listener appearing or going moves the services' rules and URLs: they must re-plan.
    const outputsChange = listeners.https?.action === 'create' || listeners.https?.action === 'delete' || !listeners.found.http;
    return {
      action: changes.length ? 'update' : 'noop',
      changes,
      data,
      current: state(ctx, sg.groupId, lb, listeners.found.http, listeners.found.https),
      ...(outputsChange ? { outputsChange: true } : {}),
    };
  },

  async apply(ctx, plan): Promise<LoadBalancerState> {
    const network = ctx.dep(networkStep);
    // Every plan this step makes carries what it read.
    const data = plan.data!;
    const groupId = await applySecurityGroup(ctx, data.sg, {
      vpcId: network.vpcId,
      name: ctx.names.lbSecurityGroup,
      description: `ecs-kit ${ctx.owner.app}/${ctx.owner.env}: load balancer, HTTP from the internet`,
      role: 'lb-security-group',
    });
    const lb = await ensureLoadBalancer(ctx, data.lb, network, groupId);

    const certificateArn = certificateOf(ctx.config);
    // HTTPS first: the redirect on 80 must never point at a port with no listener.
    let httpsListenerArn = await ensureHttpsListener(ctx, lb.arn, data.https, certificateArn);
    const listenerArn = await ensureHttpListener(ctx, lb.arn, data.listener, certificateArn);
    if (data.https?.action === 'delete') {
      // Its rules go with it; the target-group steps then put them back on port 80.
      ctx.progress('deleting the HTTPS listener (loadBalancer.certificateArn was removed)');
      await deleteListener(ctx, data.https.arn);
      httpsListenerArn = undefined;
    }

    return {
      securityGroupId: groupId,
      loadBalancerArn: lb.arn,
      loadBalancerName: ctx.names.loadBalancer,
      dnsName: lb.dnsName,
      listenerArn,
      ...(certificateArn && httpsListenerArn ? { httpsListenerArn } : {}),
    };
  },

  async destroy(ctx, s): Promise<void> {
    let lb: LoadBalancer | undefined;
    if (s.loadBalancerArn) {
      try {
        lb = (await ctx.aws.elbv2().send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [s.loadBalancerArn] }))).LoadBalancers?.[0];
      } catch (err) {
        if (!isAwsError(err, 'LoadBalancerNotFoundException', 'LoadBalancerNotFound')) throw err;
      }
    }
    if (lb) {
      const tags = await elbTags(ctx, s.loadBalancerArn);
      if (tags && !isOwnedBy(tags, ctx.owner)) {
        // Its security group is attached to a load balancer we must not touch; leave both.
        const what = `load balancer ${s.loadBalancerName} and security group ${s.securityGroupId}`;
        warnLeftInPlace(ctx, what, "the load balancer's");
        return;
      }
      if (tags) await deleteLoadBalancer(ctx, s);
    }
    if (s.securityGroupId) await destroySecurityGroup(ctx, s.securityGroupId, 'load balancer security group');
  },
};

function state(
  ctx: Ctx,
  groupId: string | undefined,
  lb: LoadBalancer | undefined,
  listener: Listener | undefined,
  https?: Listener,
): LoadBalancerState {
  return {
    securityGroupId: groupId ?? '',
    loadBalancerArn: lb?.LoadBalancerArn ?? '',
    loadBalancerName: ctx.names.loadBalancer,
    dnsName: lb?.DNSName ?? '',
    listenerArn: listener?.ListenerArn ?? '',
    ...(https?.ListenerArn && certificateOf(ctx.config) ? { httpsListenerArn: https.ListenerArn } : {}),
  };
}
