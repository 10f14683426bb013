import type { Config, ServiceConfig } from './schema.js';

/** A service with a port sits behind the shared load balancer; one without is a worker. */
export function isPublic(svc: Pick<ServiceConfig, 'port'>): boolean {
  return svc.port !== undefined;
}

/** The config has at least one public service, so it gets the shared load balancer. */
export function hasLoadBalancer(config: Pick<Config, 'services'> | undefined): boolean {
  return Object.values(config?.services ?? {}).some(isPublic);
}
