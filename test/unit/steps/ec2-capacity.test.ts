import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  DeleteAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  UpdateAutoScalingGroupCommand,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  CreateSecurityGroupCommand,
  DeleteLaunchTemplateCommand,
  DeleteSecurityGroupCommand,
  DescribeLaunchTemplatesCommand,
  DescribeImagesCommand,
  DescribeInstanceTypesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  type RequestLaunchTemplateData,
  type ResponseLaunchTemplateData,
} from '@aws-sdk/client-ec2';
import {
  CreateCapacityProviderCommand,
  DeleteCapacityProviderCommand,
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  ECSClient,
  PutClusterCapacityProvidersCommand,
} from '@aws-sdk/client-ecs';
import {
  AddRoleToInstanceProfileCommand,
  AttachRolePolicyCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  CreateServiceLinkedRoleCommand,
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  DetachRolePolicyCommand,
  GetInstanceProfileCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListInstanceProfilesForRoleCommand,
  ListRoleTagsCommand,
  RemoveRoleFromInstanceProfileCommand,
} from '@aws-sdk/client-iam';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isMutatingOperation } from '../../../src/aws/operations.js';
import type { NetworkState } from '../../../src/steps/network/index.js';
import { ec2CapacityStep, type CapacityState } from '../../../src/steps/ec2-capacity/index.js';
import { ECS_AMI_PARAMETERS } from '../../../src/steps/ec2-capacity/host.js';
import {
  launchTemplateChanges,
  launchTemplateVersionToken,
  renderLaunchTemplate,
  userData,
} from '../../../src/steps/ec2-capacity/launch-template.js';
import { awsvpcWithoutNatWarning } from '../../../src/steps/ec2-capacity/settings.js';
import { renderTaskDefinition } from '../../../src/steps/task-definition/index.js';
import { targetTypeFor } from '../../../src/steps/target-group/index.js';
import { commandNames, strict } from '../../helpers/aws-mock.js';
import { OWNER_TAGS, OWNER_TAGS_ECS, config, stepContext } from '../../helpers/context.js';

const ec2 = mockClient(EC2Client);
const ecs = mockClient(ECSClient);
const iam = mockClient(IAMClient);
const ssm = mockClient(SSMClient);
const asg = mockClient(AutoScalingClient);
const mocks = [ec2, ecs, iam, ssm, asg];

/** Mutating calls across every client, in the order they were made. */
let log: string[] = [];
beforeEach(() => {
  log = [];
  for (const m of mocks) {
    m.reset();
    strict(m);
  }
});

const YAML = `app: shop
network: { profile: production }
ec2: { instanceType: t3.small, min: 1, max: 3, desired: 1 }
services:
  web: { image: nginx:1.27, port: 80, capacity: ec2 }
`;
const NETWORK: NetworkState = {
  vpcId: 'vpc-1',
  cidr: '10.0.0.0/16',
  availabilityZones: ['us-east-1a', 'us-east-1b'],
  publicSubnetIds: ['subnet-pub1', 'subnet-pub2'],
  privateSubnetIds: ['subnet-priv1', 'subnet-priv2'],
  internetGatewayId: 'igw-1',
  publicRouteTableId: 'rtb-1',
  profile: 'production',
};
const DEPS = {
  network: NETWORK,
  cluster: { clusterName: 'shop-default', clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/shop-default' },
};
const AMI = 'ami-0aae19d30bab785d3';
const ARM_AMI = 'ami-0a4b0c5d6e7f80911';
const POLICY = 'arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role';
const ROLE = 'shop-default-ecs-instance';
const PROFILE_ARN = 'arn:aws:iam::123456789012:instance-profile/ecs-kit/shop/default/shop-default-ecs-instance';
const ASG_ARN = 'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:uuid:autoScalingGroupName/shop-default-ecs';
const STATE: CapacityState = {
  roleName: ROLE,
  roleArn: `arn:aws:iam::123456789012:role/ecs-kit/shop/default/${ROLE}`,
  instanceProfileName: ROLE,
  instanceProfileArn: PROFILE_ARN,
  securityGroupId: 'sg-inst',
  launchTemplateId: 'lt-1',
  launchTemplateName: 'shop-default-ecs',
  autoScalingGroupName: 'shop-default-ecs',
  autoScalingGroupArn: ASG_ARN,
  capacityProviderName: 'shop-default-ec2',
  clusterName: 'shop-default',
};

const noSuch = () => Object.assign(new Error('not found'), { name: 'NoSuchEntityException' });
const ctxFor = (yaml = YAML, deps: Record<string, object> = DEPS) => stepContext(ec2CapacityStep, { config: config(yaml), deps });

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function logged(mock: any, command: any, result: unknown = {}): void {
  mock.on(command).callsFake(async () => {
    log.push(command.name.replace(/Command$/, ''));
    return result;
  });
}

/** As sent (request) and as described (response): the two shapes agree on every field ecs-kit sets. */
function wantedLaunchTemplate(
  over: Partial<Parameters<typeof renderLaunchTemplate>[0]> = {},
): ResponseLaunchTemplateData & RequestLaunchTemplateData {
  return renderLaunchTemplate({
    cluster: 'shop-default',
    imageId: AMI,
    instanceType: 't3.small',
    instanceProfileArn: PROFILE_ARN,
    securityGroupId: 'sg-inst',
    publicIp: false,
    owner: { app: 'shop', env: 'default' },
    name: 'shop-default-ecs',
    ...over,
  });
}

const existingAsg = (over: Partial<AutoScalingGroup> = {}): AutoScalingGroup => ({
  AutoScalingGroupName: 'shop-default-ecs',
  AutoScalingGroupARN: ASG_ARN,
  MinSize: 1,
  MaxSize: 3,
  DesiredCapacity: 1,
  DefaultCooldown: 300,
  AvailabilityZones: [],
  HealthCheckType: 'EC2',
  CreatedTime: new Date(),
  VPCZoneIdentifier: 'subnet-priv2,subnet-priv1',
  NewInstancesProtectedFromScaleIn: true,
  LaunchTemplate: { LaunchTemplateId: 'lt-1', LaunchTemplateName: 'shop-default-ecs', Version: '$Latest' },
  Tags: OWNER_TAGS.map((t) => ({ ...t, PropagateAtLaunch: true })),
  ...over,
});

/** EC2's instance types (Graviton ones are arm64) and the public ECS-optimized AMI parameters, per architecture. */
function hostWorld(): void {
  ec2.on(DescribeInstanceTypesCommand).callsFake(async (input: { InstanceTypes?: string[] }) => {
    const type = input.InstanceTypes![0]!;
    if (type.startsWith('t9.'))
      throw Object.assign(new Error(`The following supplied instance types do not exist: [${type}]`), { name: 'InvalidInstanceType' });
    const arch = /^[a-z]+\d+g[a-z]*\./.test(type) ? 'arm64' : type.startsWith('mac') ? 'x86_64_mac' : 'x86_64';
    return {
      InstanceTypes: [{ InstanceType: type, ProcessorInfo: { SupportedArchitectures: arch === 'x86_64' ? ['i386', 'x86_64'] : [arch] } }],
    };
  });
  ssm.on(GetParameterCommand, { Name: ECS_AMI_PARAMETERS.X86_64 }).resolves({ Parameter: { Name: ECS_AMI_PARAMETERS.X86_64, Value: AMI } });
  ssm
    .on(GetParameterCommand, { Name: ECS_AMI_PARAMETERS.ARM64 })
    .resolves({ Parameter: { Name: ECS_AMI_PARAMETERS.ARM64, Value: ARM_AMI } });
}

/** Everything exists and matches the config, unless told otherwise. */
function existingWorld(o: { lt?: ResponseLaunchTemplateData; asg?: AutoScalingGroup; attached?: boolean } = {}): void {
  hostWorld();
  iam
    .on(GetRoleCommand)
    .resolves({ Role: { RoleName: ROLE, Arn: STATE.roleArn, Path: '/', RoleId: 'r', CreateDate: new Date(), Tags: OWNER_TAGS } });
  iam
    .on(ListAttachedRolePoliciesCommand)
    .resolves({ AttachedPolicies: [{ PolicyArn: POLICY, PolicyName: 'AmazonEC2ContainerServiceforEC2Role' }] });
  iam.on(GetInstanceProfileCommand).resolves({
    InstanceProfile: {
      InstanceProfileName: ROLE,
      Arn: PROFILE_ARN,
      Path: '/',
      InstanceProfileId: 'ip',
      CreateDate: new Date(),
      Roles: [{ RoleName: ROLE, Arn: STATE.roleArn, Path: '/', RoleId: 'r', CreateDate: new Date() }],
      Tags: OWNER_TAGS,
    },
  });
  ec2.on(DescribeSecurityGroupsCommand).resolves({
    SecurityGroups: [{ GroupId: 'sg-inst', GroupName: 'shop-default-instances', VpcId: 'vpc-1', Tags: OWNER_TAGS, IpPermissions: [] }],
  });
  ec2.on(DescribeLaunchTemplatesCommand).resolves({
    LaunchTemplates: [{ LaunchTemplateId: 'lt-1', LaunchTemplateName: 'shop-default-ecs', Tags: OWNER_TAGS, LatestVersionNumber: 1 }],
  });
  ec2.on(DescribeLaunchTemplateVersionsCommand).resolves({
    LaunchTemplateVersions: [{ LaunchTemplateId: 'lt-1', VersionNumber: 1, LaunchTemplateData: o.lt ?? wantedLaunchTemplate() }],
  });
  asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [o.asg ?? existingAsg()] });
  ecs.on(DescribeCapacityProvidersCommand).resolves({
    capacityProviders: [
      {
        name: 'shop-default-ec2',
        capacityProviderArn: 'arn:aws:ecs:us-east-1:123456789012:capacity-provider/shop-default-ec2',
        status: 'ACTIVE',
        autoScalingGroupProvider: {
          autoScalingGroupArn: ASG_ARN,
          managedScaling: { status: 'ENABLED', targetCapacity: 100 },
          managedTerminationProtection: 'ENABLED',
        },
        tags: OWNER_TAGS_ECS,
      },
    ],
  });
  const attached = o.attached ?? true;
  ecs.on(DescribeClustersCommand).resolves({
    clusters: [
      {
        clusterName: 'shop-default',
        status: 'ACTIVE',
        capacityProviders: attached ? ['FARGATE', 'FARGATE_SPOT', 'shop-default-ec2'] : ['FARGATE', 'FARGATE_SPOT'],
        defaultCapacityProviderStrategy: attached ? [{ capacityProvider: 'shop-default-ec2', weight: 1, base: 0 }] : [],
      },
    ],
  });
}

