import type { PolicyContext } from '../../security/policy-context.js';
import { ownEcs, serviceLinkedRoles, unscoped, type Statement } from '../../security/statements.js';

/** The cluster: created (tagged) once, its settings and capacity providers kept as configured, deleted last. */
export function clusterPermissions(ctx: PolicyContext): Statement[] {
  return [
    unscoped(['ecs:CreateCluster']),
    ownEcs(ctx, [
      'ecs:DescribeClusters',
      'ecs:DeleteCluster',
      'ecs:UpdateClusterSettings',
      'ecs:PutClusterCapacityProviders',
      'ecs:TagResource',
    ]),
    ...serviceLinkedRoles(ctx, ['ecs']),
  ];
}
