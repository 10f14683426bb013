import {
  CreateListenerCommand,
  DeleteListenerCommand,
  DescribeListenersCommand,
  ModifyListenerCommand,
  type Action,
  type Listener,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { onceOptions } from '../../aws/create-once-options.js';
import { ignoreErrors } from '../../aws/deletion.js';
import { createOnce } from '../../aws/idempotent.js';
import { ELB_NOT_FOUND } from '../../aws/elb-ownership.js';
import { ownerTags } from '../../aws/tags.js';
import type { Change, StepContext } from '../../engine/types.js';

/**
 * The load balancer's listeners: port 80 answers 404 for anything no service rule matches, or
 * (with loadBalancer.certificateArn) redirects to HTTPS on 443, where the service rules then live.
 */

export const LISTENER_PORT = 80;
export const HTTPS_PORT = 443;
/** TLS 1.3 with TLS 1.2 fallback: AWS's recommended policy for new HTTPS listeners. */
export const TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

const NOT_ROUTED_BODY = 'No ecs-kit service is routed here';

/** Requests that match no service rule get a plain 404 instead of reaching some service. */
export const NOT_ROUTED_ACTIONS: Action[] = [
  { Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: NOT_ROUTED_BODY } },
];

/** With a certificate, plain HTTP only answers with a permanent redirect to HTTPS. */
const REDIRECT_ACTIONS: Action[] = [
  { Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: String(HTTPS_PORT), StatusCode: 'HTTP_301' } },
];

/** The port 80 listener found by plan, and whether its default action drifted. */
export interface HttpListenerPlan {
  arn: string;
  drift: boolean;
}

/** create: no 443 listener yet; modify: it drifted or the certificate changed; delete: the certificate was removed. */
export interface HttpsListenerPlan {
  arn?: string;
  action: 'create' | 'modify' | 'delete' | 'keep';
}

/** How the plan shows the port 80 listener ecs-kit wants. */
export function httpListenerLabel(certificateArn: string | undefined): string {
  return certificateArn ? `HTTP:${LISTENER_PORT} → redirect to HTTPS:${HTTPS_PORT}` : `HTTP:${LISTENER_PORT}`;
}

export function httpsListenerLabel(certificateArn: string): string {
  return `HTTPS:${HTTPS_PORT} (${TLS_POLICY}, ${certificateArn})`;
}

/** Every listener of the load balancer: DescribeListeners pages (Marker), and someone may have added more than ours. */
export async function listListeners(ctx: StepContext, loadBalancerArn: string): Promise<Listener[]> {
  const listeners: Listener[] = [];
  let marker: string | undefined;
  do {
    const out = await ctx.aws
      .elbv2()
      .send(new DescribeListenersCommand({ LoadBalancerArn: loadBalancerArn, ...(marker ? { Marker: marker } : {}) }));
    listeners.push(...(out.Listeners ?? []));
    marker = out.NextMarker;
  } while (marker);
  return listeners;
}

async function findListeners(ctx: StepContext, loadBalancerArn: string): Promise<{ http?: Listener; https?: Listener }> {
  const listeners = await listListeners(ctx, loadBalancerArn);
  return { http: listeners.find((l) => l.Port === LISTENER_PORT), https: listeners.find((l) => l.Port === HTTPS_PORT) };
}

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
  if (l.Protocol !== undefined && l.Protocol !== 'HTTPS')
    changes.push({ field: 'httpsListener.protocol', before: l.Protocol, after: 'HTTPS' });
  const cert = l.Certificates?.[0]?.CertificateArn;
  if (l.Certificates !== undefined && cert !== certificateArn) {
    changes.push({ field: 'httpsListener.certificate', before: cert ?? null, after: certificateArn });
  }
  if (l.SslPolicy !== undefined && l.SslPolicy !== TLS_POLICY)
    changes.push({ field: 'httpsListener.sslPolicy', before: l.SslPolicy, after: TLS_POLICY });
  if (defaultActionDrift(l, false))
    changes.push({ field: 'httpsListener.defaultAction', before: l.DefaultActions?.[0]?.Type, after: 'fixed-response 404' });
  return changes;
}

function planHttpsListener(
  https: Listener | undefined,
  certificateArn: string | undefined,
  changes: Change[],
): HttpsListenerPlan | undefined {
  if (certificateArn && !https) {
    changes.push({ field: 'httpsListener', after: httpsListenerLabel(certificateArn) });
    return { action: 'create' };
  }
  if (certificateArn && https) {
    const drift = httpsListenerChanges(https, certificateArn);
    changes.push(...drift);
    return { arn: https.ListenerArn!, action: drift.length ? 'modify' : 'keep' };
  }
  if (https) {
    changes.push({ field: 'httpsListener', before: `HTTPS:${HTTPS_PORT}`, after: null });
    return { arn: https.ListenerArn!, action: 'delete' };
  }
  return undefined;
}