const allCalls = () => mocks.flatMap((m) => commandNames(m));

describe('user data and launch template (pure)', () => {
  it('user data is base64 of a script that joins the cluster and blocks IMDS for awsvpc tasks', () => {
    const script = Buffer.from(userData('shop-default'), 'base64').toString('utf8');
    expect(script.split('\n')).toEqual([
      '#!/bin/bash',
      'echo ECS_CLUSTER=shop-default >> /etc/ecs/ecs.config',
      'echo ECS_AWSVPC_BLOCK_IMDS=true >> /etc/ecs/ecs.config',
      '',
    ]);
  });

  it('renders IMDSv2-only, tagged instances; a public IP only in public subnets', () => {
    const lt = wantedLaunchTemplate();
    expect(lt).toMatchObject({
      ImageId: AMI,
      InstanceType: 't3.small',
      IamInstanceProfile: { Arn: PROFILE_ARN },
      SecurityGroupIds: ['sg-inst'],
    });
    expect(lt.MetadataOptions).toMatchObject({ HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
    expect(lt.NetworkInterfaces).toBeUndefined();
    expect(lt.TagSpecifications?.map((t) => t.ResourceType)).toEqual(['instance', 'volume']);
    expect(lt.TagSpecifications?.[0]?.Tags).toEqual(expect.arrayContaining([...OWNER_TAGS, { Key: 'Name', Value: 'shop-default-ecs' }]));

    const pub = wantedLaunchTemplate({ publicIp: true });
    expect(pub.SecurityGroupIds).toBeUndefined();
    expect(pub.NetworkInterfaces).toEqual([
      { DeviceIndex: 0, AssociatePublicIpAddress: true, Groups: ['sg-inst'], DeleteOnTermination: true },
    ]);
  });

  it('compares only what the API returned, and names what changed', () => {
    expect(launchTemplateChanges(wantedLaunchTemplate(), wantedLaunchTemplate())).toEqual([]);
    expect(launchTemplateChanges({ ImageId: AMI }, wantedLaunchTemplate())).toEqual([]);
    const changes = launchTemplateChanges(wantedLaunchTemplate({ instanceType: 't3.micro', imageId: 'ami-old' }), wantedLaunchTemplate());
    expect(changes.map((c) => c.field)).toEqual(['launchTemplate.imageId', 'launchTemplate.instanceType']);
    expect(launchTemplateChanges(wantedLaunchTemplate({ cluster: 'other' }), wantedLaunchTemplate()).map((c) => c.field)).toEqual([
      'launchTemplate.userData',
    ]);
    expect(launchTemplateChanges(wantedLaunchTemplate({ publicIp: true }), wantedLaunchTemplate()).map((c) => c.field)).toEqual([
      'launchTemplate.publicIp',
    ]);
  });
});

describe('task definitions and target groups for EC2', () => {
  const render = (yaml: string) => {
    const cfg = config(yaml);
    return renderTaskDefinition({
      family: 'shop-default-web',
      container: 'web',
      service: cfg.services.web!,
      image: 'nginx:1.27',
      executionRoleArn: 'arn:exec',
      taskRoleArn: 'arn:task',
      logGroup: '/ecs/shop/default/web',
      region: 'us-east-1',
      owner: { app: 'shop', env: 'default' },
    });
  };

  it('EC2 awsvpc: requires EC2, keeps awsvpc and task-level sizes, pins no platform', () => {
    const td = render('app: shop\nservices:\n  web: { image: nginx, port: 80, capacity: ec2 }\n');
    expect(td).toMatchObject({ requiresCompatibilities: ['EC2'], networkMode: 'awsvpc', cpu: '256', memory: '512' });
    expect(td.runtimePlatform).toBeUndefined();
    expect(td.containerDefinitions![0]!.portMappings).toEqual([{ containerPort: 80, protocol: 'tcp' }]);
    expect(td.containerDefinitions![0]!.memory).toBeUndefined();
  });

  it('EC2 bridge: dynamic host port and container-level memory', () => {
    const td = render('app: shop\nservices:\n  web: { image: nginx, port: 8080, capacity: ec2, networkMode: bridge, memory: 1024 }\n');
    expect(td).toMatchObject({ requiresCompatibilities: ['EC2'], networkMode: 'bridge' });
    expect(td.containerDefinitions![0]!.portMappings).toEqual([{ containerPort: 8080, hostPort: 0, protocol: 'tcp' }]);
    expect(td.containerDefinitions![0]!.memory).toBe(1024);
  });

  it('Fargate is unchanged', () => {
    const td = render('app: shop\nservices:\n  web: { image: nginx, port: 80 }\n');
    expect(td).toMatchObject({
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      runtimePlatform: { cpuArchitecture: 'X86_64' },
    });
  });

  it('bridge services get instance targets, everything else ip targets', () => {
    expect(targetTypeFor({ capacity: 'ec2', networkMode: 'bridge' })).toBe('instance');
    expect(targetTypeFor({ capacity: 'ec2', networkMode: 'awsvpc' })).toBe('ip');
    expect(targetTypeFor({ capacity: 'fargate', networkMode: 'awsvpc' })).toBe('ip');
  });
});

describe('capacity step', () => {
  it('exists only when a service runs on EC2, after the network and cluster (and the LB for bridge services)', () => {
    expect(ec2CapacityStep.instances(config('app: shop\nservices:\n  web: { image: nginx, port: 80 }\n'))).toEqual([]);
    // YAML is the production profile: instances in private subnets reach ECS through the NAT gateways, so the deploy waits for them.
    expect(ec2CapacityStep.instances(config(YAML))).toEqual([{ dependsOn: ['network', 'cluster'], deployOnly: ['nat'] }]);
    expect(
      ec2CapacityStep.instances(config('app: shop\nservices:\n  web: { image: nginx, port: 80, capacity: ec2, networkMode: bridge }\n')),
    ).toEqual([{ dependsOn: ['network', 'cluster', 'load-balancer'] }]);
  });

  it('adopts the Auto Scaling group and capacity provider an attempt created when their responses were lost', async () => {
    hostWorld();
    iam
      .on(GetRoleCommand)
      .rejectsOnce(noSuch())
      .resolves({ Role: { RoleName: ROLE, Arn: STATE.roleArn, Path: '/', RoleId: 'r', CreateDate: new Date() } });
    iam
      .on(GetInstanceProfileCommand)
      .rejectsOnce(noSuch())
      .resolves({
        InstanceProfile: {
          InstanceProfileName: ROLE,
          Arn: PROFILE_ARN,
          Path: '/',
          InstanceProfileId: 'ip',
          CreateDate: new Date(),
          Roles: [],
        },
      });
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
    ec2.on(DescribeLaunchTemplatesCommand).resolves({ LaunchTemplates: [] });
    asg
      .on(DescribeAutoScalingGroupsCommand)
      .resolvesOnce({ AutoScalingGroups: [] })
      .resolves({ AutoScalingGroups: [existingAsg()] });
    ecs
      .on(DescribeCapacityProvidersCommand)
      .resolvesOnce({ capacityProviders: [], failures: [{ arn: 'shop-default-ec2', reason: 'MISSING' }] })
      .resolves({
        capacityProviders: [{ name: 'shop-default-ec2', status: 'ACTIVE', tags: OWNER_TAGS.map((t) => ({ key: t.Key, value: t.Value })) }],
      });
    ecs
      .on(DescribeClustersCommand)
      .resolves({ clusters: [{ clusterName: 'shop-default', status: 'ACTIVE', capacityProviders: ['FARGATE', 'FARGATE_SPOT'] }] });
    logged(iam, CreateRoleCommand, { Role: { RoleName: ROLE, Arn: STATE.roleArn } });
    logged(iam, AttachRolePolicyCommand);
    logged(iam, CreateInstanceProfileCommand, { InstanceProfile: { InstanceProfileName: ROLE, Arn: PROFILE_ARN } });
    logged(iam, AddRoleToInstanceProfileCommand);
    logged(ec2, CreateSecurityGroupCommand, { GroupId: 'sg-inst' });
    logged(ec2, CreateLaunchTemplateCommand, { LaunchTemplate: { LaunchTemplateId: 'lt-1' } });
    // AWS ran both creates, but the responses never arrived.
    const lost = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    asg.on(CreateAutoScalingGroupCommand).callsFake(async () => {
      log.push('CreateAutoScalingGroup');
      throw lost();
    });
    ecs.on(CreateCapacityProviderCommand).callsFake(async () => {
      log.push('CreateCapacityProvider');
      throw lost();
    });
    logged(ecs, PutClusterCapacityProvidersCommand, { cluster: {} });

    const ctx = ctxFor();
    const state = await ec2CapacityStep.apply(ctx, await ec2CapacityStep.plan(ctx));
    expect(state).toEqual(STATE);
    // Each create ran once; the lookup by name and tags found what it made instead of failing or creating twice.
    expect(log.filter((l) => l === 'CreateAutoScalingGroup')).toHaveLength(1);
    expect(log.filter((l) => l === 'CreateCapacityProvider')).toHaveLength(1);
    expect(log.at(-1)).toBe('PutClusterCapacityProviders');
  });

  it('creates role, profile, security group, launch template, Auto Scaling group and capacity provider, and attaches it', async () => {
    hostWorld();
    iam
      .on(GetRoleCommand)
      .rejectsOnce(noSuch())
      .resolves({ Role: { RoleName: ROLE, Arn: STATE.roleArn, Path: '/', RoleId: 'r', CreateDate: new Date() } });
    iam
      .on(GetInstanceProfileCommand)
      .rejectsOnce(noSuch())
      .resolves({
        InstanceProfile: {
          InstanceProfileName: ROLE,
          Arn: PROFILE_ARN,
          Path: '/',
          InstanceProfileId: 'ip',
          CreateDate: new Date(),
          Roles: [],
        },
      });
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
    ec2.on(DescribeLaunchTemplatesCommand).resolves({ LaunchTemplates: [] });
    asg
      .on(DescribeAutoScalingGroupsCommand)
      .resolvesOnce({ AutoScalingGroups: [] })
      .resolves({ AutoScalingGroups: [existingAsg()] });
    ecs
      .on(DescribeCapacityProvidersCommand)
      .resolves({ capacityProviders: [], failures: [{ arn: 'shop-default-ec2', reason: 'MISSING' }] });
    ecs
      .on(DescribeClustersCommand)
      .resolves({ clusters: [{ clusterName: 'shop-default', status: 'ACTIVE', capacityProviders: ['FARGATE', 'FARGATE_SPOT'] }] });
    logged(iam, CreateRoleCommand, { Role: { RoleName: ROLE, Arn: STATE.roleArn } });
    logged(iam, AttachRolePolicyCommand);
    logged(iam, CreateInstanceProfileCommand, { InstanceProfile: { InstanceProfileName: ROLE, Arn: PROFILE_ARN } });
    logged(iam, AddRoleToInstanceProfileCommand);
    logged(ec2, CreateSecurityGroupCommand, { GroupId: 'sg-inst' });
    logged(ec2, CreateLaunchTemplateCommand, { LaunchTemplate: { LaunchTemplateId: 'lt-1' } });
    logged(asg, CreateAutoScalingGroupCommand);
    logged(ecs, CreateCapacityProviderCommand, { capacityProvider: { name: 'shop-default-ec2' } });
    logged(ecs, PutClusterCapacityProvidersCommand, { cluster: {} });

    const ctx = ctxFor();
    const plan = await ec2CapacityStep.plan(ctx);
    expect(plan.action).toBe('create');
    expect(allCalls().filter(isMutatingOperation)).toEqual([]);
    const state = await ec2CapacityStep.apply(ctx, plan);
    expect(state).toEqual(STATE);
    expect(log).toEqual([
      'CreateRole',
      'AttachRolePolicy',
      'CreateInstanceProfile',
      'AddRoleToInstanceProfile',
      'CreateSecurityGroup',
      'CreateLaunchTemplate',
      'CreateAutoScalingGroup',
      'CreateCapacityProvider',
      'PutClusterCapacityProviders',
    ]);

    const role = iam.commandCalls(CreateRoleCommand)[0]!.args[0].input;
    expect(JSON.parse(role.AssumeRolePolicyDocument!).Statement[0].Principal).toEqual({ Service: 'ec2.amazonaws.com' });
    expect(role.Path).toBe('/ecs-kit/shop/default/');
    expect(iam.commandCalls(AttachRolePolicyCommand)[0]!.args[0].input.PolicyArn).toBe(POLICY);
    expect(iam.commandCalls(CreateInstanceProfileCommand)[0]!.args[0].input.Tags).toEqual(OWNER_TAGS);
    expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)).toHaveLength(0);

    const lt = ec2.commandCalls(CreateLaunchTemplateCommand)[0]!.args[0].input;
    expect(lt.LaunchTemplateName).toBe('shop-default-ecs');
    expect(lt.LaunchTemplateData).toEqual(wantedLaunchTemplate());

    const group = asg.commandCalls(CreateAutoScalingGroupCommand)[0]!.args[0].input;
    expect(group).toMatchObject({
      MinSize: 1,
      MaxSize: 3,
      DesiredCapacity: 1,
      NewInstancesProtectedFromScaleIn: true,
      LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: '$Latest' },
    });
    // Production: instances in the private subnets.
    expect(group.VPCZoneIdentifier).toBe('subnet-priv1,subnet-priv2');
    expect(group.MixedInstancesPolicy).toBeUndefined();
    expect(group.Tags).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Key: 'AmazonECSManaged', Value: 'true', PropagateAtLaunch: true }),
        expect.objectContaining({ Key: 'ecs-kit:app', Value: 'shop' }),
      ]),
    );

    const cp = ecs.commandCalls(CreateCapacityProviderCommand)[0]!.args[0].input;
    expect(cp).toMatchObject({
      name: 'shop-default-ec2',
      autoScalingGroupProvider: {
        autoScalingGroupArn: ASG_ARN,
        managedScaling: { status: 'ENABLED', targetCapacity: 100 },
        managedTerminationProtection: 'ENABLED',
      },
      tags: OWNER_TAGS_ECS,
    });
    expect(ecs.commandCalls(PutClusterCapacityProvidersCommand)[0]!.args[0].input).toEqual({
      cluster: 'shop-default',
      capacityProviders: ['FARGATE', 'FARGATE_SPOT', 'shop-default-ec2'],
      defaultCapacityProviderStrategy: [{ capacityProvider: 'shop-default-ec2', weight: 1, base: 0 }],
    });
  });

  it('Spot uses a mixed instances policy; learning puts instances in public subnets with a public IP', async () => {
    hostWorld();
    iam
      .on(GetRoleCommand)
      .rejectsOnce(noSuch())
      .resolves({ Role: { RoleName: ROLE, Arn: STATE.roleArn, Path: '/', RoleId: 'r', CreateDate: new Date() } });
    iam
      .on(GetInstanceProfileCommand)
      .rejectsOnce(noSuch())
      .resolves({
        InstanceProfile: {
          InstanceProfileName: ROLE,
          Arn: PROFILE_ARN,
          Path: '/',
          InstanceProfileId: 'ip',
          CreateDate: new Date(),
          Roles: [],
        },
      });
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
    ec2.on(DescribeLaunchTemplatesCommand).resolves({ LaunchTemplates: [] });
    asg
      .on(DescribeAutoScalingGroupsCommand)
      .resolvesOnce({ AutoScalingGroups: [] })
      .resolves({ AutoScalingGroups: [existingAsg()] });
    ecs.on(DescribeCapacityProvidersCommand).resolves({ capacityProviders: [] });
    ecs.on(DescribeClustersCommand).resolves({ clusters: [{ clusterName: 'shop-default', status: 'ACTIVE', capacityProviders: [] }] });
    for (const [m, c, r] of [
      [iam, CreateRoleCommand, { Role: { Arn: STATE.roleArn } }],
      [iam, AttachRolePolicyCommand, {}],
      [iam, CreateInstanceProfileCommand, { InstanceProfile: { Arn: PROFILE_ARN } }],
      [iam, AddRoleToInstanceProfileCommand, {}],
      [ec2, CreateSecurityGroupCommand, { GroupId: 'sg-inst' }],
      [ec2, CreateLaunchTemplateCommand, { LaunchTemplate: { LaunchTemplateId: 'lt-1' } }],
      [asg, CreateAutoScalingGroupCommand, {}],
      [ecs, CreateCapacityProviderCommand, {}],
      [ecs, PutClusterCapacityProvidersCommand, {}],
    ] as const)
      logged(m, c, r);
    const learning: NetworkState = { ...NETWORK, privateSubnetIds: [], profile: 'learning' };
    const ctx = ctxFor('app: shop\nec2: { spot: true }\nservices:\n  web: { image: nginx, port: 80, capacity: ec2 }\n', {
      ...DEPS,
      network: learning,
    });
    await ec2CapacityStep.apply(ctx, await ec2CapacityStep.plan(ctx));
    const group = asg.commandCalls(CreateAutoScalingGroupCommand)[0]!.args[0].input;
    expect(group.VPCZoneIdentifier).toBe('subnet-pub1,subnet-pub2');
    expect(group.LaunchTemplate).toBeUndefined();
    expect(group.MixedInstancesPolicy).toEqual({
      LaunchTemplate: { LaunchTemplateSpecification: { LaunchTemplateId: 'lt-1', Version: '$Latest' } },
      InstancesDistribution: {
        OnDemandBaseCapacity: 0,
        OnDemandPercentageAboveBaseCapacity: 0,
        SpotAllocationStrategy: 'price-capacity-optimized',
      },
    });
    expect([group.MinSize, group.MaxSize, group.DesiredCapacity]).toEqual([1, 2, 1]);
    expect(
      ec2.commandCalls(CreateLaunchTemplateCommand)[0]!.args[0].input.LaunchTemplateData?.NetworkInterfaces?.[0]?.AssociatePublicIpAddress,
    ).toBe(true);
  });

  it('plans no change with read calls only when everything matches', async () => {
    existingWorld();
    const plan = await ec2CapacityStep.plan(ctxFor());
    expect(plan.changes).toEqual([]);
    expect(plan.action).toBe('noop');
    expect(plan.current).toEqual(STATE);
    const calls = allCalls();
    expect(calls.filter(isMutatingOperation)).toEqual([]);
    expect(calls).toEqual(
      expect.arrayContaining([
        'GetParameter',
        'GetRole',
        'GetInstanceProfile',
        'DescribeLaunchTemplateVersions',
        'DescribeAutoScalingGroups',
        'DescribeCapacityProviders',
        'DescribeClusters',
      ]),
    );
  });

  it('leaves a desired count that ECS managed scaling moved within min/max alone', async () => {
    existingWorld({ asg: existingAsg({ DesiredCapacity: 3 }) });
    expect((await ec2CapacityStep.plan(ctxFor())).action).toBe('noop');
  });

  it('drift: a new launch template version for a changed instance type, and min/max/desired updated', async () => {
    existingWorld({ asg: existingAsg({ MinSize: 0, MaxSize: 5, DesiredCapacity: 5 }) });
    logged(ec2, CreateLaunchTemplateVersionCommand, { LaunchTemplateVersion: { VersionNumber: 2 } });
    logged(asg, UpdateAutoScalingGroupCommand);
    const ctx = ctxFor(YAML.replace('t3.small', 't3.medium'));
    const plan = await ec2CapacityStep.plan(ctx);
    expect(plan.action).toBe('update');
    expect(plan.changes.map((c) => c.field)).toEqual([
      'launchTemplate.instanceType',
      'autoScalingGroup.min',
      'autoScalingGroup.max',
      'autoScalingGroup.desired',
    ]);
    const state = await ec2CapacityStep.apply(ctx, plan);
    expect(state).toEqual(STATE);
    expect(log).toEqual(['CreateLaunchTemplateVersion', 'UpdateAutoScalingGroup']);
    expect(ec2.commandCalls(CreateLaunchTemplateVersionCommand)[0]!.args[0].input).toMatchObject({
      LaunchTemplateId: 'lt-1',
      LaunchTemplateData: { InstanceType: 't3.medium', ImageId: AMI },
    });
    expect(asg.commandCalls(UpdateAutoScalingGroupCommand)[0]!.args[0].input).toEqual({
      AutoScalingGroupName: 'shop-default-ecs',
      MinSize: 1,
      MaxSize: 3,
      DesiredCapacity: 3,
    });
  });

  it('re-attaches the provider when someone detached it from the cluster, keeping the Fargate providers', async () => {
    existingWorld({ attached: false });
    logged(ecs, PutClusterCapacityProvidersCommand, {});
    const ctx = ctxFor();
    const plan = await ec2CapacityStep.plan(ctx);
    expect(plan.changes.map((c) => c.field)).toEqual(['cluster.capacityProviders']);
    await ec2CapacityStep.apply(ctx, plan);
    expect(log).toEqual(['PutClusterCapacityProviders']);
    expect(ecs.commandCalls(PutClusterCapacityProvidersCommand)[0]!.args[0].input.capacityProviders).toEqual([
      'FARGATE',
      'FARGATE_SPOT',
      'shop-default-ec2',
    ]);
  });

  it('bridge services behind the load balancer: the instances admit the dynamic port range from the LB only', async () => {
    existingWorld();
    logged(ec2, AuthorizeSecurityGroupIngressCommand);
    const ctx = ctxFor(
      'app: shop\nnetwork: { profile: production }\nec2: { min: 1, max: 3 }\nservices:\n  web: { image: nginx, port: 80, capacity: ec2, networkMode: bridge }\n',
      {
        ...DEPS,
        'load-balancer': {
          securityGroupId: 'sg-lb',
          loadBalancerArn: 'arn:lb',
          loadBalancerName: 'lb',
          dnsName: 'x',
          listenerArn: 'arn:l',
        },
      },
    );
    const plan = await ec2CapacityStep.plan(ctx);
    expect(plan.changes.map((c) => c.field)).toEqual(['ingress']);
    await ec2CapacityStep.apply(ctx, plan);
    expect(log).toEqual(['AuthorizeSecurityGroupIngress']);
    expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)[0]!.args[0].input.IpPermissions).toEqual([
      {
        IpProtocol: 'tcp',
        FromPort: 32768,
        ToPort: 65535,
        UserIdGroupPairs: [{ GroupId: 'sg-lb', Description: 'bridge-mode tasks, from the ecs-kit load balancer' }],
      },
    ]);
  });

  it('a missing AMI parameter is a clear error that says to set ec2.ami; ec2.ami skips the lookup', async () => {
    hostWorld();
    ssm.reset();
    strict(ssm);
    ssm.on(GetParameterCommand).rejects(Object.assign(new Error('Parameter not found'), { name: 'ParameterNotFound' }));
    await expect(ec2CapacityStep.plan(ctxFor())).rejects.toMatchObject({
      code: 'capacity.no-ami',
      fix: expect.stringContaining('ec2.ami'),
    });

    ssm.reset();
    strict(ssm);
    existingWorld();
    ssm.reset();
    strict(ssm);
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: 'ami-0123abcd', Architecture: 'x86_64' }] });
    const plan = await ec2CapacityStep.plan(ctxFor(YAML.replace('desired: 1', `desired: 1, ami: ami-0123abcd`)));
    expect(commandNames(ssm)).toEqual([]);
    expect(plan.changes.map((c) => c.field)).toEqual(['launchTemplate.imageId']);
  });

  it('refuses to adopt an Auto Scaling group it did not create', async () => {
    existingWorld({ asg: existingAsg({ Tags: [] }) });
    await expect(ec2CapacityStep.plan(ctxFor())).rejects.toMatchObject({ code: 'capacity.asg-not-owned' });
  });

  it('destroy: detach → delete provider → scale to 0 and force-delete the group → template → profile → role → security group', async () => {
    existingWorld();
    // After each delete the resource is gone.
    ecs
      .on(DescribeCapacityProvidersCommand)
      .resolvesOnce({
        capacityProviders: [
          { name: 'shop-default-ec2', status: 'ACTIVE', tags: OWNER_TAGS_ECS, autoScalingGroupProvider: { autoScalingGroupArn: ASG_ARN } },
        ],
      })
      .resolves({ capacityProviders: [{ name: 'shop-default-ec2', status: 'INACTIVE', updateStatus: 'DELETE_COMPLETE' }] });
    asg
      .on(DescribeAutoScalingGroupsCommand)
      .resolvesOnce({ AutoScalingGroups: [existingAsg()] })
      .resolves({ AutoScalingGroups: [] });
    iam.on(ListInstanceProfilesForRoleCommand).resolves({ InstanceProfiles: [] });
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: 'sg-inst', Tags: OWNER_TAGS }] });
    logged(ecs, PutClusterCapacityProvidersCommand);
    logged(ecs, DeleteCapacityProviderCommand);
    logged(asg, UpdateAutoScalingGroupCommand);
    logged(asg, DeleteAutoScalingGroupCommand);
    logged(ec2, DeleteLaunchTemplateCommand);
    logged(iam, RemoveRoleFromInstanceProfileCommand);
    logged(iam, DeleteInstanceProfileCommand);
    logged(iam, DetachRolePolicyCommand);
    logged(iam, DeleteRoleCommand);
    logged(ec2, DeleteSecurityGroupCommand);

    const ctx = ctxFor();
    await ec2CapacityStep.destroy(ctx, STATE);
    expect(log).toEqual([
      'PutClusterCapacityProviders',
      'DeleteCapacityProvider',
      'UpdateAutoScalingGroup',
      'DeleteAutoScalingGroup',
      'DeleteLaunchTemplate',
      'RemoveRoleFromInstanceProfile',
      'DeleteInstanceProfile',
      'DetachRolePolicy',
      'DeleteRole',
      'DeleteSecurityGroup',
    ]);
    expect(ecs.commandCalls(PutClusterCapacityProvidersCommand)[0]!.args[0].input).toEqual({
      cluster: 'shop-default',
      capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
      defaultCapacityProviderStrategy: [],
    });
    expect(asg.commandCalls(UpdateAutoScalingGroupCommand)[0]!.args[0].input).toMatchObject({ MinSize: 0, MaxSize: 0, DesiredCapacity: 0 });
    expect(asg.commandCalls(DeleteAutoScalingGroupCommand)[0]!.args[0].input).toEqual({
      AutoScalingGroupName: 'shop-default-ecs',
      ForceDelete: true,
    });
    expect(ec2.commandCalls(DeleteLaunchTemplateCommand)[0]!.args[0].input).toEqual({ LaunchTemplateId: 'lt-1' });
  });

  it('destroy retries detaching while tasks still use the provider', async () => {
    existingWorld();
    ecs.on(DescribeCapacityProvidersCommand).resolves({ capacityProviders: [] });
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
    ec2.on(DescribeLaunchTemplatesCommand).resolves({ LaunchTemplates: [] });
    iam.on(GetInstanceProfileCommand).rejects(noSuch());
    iam.on(GetRoleCommand).rejects(noSuch());
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
    ecs
      .on(PutClusterCapacityProvidersCommand)
      .rejectsOnce(
        Object.assign(new Error('The specified capacity provider is in use and cannot be removed.'), { name: 'ResourceInUseException' }),
      )
      .resolves({});
    const ctx = ctxFor();
    ctx.options.destroyRetryMs = 10_000;
    await ec2CapacityStep.destroy(ctx, STATE);
    expect(ecs.commandCalls(PutClusterCapacityProvidersCommand)).toHaveLength(2);
  }, 10_000);

  it('destroy when everything is already gone makes no mutating call (and never deletes a provider twice)', async () => {
    ecs.on(DescribeClustersCommand).resolves({ clusters: [], failures: [{ reason: 'MISSING' }] });
    ecs.on(DescribeCapacityProvidersCommand).resolves({ capacityProviders: [], failures: [{ reason: 'MISSING' }] });
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
    ec2.on(DescribeLaunchTemplatesCommand).resolves({ LaunchTemplates: [] });
    iam.on(GetInstanceProfileCommand).rejects(noSuch());
    iam.on(GetRoleCommand).rejects(noSuch());
    ec2.on(DescribeSecurityGroupsCommand).rejects(Object.assign(new Error('gone'), { name: 'InvalidGroup.NotFound' }));
    await ec2CapacityStep.destroy(ctxFor(), STATE);
    expect(allCalls().filter(isMutatingOperation)).toEqual([]);
  });

  it('destroy leaves resources whose tags say someone else owns them', async () => {
    existingWorld();
    ecs.on(DescribeClustersCommand).resolves({ clusters: [] });
    ecs.on(DescribeCapacityProvidersCommand).resolves({ capacityProviders: [{ name: 'shop-default-ec2', status: 'ACTIVE', tags: [] }] });
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [existingAsg({ Tags: [] })] });
    ec2
      .on(DescribeLaunchTemplatesCommand)
      .resolves({ LaunchTemplates: [{ LaunchTemplateId: 'lt-1', LaunchTemplateName: 'shop-default-ecs', Tags: [] }] });
    iam.on(GetInstanceProfileCommand).resolves({
      InstanceProfile: {
        InstanceProfileName: ROLE,
        Arn: PROFILE_ARN,
        Path: '/',
        InstanceProfileId: 'ip',
        CreateDate: new Date(),
        Roles: [],
        Tags: [],
      },
    });
    iam
      .on(GetRoleCommand)
      .resolves({ Role: { RoleName: ROLE, Arn: STATE.roleArn, Path: '/', RoleId: 'r', CreateDate: new Date(), Tags: [] } });
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: 'sg-inst', Tags: [] }] });
    const ctx = ctxFor();
    await ec2CapacityStep.destroy(ctx, STATE);
    expect(allCalls().filter(isMutatingOperation)).toEqual([]);
    expect(ctx.warningCodes).toEqual(Array(6).fill('teardown.not-owned'));
  });
});

