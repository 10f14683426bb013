import type { PolicyContext } from '../../security/policy-context.js';
import { SERVICE_LINKED_ROLES } from '../../aws/service-linked-roles.js';
import {
  attachOnly,
  ownEc2,
  ownEcs,
  ownRoles,
  securityGroupGrants,
  serviceLinkedRoles,
  tagOnCreate,
  unscoped,
  type Statement,
} from '../../security/statements.js';
import { capacityProviderName } from '../../capacity/strategy.js';

/** The container instances' role and instance profile (instance-role.ts), and passing the role to EC2. */
function instanceIdentity(ctx: PolicyContext): Statement[] {
  const { rolePath, instanceRole } = ctx.names;
  return [
    ownRoles(ctx, [
      'iam:CreateRole',
      'iam:DeleteRole',
      'iam:GetRole',
      'iam:TagRole',
      'iam:ListRoleTags',
      'iam:ListAttachedRolePolicies',
      'iam:ListInstanceProfilesForRole',
      'iam:RemoveRoleFromInstanceProfile',
    ]),
    // The AWS managed policy instance-role.ts attaches.
    ...attachOnly(ctx, [`arn:${ctx.partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role`]),
    {
      Sid: 'OwnInstanceProfile',
      Effect: 'Allow',
      Action: [
        'iam:CreateInstanceProfile',
        'iam:DeleteInstanceProfile',
        'iam:GetInstanceProfile',
        'iam:AddRoleToInstanceProfile',
        'iam:RemoveRoleFromInstanceProfile',
        'iam:TagInstanceProfile',
        'iam:ListInstanceProfileTags',
      ],
      Resource: ctx.iamArn(`instance-profile${rolePath}*`),
    },
    {
      Sid: 'PassInstanceRoleToEc2',
      Effect: 'Allow',
      Action: ['iam:PassRole'],
      Resource: ctx.iamArn(`role${rolePath}${instanceRole}`),
      Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    },
  ];
}

/** The launch template (launch-template.ts, host.ts) and launching instances from it. */
function launchTemplate(ctx: PolicyContext): Statement[] {
  return [
    unscoped([
      'ec2:DescribeLaunchTemplates',
      'ec2:DescribeLaunchTemplateVersions',
      'ec2:DescribeInstanceTypes',
      'ec2:DescribeImages',
      'ec2:CreateLaunchTemplate',
    ]),
    // The public parameter that names the current ECS-optimized AMI.
    {
      Sid: 'EcsOptimizedAmi',
      Effect: 'Allow',
      Action: ['ssm:GetParameter'],
      Resource: `arn:${ctx.partition}:ssm:${ctx.region}::parameter/aws/service/ecs/optimized-ami/*`,
    },
    tagOnCreate(['CreateLaunchTemplate', 'RunInstances']),
    ownEc2(ctx, ['ec2:CreateLaunchTemplateVersion', 'ec2:DeleteLaunchTemplate']),
    // Creating an Auto Scaling group from a launch template needs the caller to be allowed to launch it.
    {
      Sid: 'LaunchFromTemplate',
      Effect: 'Allow',
      Action: ['ec2:RunInstances'],
      Resource: '*',
      Condition: { ArnLike: { 'ec2:LaunchTemplate': ctx.arn('ec2', 'launch-template/*') } },
    },
  ];
}

/** The Auto Scaling group (auto-scaling-group.ts) and the capacity provider on the cluster (capacity-provider.ts). */
function groupAndProvider(ctx: PolicyContext): Statement[] {
  const { partition, region, account, names } = ctx;
  return [
    unscoped(['autoscaling:DescribeAutoScalingGroups', 'ecs:DescribeCapacityProviders']),
    {
      Sid: 'OwnAutoScalingGroup',
      Effect: 'Allow',
      Action: [
        'autoscaling:CreateAutoScalingGroup',
        'autoscaling:UpdateAutoScalingGroup',
        'autoscaling:DeleteAutoScalingGroup',
        'autoscaling:CreateOrUpdateTags',
      ],
      Resource: `arn:${partition}:autoscaling:${region}:${account}:autoScalingGroup:*:autoScalingGroupName/${names.autoScalingGroup}`,
    },
    {
      Sid: 'OwnCapacityProvider',
      Effect: 'Allow',
      Action: ['ecs:CreateCapacityProvider', 'ecs:UpdateCapacityProvider', 'ecs:DeleteCapacityProvider', 'ecs:TagResource'],
      Resource: ctx.arn('ecs', `capacity-provider/${capacityProviderName(names)}`),
    },
    ownEcs(ctx, ['ecs:DescribeClusters', 'ecs:PutClusterCapacityProviders']),
    ...serviceLinkedRoles(ctx, ['ecs']),
    {
      // EC2 Auto Scaling's role, by its own path.
      Sid: 'AutoScalingServiceLinkedRole',
      Effect: 'Allow',
      Action: ['iam:CreateServiceLinkedRole'],
      Resource: ctx.iamArn(`role${SERVICE_LINKED_ROLES.ec2AutoScaling.path}*`),
      Condition: { StringEquals: { 'iam:AWSServiceName': SERVICE_LINKED_ROLES.ec2AutoScaling.service } },
    },
  ];
}

/**
 * EC2 container instances for services with capacity: ec2. Their security group goes through src/aws/security-groups.ts,
 * whose ownership helper also reads ELB tags.
 */
export function ec2CapacityPermissions(ctx: PolicyContext): Statement[] {
  return [...instanceIdentity(ctx), ...launchTemplate(ctx), ...groupAndProvider(ctx), ...securityGroupGrants(ctx)];
}