/** What the listeners of an existing load balancer need: the plan for each, the drift found, and the listeners themselves. */
export async function planListeners(
  ctx: StepContext,
  loadBalancerArn: string,
  certificateArn: string | undefined,
): Promise<{ changes: Change[]; http?: HttpListenerPlan; https?: HttpsListenerPlan; found: { http?: Listener; https?: Listener } }> {
  const found = await findListeners(ctx, loadBalancerArn);
  const { http: listener, https } = found;
  const changes: Change[] = [];
  const redirect = !!certificateArn;
  const httpDrift = !!listener && httpListenerDrift(listener, redirect);
  if (!listener) changes.push({ field: 'listener', after: httpListenerLabel(certificateArn) });
  else if (httpDrift) {
    const after = redirect ? `redirect to HTTPS:${HTTPS_PORT}` : 'fixed-response 404';
    changes.push({ field: 'listener.defaultAction', before: listener.DefaultActions?.[0]?.Type, after });
  }
  const httpsPlan = planHttpsListener(https, certificateArn, changes);
  return { changes, http: listener && { arn: listener.ListenerArn!, drift: httpDrift }, https: httpsPlan, found };
}

function httpsListenerInput(certificateArn: string) {
  return {
    Protocol: 'HTTPS' as const,
    Port: HTTPS_PORT,
    SslPolicy: TLS_POLICY,
    Certificates: [{ CertificateArn: certificateArn }],
    DefaultActions: NOT_ROUTED_ACTIONS,
  };
}

/** Create or fix the 443 listener when there is a certificate; returns its ARN (if any). */
export async function ensureHttpsListener(
  ctx: StepContext,
  loadBalancerArn: string,
  planned: HttpsListenerPlan | undefined,
  certificateArn: string | undefined,
): Promise<string | undefined> {
  if (certificateArn && planned?.action === 'create') {
    ctx.progress(`creating HTTPS listener (${TLS_POLICY})`);
    return createOnce({
      create: async () => {
        const input = {
          LoadBalancerArn: loadBalancerArn,
          ...httpsListenerInput(certificateArn),
          Tags: ownerTags(ctx.owner, 'https-listener'),
        };
        return (await ctx.aws.once.elbv2().send(new CreateListenerCommand(input))).Listeners![0]!.ListenerArn!;
      },
      find: async () => (await findListeners(ctx, loadBalancerArn)).https?.ListenerArn,
      alreadyExists: ['DuplicateListenerException', 'DuplicateListener'],
      ...onceOptions(ctx),
    });
  }
  if (certificateArn && planned?.action === 'modify') {
    await ctx.aws.elbv2().send(new ModifyListenerCommand({ ListenerArn: planned.arn, ...httpsListenerInput(certificateArn) }));
  }
  return planned?.arn;
}

/** Create or fix the port 80 listener: 404 by default, or the redirect to HTTPS. */
export async function ensureHttpListener(
  ctx: StepContext,
  loadBalancerArn: string,
  planned: HttpListenerPlan | undefined,
  certificateArn: string | undefined,
): Promise<string> {
  const httpDefault = certificateArn ? REDIRECT_ACTIONS : NOT_ROUTED_ACTIONS;
  if (!planned?.arn) {
    // A listener is unique per port on its load balancer: a lost response is found by port.
    return createOnce({
      create: async () => {
        const command = new CreateListenerCommand({
          LoadBalancerArn: loadBalancerArn,
          Protocol: 'HTTP',
          Port: LISTENER_PORT,
          DefaultActions: httpDefault,
          Tags: ownerTags(ctx.owner, 'listener'),
        });
        return (await ctx.aws.once.elbv2().send(command)).Listeners![0]!.ListenerArn!;
      },
      find: async () => (await findListeners(ctx, loadBalancerArn)).http?.ListenerArn,
      alreadyExists: ['DuplicateListenerException', 'DuplicateListener'],
      ...onceOptions(ctx),
    });
  }
  if (planned.drift) {
    await ctx.aws
      .elbv2()
      .send(new ModifyListenerCommand({ ListenerArn: planned.arn, Protocol: 'HTTP', Port: LISTENER_PORT, DefaultActions: httpDefault }));
  }
  return planned.arn;
}

/** A listener that is already gone counts as deleted. */
export async function deleteListener(ctx: StepContext, listenerArn: string | undefined): Promise<void> {
  await ctx.aws
    .elbv2()
    .send(new DeleteListenerCommand({ ListenerArn: listenerArn }))
    .catch(ignoreErrors(...ELB_NOT_FOUND));
}
