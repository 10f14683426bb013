import type { RequestLaunchTemplateData } from '@aws-sdk/client-ec2';
import { requireIds } from '../../engine/require-ids.js';
import type { SecurityGroupPlan } from '../../aws/security-groups.js';
import { capacityProviderName } from '../../capacity/strategy.js';
import { after, type Change, type StepContext, type StepModule, type StepPlan } from '../../engine/types.js';
import { EcsKitError } from '../../errors.js';
import { clusterStep } from '../cluster/index.js';
import { loadBalancerStep } from '../load-balancer/index.js';
import { afterNat, networkStep, taskPlacement, type NetworkState } from '../network/index.js';
import { destroyAutoScalingGroup, ensureAutoScalingGroup, planAutoScalingGroup, type AutoScalingGroupPlan } from './auto-scaling-group.js';
import {
  attachToCluster,
  destroyCapacityProvider,
  detachFromCluster,
  ensureCapacityProvider,
  planCapacityProvider,
  planClusterAttachment,
  type CapacityProviderPlan,
} from './capacity-provider.js';
import { planHost } from './host.js';
import {
  destroyInstanceProfile,
  destroyInstanceRole,
  ensureInstanceProfile,
  ensureInstanceRole,
  planInstanceProfile,
  planInstanceRole,
  type InstanceProfilePlan,
  type InstanceRolePlan,
} from './instance-role.js';
import {
  destroyLaunchTemplate,
  ensureLaunchTemplate,
  planLaunchTemplate,
  renderLaunchTemplate,
  type LaunchTemplatePlan,
} from './launch-template.js';
import { destroyInstanceSecurityGroup, ensureInstanceSecurityGroup, planInstanceSecurityGroup } from './security-group.js';
import { awsvpcWithoutNatWarning, ec2Settings, needsLbIngress, usesEc2 } from './settings.js';
import { ec2CapacityPermissions } from './permissions.js';

// The EC2 capacity step composes one module per resource, in the order AWS needs them: host (architecture + AMI),
// instance role + profile, instance security group, launch template, Auto Scaling group, capacity provider on the cluster.

/** EC2 container instances for services with capacity: ec2. */
export interface CapacityState {
  roleName: string;
  roleArn: string;
  instanceProfileName: string;
  instanceProfileArn: string;
  securityGroupId: string;
  launchTemplateId: string;
  launchTemplateName: string;
  autoScalingGroupName: string;
  autoScalingGroupArn: string;
  capacityProviderName: string;
  clusterName: string;
}

/** What the plan read for apply: the AMI, and per resource what exists (absent: not created yet). */
interface CapacityPlanData {
  ami: string;
  role?: InstanceRolePlan;
  profile?: InstanceProfilePlan;
  sg: SecurityGroupPlan;
  lt?: LaunchTemplatePlan;
  asg?: AutoScalingGroupPlan;
  cp?: CapacityProviderPlan;
  /** The provider is not (yet) on the cluster as its default strategy. */
  attach: boolean;
}

type Ctx = StepContext<CapacityState>;

interface Deps {
  cluster: string;
  network: NetworkState;
  lbSecurityGroupId?: string;
}

function deps(ctx: Ctx): Deps {
  const network = ctx.dep(networkStep);
  requireIds('network', network.vpcId);
  const cluster = ctx.dep(clusterStep).clusterName;
  requireIds('cluster', cluster);
  if (!needsLbIngress(ctx.config)) return { cluster, network };
  const lb = ctx.dep(loadBalancerStep);
  requireIds('load-balancer', lb.securityGroupId);
  return { cluster, network, lbSecurityGroupId: lb.securityGroupId };
}

/** The launch template the config wants, given the AMI and the ids of the profile and group (empty while they are new). */
function wantedLaunchTemplate(
  ctx: Ctx,
  d: Deps,
  ami: string,
  instanceProfileArn: string,
  securityGroupId: string,
): RequestLaunchTemplateData {
  return renderLaunchTemplate({
    cluster: d.cluster,
    imageId: ami,
    instanceType: ec2Settings(ctx.config).instanceType,
    instanceProfileArn,
    securityGroupId,
    publicIp: taskPlacement(d.network).assignPublicIp === 'ENABLED',
    owner: ctx.owner,
    name: ctx.names.launchTemplate,
  });
}

type OwnedIds = Pick<CapacityState, 'roleArn' | 'instanceProfileArn' | 'securityGroupId' | 'launchTemplateId' | 'autoScalingGroupArn'>;

function capacityState(ctx: Ctx, clusterName: string, ids: OwnedIds): CapacityState {
  const n = ctx.names;
  return {
    roleName: n.instanceRole,
    roleArn: ids.roleArn,
    instanceProfileName: n.instanceProfile,
    instanceProfileArn: ids.instanceProfileArn,
    securityGroupId: ids.securityGroupId,
    launchTemplateId: ids.launchTemplateId,
    launchTemplateName: n.launchTemplate,
    autoScalingGroupName: n.autoScalingGroup,
    autoScalingGroupArn: ids.autoScalingGroupArn,
    capacityProviderName: capacityProviderName(n),
    clusterName,
  };
}

