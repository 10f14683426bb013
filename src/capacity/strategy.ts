import type { CapacityProviderStrategyItem } from '@aws-sdk/client-ecs';
import type { ServiceConfig } from '../config/schema.js';
import type { Names } from '../config/names.js';

// ---------------------------------------------------------------------------------------
// Capacity strategies (pure).

/**
 * The providers AWS gives every account for Fargate. The cluster step puts both on every cluster, since a strategy
 * may only name providers attached to the cluster; ecs-kit's own EC2 provider is named by capacityProviderName.
 */
export const FARGATE_PROVIDERS: readonly string[] = ['FARGATE', 'FARGATE_SPOT'];

/** AWS reserves capacity provider names starting with aws, ecs or fargate. */
export function capacityProviderName(names: Pick<Names, 'prefix'>): string {
  const base = `${names.prefix}-ec2`;
  return /^(aws|ecs|fargate)/i.test(base) ? `cp-${base}` : base;
}

/**
 * The capacity provider strategy a service runs with, or undefined for plain Fargate (which
 * keeps launchType FARGATE). A base only matters when it is above 0, so 0 is left out.
 */
export function capacityStrategyFor(
  svc: Pick<ServiceConfig, 'capacity' | 'capacityStrategy'>,
  ec2Provider: string,
): CapacityProviderStrategyItem[] | undefined {
  if (svc.capacity === 'ec2') return [{ capacityProvider: ec2Provider, weight: 1 }];
  if (svc.capacityStrategy?.length) {
    return svc.capacityStrategy.map((s) => ({ capacityProvider: s.provider, weight: s.weight, ...(s.base ? { base: s.base } : {}) }));
  }
  if (svc.capacity === 'fargate-spot') return [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }];
  return undefined;
}

/**
 * A comparable form of how a service is placed: "FARGATE:0:1,FARGATE_SPOT:0:3". Plain
 * launchType FARGATE counts as the FARGATE provider alone. Returns undefined when the API
 * said nothing that can be compared: ecs-kit never creates launchType EC2 services, so a
 * service reported as EC2 with no strategy is one whose strategy the API did not echo.
 */
export function strategyKey(strategy: readonly CapacityProviderStrategyItem[] | undefined, launchType?: string): string | undefined {
  if (strategy?.length) {
    return strategy
      .map((s) => `${s.capacityProvider}:${s.base ?? 0}:${s.weight ?? 0}`)
      .sort()
      .join(',');
  }
  if (launchType === 'FARGATE') return 'FARGATE:0:1';
  return undefined;
}
