import { partitionOf } from '../aws/partition.js';
import type { Config } from '../config/schema.js';
import { namesFor } from '../config/names.js';
import { parseEcrImage } from '../doctor/image.js';
import { capacityProviderName } from '../capacity/strategy.js';
import { legacyManagedParameterName, managedParameterName, parseSecretRef, secretResourcePattern, type PolicyDocument } from './refs.js';

export interface DeployerPolicyInput {
  config: Config;
  env: string;
  region: string;
  account: string;
}

type Statement = { Sid: string; Effect: 'Allow'; Action: string[]; Resource: string | string[]; Condition?: Record<string, Record<string, string | string[]>> };

/**
 * The IAM policy a person or CI role needs to run ecs-kit (deploy, teardown, secret set,
 * day-2 commands) for one config and environment. Everything ecs-kit names is scoped to
 * this app/env's ARNs; actions AWS cannot scope to a resource (Describe*, Create* of EC2
 * networking, RegisterTaskDefinition, …) are on "*", and EC2 changes to existing
 * resources are limited to those carrying this app's ecs-kit tag.
 */
export function deployerPolicy(o: DeployerPolicyInput): PolicyDocument {
  const p = partitionOf(o.region);
  const { region: r, account: a, config, env } = o;
  const app = config.app;
  const names = namesFor(app, env);
  const services = Object.keys(config.services);
  const publicServices = services.filter((s) => config.services[s]!.port !== undefined);
  const builds = services.filter((s) => config.services[s]!.build && !config.services[s]!.image);
  const scaled = services.some((s) => config.services[s]!.autoscaling);
  const arn = (service: string, resource: string) => `arn:${p}:${service}:${r}:${a}:${resource}`;
  const roleArns = `arn:${p}:iam::${a}:role${names.rolePath}*`;
  const ec2Capacity = services.some((s) => config.services[s]!.capacity === 'ec2');

  const statements: Statement[] = [
    { Sid: 'Identity', Effect: 'Allow', Action: ['sts:GetCallerIdentity'], Resource: '*' },
    {
      Sid: 'ReadOnlyDescribe',
      Effect: 'Allow',
      Action: [
        'ec2:DescribeAddresses', 'ec2:DescribeAvailabilityZones', 'ec2:DescribeInternetGateways', 'ec2:DescribeNatGateways',
        'ec2:DescribeNetworkInterfaces', 'ec2:DescribeRouteTables', 'ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets',
        'ec2:DescribeVpcAttribute', 'ec2:DescribeVpcs',
        'ecs:DescribeTaskDefinition', 'ecs:ListTaskDefinitions', 'ecs:ListTasks', 'ecs:ListServices',
        'elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeLoadBalancers', 'elasticloadbalancing:DescribeRules',
        'elasticloadbalancing:DescribeTags', 'elasticloadbalancing:DescribeTargetGroupAttributes', 'elasticloadbalancing:DescribeTargetGroups',
        'elasticloadbalancing:DescribeTargetHealth',
        'application-autoscaling:DescribeScalableTargets', 'application-autoscaling:DescribeScalingPolicies',
        'logs:DescribeLogGroups',
        'ecr:DescribeRepositories',
        'ssm:DescribeParameters',
      ],
      Resource: '*',
    },
    {
      // EC2 networking creates cannot be scoped to ARNs that do not exist yet; every one is tagged on create.
      Sid: 'CreateNetwork',
      Effect: 'Allow',
      Action: [
        'ec2:AllocateAddress', 'ec2:CreateInternetGateway', 'ec2:CreateNatGateway', 'ec2:CreateRoute', 'ec2:CreateRouteTable',
        'ec2:CreateSecurityGroup', 'ec2:CreateSubnet', 'ec2:CreateVpc',
      ],
      Resource: '*',
    },
    {
      Sid: 'TagOnCreate',
      Effect: 'Allow',
      Action: ['ec2:CreateTags'],
      Resource: '*',
      Condition: {
        StringEquals: {
          'ec2:CreateAction': ['AllocateAddress', 'CreateInternetGateway', 'CreateNatGateway', 'CreateRouteTable', 'CreateSecurityGroup', 'CreateSubnet', 'CreateVpc'],
        },
      },
    },
    {
      Sid: 'ChangeOwnNetwork',
      Effect: 'Allow',
      Action: [
        'ec2:AssociateRouteTable', 'ec2:AttachInternetGateway', 'ec2:AuthorizeSecurityGroupIngress', 'ec2:DeleteInternetGateway',
        'ec2:DeleteNatGateway', 'ec2:DeleteRouteTable', 'ec2:DeleteSecurityGroup', 'ec2:DeleteSubnet', 'ec2:DeleteVpc',
        'ec2:DetachInternetGateway', 'ec2:DisassociateRouteTable', 'ec2:ModifySubnetAttribute', 'ec2:ModifyVpcAttribute',
        'ec2:ReleaseAddress', 'ec2:ReplaceRoute', 'ec2:ReplaceRouteTableAssociation', 'ec2:RevokeSecurityGroupIngress',
      ],
      Resource: '*',
      Condition: { StringEquals: { 'aws:ResourceTag/ecs-kit:app': app } },
    },
    {
      Sid: 'EcsUnscoped',
      Effect: 'Allow',
      Action: ['ecs:CreateCluster', 'ecs:RegisterTaskDefinition', 'ecs:DeregisterTaskDefinition', 'ecs:DeleteTaskDefinitions'],
      Resource: '*',
    },
    {
      Sid: 'EcsCluster',
      Effect: 'Allow',
      Action: [
        'ecs:DescribeClusters', 'ecs:DeleteCluster', 'ecs:UpdateClusterSettings', 'ecs:PutClusterCapacityProviders',
        'ecs:CreateService', 'ecs:UpdateService', 'ecs:DeleteService', 'ecs:DescribeServices',
        'ecs:RunTask', 'ecs:DescribeTasks', 'ecs:StopTask', 'ecs:TagResource',
      ],
      Resource: [
        arn('ecs', `cluster/${names.cluster}`),
        arn('ecs', `service/${names.cluster}/*`),
        arn('ecs', `task/${names.cluster}/*`),
        ...services.map((s) => arn('ecs', `task-definition/${names.taskFamily(s)}:*`)),
      ],
    },
    {
      Sid: 'OwnRoles',
      Effect: 'Allow',
      Action: [
        'iam:CreateRole', 'iam:DeleteRole', 'iam:GetRole', 'iam:TagRole', 'iam:ListRoleTags', 'iam:UpdateAssumeRolePolicy',
        'iam:ListAttachedRolePolicies', 'iam:ListRolePolicies', 'iam:GetRolePolicy', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy',
        'iam:ListInstanceProfilesForRole', 'iam:RemoveRoleFromInstanceProfile',
      ],
      Resource: roleArns,
    },
    {
      Sid: 'AttachOnlyConfiguredPolicies',
      Effect: 'Allow',
      Action: ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'],
      Resource: roleArns,
      Condition: {
        ArnEquals: {
          'iam:PolicyARN': [
            `arn:${p}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy`,
            ...(ec2Capacity ? [`arn:${p}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role`] : []),
            ...new Set(services.flatMap((s) => config.services[s]!.taskRole?.managedPolicies ?? [])),
          ],
        },
      },
    },
    {
      Sid: 'PassOwnRolesToEcsTasks',
      Effect: 'Allow',
      Action: ['iam:PassRole'],
      Resource: roleArns,
      Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    },
    // Before a first create, ecs-kit checks that the service-linked role exists (src/aws/service-linked-roles.ts).
    { Sid: 'ReadServiceLinkedRoles', Effect: 'Allow', Action: ['iam:GetRole'], Resource: `arn:${p}:iam::${a}:role/aws-service-role/*` },
    {
      Sid: 'ServiceLinkedRoles',
      Effect: 'Allow',
      Action: ['iam:CreateServiceLinkedRole'],
      Resource: `arn:${p}:iam::${a}:role/aws-service-role/*`,
      Condition: {
        StringEquals: { 'iam:AWSServiceName': ['ecs.amazonaws.com', 'elasticloadbalancing.amazonaws.com', 'ecs.application-autoscaling.amazonaws.com'] },
      },
    },
    {
      Sid: 'OwnLogGroups',
      Effect: 'Allow',
      Action: ['logs:CreateLogGroup', 'logs:DeleteLogGroup', 'logs:PutRetentionPolicy', 'logs:TagResource', 'logs:ListTagsForResource', 'logs:FilterLogEvents', 'logs:GetLogEvents'],
      Resource: services.flatMap((s) => [arn('logs', `log-group:${names.logGroup(s)}`), arn('logs', `log-group:${names.logGroup(s)}:*`)]),
    },
    {
      Sid: 'OwnParameters',
      Effect: 'Allow',
      Action: ['ssm:PutParameter', 'ssm:DeleteParameter', 'ssm:AddTagsToResource', 'ssm:ListTagsForResource'],
      // The second pattern is where `secret set` wrote before the /ecs-kit root; teardown still deletes those.
      Resource: [managedParameterName(app, env, '*'), legacyManagedParameterName(app, env, '*')].map((name) => arn('ssm', `parameter${name}`)),
    },
  ];

  if (publicServices.length) {
    const lb = names.loadBalancer;
    statements.push(
      {
        Sid: 'LoadBalancerCreate',
        Effect: 'Allow',
        Action: ['elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:CreateTargetGroup', 'elasticloadbalancing:AddTags'],
        Resource: [arn('elasticloadbalancing', `loadbalancer/app/${lb}/*`), ...publicServices.map((s) => arn('elasticloadbalancing', `targetgroup/${names.targetGroup(s)}/*`))],
      },
      {
        Sid: 'OwnLoadBalancer',
        Effect: 'Allow',
        Action: [
          'elasticloadbalancing:CreateListener', 'elasticloadbalancing:CreateRule', 'elasticloadbalancing:DeleteListener',
          'elasticloadbalancing:DeleteLoadBalancer', 'elasticloadbalancing:DeleteRule', 'elasticloadbalancing:DeleteTargetGroup',
          'elasticloadbalancing:ModifyListener', 'elasticloadbalancing:ModifyRule', 'elasticloadbalancing:ModifyTargetGroup',
          'elasticloadbalancing:ModifyTargetGroupAttributes', 'elasticloadbalancing:SetRulePriorities', 'elasticloadbalancing:SetSecurityGroups',
          'elasticloadbalancing:SetSubnets', 'elasticloadbalancing:AddTags',
        ],
        Resource: [
          arn('elasticloadbalancing', `loadbalancer/app/${lb}/*`),
          arn('elasticloadbalancing', `listener/app/${lb}/*`),
          arn('elasticloadbalancing', `listener-rule/app/${lb}/*`),
          ...publicServices.map((s) => arn('elasticloadbalancing', `targetgroup/${names.targetGroup(s)}/*`)),
        ],
      },
    );
  }

  if (scaled) {
    statements.push(
      {
        Sid: 'Autoscaling',
        Effect: 'Allow',
        Action: [
          'application-autoscaling:RegisterScalableTarget', 'application-autoscaling:DeregisterScalableTarget',
          'application-autoscaling:PutScalingPolicy', 'application-autoscaling:DeleteScalingPolicy', 'application-autoscaling:TagResource',
        ],
        Resource: '*',
      },
      {
        // Target tracking creates and deletes its CloudWatch alarms with the caller's permissions.
        Sid: 'AutoscalingAlarms',
        Effect: 'Allow',
        Action: ['cloudwatch:PutMetricAlarm', 'cloudwatch:DescribeAlarms', 'cloudwatch:DeleteAlarms'],
        Resource: arn('cloudwatch', 'alarm:TargetTracking-service/*'),
      },
    );
  }

  statements.push({
    Sid: 'OwnRepositories',
    Effect: 'Allow',
    Action: [
      'ecr:CreateRepository', 'ecr:DeleteRepository', 'ecr:DescribeImages', 'ecr:GetLifecyclePolicy', 'ecr:PutLifecyclePolicy',
      'ecr:PutImageScanningConfiguration', 'ecr:PutImageTagMutability', 'ecr:ListTagsForResource', 'ecr:TagResource',
      ...(builds.length
        ? ['ecr:BatchCheckLayerAvailability', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage', 'ecr:BatchGetImage']
        : []),
    ],
    Resource: arn('ecr', `repository/${app}/${env}/*`),
  });
  if (builds.length) statements.push({ Sid: 'EcrLogin', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: '*' });

  // `doctor`: quota headroom, region status, and the architectures of images in this account's ECR.
  statements.push({
    Sid: 'DoctorReads',
    Effect: 'Allow',
    Action: [
      'ec2:DescribeRegions',
      'ec2:DescribeAccountAttributes',
      'elasticloadbalancing:DescribeAccountLimits',
      'servicequotas:GetServiceQuota',
      'servicequotas:GetAWSDefaultServiceQuota',
    ],
    Resource: '*',
  });
  const ownEcrImages = [...new Set(services.map((s) => config.services[s]!.image).flatMap((uri) => (uri ? [parseEcrImage(uri)] : [])))].filter(
    (img) => img && img.account === a && img.region === r,
  );
  if (ownEcrImages.length) {
    const repos = [...new Set(ownEcrImages.map((img) => arn('ecr', `repository/${img!.repository}`)))];
    statements.push({ Sid: 'DoctorImageManifests', Effect: 'Allow', Action: ['ecr:BatchGetImage'], Resource: repos.length === 1 ? repos[0]! : repos });
  }
  if (config.loadBalancer?.certificateArn) {
    statements.push({ Sid: 'DoctorCertificate', Effect: 'Allow', Action: ['acm:DescribeCertificate'], Resource: config.loadBalancer.certificateArn });
  }

  // Preflight reads metadata of the referenced secrets; it never reads a value.
  const smResources = new Set<string>();
  const kmsKeys = new Set<string>();
  for (const svc of Object.values(config.services)) {
    for (const ref of Object.values(svc.secrets ?? {})) {
      const parsed = parseSecretRef(ref);
      if ('problem' in parsed || parsed.kind !== 'secretsmanager') continue;
      const base = parsed.id.startsWith('arn:') ? parsed.id : arn('secretsmanager', `secret:${parsed.id}`);
      // A name or partial ARN lacks the random 6-character suffix AWS appends.
      smResources.add(parsed.id.startsWith('arn:') ? secretResourcePattern(base) : `${base}-??????`);
    }
    if (svc.kmsKeyArn) kmsKeys.add(svc.kmsKeyArn);
  }
  if (smResources.size) statements.push({ Sid: 'CheckSecretsExist', Effect: 'Allow', Action: ['secretsmanager:DescribeSecret'], Resource: [...smResources].sort() });
  if (kmsKeys.size) statements.push({ Sid: 'EncryptOwnParameters', Effect: 'Allow', Action: ['kms:Encrypt'], Resource: [...kmsKeys].sort() });

  if (ec2Capacity) statements.push(...ec2CapacityStatements({ p, r, a, app, names, arn }));

  for (const s of statements) s.Action = [...new Set(s.Action)].sort();
  return { Version: '2012-10-17', Statement: statements };
}

/** Services with capacity: ec2 — container instances, their Auto Scaling group and capacity provider. */
function ec2CapacityStatements(o: { p: string; r: string; a: string; app: string; names: ReturnType<typeof namesFor>; arn: (service: string, resource: string) => string }): Statement[] {
  const { p, r, a, app, names, arn } = o;
  const asgArn = `arn:${p}:autoscaling:${r}:${a}:autoScalingGroup:*:autoScalingGroupName/${names.autoScalingGroup}`;
  const providerArn = arn('ecs', `capacity-provider/${capacityProviderName(names)}`);
  return [
    {
      Sid: 'Ec2CapacityRead',
      Effect: 'Allow',
      Action: [
        'autoscaling:DescribeAutoScalingGroups',
        'ec2:DescribeLaunchTemplates',
        'ec2:DescribeLaunchTemplateVersions',
        'ec2:DescribeInstanceTypes',
        'ec2:DescribeImages',
        'ecs:DescribeCapacityProviders',
      ],
      Resource: '*',
    },
    // The public parameter that names the current ECS-optimized AMI.
    { Sid: 'EcsOptimizedAmi', Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: `arn:${p}:ssm:${r}::parameter/aws/service/ecs/optimized-ami/*` },
    { Sid: 'CreateLaunchTemplate', Effect: 'Allow', Action: ['ec2:CreateLaunchTemplate'], Resource: '*' },
    { Sid: 'TagLaunchTemplateOnCreate', Effect: 'Allow', Action: ['ec2:CreateTags'], Resource: '*', Condition: { StringEquals: { 'ec2:CreateAction': ['CreateLaunchTemplate', 'RunInstances'] } } },
    {
      Sid: 'OwnLaunchTemplate',
      Effect: 'Allow',
      Action: ['ec2:CreateLaunchTemplateVersion', 'ec2:DeleteLaunchTemplate'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:ResourceTag/ecs-kit:app': app } },
    },
    // Creating an Auto Scaling group from a launch template needs the caller to be allowed to launch it.
    { Sid: 'LaunchFromTemplate', Effect: 'Allow', Action: ['ec2:RunInstances'], Resource: '*', Condition: { ArnLike: { 'ec2:LaunchTemplate': arn('ec2', 'launch-template/*') } } },
    {
      Sid: 'OwnAutoScalingGroup',
      Effect: 'Allow',
      Action: ['autoscaling:CreateAutoScalingGroup', 'autoscaling:UpdateAutoScalingGroup', 'autoscaling:DeleteAutoScalingGroup', 'autoscaling:CreateOrUpdateTags'],
      Resource: asgArn,
    },
    {
      Sid: 'OwnCapacityProvider',
      Effect: 'Allow',
      Action: ['ecs:CreateCapacityProvider', 'ecs:UpdateCapacityProvider', 'ecs:DeleteCapacityProvider', 'ecs:TagResource'],
      Resource: providerArn,
    },
    {
      Sid: 'OwnInstanceProfile',
      Effect: 'Allow',
      Action: [
        'iam:CreateInstanceProfile', 'iam:DeleteInstanceProfile', 'iam:GetInstanceProfile', 'iam:AddRoleToInstanceProfile',
        'iam:RemoveRoleFromInstanceProfile', 'iam:TagInstanceProfile', 'iam:ListInstanceProfileTags',
      ],
      Resource: `arn:${p}:iam::${a}:instance-profile${names.rolePath}*`,
    },
    {
      Sid: 'PassInstanceRoleToEc2',
      Effect: 'Allow',
      Action: ['iam:PassRole'],
      Resource: `arn:${p}:iam::${a}:role${names.rolePath}${names.instanceRole}`,
      Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    },
    {
      Sid: 'AutoScalingServiceLinkedRole',
      Effect: 'Allow',
      Action: ['iam:CreateServiceLinkedRole'],
      Resource: `arn:${p}:iam::${a}:role/aws-service-role/autoscaling.amazonaws.com/*`,
      Condition: { StringEquals: { 'iam:AWSServiceName': 'autoscaling.amazonaws.com' } },
    },
  ];
}
