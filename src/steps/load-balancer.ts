import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  DeleteListenerCommand,
  DeleteLoadBalancerCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  ModifyListenerCommand,
  SetSecurityGroupsCommand,
  SetSubnetsCommand,
  waitUntilLoadBalancersDeleted,
  type Action,
  type Listener,
  type LoadBalancer,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { isAwsError } from '../aws/errors.js';
import { isOwnedBy, ownerTags } from '../aws/tags.js';
import type { Config } from '../config/schema.js';
import type { Change, StepContext, StepModule, StepPlan } from '../engine/types.js';
import {
  ELB_NOT_FOUND,
  applySecurityGroup,
  destroySecurityGroup,
  elbTags,
  ignoreErrors,
  notOwnedError,
  planSecurityGroup,
  requireIds,
  type IngressRule,
  type SecurityGroupPlan,
} from './ec2-util.js';
import type { LoadBalancerState, NetworkState } from './states.js';

type Ctx = StepContext<LoadBalancerState>;

export const LISTENER_PORT = 80;
export const NOT_ROUTED_BODY = 'No ecs-kit service is routed here';

/** Requests that match no service rule get a plain 404 instead of reaching some service. */
export const DEFAULT_ACTIONS: Action[] = [
  { Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: NOT_ROUTED_BODY } },
];

const HTTP_FROM_ANYWHERE: IngressRule = {
  protocol: 'tcp',
  fromPort: LISTENER_PORT,
  toPort: LISTENER_PORT,
  source: { kind: 'cidr', value: '0.0.0.0/0' },
  description: 'HTTP from the internet',
};

function hasLoadBalancer(config: Config): boolean {
  return Object.values(config.services).some((s) => s.port !== undefined);
}

async function findLoadBalancer(ctx: Ctx): Promise<LoadBalancer | undefined> {
  const name = ctx.names.loadBalancer;
  let lb: LoadBalancer | undefined;
  try {
    lb = (await ctx.aws.elbv2().send(new DescribeLoadBalancersCommand({ Names: [name] }))).LoadBalancers?.[0];
  } catch (err) {
    if (isAwsError(err, 'LoadBalancerNotFoundException', 'LoadBalancerNotFound')) return undefined;
    throw err;
  }
  if (!lb?.LoadBalancerArn) return undefined;
  const tags = await elbTags(ctx, lb.LoadBalancerArn);
  if (!tags) return undefined;
  if (!isOwnedBy(tags, ctx.owner)) throw notOwnedError('load-balancer.not-owned', `A load balancer named ${name}`, ctx.owner);
  return lb;
}

async function findListener(ctx: Ctx, loadBalancerArn: string): Promise<Listener | undefined> {
  const out = await ctx.aws.elbv2().send(new DescribeListenersCommand({ LoadBalancerArn: loadBalancerArn }));
  return out.Listeners?.find((l) => l.Port === LISTENER_PORT);
}

const sorted = (xs: (string | undefined)[]) => xs.filter((x): x is string => !!x).sort();
const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Only compare what the API returned, so an emulator that omits a field does not cause drift. */
function listenerDrift(l: Listener): boolean {
  if (l.Protocol !== undefined && l.Protocol !== 'HTTP') return true;
  const action = l.DefaultActions?.[0];
  if (!action) return false;
  if (l.DefaultActions!.length !== 1 || action.Type !== 'fixed-response') return true;
  const fr = action.FixedResponseConfig;
  return fr !== undefined && fr.StatusCode !== undefined && fr.StatusCode !== '404';
}

interface PlanData {
  sg: SecurityGroupPlan;
  lb?: { arn: string; dnsName: string; subnetsDrift: boolean; sgDrift: boolean };
  listener?: { arn: string; drift: boolean };
}

