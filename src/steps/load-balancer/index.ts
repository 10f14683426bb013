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
import { isAwsError } from '../../aws/errors.js';
import { createOnce } from '../../aws/idempotent.js';
import { isOwnedBy, ownerTags } from '../../aws/tags.js';
import type { Config } from '../../config/schema.js';
import type { Change, StepContext, StepModule, StepPlan } from '../../engine/types.js';
import { onceOptions } from '../../aws/create-once-options.js';
import { ignoreErrors } from '../../aws/deletion.js';
import { ELB_NOT_FOUND, elbTags, notOwnedError } from '../../aws/ownership.js';
import type { IngressRule } from '../../aws/security-group-rules.js';
import { applySecurityGroup, destroySecurityGroup, planSecurityGroup, type SecurityGroupPlan } from '../../aws/security-groups.js';
import { requireIds } from '../../engine/require-ids.js';
import { prepareServiceLinkedRole, retryWhileRoleIsNew } from '../../aws/service-linked-roles.js';
import type { NetworkState } from '../states.js';

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

type Ctx = StepContext<LoadBalancerState>;

export const LISTENER_PORT = 80;
export const NOT_ROUTED_BODY = 'No ecs-kit service is routed here';

/** Requests that match no service rule get a plain 404 instead of reaching some service. */
export const DEFAULT_ACTIONS: Action[] = [
  { Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: NOT_ROUTED_BODY } },
];

export const HTTPS_PORT = 443;
/** TLS 1.3 with TLS 1.2 fallback: AWS's recommended policy for new HTTPS listeners. */
export const TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

/** With a certificate, plain HTTP only answers with a permanent redirect to HTTPS. */
export const REDIRECT_ACTIONS: Action[] = [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: String(HTTPS_PORT), StatusCode: 'HTTP_301' } }];

const certificateOf = (config: Config | undefined) => config?.loadBalancer?.certificateArn;

/**
 * HTTP (and HTTPS with a certificate) from anywhere, or only from loadBalancer.allowedCidrs.
 * Port 80 stays open with a certificate so http:// links get the redirect instead of a timeout.
 */
export function lbIngress(config: Config | undefined): IngressRule[] {
  const cidrs = config?.loadBalancer?.allowedCidrs;
  const sources = cidrs?.length ? cidrs : ['0.0.0.0/0'];
  const from = cidrs?.length ? 'loadBalancer.allowedCidrs' : 'the internet';
  const ports: [number, string][] = [[LISTENER_PORT, 'HTTP'], ...(certificateOf(config) ? [[HTTPS_PORT, 'HTTPS'] as [number, string]] : [])];
  return ports.flatMap(([port, proto]) =>
    sources.map((value) => ({ protocol: 'tcp', fromPort: port, toPort: port, source: { kind: 'cidr' as const, value }, description: `${proto} from ${from}` })),
  );
}


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

/** Every listener of the load balancer: DescribeListeners pages (Marker), and someone may have added more than ours. */
async function listListeners(ctx: Ctx, loadBalancerArn: string): Promise<Listener[]> {
  const listeners: Listener[] = [];
  let marker: string | undefined;
  do {
    const out = await ctx.aws.elbv2().send(new DescribeListenersCommand({ LoadBalancerArn: loadBalancerArn, ...(marker ? { Marker: marker } : {}) }));
    listeners.push(...(out.Listeners ?? []));
    marker = out.NextMarker;
  } while (marker);
  return listeners;
}

async function findListeners(ctx: Ctx, loadBalancerArn: string): Promise<{ http?: Listener; https?: Listener }> {
  const listeners = await listListeners(ctx, loadBalancerArn);
  return { http: listeners.find((l) => l.Port === LISTENER_PORT), https: listeners.find((l) => l.Port === HTTPS_PORT) };
}

const sorted = (xs: (string | undefined)[]) => xs.filter((x): x is string => !!x).sort();
const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Only compare what the API returned, so an emulator that omits a field does not cause drift. */
function defaultActionDrift(l: Listener, redirect: boolean): boolean {
  const action = l.DefaultActions?.[0];
  if (!action) return false;
  if (l.DefaultActions!.length !== 1) return true;
  if (redirect) {
    // AWS fills in Host/Path/Query (#{host}…) itself; only what ecs-kit sets is compared.
    const rc = action.RedirectConfig;
    if (action.Type !== 'redirect') return true;
    return rc !== undefined && (rc.Protocol !== 'HTTPS' || String(rc.Port) !== String(HTTPS_PORT) || rc.StatusCode !== 'HTTP_301');
  }
  if (action.Type !== 'fixed-response') return true;
  const fr = action.FixedResponseConfig;
  return fr !== undefined && fr.StatusCode !== undefined && fr.StatusCode !== '404';
}

function httpListenerDrift(l: Listener, redirect: boolean): boolean {
  return (l.Protocol !== undefined && l.Protocol !== 'HTTP') || defaultActionDrift(l, redirect);
}