describe('instance architecture (Graviton) and AMI', () => {
  const ARM_YAML = YAML.replace('t3.small', 't4g.small').replace('capacity: ec2 }', 'capacity: ec2, cpuArchitecture: arm64 }');
  /** No dependency states: as on a first deploy's preview, where the network and cluster do not exist yet. */
  const previewCtx = (yaml: string) => stepContext(ec2CapacityStep, { config: config(yaml) });

  it('an arm64 instance type gets the arm64 ECS-optimized AMI; the launch template diff names the AMI and type change', async () => {
    existingWorld();
    logged(ec2, CreateLaunchTemplateVersionCommand, { LaunchTemplateVersion: { VersionNumber: 2 } });
    const ctx = ctxFor(ARM_YAML);
    const plan = await ec2CapacityStep.plan(ctx);
    expect(ec2.commandCalls(DescribeInstanceTypesCommand)[0]!.args[0].input).toEqual({ InstanceTypes: ['t4g.small'] });
    expect(ssm.commandCalls(GetParameterCommand).map((c) => c.args[0].input.Name)).toEqual([ECS_AMI_PARAMETERS.ARM64]);
    expect(plan.changes).toEqual([
      { field: 'launchTemplate.imageId', before: AMI, after: ARM_AMI },
      { field: 'launchTemplate.instanceType', before: 't3.small', after: 't4g.small' },
    ]);
    await ec2CapacityStep.apply(ctx, plan);
    expect(log).toEqual(['CreateLaunchTemplateVersion']);
    expect(ec2.commandCalls(CreateLaunchTemplateVersionCommand)[0]!.args[0].input.LaunchTemplateData).toMatchObject({
      ImageId: ARM_AMI,
      InstanceType: 't4g.small',
    });
  });

  it('refuses services on the other architecture at preview, before the dependencies exist, naming both fields (exit 2)', async () => {
    hostWorld();
    const graviton = YAML.replace('t3.small', 't4g.small');
    const err = await ec2CapacityStep.plan(previewCtx(graviton)).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'capacity.architecture-mismatch',
      exitCode: 2,
      fix: expect.stringContaining('cpuArchitecture: arm64'),
    });
    expect((err as Error).message).toBe('services.web.cpuArchitecture: web runs on x86_64, but ec2.instanceType t4g.small is arm64.');
    expect(allCalls()).toEqual(['DescribeInstanceTypes']);

    const armBuild = YAML.replace(
      'web: { image: nginx:1.27, port: 80, capacity: ec2 }',
      'web: { build: { platform: linux/arm64 }, port: 80, capacity: ec2 }',
    );
    await expect(ec2CapacityStep.plan(previewCtx(armBuild))).rejects.toMatchObject({
      code: 'capacity.architecture-mismatch',
      message: expect.stringContaining('ec2.instanceType t3.small is x86_64'),
      fix: expect.stringContaining('t4g.small'),
    });
    // Fargate services keep their own architecture.
    const mixed = `${ARM_YAML}  batch: { image: busybox, cpuArchitecture: x86_64 }\n`;
    await expect(ec2CapacityStep.plan(previewCtx(mixed))).rejects.toMatchObject({ name: 'PendingDependency' });
  });

  it('an unknown instance type names ec2.instanceType; a Mac type is refused (no ECS-optimized AMI)', async () => {
    hostWorld();
    await expect(ec2CapacityStep.plan(previewCtx(YAML.replace('t3.small', 't9.small')))).rejects.toMatchObject({
      code: 'capacity.unknown-instance-type',
      exitCode: 2,
      message: expect.stringMatching(/^ec2\.instanceType: EC2 does not offer instance type t9\.small in us-east-1/),
    });
    await expect(ec2CapacityStep.plan(previewCtx(YAML.replace('t3.small', 'mac1.metal')))).rejects.toMatchObject({
      code: 'capacity.unsupported-instance-type',
      exitCode: 2,
    });
    expect(allCalls().filter(isMutatingOperation)).toEqual([]);
  });

  it('ec2.ami must exist and match the instance type architecture', async () => {
    hostWorld();
    const withAmi = YAML.replace('desired: 1', 'desired: 1, ami: ami-0123abcd');
    ec2
      .on(DescribeImagesCommand)
      .resolvesOnce({ Images: [{ ImageId: 'ami-0123abcd', Architecture: 'arm64' }] })
      .rejects(Object.assign(new Error('not found'), { name: 'InvalidAMIID.NotFound' }));
    await expect(ec2CapacityStep.plan(previewCtx(withAmi))).rejects.toMatchObject({
      code: 'capacity.ami-architecture',
      exitCode: 2,
      message: expect.stringMatching(/^ec2\.ami: ami-0123abcd is an arm64 AMI, but ec2\.instanceType t3\.small is x86_64/),
    });
    await expect(ec2CapacityStep.plan(previewCtx(withAmi))).rejects.toMatchObject({ code: 'capacity.ami-not-found', exitCode: 2 });
    expect(commandNames(ssm)).toEqual([]);
  });
});

