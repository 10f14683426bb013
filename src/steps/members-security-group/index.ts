import { applySecurityGroup, destroySecurityGroup, planSecurityGroup, type SecurityGroupPlan } from '../../aws/security-groups.js';
import { hasInternalServices } from '../../config/services.js';
import { requireIds } from '../../engine/require-ids.js';
import { after, type StepModule, type StepPlan } from '../../engine/types.js';
import { networkStep } from '../network/index.js';
import { membersSecurityGroupPermissions } from './permissions.js';

export interface MembersSecurityGroupState {
  groupId: string;
}

/**
 * The security group that every task of the app's ECS services is in, besides its own: it admits nothing itself;
 * internal services admit their port from it, so only the app's own services reach them (one group, so two internal
 * services that call each other need no rules that point at each other).
 */
export const membersSecurityGroupStep: StepModule<MembersSecurityGroupState, SecurityGroupPlan> = {
  kind: 'members-security-group',
  title: () => 'Security group (app services)',
  resourceKinds: ['ec2:security-group'],
  permissions: membersSecurityGroupPermissions,
  instances: (config) => (hasInternalServices(config) ? [{ dependsOn: [after(networkStep)] }] : []),

  async plan(ctx): Promise<StepPlan<MembersSecurityGroupState, SecurityGroupPlan>> {
    const network = ctx.dep(networkStep);
    requireIds(after(networkStep), network.vpcId);
    const { plan, changes } = await planSecurityGroup(ctx, {
      vpcId: network.vpcId,
      name: ctx.names.membersSecurityGroup,
      wanted: [],
      notOwnedCode: 'security-group.not-owned',
    });
    if (!plan.groupId) return { action: 'create', changes, data: plan };
    return { action: changes.length ? 'update' : 'noop', changes, data: plan, current: { groupId: plan.groupId } };
  },

  async apply(ctx, plan): Promise<MembersSecurityGroupState> {
    const groupId = await applySecurityGroup(ctx, plan.data!, {
      vpcId: ctx.dep(networkStep).vpcId,
      name: ctx.names.membersSecurityGroup,
      description: `ecs-kit ${ctx.owner.app}/${ctx.owner.env}: every task of the app's services (internal services admit it)`,
      role: 'members-security-group',
    });
    return { groupId };
  },

  async destroy(ctx, state): Promise<void> {
    await destroySecurityGroup(ctx, state.groupId, "security group of the app's services");
  },
};
