import { RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { CreateAutoScalingGroupCommand, DeleteAutoScalingGroupCommand, UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import {
  AllocateAddressCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateInternetGatewayCommand,
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  CreateNatGatewayCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteNatGatewayCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DescribeNatGatewaysCommand,
  DescribeSecurityGroupsCommand,
  DetachInternetGatewayCommand,
  ReleaseAddressCommand,
  type RequestLaunchTemplateData,
} from '@aws-sdk/client-ec2';
import {
  CreateCapacityProviderCommand,
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  UpdateServiceCommand,
  type CreateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeleteLoadBalancerCommand,
  DescribeLoadBalancersCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  CreateServiceLinkedRoleCommand,
  GetRoleCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startMoto, type Moto } from './harness/moto.js';
import { startStrictProxy, type StrictProxy } from './harness/strict/proxy.js';
import { failure, sdk, sleep, type Sdk } from './harness/strict/sdk.js';
import type { Windows } from './harness/strict/types.js';

/**
 * Self-tests of the strict layer's timing and state rules, with plain SDK clients: each rule
 * fires with AWS's error name and text, and stops firing after its window or once its
 * precondition holds. Windows are shrunk to W ms so the file stays fast.
 */
const W = 300;
const WINDOWS: Windows = {
  ec2Consistency: W,
  instanceProfile: W,
  serviceLinkedRole: W,
  drain: W,
  releaseAfterNat: W,
  natPending: W,
  natDeleting: W,
  lbProvisioning: W,
  s3ConditionalWrite: W,
};
const after = () => sleep(W + 60);
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const AMI = 'ami-12c6146b';
const DV = 'DependencyViolation';

describe('strict layer: timing and state', () => {
  let moto: Moto;
  let direct: Sdk;
  let cidr = 30;

  beforeAll(async () => {
    moto = await startMoto();
    direct = sdk(moto.endpoint);
  });
  afterAll(async () => {
    await moto?.stop();
  });

  async function layer(only: string[]): Promise<{ proxy: StrictProxy; aws: Sdk }> {
    const proxy = await startStrictProxy(moto.endpoint, { label: 'strict-layer self-test', only, windows: WINDOWS });
    onTestFinished(() => proxy.stop());
    return { proxy, aws: sdk(proxy.endpoint) };
  }

  /** A VPC with two subnets, made with `ec2` (the layer, so it tracks them, or moto directly). */
  async function network(ec2: Sdk['ec2']) {
    const n = cidr++;
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: `10.${n}.0.0/16` }))).Vpc!.VpcId!;
    const subnet = async (i: number, az: string) =>
      (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: `10.${n}.${i}.0/24`, AvailabilityZone: az }))).Subnet!.SubnetId!;
    return { vpc, subnets: [await subnet(0, 'us-east-1a'), await subnet(1, 'us-east-1b')] };
  }

  const securityGroup = async (ec2: Sdk['ec2'], GroupName: string, VpcId: string) =>
    (await ec2.send(new CreateSecurityGroupCommand({ GroupName, Description: 'x', VpcId }))).GroupId!;
  const launchTemplate = async (ec2: Sdk['ec2'], LaunchTemplateName: string, data: RequestLaunchTemplateData) =>
    (await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName, LaunchTemplateData: { ImageId: AMI, ...data } }))).LaunchTemplate!
      .LaunchTemplateId!;
  const taskDefinition = async (ecs: Sdk['ecs'], family: string, extra: object = {}) =>
    (
      await ecs.send(
        new RegisterTaskDefinitionCommand({ family, containerDefinitions: [{ name: 'web', image: 'nginx', memory: 128 }], ...extra }),
      )
    ).taskDefinition!.taskDefinitionArn!;

  it('EC2 eventual consistency: a new id is NotFound to mutating calls and id-list describes for a window, never to filters', async () => {
    const { aws } = await layer(['ec2.eventual-consistency']);
    const vpc = (await aws.ec2.send(new CreateVpcCommand({ CidrBlock: '10.10.0.0/16' }))).Vpc!.VpcId!;
    const early = await failure(aws.ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.10.0.0/24' })));
    expect(early).toMatchObject({ name: 'InvalidVpcID.NotFound', message: `The vpc ID '${vpc}' does not exist` });
    await after();
    const sg = await securityGroup(aws.ec2, 'consistency', vpc);
    const rule = { GroupId: sg, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] };
    const authorize = await failure(aws.ec2.send(new AuthorizeSecurityGroupIngressCommand(rule)));
    expect(authorize).toMatchObject({ name: 'InvalidGroup.NotFound', message: `The security group '${sg}' does not exist` });
    expect((await failure(aws.ec2.send(new CreateTagsCommand({ Resources: [sg], Tags: [{ Key: 'a', Value: 'b' }] })))).name).toBe(
      'InvalidGroup.NotFound',
    );
    expect((await failure(aws.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [sg] })))).name).toBe('InvalidGroup.NotFound');
    const filtered = await aws.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-id', Values: [sg] }] }));
    expect(filtered.SecurityGroups?.map((g) => g.GroupId)).toEqual([sg]);
    await after();
    await aws.ec2.send(new AuthorizeSecurityGroupIngressCommand(rule));
    expect((await aws.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [sg] }))).SecurityGroups).toHaveLength(1);
  });

  it('a new instance profile makes Create/UpdateAutoScalingGroup fail with the launch-template error for a window', async () => {
    const { aws, proxy } = await layer(['iam.instance-profile-propagation']);
    const { subnets } = await network(direct.ec2);
    await aws.iam.send(new CreateRoleCommand({ RoleName: 'strict-instance', AssumeRolePolicyDocument: TRUST }));
    const profile = (await aws.iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'strict-instance' }))).InstanceProfile!;
    await aws.iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'strict-instance', RoleName: 'strict-instance' }));
    const LaunchTemplate = {
      LaunchTemplateId: await launchTemplate(aws.ec2, 'strict-lt', { IamInstanceProfile: { Arn: profile.Arn } }),
      Version: '$Latest',
    };
    const group = {
      AutoScalingGroupName: 'strict-asg',
      MinSize: 0,
      MaxSize: 1,
      DesiredCapacity: 0,
      VPCZoneIdentifier: subnets.join(','),
      LaunchTemplate,
    };
    expect(await failure(aws.asg.send(new CreateAutoScalingGroupCommand(group)))).toMatchObject({
      name: 'ValidationError',
      message:
        'You must use a valid fully-formed launch template. ' +
        `Value (${profile.Arn}) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN`,
    });
    await after();
    await aws.asg.send(new CreateAutoScalingGroupCommand(group));
    // A new template version with another new profile: UpdateAutoScalingGroup checks the same.
    const second = (await aws.iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'strict-instance-2' }))).InstanceProfile!;
    const data = { ImageId: AMI, IamInstanceProfile: { Arn: second.Arn } };
    await aws.ec2.send(
      new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: LaunchTemplate.LaunchTemplateId, LaunchTemplateData: data }),
    );
    const update = await failure(aws.asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: 'strict-asg', LaunchTemplate })));
    expect(update.message).toContain(second.Arn);
    expect(proxy.hits['iam.instance-profile-propagation']).toBe(2);
  });

  it('service-linked roles: absent in a fresh account; ECS creates its role on first use and cannot assume it for a window', async () => {
    const { aws, proxy } = await layer(['iam.service-linked-roles', 'ecs.service-linked-role-first-use']);
    // moto itself was seeded with the role (see startMoto); the layer answers from its own, fresh account.
    expect((await direct.iam.send(new GetRoleCommand({ RoleName: 'AWSServiceRoleForECS' }))).Role?.Path).toBe(
      '/aws-service-role/ecs.amazonaws.com/',
    );
    expect(await failure(aws.iam.send(new GetRoleCommand({ RoleName: 'AWSServiceRoleForECS' })))).toMatchObject({
      name: 'NoSuchEntityException',
      message: 'The role with name AWSServiceRoleForECS cannot be found.',
    });
    const withProviders = new CreateClusterCommand({ clusterName: 'strict-slr', capacityProviders: ['FARGATE', 'FARGATE_SPOT'] });
    expect(await failure(aws.ecs.send(withProviders))).toMatchObject({
      name: 'InvalidParameterException',
      message: 'Unable to assume the service linked role. Please verify that the ECS service linked role exists.',
    });
    // ECS made the role while failing: it is there now, but still propagating.
    const role = (await aws.iam.send(new GetRoleCommand({ RoleName: 'AWSServiceRoleForECS' }))).Role!;
    expect(role.Arn).toBe('arn:aws:iam::123456789012:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS');
    expect((await failure(aws.ecs.send(withProviders))).name).toBe('InvalidParameterException');
    expect(await failure(aws.iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'ecs.amazonaws.com' })))).toMatchObject({
      name: 'InvalidInputException',
      message: 'Service role name AWSServiceRoleForECS has been taken in this account, please try a different suffix.',
    });
    await after();
    expect((await aws.ecs.send(withProviders)).cluster?.capacityProviders).toEqual(['FARGATE', 'FARGATE_SPOT']);
    expect(proxy.hits['ecs.service-linked-role-first-use']).toBe(2);
  });

  it('service-linked roles: created explicitly, usable after the window; CreateCapacityProvider and AAS need theirs too', async () => {
    const { aws } = await layer([
      'iam.service-linked-roles',
      'ecs.service-linked-role-first-use',
      'application-autoscaling.service-linked-role-first-use',
    ]);
    const created = await aws.iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'ecs.amazonaws.com' }));
    expect(created.Role?.Path).toBe('/aws-service-role/ecs.amazonaws.com/');
    const provider = new CreateCapacityProviderCommand({ name: 'strict-cp', autoScalingGroupProvider: { autoScalingGroupArn: 'arn:x' } });
    expect((await failure(aws.ecs.send(provider))).message).toMatch(/Unable to assume the service linked role/);
    // CreateCluster without providers does not assume the role.
    await aws.ecs.send(new CreateClusterCommand({ clusterName: 'strict-plain' }));
    // Application Auto Scaling: a real ECS service, seeded straight into moto.
    await taskDefinition(direct.ecs, 'strict-aas');
    await direct.ecs.send(
      new CreateServiceCommand({ cluster: 'strict-plain', serviceName: 'web', taskDefinition: 'strict-aas', desiredCount: 1 }),
    );
    const target = new RegisterScalableTargetCommand({
      ServiceNamespace: 'ecs',
      ResourceId: 'service/strict-plain/web',
      ScalableDimension: 'ecs:service:DesiredCount',
      MinCapacity: 1,
      MaxCapacity: 2,
    });
    const role = 'AWSServiceRoleForApplicationAutoScaling_ECSService';
    expect(await failure(aws.aas.send(target))).toMatchObject({
      name: 'ValidationException',
      message: `Unable to assume IAM role: arn:aws:iam::123456789012:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/${role}`,
    });
    await after();
    await aws.aas.send(target);
    expect((await aws.iam.send(new GetRoleCommand({ RoleName: role }))).Role?.RoleName).toBe(role);
  });

  it('load balancer ENIs: its SG and subnets are in use while it lives and drain for a window after; so does the IGW detach', async () => {
    const { aws } = await layer(['ec2.deletes-drain']);
    const { vpc, subnets } = await network(aws.ec2);
    const igw = (await aws.ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
    await aws.ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpc }));
    const sg = await securityGroup(aws.ec2, 'drain-lb', vpc);
    const lb = (await aws.elb.send(new CreateLoadBalancerCommand({ Name: 'drain-lb', Subnets: subnets, SecurityGroups: [sg] })))
      .LoadBalancers![0]!.LoadBalancerArn!;
    const deleteSg = () => aws.ec2.send(new DeleteSecurityGroupCommand({ GroupId: sg }));
    expect(await failure(deleteSg())).toMatchObject({ name: DV, message: `resource ${sg} has a dependent object` });
    await aws.elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb }));
    expect((await failure(deleteSg())).name).toBe(DV);
    const deleteSubnet = () => aws.ec2.send(new DeleteSubnetCommand({ SubnetId: subnets[0] }));
    expect(await failure(deleteSubnet())).toMatchObject({
      name: DV,
      message: `The subnet '${subnets[0]}' has dependencies and cannot be deleted.`,
    });
    const detach = () => aws.ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpc }));
    expect(await failure(detach())).toMatchObject({
      name: DV,
      message: `Network ${vpc} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.`,
    });
    await after();
    await detach();
    await deleteSg();
    await deleteSubnet();
  });

  it('task ENIs of a deleted service and instances of a deleted Auto Scaling group drain too', async () => {
    const { aws } = await layer(['ec2.deletes-drain']);
    const { vpc, subnets } = await network(aws.ec2);
    const sg = await securityGroup(aws.ec2, 'drain-svc', vpc);
    await direct.ecs.send(new CreateClusterCommand({ clusterName: 'strict-drain' }));
    await taskDefinition(direct.ecs, 'strict-drain', { networkMode: 'awsvpc' });
    const networkConfiguration = { awsvpcConfiguration: { subnets, securityGroups: [sg] } };
    await aws.ecs.send(
      new CreateServiceCommand({
        cluster: 'strict-drain',
        serviceName: 'web',
        taskDefinition: 'strict-drain',
        desiredCount: 0,
        networkConfiguration,
      }),
    );
    await aws.ecs.send(new DeleteServiceCommand({ cluster: 'strict-drain', service: 'web', force: true }));
    expect((await failure(aws.ec2.send(new DeleteSecurityGroupCommand({ GroupId: sg })))).name).toBe(DV);
    await after();
    await aws.ec2.send(new DeleteSecurityGroupCommand({ GroupId: sg }));

    const isg = await securityGroup(aws.ec2, 'drain-instances', vpc);
    const LaunchTemplate = { LaunchTemplateId: await launchTemplate(aws.ec2, 'drain-lt', { SecurityGroupIds: [isg] }) };
    await aws.asg.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: 'drain-asg',
        MinSize: 0,
        MaxSize: 1,
        VPCZoneIdentifier: subnets[1],
        LaunchTemplate,
      }),
    );
    expect((await failure(aws.ec2.send(new DeleteSecurityGroupCommand({ GroupId: isg })))).name).toBe(DV);
    await aws.asg.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: 'drain-asg', ForceDelete: true }));
    expect((await failure(aws.ec2.send(new DeleteSubnetCommand({ SubnetId: subnets[1] })))).name).toBe(DV);
    await after();
    await aws.ec2.send(new DeleteSecurityGroupCommand({ GroupId: isg }));
    await aws.ec2.send(new DeleteSubnetCommand({ SubnetId: subnets[1] }));
  });

  it('NAT gateway: pending, then available; deleting, then deleted; its EIP is InUse, then AuthFailure for a window after "deleted"', async () => {
    const { aws, proxy } = await layer(['ec2.nat-gateway-states', 'ec2.release-address-after-nat', 'ec2.deletes-drain']);
    const { subnets } = await network(aws.ec2);
    const alloc = (await aws.ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }))).AllocationId!;
    const created = (await aws.ec2.send(new CreateNatGatewayCommand({ SubnetId: subnets[0], AllocationId: alloc }))).NatGateway!;
    expect(created.State).toBe('pending');
    const state = async () =>
      (await aws.ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [created.NatGatewayId!] }))).NatGateways![0]!.State;
    const release = () => aws.ec2.send(new ReleaseAddressCommand({ AllocationId: alloc }));
    expect(await state()).toBe('pending');
    expect(await failure(release())).toMatchObject({ name: 'InvalidIPAddress.InUse' });
    await after();
    expect(await state()).toBe('available');
    expect((await failure(aws.ec2.send(new DeleteSubnetCommand({ SubnetId: subnets[0] })))).name).toBe(DV);

    await aws.ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: created.NatGatewayId! }));
    expect(await state()).toBe('deleting');
    await after();
    expect(await state()).toBe('deleted'); // shown deleted now: the address is still not releasable for a window
    expect(await failure(release())).toMatchObject({
      name: 'AuthFailure',
      message: 'You do not have permission to access the specified resource.',
    });
    await after();
    await release();
    await aws.ec2.send(new DeleteSubnetCommand({ SubnetId: subnets[0] }));
    expect(proxy.hits['ec2.nat-gateway-states']).toBe(3);
  });

  it('a new load balancer is provisioning for a window, then active', async () => {
    const { aws } = await layer(['elbv2.load-balancer-provisioning']);
    const { subnets } = await network(direct.ec2);
    const arn = (await aws.elb.send(new CreateLoadBalancerCommand({ Name: 'strict-provisioning', Subnets: subnets }))).LoadBalancers![0]!
      .LoadBalancerArn!;
    const code = async (elb: Sdk['elb']) =>
      (await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] }))).LoadBalancers![0]!.State?.Code;
    expect(await code(aws.elb)).toBe('provisioning');
    expect(await code(direct.elb)).toBe('active'); // moto's own view
    await after();
    expect(await code(aws.elb)).toBe('active');
  });

  it('CreateService needs a target group attached to a load balancer, and a task definition compatible with its launch type', async () => {
    const { aws, proxy } = await layer(['ecs.target-group-needs-load-balancer', 'ecs.launch-type-compatibility']);
    const { vpc, subnets } = await network(direct.ec2);
    const sg = await securityGroup(direct.ec2, 'strict-svc', vpc);
    await direct.ecs.send(new CreateClusterCommand({ clusterName: 'strict-svc' }));
    const tgInput = { Name: 'strict-svc', Protocol: 'HTTP' as const, Port: 80, VpcId: vpc, TargetType: 'ip' as const };
    const tg = (await direct.elb.send(new CreateTargetGroupCommand(tgInput))).TargetGroups![0]!.TargetGroupArn!;
    const fargateTd = await taskDefinition(aws.ecs, 'strict-fg', {
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
    });
    const ec2Td = await taskDefinition(aws.ecs, 'strict-ec2', { requiresCompatibilities: ['EC2'], networkMode: 'awsvpc' });
    const networkConfiguration = { awsvpcConfiguration: { subnets, securityGroups: [sg] } };
    const service = (serviceName: string, extra: Partial<CreateServiceCommandInput>) =>
      aws.ecs.send(new CreateServiceCommand({ cluster: 'strict-svc', serviceName, desiredCount: 1, networkConfiguration, ...extra }));
    const withLb = {
      taskDefinition: fargateTd,
      launchType: 'FARGATE' as const,
      loadBalancers: [{ targetGroupArn: tg, containerName: 'web', containerPort: 80 }],
    };
    expect(await failure(service('web', withLb))).toMatchObject({
      name: 'InvalidParameterException',
      message: `The target group with targetGroupArn ${tg} does not have an associated load balancer.`,
    });
    const lb = (await direct.elb.send(new CreateLoadBalancerCommand({ Name: 'strict-svc', Subnets: subnets }))).LoadBalancers![0]!
      .LoadBalancerArn!;
    await direct.elb.send(
      new CreateListenerCommand({
        LoadBalancerArn: lb,
        Port: 80,
        Protocol: 'HTTP',
        DefaultActions: [{ Type: 'forward', TargetGroupArn: tg }],
      }),
    );
    await service('web', withLb);

    const fargate = { message: 'Task definition does not support launch_type FARGATE.', name: 'InvalidParameterException' };
    const spot = [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }];
    expect(await failure(service('ec2-on-fargate', { taskDefinition: ec2Td, launchType: 'FARGATE' }))).toMatchObject(fargate);
    expect(await failure(service('ec2-on-spot', { taskDefinition: ec2Td, capacityProviderStrategy: spot }))).toMatchObject(fargate);
    const run = new RunTaskCommand({ cluster: 'strict-svc', taskDefinition: 'strict-ec2', launchType: 'FARGATE', networkConfiguration });
    expect(await failure(aws.ecs.send(run))).toMatchObject(fargate);
    expect((await failure(service('fargate-on-ec2', { taskDefinition: fargateTd, launchType: 'EC2' }))).message).toBe(
      'Task definition does not support launch_type EC2.',
    );
    expect(proxy.hits['ecs.launch-type-compatibility']).toBe(4);
  });

  it('UpdateService: no FARGATE launch type → Fargate providers move; a strategy change needs forceNewDeployment; describes show the strategy', async () => {
    const { aws } = await layer([
      'ecs.update-capacity-transition',
      'ecs.update-strategy-needs-new-deployment',
      'ecs.service-echoes-strategy',
    ]);
    const { vpc, subnets } = await network(direct.ec2);
    const sg = await securityGroup(direct.ec2, 'strict-move', vpc);
    await direct.ecs.send(new CreateClusterCommand({ clusterName: 'strict-move', capacityProviders: ['FARGATE', 'FARGATE_SPOT'] }));
    const td = await taskDefinition(direct.ecs, 'strict-move', { networkMode: 'awsvpc' });
    const base = {
      cluster: 'strict-move',
      taskDefinition: td,
      desiredCount: 1,
      networkConfiguration: { awsvpcConfiguration: { subnets, securityGroups: [sg] } },
    };
    const update = (service: string, extra: object) =>
      aws.ecs.send(new UpdateServiceCommand({ cluster: 'strict-move', service, ...extra }));
    await aws.ecs.send(new CreateServiceCommand({ ...base, serviceName: 'lt', launchType: 'FARGATE' }));
    const spot = [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }];
    expect(await failure(update('lt', { capacityProviderStrategy: spot, forceNewDeployment: true }))).toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('FARGATE launch type to the FARGATE or FARGATE_SPOT capacity providers is not supported'),
    });
    await aws.ecs.send(
      new CreateServiceCommand({ ...base, serviceName: 'cp', capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] }),
    );
    // moto forgets a new service's strategy and says EC2; through the layer it looks as AWS shows it.
    const seen = async (ecs: Sdk['ecs']) =>
      (await ecs.send(new DescribeServicesCommand({ cluster: 'strict-move', services: ['cp', 'lt'] }))).services!.map((x) => [
        x.launchType,
        x.capacityProviderStrategy,
      ]);
    expect(await seen(direct.ecs)).toEqual([
      ['EC2', undefined],
      ['FARGATE', undefined],
    ]);
    expect(await seen(aws.ecs)).toEqual([
      [undefined, [{ capacityProvider: 'FARGATE', weight: 1 }]],
      ['FARGATE', undefined],
    ]);
    expect((await failure(update('cp', { capacityProviderStrategy: spot }))).message).toMatch(/you must force a new deployment/);
    await update('cp', { capacityProviderStrategy: spot, forceNewDeployment: true });
    // The same strategy again is no change.
    await update('cp', { capacityProviderStrategy: spot });
    expect((await aws.ecs.send(new DescribeServicesCommand({ cluster: 'strict-move', services: ['cp'] }))).services![0]).toMatchObject({
      capacityProviderStrategy: spot,
    });
  });
});