/** What exists now, when every resource does (a noop plan must carry it). */
function currentState(ctx: Ctx, clusterName: string, data: CapacityPlanData): CapacityState | undefined {
  const { role, profile, sg, lt, asg, cp } = data;
  if (!(role && profile && sg.groupId && lt && asg && cp)) return undefined;
  return capacityState(ctx, clusterName, {
    roleArn: role.arn,
    instanceProfileArn: profile.arn,
    securityGroupId: sg.groupId,
    launchTemplateId: lt.id,
    autoScalingGroupArn: asg.arn,
  });
}

export const ec2CapacityStep: StepModule<CapacityState, CapacityPlanData> = {
  kind: 'capacity',
  title: () => 'EC2 capacity (instances, Auto Scaling group, capacity provider)',
  resourceKinds: [
    'iam:role',
    'iam:instance-profile',
    'ec2:security-group',
    'ec2:launch-template',
    'autoscaling:autoScalingGroup',
    'ecs:capacity-provider',
  ],
  permissions: ec2CapacityPermissions,
  instances: (config) =>
    usesEc2(config)
      ? [
          {
            dependsOn: [after(networkStep), after(clusterStep), ...(needsLbIngress(config) ? [after(loadBalancerStep)] : [])],
            // Instances in private subnets reach ECS through the NAT gateways: launched only once they route.
            ...afterNat(config),
          },
        ]
      : [],

  /** One resource at a time (reads only); each adds its changes and returns undefined when the resource is missing. */
  async plan(ctx): Promise<StepPlan<CapacityState, CapacityPlanData>> {
    const ami = await planHost(ctx);
    const noOutbound = awsvpcWithoutNatWarning(ctx.config);
    if (noOutbound) ctx.warn('capacity.no-outbound', noOutbound);
    const d = deps(ctx);
    const cpName = capacityProviderName(ctx.names);
    const changes: Change[] = [];

    const role = await planInstanceRole(ctx, changes);
    const profile = await planInstanceProfile(ctx, changes);
    const sg = await planInstanceSecurityGroup(ctx, d.network.vpcId, d.lbSecurityGroupId, changes);
    const lt = await planLaunchTemplate(ctx, wantedLaunchTemplate(ctx, d, ami, profile?.arn ?? '', sg.groupId ?? ''), changes);
    const asg = await planAutoScalingGroup(ctx, lt?.id, taskPlacement(d.network).subnets, changes);
    const cp = await planCapacityProvider(ctx, cpName, asg?.arn, changes);
    const attach = await planClusterAttachment(ctx, d.cluster, cpName, changes);

    const data: CapacityPlanData = { ami, role, profile, sg, lt, asg, cp, attach };
    if (!role && !profile && !sg.groupId && !lt && !asg && !cp) return { action: 'create', changes, data };
    const current = currentState(ctx, d.cluster, data);
    return { action: changes.length ? 'update' : 'noop', changes, ...(current ? { current } : {}), data };
  },

  /** One resource at a time: create what is missing, change only what the plan found. */
  async apply(ctx, plan): Promise<CapacityState> {
    if (!plan.data) throw new EcsKitError('engine.step', `Step ${ctx.id} was applied without the data its plan read.`);
    const data = plan.data;
    const d = deps(ctx);
    const cpName = capacityProviderName(ctx.names);

    const roleArn = await ensureInstanceRole(ctx, data.role);
    const profileArn = await ensureInstanceProfile(ctx, data.profile);
    const groupId = await ensureInstanceSecurityGroup(ctx, data.sg, d.network.vpcId);
    const ltId = await ensureLaunchTemplate(ctx, data.lt, wantedLaunchTemplate(ctx, d, data.ami, profileArn, groupId));
    const asgArn = await ensureAutoScalingGroup(
      ctx,
      data.asg,
      { LaunchTemplateId: ltId, Version: '$Latest' },
      taskPlacement(d.network).subnets,
    );
    await ensureCapacityProvider(ctx, data.cp, cpName, asgArn);
    if (data.attach || !data.cp) await attachToCluster(ctx, d.cluster, cpName);

    const ids = { roleArn, instanceProfileArn: profileArn, securityGroupId: groupId, launchTemplateId: ltId, autoScalingGroupArn: asgArn };
    return capacityState(ctx, d.cluster, ids);
  },

  /**
   * Order matters (AWS refuses otherwise): services are gone already (they depend on this step);
   * detach the provider from the cluster → delete it → scale the group to 0 and force-delete it →
   * launch template → instance profile → role → security group. The cluster step depends on
   * nothing here, and this step depends on the cluster, so the cluster is deleted only after.
   */
  async destroy(ctx, state): Promise<void> {
    await detachFromCluster(ctx, state.clusterName, state.capacityProviderName);
    await destroyCapacityProvider(ctx, state.capacityProviderName);
    await destroyAutoScalingGroup(ctx, state.autoScalingGroupName);
    await destroyLaunchTemplate(ctx, state.launchTemplateName);
    await destroyInstanceProfile(ctx, state.instanceProfileName);
    await destroyInstanceRole(ctx, state.roleName);
    // Terminating instances hold their network interfaces (and so the group) for a while.
    await destroyInstanceSecurityGroup(ctx, state.securityGroupId);
  },
};