function httpsListenerChanges(l: Listener, certificateArn: string): Change[] {
  const changes: Change[] = [];
  if (l.Protocol !== undefined && l.Protocol !== 'HTTPS') changes.push({ field: 'httpsListener.protocol', before: l.Protocol, after: 'HTTPS' });
  const cert = l.Certificates?.[0]?.CertificateArn;
  if (l.Certificates !== undefined && cert !== certificateArn) changes.push({ field: 'httpsListener.certificate', before: cert ?? null, after: certificateArn });
  if (l.SslPolicy !== undefined && l.SslPolicy !== TLS_POLICY) changes.push({ field: 'httpsListener.sslPolicy', before: l.SslPolicy, after: TLS_POLICY });
  if (defaultActionDrift(l, false)) changes.push({ field: 'httpsListener.defaultAction', before: l.DefaultActions?.[0]?.Type, after: 'fixed-response 404' });
  return changes;
}

function httpsListenerInput(certificateArn: string) {
  return { Protocol: 'HTTPS' as const, Port: HTTPS_PORT, SslPolicy: TLS_POLICY, Certificates: [{ CertificateArn: certificateArn }], DefaultActions: DEFAULT_ACTIONS };
}

interface PlanData {
  sg: SecurityGroupPlan;
  lb?: { arn: string; dnsName: string; subnetsDrift: boolean; sgDrift: boolean };
  listener?: { arn: string; drift: boolean };
  /** create: no 443 listener yet; modify: it drifted or the certificate changed; delete: the certificate was removed. */
  https?: { arn?: string; action: 'create' | 'modify' | 'delete' | 'keep' };
}

