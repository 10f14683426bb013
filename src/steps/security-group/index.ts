import { isInternal, isPublic, isScheduled } from '../../config/services.js';
import { membersSecurityGroupStep } from '../members-security-group/index.js';
import type { IngressRule } from '../../aws/security-group-rules.js';
import { applySecurityGroup, destroySecurityGroup, planSecurityGroup, type SecurityGroupPlan } from '../../aws/security-groups.js';
import { requireIds } from '../../engine/require-ids.js';
import { after, type StepContext, type StepModule, type StepPlan } from '../../engine/types.js';
import { EcsKitError } from '../../errors.js';
import { loadBalancerStep } from '../load-balancer/index.js';
import { networkStep } from '../network/index.js';
import { securityGroupPermissions } from './permissions.js';

export interface SecurityGroupState {
  groupId: string;
}

type Ctx = StepContext<SecurityGroupState>;

function serviceName(ctx: Ctx): string {
  if (!ctx.scope) throw new EcsKitError('security-group.scope', 'The security-group step runs once per service but was given no service.');
  return ctx.scope;
}

/**
 * A public service admits its port only from the load balancer's security group, never
 * from the internet; an internal one only from the app's own services; a worker or a job admits nothing. Egress stays AWS's default allow-all
 * (tasks pull images and call APIs).
 */
function wantedIngress(ctx: Ctx): IngressRule[] {
  const port = ctx.service?.port;
  if (port === undefined || !ctx.service || isScheduled(ctx.service)) return [];
  if (isInternal(ctx.service)) {
    // An internal service admits its port only from the group every task of the app's services is in.
    const members = ctx.dep(membersSecurityGroupStep);
    requireIds(after(membersSecurityGroupStep), members.groupId);
    const source = { kind: 'group' as const, value: members.groupId };
    return [{ protocol: 'tcp', fromPort: port, toPort: port, source, description: "from the app's own services" }];
  }
  const lb = ctx.dep(loadBalancerStep);
  requireIds(after(loadBalancerStep), lb.securityGroupId);
  const source = { kind: 'group' as const, value: lb.securityGroupId };
  return [{ protocol: 'tcp', fromPort: port, toPort: port, source, description: 'from the ecs-kit load balancer' }];
}

export const securityGroupStep: StepModule<SecurityGroupState, SecurityGroupPlan> = {
  kind: 'security-group',
  title: (scope) => `Security group (${scope})`,
  resourceKinds: ['ec2:security-group'],
  permissions: securityGroupPermissions,
  instances: (config) =>
    Object.entries(config.services).map(([name, svc]) => ({
      scope: name,
      dependsOn: isPublic(svc)
        ? [after(networkStep), after(loadBalancerStep)]
        : isInternal(svc) && !isScheduled(svc)
          ? [after(networkStep), after(membersSecurityGroupStep)]
          : [after(networkStep)],
    })),

  async plan(ctx): Promise<StepPlan<SecurityGroupState, SecurityGroupPlan>> {
    const network = ctx.dep(networkStep);
    requireIds(after(networkStep), network.vpcId);
    const { plan, changes } = await planSecurityGroup(ctx, {
      vpcId: network.vpcId,
      name: ctx.names.serviceSecurityGroup(serviceName(ctx)),
      wanted: wantedIngress(ctx),
      notOwnedCode: 'security-group.not-owned',
    });
    if (!plan.groupId) return { action: 'create', changes, data: plan };
    return { action: changes.length ? 'update' : 'noop', changes, data: plan, current: { groupId: plan.groupId } };
  },

  async apply(ctx, plan): Promise<SecurityGroupState> {
    const network = ctx.dep(networkStep);
    const service = serviceName(ctx);
    // Every plan this step makes carries what it read.
    const groupId = await applySecurityGroup(ctx, plan.data!, {
      vpcId: network.vpcId,
      name: ctx.names.serviceSecurityGroup(service),
      description: `ecs-kit ${ctx.owner.app}/${ctx.owner.env}: tasks of service ${service}`,
      role: `service-security-group:${service}`,
    });
    return { groupId };
  },

  async destroy(ctx, state): Promise<void> {
    // Task ENIs keep the group in use until ECS has fully stopped the tasks.
    await destroySecurityGroup(ctx, state.groupId, ctx.scope ? `security group of service ${ctx.scope}` : 'service security group');
  },
};