export const loadBalancerStep: StepModule<LoadBalancerState> = {
  kind: 'load-balancer',
  title: () => 'Load balancer (ALB, HTTP listener)',
  instances: (config) => (hasLoadBalancer(config) ? [{ dependsOn: ['network'] }] : []),

  async plan(ctx): Promise<StepPlan<LoadBalancerState>> {
    const network = ctx.dep<NetworkState>('network');
    requireIds('network', network.vpcId, ...network.publicSubnetIds);
    const { plan: sg, changes } = await planSecurityGroup(ctx, {
      vpcId: network.vpcId,
      name: ctx.names.lbSecurityGroup,
      wanted: [HTTP_FROM_ANYWHERE],
      notOwnedCode: 'load-balancer.sg-not-owned',
    });

    const lb = await findLoadBalancer(ctx);
    if (!lb) {
      changes.push({ field: 'loadBalancer', after: ctx.names.loadBalancer }, { field: 'listener', after: `HTTP:${LISTENER_PORT}` });
      const data: PlanData = { sg };
      if (!sg.groupId) return { action: 'create', changes, data };
      return { action: 'update', changes, data, current: state(ctx, sg.groupId, undefined, undefined) };
    }

    const lbChanges: Change[] = [];
    const subnets = sorted(lb.AvailabilityZones?.map((z) => z.SubnetId) ?? []);
    const subnetsDrift = lb.AvailabilityZones !== undefined && !sameSet(subnets, sorted(network.publicSubnetIds));
    if (subnetsDrift) lbChanges.push({ field: 'loadBalancer.subnets', before: subnets, after: sorted(network.publicSubnetIds) });
    const groups = sorted(lb.SecurityGroups ?? []);
    const sgDrift = !sg.groupId || (lb.SecurityGroups !== undefined && !sameSet(groups, [sg.groupId]));
    if (sgDrift) lbChanges.push({ field: 'loadBalancer.securityGroups', before: groups, after: [sg.groupId ?? ctx.names.lbSecurityGroup] });

    const listener = await findListener(ctx, lb.LoadBalancerArn!);
    if (!listener) lbChanges.push({ field: 'listener', after: `HTTP:${LISTENER_PORT}` });
    else if (listenerDrift(listener)) lbChanges.push({ field: 'listener.defaultAction', before: listener.DefaultActions?.[0]?.Type, after: 'fixed-response 404' });

    const data: PlanData = {
      sg,
      lb: { arn: lb.LoadBalancerArn!, dnsName: lb.DNSName ?? '', subnetsDrift, sgDrift },
      listener: listener && { arn: listener.ListenerArn!, drift: listenerDrift(listener) },
    };
    changes.push(...lbChanges);
    return { action: changes.length ? 'update' : 'noop', changes, data, current: state(ctx, sg.groupId, lb, listener) };
  },

  async apply(ctx, plan): Promise<LoadBalancerState> {
    const network = ctx.dep<NetworkState>('network');
    const data = plan.data as PlanData;
    const elbv2 = ctx.aws.elbv2();
    const groupId = await applySecurityGroup(ctx, data.sg, {
      vpcId: network.vpcId,
      name: ctx.names.lbSecurityGroup,
      description: `ecs-kit ${ctx.owner.app}/${ctx.owner.env}: load balancer, HTTP from the internet`,
      role: 'lb-security-group',
    });

    let arn = data.lb?.arn;
    let dnsName = data.lb?.dnsName ?? '';
    if (!arn) {
      ctx.progress(`creating load balancer ${ctx.names.loadBalancer}`);
      const out = await elbv2.send(
        new CreateLoadBalancerCommand({
          Name: ctx.names.loadBalancer,
          Type: 'application',
          Scheme: 'internet-facing',
          IpAddressType: 'ipv4',
          Subnets: network.publicSubnetIds,
          SecurityGroups: [groupId],
          Tags: ownerTags(ctx.owner, 'load-balancer'),
        }),
      );
      arn = out.LoadBalancers![0]!.LoadBalancerArn!;
      dnsName = out.LoadBalancers![0]!.DNSName ?? '';
    } else {
      if (data.lb!.subnetsDrift) await elbv2.send(new SetSubnetsCommand({ LoadBalancerArn: arn, Subnets: network.publicSubnetIds }));
      if (data.lb!.sgDrift) await elbv2.send(new SetSecurityGroupsCommand({ LoadBalancerArn: arn, SecurityGroups: [groupId] }));
    }

    let listenerArn = data.listener?.arn;
    if (!listenerArn) {
      const out = await elbv2.send(
        new CreateListenerCommand({ LoadBalancerArn: arn, Protocol: 'HTTP', Port: LISTENER_PORT, DefaultActions: DEFAULT_ACTIONS, Tags: ownerTags(ctx.owner, 'listener') }),
      );
      listenerArn = out.Listeners![0]!.ListenerArn!;
    } else if (data.listener!.drift) {
      await elbv2.send(new ModifyListenerCommand({ ListenerArn: listenerArn, Protocol: 'HTTP', Port: LISTENER_PORT, DefaultActions: DEFAULT_ACTIONS }));
    }

    return { securityGroupId: groupId, loadBalancerArn: arn, loadBalancerName: ctx.names.loadBalancer, dnsName, listenerArn };
  },

  async destroy(ctx, s): Promise<void> {
    const elbv2 = ctx.aws.elbv2();
    let lb: LoadBalancer | undefined;
    if (s.loadBalancerArn) {
      try {
        lb = (await elbv2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [s.loadBalancerArn] }))).LoadBalancers?.[0];
      } catch (err) {
        if (!isAwsError(err, 'LoadBalancerNotFoundException', 'LoadBalancerNotFound')) throw err;
      }
    }
    if (lb) {
      const tags = await elbTags(ctx, s.loadBalancerArn);
      if (tags && !isOwnedBy(tags, ctx.owner)) {
        // Its security group is attached to a load balancer we must not touch; leave both.
        ctx.warn(`Left load balancer ${s.loadBalancerName} and security group ${s.securityGroupId} in place: the load balancer's tags do not say ecs-kit created it for this app/env.`);
        return;
      }
      if (tags) {
        const listeners = (await elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: s.loadBalancerArn }))).Listeners ?? [];
        for (const l of listeners) {
          await elbv2.send(new DeleteListenerCommand({ ListenerArn: l.ListenerArn })).catch(ignoreErrors(...ELB_NOT_FOUND));
        }
        ctx.progress(`deleting load balancer ${s.loadBalancerName}`);
        await elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: s.loadBalancerArn })).catch(ignoreErrors(...ELB_NOT_FOUND));
        // The security group cannot go until the ALB (and its ENIs) are gone.
        ctx.progress('waiting for the load balancer to be deleted');
        await waitUntilLoadBalancersDeleted(
          { client: elbv2, maxWaitTime: Math.max(Math.ceil(ctx.options.destroyRetryMs / 1000), 10), minDelay: 5, maxDelay: 15, abortSignal: ctx.signal },
          { LoadBalancerArns: [s.loadBalancerArn] },
        );
      }
    }
    if (s.securityGroupId) await destroySecurityGroup(ctx, s.securityGroupId, 'load balancer security group');
  },

};

function state(ctx: Ctx, groupId: string | undefined, lb: LoadBalancer | undefined, listener: Listener | undefined): LoadBalancerState {
  return {
    securityGroupId: groupId ?? '',
    loadBalancerArn: lb?.LoadBalancerArn ?? '',
    loadBalancerName: ctx.names.loadBalancer,
    dnsName: lb?.DNSName ?? '',
    listenerArn: listener?.ListenerArn ?? '',
  };
}
