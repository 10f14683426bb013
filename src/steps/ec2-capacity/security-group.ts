import { applySecurityGroup, destroySecurityGroup, planSecurityGroup, type SecurityGroupPlan } from '../../aws/security-groups.js';
import type { IngressRule } from '../../aws/security-group-rules.js';
import type { Change, StepContext } from '../../engine/types.js';

// ---------------------------------------------------------------------------------------
// The container instances' security group. Open to the load balancer only when bridge-mode services sit behind it.

/** ECS's default ephemeral range: bridge-mode tasks get host ports from it (hostPort 0). */
const DYNAMIC_PORTS = { from: 32768, to: 65535 };

function wantedIngress(lbSecurityGroupId: string | undefined): IngressRule[] {
  if (!lbSecurityGroupId) return [];
  return [
    {
      protocol: 'tcp',
      fromPort: DYNAMIC_PORTS.from,
      toPort: DYNAMIC_PORTS.to,
      source: { kind: 'group', value: lbSecurityGroupId },
      description: 'bridge-mode tasks, from the ecs-kit load balancer',
    },
  ];
}

export async function planInstanceSecurityGroup(
  ctx: StepContext,
  vpcId: string,
  lbSecurityGroupId: string | undefined,
  changes: Change[],
): Promise<SecurityGroupPlan> {
  const name = ctx.names.instanceSecurityGroup;
  const sg = await planSecurityGroup(ctx, { vpcId, name, wanted: wantedIngress(lbSecurityGroupId), notOwnedCode: 'capacity.sg-not-owned' });
  changes.push(...sg.changes);
  return sg.plan;
}

/** Creates the group when the plan found none and brings its ingress in line; returns its id. */
export function ensureInstanceSecurityGroup(ctx: StepContext, planned: SecurityGroupPlan, vpcId: string): Promise<string> {
  return applySecurityGroup(ctx, planned, {
    vpcId,
    name: ctx.names.instanceSecurityGroup,
    description: `ecs-kit ${ctx.owner.app}/${ctx.owner.env}: ECS container instances`,
    role: 'instance-security-group',
  });
}

/** Terminating instances hold their network interfaces (and so the group) for a while: deleted with retries. */
export function destroyInstanceSecurityGroup(ctx: StepContext, groupId: string): Promise<void> {
  return destroySecurityGroup(ctx, groupId, 'container instance security group');
}
