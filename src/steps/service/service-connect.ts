import type { Service, ServiceConnectConfiguration } from '@aws-sdk/client-ecs';
import { hasInternalServices, isInternal } from '../../config/services.js';
import type { Change, StepContext } from '../../engine/types.js';
import { membersSecurityGroupStep } from '../members-security-group/index.js';
import { namespaceStep } from '../namespace/index.js';
import type { ServiceState } from './index.js';

/*
 * ECS Service Connect for internal services (kept apart from the rest of the service step). With any internal service
 * in the config, every ECS service of the app joins the app/env's Cloud Map namespace: an internal service as client
 * and server (its named port is published as http://<service>:<port>), every other one as a client only, so
 * http://api:8080 resolves from any of them (ECS Developer Guide, "Service Connect": client-only vs client-server).
 * Without internal services no service has a Service Connect configuration, and one that had it is switched off.
 */

type Ctx = StepContext<ServiceState>;

/** The Service Connect configuration the service wants, or undefined when the config has no internal services. */
export function serviceConnectFor(ctx: Ctx): ServiceConnectConfiguration | undefined {
  const svc = ctx.service;
  if (!svc || !ctx.scope || !hasInternalServices(ctx.config)) return undefined;
  const namespace = ctx.dep(namespaceStep).namespaceArn;
  if (!isInternal(svc) || svc.port === undefined) return { enabled: true, namespace };
  return {
    enabled: true,
    namespace,
    services: [{ portName: ctx.scope, discoveryName: ctx.scope, clientAliases: [{ port: svc.port, dnsName: ctx.scope }] }],
  };
}

/** The app's members security group, which every ECS service's tasks join beside their own when there are internal services. */
export function memberGroups(ctx: Ctx): string[] {
  return hasInternalServices(ctx.config) ? [ctx.dep(membersSecurityGroupStep).groupId] : [];
}

/** A stable key of a configuration: what is compared and what the service step records. */
export function serviceConnectKey(c: ServiceConnectConfiguration | undefined): string | undefined {
  if (!c?.enabled) return undefined;
  const services = (c.services ?? [])
    .map((s) => `${s.portName}|${s.discoveryName ?? ''}|${(s.clientAliases ?? []).map((a) => `${a.dnsName ?? ''}:${a.port}`).join(',')}`)
    .sort();
  return JSON.stringify({ namespace: c.namespace, services });
}

/**
 * What to send when it differs. DescribeServices reports Service Connect on the deployments (not the service); an API
 * that leaves it out (moto does) is compared with what ecs-kit recorded it sent.
 */
export function serviceConnectChange(
  service: Service,
  wanted: ServiceConnectConfiguration | undefined,
  recorded: string | undefined,
): Change | undefined {
  const primary = service.deployments?.find((d) => d.status === 'PRIMARY');
  const reported = primary && 'serviceConnectConfiguration' in primary ? serviceConnectKey(primary.serviceConnectConfiguration) : recorded;
  const want = serviceConnectKey(wanted);
  if (reported === want) return undefined;
  return { field: 'serviceConnectConfiguration', before: reported ? JSON.parse(reported) : 'off', after: want ? JSON.parse(want) : 'off' };
}

/** The request field for a change: the wanted configuration, or switched off. */
export function serviceConnectRequest(wanted: ServiceConnectConfiguration | undefined): ServiceConnectConfiguration {
  return wanted ?? { enabled: false };
}
