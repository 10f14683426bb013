import type { Config, ServiceConfig } from './schema.js';

type Kind = Pick<ServiceConfig, 'port'> & Partial<Pick<ServiceConfig, 'internal' | 'schedule'>>;

/** A service with a port sits behind the shared load balancer, unless it is internal or a scheduled job; one without is a worker. */
export function isPublic(svc: Kind): boolean {
  return svc.port !== undefined && !svc.internal && svc.schedule === undefined;
}

/** A scheduled job: EventBridge Scheduler runs its task; it has no ECS service. */
export function isScheduled(svc: Pick<ServiceConfig, 'schedule'>): boolean {
  return svc.schedule !== undefined;
}

/** Everything but a scheduled job runs as an ECS service. */
export function runsAsService(svc: Pick<ServiceConfig, 'schedule'>): boolean {
  return !isScheduled(svc);
}

/** An internal service: reachable by the app's own services at http://<name>:<port> through ECS Service Connect. */
export function isInternal(svc: Pick<ServiceConfig, 'internal'>): boolean {
  return svc.internal === true;
}

/** The config has at least one public service, so it gets the shared load balancer. */
export function hasLoadBalancer(config: Pick<Config, 'services'> | undefined): boolean {
  return Object.values(config?.services ?? {}).some(isPublic);
}

/** The config has internal services, so it gets a Cloud Map namespace and every ECS service joins Service Connect. */
export function hasInternalServices(config: Pick<Config, 'services'> | undefined): boolean {
  return Object.values(config?.services ?? {}).some((s) => isInternal(s) && runsAsService(s));
}

/** The config has scheduled jobs, so it gets a schedule group and the scheduler's role. */
export function hasScheduledJobs(config: Pick<Config, 'services'> | undefined): boolean {
  return Object.values(config?.services ?? {}).some(isScheduled);
}