describe('awsvpc on EC2 without NAT (learning profile)', () => {
  const svc = (mode: string) =>
    `services:\n  web: { image: nginx, port: 80, capacity: ec2, networkMode: ${mode} }\n  jobs: { image: busybox }\n`;

  it('warns, naming the field and the ways out, when awsvpc EC2 tasks would have no outbound internet', () => {
    const warning = awsvpcWithoutNatWarning(config(`app: shop\n${svc('awsvpc')}`));
    expect(warning).toMatch(
      /^services\.web\.networkMode: awsvpc tasks on EC2 get no public IP, and the learning network has no NAT gateway/,
    );
    expect(warning).toMatch(/network\.profile: production.*privateSubnetIds.*networkMode: bridge/);
    expect(
      awsvpcWithoutNatWarning(config(`app: shop\nnetwork: { vpcId: vpc-1, publicSubnetIds: [subnet-1a, subnet-2b] }\n${svc('awsvpc')}`)),
    ).toMatch(/network\.privateSubnetIds is empty/);
    expect(awsvpcWithoutNatWarning(config(`app: shop\nnetwork: { profile: production }\n${svc('awsvpc')}`))).toBeUndefined();
    expect(awsvpcWithoutNatWarning(config(`app: shop\n${svc('bridge')}`))).toBeUndefined();
    const own = `app: shop\nnetwork: { vpcId: vpc-1, publicSubnetIds: [subnet-1a, subnet-2b], privateSubnetIds: [subnet-3c] }\n${svc('awsvpc')}`;
    expect(awsvpcWithoutNatWarning(config(own))).toBeUndefined();
  });

  it('the plan warns at preview (no mutating call, the deploy is not refused)', async () => {
    hostWorld();
    const ctx = stepContext(ec2CapacityStep, { config: config(`app: shop\n${svc('awsvpc')}`) });
    await expect(ec2CapacityStep.plan(ctx)).rejects.toMatchObject({ name: 'PendingDependency' });
    expect(ctx.warningCodes).toEqual(['capacity.no-outbound']);
    expect(ctx.warnings).toEqual([expect.stringMatching(/^services\.web\.networkMode: /)]);
  });
});