export const loadBalancerStep: StepModule<LoadBalancerState> = {
  kind: 'load-balancer',
  title: () => 'Load balancer (ALB, HTTP/HTTPS listeners)',
  instances: (config) => (hasLoadBalancer(config) ? [{ dependsOn: ['network'] }] : []),

  async plan(ctx): Promise<StepPlan<LoadBalancerState>> {
    // Before anything that can wait on the network, so even a first deploy's plan says it.
    const certificateArn = certificateOf(ctx.config);
    // The engine says each warning once per run, however often this step plans.
    if (!certificateArn && ctx.config) {
      ctx.warn(`Load balancer ${ctx.names.loadBalancer} is HTTP-only: set loadBalancer.certificateArn to serve HTTPS`);
    }
    const network = ctx.dep<NetworkState>('network');
    requireIds('network', network.vpcId, ...network.publicSubnetIds);
    const { plan: sg, changes } = await planSecurityGroup(ctx, {
      vpcId: network.vpcId,
      name: ctx.names.lbSecurityGroup,
      wanted: lbIngress(ctx.config),
      notOwnedCode: 'load-balancer.sg-not-owned',
    });

    const wantedHttp = certificateArn ? `HTTP:${LISTENER_PORT} → redirect to HTTPS:${HTTPS_PORT}` : `HTTP:${LISTENER_PORT}`;

    const lb = await findLoadBalancer(ctx);
    if (!lb) {
      changes.push({ field: 'loadBalancer', after: ctx.names.loadBalancer }, { field: 'listener', after: wantedHttp });
      if (certificateArn) changes.push({ field: 'httpsListener', after: `HTTPS:${HTTPS_PORT} (${TLS_POLICY}, ${certificateArn})` });
      const data: PlanData = { sg, ...(certificateArn ? { https: { action: 'create' } } : {}) };
      if (!sg.groupId) return { action: 'create', changes, data };
      return { action: 'update', changes, data, current: state(ctx, sg.groupId, undefined, undefined), outputsChange: true };
    }

    const lbChanges: Change[] = [];
    const subnets = sorted(lb.AvailabilityZones?.map((z) => z.SubnetId) ?? []);
    const subnetsDrift = lb.AvailabilityZones !== undefined && !sameSet(subnets, sorted(network.publicSubnetIds));
    if (subnetsDrift) lbChanges.push({ field: 'loadBalancer.subnets', before: subnets, after: sorted(network.publicSubnetIds) });
    const groups = sorted(lb.SecurityGroups ?? []);
    const sgDrift = !sg.groupId || (lb.SecurityGroups !== undefined && !sameSet(groups, [sg.groupId]));
    if (sgDrift) lbChanges.push({ field: 'loadBalancer.securityGroups', before: groups, after: [sg.groupId ?? ctx.names.lbSecurityGroup] });

    const { http: listener, https } = await findListeners(ctx, lb.LoadBalancerArn!);
    const redirect = !!certificateArn;
    const httpDrift = !!listener && httpListenerDrift(listener, redirect);
    if (!listener) lbChanges.push({ field: 'listener', after: wantedHttp });
    else if (httpDrift) {
      lbChanges.push({ field: 'listener.defaultAction', before: listener.DefaultActions?.[0]?.Type, after: redirect ? `redirect to HTTPS:${HTTPS_PORT}` : 'fixed-response 404' });
    }

    let httpsData: PlanData['https'];
    if (certificateArn && !https) {
      lbChanges.push({ field: 'httpsListener', after: `HTTPS:${HTTPS_PORT} (${TLS_POLICY}, ${certificateArn})` });
      httpsData = { action: 'create' };
    } else if (certificateArn && https) {
      const drift = httpsListenerChanges(https, certificateArn);
      lbChanges.push(...drift);
      httpsData = { arn: https.ListenerArn!, action: drift.length ? 'modify' : 'keep' };
    } else if (https) {
      lbChanges.push({ field: 'httpsListener', before: `HTTPS:${HTTPS_PORT}`, after: null });
      httpsData = { arn: https.ListenerArn!, action: 'delete' };
    }

    const data: PlanData = {
      sg,
      lb: { arn: lb.LoadBalancerArn!, dnsName: lb.DNSName ?? '', subnetsDrift, sgDrift },
      listener: listener && { arn: listener.ListenerArn!, drift: httpDrift },
      https: httpsData,
    };
    changes.push(...lbChanges);
    // A 443 listener appearing or going moves the services' rules and URLs: they must re-plan.
    const outputsChange = httpsData?.action === 'create' || httpsData?.action === 'delete' || !listener;
    return {
      action: changes.length ? 'update' : 'noop',
      changes,
      data,
      current: state(ctx, sg.groupId, lb, listener, https),
      ...(outputsChange ? { outputsChange: true } : {}),
    };
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
      arn = lb.LoadBalancerArn!;
      dnsName = lb.DNSName ?? '';
    } else {
      if (data.lb!.subnetsDrift) await elbv2.send(new SetSubnetsCommand({ LoadBalancerArn: arn, Subnets: network.publicSubnetIds }));
      if (data.lb!.sgDrift) await elbv2.send(new SetSecurityGroupsCommand({ LoadBalancerArn: arn, SecurityGroups: [groupId] }));
    }

    const certificateArn = certificateOf(ctx.config);
    // HTTPS first: the redirect on 80 must never point at a port with no listener.
    let httpsListenerArn = data.https?.arn;
    if (certificateArn && data.https?.action === 'create') {
      ctx.progress(`creating HTTPS listener (${TLS_POLICY})`);
      const lbArn = arn;
      httpsListenerArn = await createOnce({
        create: async () =>
          (await ctx.aws.once.elbv2().send(new CreateListenerCommand({ LoadBalancerArn: lbArn, ...httpsListenerInput(certificateArn), Tags: ownerTags(ctx.owner, 'https-listener') })))
            .Listeners![0]!.ListenerArn!,
        find: async () => (await findListeners(ctx, lbArn)).https?.ListenerArn,
        alreadyExists: ['DuplicateListenerException', 'DuplicateListener'],
        ...onceOptions(ctx),
      });
    } else if (certificateArn && data.https?.action === 'modify') {
      await elbv2.send(new ModifyListenerCommand({ ListenerArn: httpsListenerArn, ...httpsListenerInput(certificateArn) }));
    }

    const httpDefault = certificateArn ? REDIRECT_ACTIONS : DEFAULT_ACTIONS;
    let listenerArn = data.listener?.arn;
    if (!listenerArn) {
      // A listener is unique per port on its load balancer: a lost response is found by port.
      const lbArn = arn;
      listenerArn = await createOnce({
        create: async () =>
          (
            await ctx.aws.once
              .elbv2()
              .send(new CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: LISTENER_PORT, DefaultActions: httpDefault, Tags: ownerTags(ctx.owner, 'listener') }))
          ).Listeners![0]!.ListenerArn!,
        find: async () => (await findListeners(ctx, lbArn)).http?.ListenerArn,
        alreadyExists: ['DuplicateListenerException', 'DuplicateListener'],
        ...onceOptions(ctx),
      });
    } else if (data.listener!.drift) {
      await elbv2.send(new ModifyListenerCommand({ ListenerArn: listenerArn, Protocol: 'HTTP', Port: LISTENER_PORT, DefaultActions: httpDefault }));
    }

    if (data.https?.action === 'delete') {
      // Its rules go with it; the target-group steps then put them back on port 80.
      ctx.progress('deleting the HTTPS listener (loadBalancer.certificateArn was removed)');
      await elbv2.send(new DeleteListenerCommand({ ListenerArn: data.https.arn })).catch(ignoreErrors(...ELB_NOT_FOUND));
      httpsListenerArn = undefined;
    }

    return {
      securityGroupId: groupId,
      loadBalancerArn: arn,
      loadBalancerName: ctx.names.loadBalancer,
      dnsName,
      listenerArn,
      ...(certificateArn && httpsListenerArn ? { httpsListenerArn } : {}),
    };
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
        for (const l of await listListeners(ctx, s.loadBalancerArn)) {
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

function state(ctx: Ctx, groupId: string | undefined, lb: LoadBalancer | undefined, listener: Listener | undefined, https?: Listener): LoadBalancerState {
  return {
    securityGroupId: groupId ?? '',
    loadBalancerArn: lb?.LoadBalancerArn ?? '',
    loadBalancerName: ctx.names.loadBalancer,
    dnsName: lb?.DNSName ?? '',
    listenerArn: listener?.ListenerArn ?? '',
    ...(https?.ListenerArn && certificateOf(ctx.config) ? { httpsListenerArn: https.ListenerArn } : {}),
  };
}