describe('real AWS: IAM propagation, service-linked roles, lost responses', () => {
  afterEach(() => void vi.useRealTimers());

  const profileNotYet = () =>
    Object.assign(
      new Error(
        `You must use a valid fully-formed launch template. Value (${PROFILE_ARN}) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN`,
      ),
      { name: 'ValidationError' },
    );
  const lost = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

  /** Nothing exists yet; every create succeeds (and is logged) unless a test says otherwise. */
  function emptyWorld(): void {
    hostWorld();
    iam
      .on(GetRoleCommand)
      .rejectsOnce(noSuch())
      .resolves({ Role: { RoleName: ROLE, Arn: STATE.roleArn, Path: '/', RoleId: 'r', CreateDate: new Date() } });
    iam
      .on(GetInstanceProfileCommand)
      .rejectsOnce(noSuch())
      .resolves({
        InstanceProfile: {
          InstanceProfileName: ROLE,
          Arn: PROFILE_ARN,
          Path: '/',
          InstanceProfileId: 'ip',
          CreateDate: new Date(),
          Roles: [],
        },
      });
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
    ec2.on(DescribeLaunchTemplatesCommand).resolves({ LaunchTemplates: [] });
    asg
      .on(DescribeAutoScalingGroupsCommand)
      .resolvesOnce({ AutoScalingGroups: [] })
      .resolves({ AutoScalingGroups: [existingAsg()] });
    ecs.on(DescribeCapacityProvidersCommand).resolves({ capacityProviders: [] });
    ecs
      .on(DescribeClustersCommand)
      .resolves({ clusters: [{ clusterName: 'shop-default', status: 'ACTIVE', capacityProviders: ['FARGATE', 'FARGATE_SPOT'] }] });
    for (const [m, c, r] of [
      [iam, CreateRoleCommand, { Role: { Arn: STATE.roleArn } }],
      [iam, AttachRolePolicyCommand, {}],
      [iam, CreateInstanceProfileCommand, { InstanceProfile: { Arn: PROFILE_ARN } }],
      [iam, AddRoleToInstanceProfileCommand, {}],
      [ec2, CreateSecurityGroupCommand, { GroupId: 'sg-inst' }],
      [ec2, CreateLaunchTemplateCommand, { LaunchTemplate: { LaunchTemplateId: 'lt-1' } }],
      [iam, CreateServiceLinkedRoleCommand, {}],
      [asg, CreateAutoScalingGroupCommand, {}],
      [ecs, CreateCapacityProviderCommand, {}],
      [ecs, PutClusterCapacityProvidersCommand, {}],
    ] as const)
      logged(m, c, r);
  }

  /** Plan and apply with a real propagation window, on fake timers (the retry backs off from 1 s). */
  async function deployWithFakeTimers(ctx: ReturnType<typeof ctxFor>): Promise<CapacityState> {
    ctx.options.propagationRetryMs = 120_000;
    // As in production (default 5): createOnce may try a create again after an unknown outcome.
    ctx.aws.options.maxAttempts = 3;
    const plan = await ec2CapacityStep.plan(ctx);
    vi.useFakeTimers();
    const applied = ec2CapacityStep.apply(ctx, plan);
    const settled = applied.then(
      () => undefined,
      () => undefined,
    );
    for (let i = 0; i < 30; i++) await vi.advanceTimersByTimeAsync(5_000);
    await settled;
    return applied;
  }

  it('retries CreateAutoScalingGroup while the new instance profile is "invalid" (IAM propagation)', async () => {
    emptyWorld();
    asg.on(CreateAutoScalingGroupCommand).callsFake(async () => {
      log.push('CreateAutoScalingGroup');
      if (log.filter((l) => l === 'CreateAutoScalingGroup').length <= 2) throw profileNotYet();
      return {};
    });
    const ctx = ctxFor();
    expect(await deployWithFakeTimers(ctx)).toEqual(STATE);
    expect(log.filter((l) => l === 'CreateAutoScalingGroup')).toHaveLength(3);
    expect(ctx.messages).toContain(`waiting for AWS to make instance profile ${ROLE} visible (eventual consistency)`);
  });

  it('a lost response during the propagation retry is adopted by the lookup, never created twice', async () => {
    emptyWorld();
    // Attempt 1: profile not usable yet. Attempt 2: AWS creates the group, the response is lost.
    asg.on(CreateAutoScalingGroupCommand).callsFake(async () => {
      log.push('CreateAutoScalingGroup');
      throw log.filter((l) => l === 'CreateAutoScalingGroup').length === 1 ? profileNotYet() : lost();
    });
    expect(await deployWithFakeTimers(ctxFor())).toEqual(STATE);
    expect(log.filter((l) => l === 'CreateAutoScalingGroup')).toHaveLength(2);
  });

  it('retries UpdateAutoScalingGroup the same way, and gives up after propagationRetryMs on a profile that stays invalid', async () => {
    existingWorld({ asg: existingAsg({ MaxSize: 5 }) });
    asg.on(UpdateAutoScalingGroupCommand).rejectsOnce(profileNotYet()).resolves({});
    const ctx = ctxFor();
    await deployWithFakeTimers(ctx);
    expect(asg.commandCalls(UpdateAutoScalingGroupCommand)).toHaveLength(2);

    asg.on(UpdateAutoScalingGroupCommand).rejects(profileNotYet());
    await expect(deployWithFakeTimers(ctxFor())).rejects.toMatchObject({ name: 'ValidationError' });
  });

  it('creates the Auto Scaling and ECS service-linked roles before the first group / provider, and retries the provider while its role propagates', async () => {
    emptyWorld();
    iam.on(GetRoleCommand, { RoleName: 'AWSServiceRoleForAutoScaling' }).rejects(noSuch());
    iam.on(GetRoleCommand, { RoleName: 'AWSServiceRoleForECS' }).resolves({
      Role: {
        RoleName: 'AWSServiceRoleForECS',
        Arn: 'arn:slr',
        Path: '/aws-service-role/ecs.amazonaws.com/',
        RoleId: 's',
        CreateDate: new Date(),
      },
    });
    ecs.on(CreateCapacityProviderCommand).callsFake(async () => {
      log.push('CreateCapacityProvider');
      if (log.filter((l) => l === 'CreateCapacityProvider').length === 1)
        throw Object.assign(new Error('ECS Service Linked Role does not exist.'), { name: 'ClientException' });
      return {};
    });
    expect(await deployWithFakeTimers(ctxFor())).toEqual(STATE);
    expect(log.slice(-5)).toEqual([
      'CreateServiceLinkedRole',
      'CreateAutoScalingGroup',
      'CreateCapacityProvider',
      'CreateCapacityProvider',
      'PutClusterCapacityProviders',
    ]);
    expect(iam.commandCalls(CreateServiceLinkedRoleCommand).map((c) => c.args[0].input)).toEqual([
      { AWSServiceName: 'autoscaling.amazonaws.com' },
    ]);
  });

  it('a deploy that creates no group or provider never looks at service-linked roles', async () => {
    existingWorld({ asg: existingAsg({ MaxSize: 5 }) });
    logged(asg, UpdateAutoScalingGroupCommand);
    const ctx = ctxFor();
    await ec2CapacityStep.apply(ctx, await ec2CapacityStep.plan(ctx));
    expect(log).toEqual(['UpdateAutoScalingGroup']);
    expect(iam.commandCalls(GetRoleCommand).map((c) => c.args[0].input.RoleName)).toEqual([ROLE]);
  });

  it('CreateLaunchTemplate carries a ClientToken: a retry after a lost response gets the same template back', async () => {
    emptyWorld();
    // EC2: a repeated token returns the first result; the name is taken for any other token.
    const made = new Map<string, string>();
    ec2.on(CreateLaunchTemplateCommand).callsFake(async (input: { ClientToken?: string }) => {
      log.push('CreateLaunchTemplate');
      const again = input.ClientToken && made.get(input.ClientToken);
      if (again) return { LaunchTemplate: { LaunchTemplateId: again } };
      if (made.size)
        throw Object.assign(new Error('Launch template name already in use.'), {
          name: 'InvalidLaunchTemplateName.AlreadyExistsException',
        });
      made.set(input.ClientToken ?? '', 'lt-1');
      throw lost();
    });
    // The lookup does not see the new template yet (eventual consistency), so only the token saves the retry.
    expect(await deployWithFakeTimers(ctxFor())).toEqual(STATE);
    const tokens = ec2.commandCalls(CreateLaunchTemplateCommand).map((c) => c.args[0].input.ClientToken);
    expect(tokens).toHaveLength(2);
    expect(tokens[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(tokens[1]).toBe(tokens[0]);
    expect(made.size).toBe(1);
  });

  it('CreateLaunchTemplate: "already exists" (an earlier, crashed run) adopts our tagged template', async () => {
    emptyWorld();
    ec2
      .on(DescribeLaunchTemplatesCommand)
      .resolvesOnce({ LaunchTemplates: [] })
      .resolves({ LaunchTemplates: [{ LaunchTemplateId: 'lt-1', LaunchTemplateName: 'shop-default-ecs', Tags: OWNER_TAGS }] });
    ec2
      .on(CreateLaunchTemplateCommand)
      .rejects(
        Object.assign(new Error('Launch template name already in use.'), { name: 'InvalidLaunchTemplateName.AlreadyExistsException' }),
      );
    expect(await deployWithFakeTimers(ctxFor())).toEqual(STATE);
    expect(ec2.commandCalls(CreateLaunchTemplateCommand)).toHaveLength(1);
  });

  it('CreateLaunchTemplateVersion: a lost response never makes a duplicate version', async () => {
    existingWorld({ lt: wantedLaunchTemplate({ instanceType: 't3.micro' }) });
    let versions = 1;
    const tokens = new Map<string, number>();
    ec2.on(CreateLaunchTemplateVersionCommand).callsFake(async (input: { ClientToken?: string }) => {
      const again = input.ClientToken && tokens.get(input.ClientToken);
      if (again) return { LaunchTemplateVersion: { VersionNumber: again } };
      tokens.set(input.ClientToken ?? '', ++versions);
      throw lost();
    });
    const ctx = ctxFor();
    await deployWithFakeTimers(ctx);
    const calls = ec2.commandCalls(CreateLaunchTemplateVersionCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.ClientToken).toBe(calls[0]!.ClientToken);
    expect(calls[0]!.ClientToken).toBe(launchTemplateVersionToken('lt-1', 1, calls[0]!.LaunchTemplateData!));
    expect(versions).toBe(2);
  });

  it('CreateLaunchTemplateVersion: a lost response whose version is already $Latest is adopted without a second call', async () => {
    existingWorld({ lt: wantedLaunchTemplate({ instanceType: 't3.micro' }) });
    ec2
      .on(DescribeLaunchTemplateVersionsCommand)
      .resolvesOnce({
        LaunchTemplateVersions: [
          { LaunchTemplateId: 'lt-1', VersionNumber: 1, LaunchTemplateData: wantedLaunchTemplate({ instanceType: 't3.micro' }) },
        ],
      })
      .resolves({ LaunchTemplateVersions: [{ LaunchTemplateId: 'lt-1', VersionNumber: 2, LaunchTemplateData: wantedLaunchTemplate() }] });
    ec2.on(CreateLaunchTemplateVersionCommand).rejects(lost());
    await deployWithFakeTimers(ctxFor());
    expect(ec2.commandCalls(CreateLaunchTemplateVersionCommand)).toHaveLength(1);
  });

  it('the version token is deterministic per template, base version and content, and fits EC2 (<= 128 chars)', () => {
    const data = wantedLaunchTemplate();
    const token = launchTemplateVersionToken('lt-1', 3, data);
    expect(token).toBe(launchTemplateVersionToken('lt-1', 3, wantedLaunchTemplate()));
    expect(token.length).toBeLessThanOrEqual(128);
    expect(launchTemplateVersionToken('lt-1', 4, data)).not.toBe(token);
    expect(launchTemplateVersionToken('lt-2', 3, data)).not.toBe(token);
    expect(launchTemplateVersionToken('lt-1', 3, wantedLaunchTemplate({ imageId: 'ami-0new' }))).not.toBe(token);
  });
});

describe('lists that page', () => {
  it('plan reads every page: attached policies, role tags and the launch template lookup', async () => {
    existingWorld();
    // GetRole without tags: ownership comes from ListRoleTags, whose tags are on page 2.
    iam.on(GetRoleCommand).resolves({ Role: { RoleName: ROLE, Arn: STATE.roleArn, Path: '/', RoleId: 'r', CreateDate: new Date() } });
    iam
      .on(ListRoleTagsCommand)
      .resolvesOnce({ Tags: [{ Key: 'team', Value: 'x' }], IsTruncated: true, Marker: 'm1' })
      .resolves({ Tags: OWNER_TAGS, IsTruncated: false });
    iam
      .on(ListAttachedRolePoliciesCommand)
      .resolvesOnce({
        AttachedPolicies: [{ PolicyArn: 'arn:aws:iam::aws:policy/Other', PolicyName: 'Other' }],
        IsTruncated: true,
        Marker: 'm1',
      })
      .resolves({ AttachedPolicies: [{ PolicyArn: POLICY, PolicyName: 'AmazonEC2ContainerServiceforEC2Role' }], IsTruncated: false });
    ec2
      .on(DescribeLaunchTemplatesCommand)
      .resolvesOnce({ LaunchTemplates: [], NextToken: 't1' })
      .resolves({
        LaunchTemplates: [{ LaunchTemplateId: 'lt-1', LaunchTemplateName: 'shop-default-ecs', Tags: OWNER_TAGS, LatestVersionNumber: 1 }],
      });
    const plan = await ec2CapacityStep.plan(ctxFor());
    expect(plan.changes).toEqual([]);
    expect(plan.action).toBe('noop');
    // (The paginator reuses one input object, so the recorded inputs all show the last token.)
    expect(iam.commandCalls(ListAttachedRolePoliciesCommand)).toHaveLength(2);
    expect(iam.commandCalls(ListRoleTagsCommand)).toHaveLength(2);
    expect(ec2.commandCalls(DescribeLaunchTemplatesCommand)).toHaveLength(2);
    expect(ec2.commandCalls(DescribeLaunchTemplatesCommand)[1]!.args[0].input.NextToken).toBe('t1');
  });

  it('destroy detaches every attached policy and leaves every instance profile, across pages, before DeleteRole', async () => {
    existingWorld();
    ecs.on(DescribeClustersCommand).resolves({ clusters: [] });
    ecs.on(DescribeCapacityProvidersCommand).resolves({ capacityProviders: [] });
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
    ec2.on(DescribeLaunchTemplatesCommand).resolves({ LaunchTemplates: [] });
    iam.on(GetInstanceProfileCommand).rejects(noSuch());
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
    iam
      .on(ListAttachedRolePoliciesCommand)
      .resolvesOnce({ AttachedPolicies: [{ PolicyArn: POLICY }], IsTruncated: true, Marker: 'm1' })
      .resolves({ AttachedPolicies: [{ PolicyArn: 'arn:aws:iam::aws:policy/Extra' }], IsTruncated: false });
    iam
      .on(ListInstanceProfilesForRoleCommand)
      .resolvesOnce({
        InstanceProfiles: [
          { InstanceProfileName: 'by-hand-1', Arn: 'a', Path: '/', InstanceProfileId: '1', CreateDate: new Date(), Roles: [] },
        ],
        IsTruncated: true,
        Marker: 'm1',
      })
      .resolves({
        InstanceProfiles: [
          { InstanceProfileName: 'by-hand-2', Arn: 'b', Path: '/', InstanceProfileId: '2', CreateDate: new Date(), Roles: [] },
        ],
        IsTruncated: false,
      });
    logged(iam, DetachRolePolicyCommand);
    logged(iam, RemoveRoleFromInstanceProfileCommand);
    logged(iam, DeleteRoleCommand);
    await ec2CapacityStep.destroy(ctxFor(), STATE);
    expect(log).toEqual([
      'DetachRolePolicy',
      'DetachRolePolicy',
      'RemoveRoleFromInstanceProfile',
      'RemoveRoleFromInstanceProfile',
      'DeleteRole',
    ]);
    expect(iam.commandCalls(RemoveRoleFromInstanceProfileCommand).map((c) => c.args[0].input.InstanceProfileName)).toEqual([
      'by-hand-1',
      'by-hand-2',
    ]);
  });
});
