import { RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { CreateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  AllocateAddressCommand,
  CreateInternetGatewayCommand,
  CreateLaunchTemplateCommand,
  CreateNatGatewayCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  type ResourceType,
} from '@aws-sdk/client-ec2';
import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import {
  CreateCapacityProviderCommand,
  CreateClusterCommand,
  CreateServiceCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { CreateLoadBalancerCommand, CreateTargetGroupCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateInstanceProfileCommand, CreateRoleCommand } from '@aws-sdk/client-iam';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { CreateScheduleCommand, CreateScheduleGroupCommand } from '@aws-sdk/client-scheduler';
import { CreateHttpNamespaceCommand } from '@aws-sdk/client-servicediscovery';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsFor, inventory, nonEmpty, total, type Clients } from './harness/inventory.js';
import { startMoto, type Moto } from './harness/moto.js';

/**
 * The inventory's listers see what they are meant to see in moto: one resource of every kind, tagged for one app/env
 * and made with the raw SDK (no product code), shows up exactly once, and nothing shows up for another env. A lister
 * that moto answers differently than expected would otherwise report "nothing left" after every teardown.
 */

const APP = 'inv';
const ENV = 'default';
const PREFIX = `${APP}-${ENV}`;
const tags = [
  { Key: 'ecs-kit:app', Value: APP },
  { Key: 'ecs-kit:env', Value: ENV },
];
const ecsTags = tags.map((t) => ({ key: t.Key, value: t.Value }));
const spec = (ResourceType: ResourceType) => [{ ResourceType, Tags: tags }];

async function createNetwork({ ec2 }: Clients) {
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.42.0.0/16', TagSpecifications: spec('vpc') }))).Vpc!.VpcId!;
  const subnet = (cidr: string, zone: string) =>
    ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: zone, TagSpecifications: spec('subnet') }));
  const subnets = [
    (await subnet('10.42.0.0/24', 'us-east-1a')).Subnet!.SubnetId!,
    (await subnet('10.42.1.0/24', 'us-east-1b')).Subnet!.SubnetId!,
  ];
  await ec2.send(new CreateInternetGatewayCommand({ TagSpecifications: spec('internet-gateway') }));
  await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId, TagSpecifications: spec('route-table') }));
  const groupId = (
    await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: `${PREFIX}-lb`,
        Description: 'x',
        VpcId: vpcId,
        TagSpecifications: spec('security-group'),
      }),
    )
  ).GroupId!;
  const allocationId = (await ec2.send(new AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: spec('elastic-ip') }))).AllocationId!;
  await ec2.send(new CreateNatGatewayCommand({ SubnetId: subnets[0], AllocationId: allocationId, TagSpecifications: spec('natgateway') }));
  return { vpcId, subnets, groupId };
}

async function createCompute(aws: Clients, subnets: string[]) {
  const template = await aws.ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: `${PREFIX}-ecs`,
      LaunchTemplateData: { InstanceType: 't3.small' },
      TagSpecifications: spec('launch-template'),
    }),
  );
  await aws.autoscaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: `${PREFIX}-ecs`,
      LaunchTemplate: { LaunchTemplateId: template.LaunchTemplate!.LaunchTemplateId!, Version: '$Latest' },
      MinSize: 0,
      MaxSize: 1,
      VPCZoneIdentifier: subnets.join(','),
      Tags: tags.map((t) => ({ ...t, PropagateAtLaunch: true })),
    }),
  );
  const group = `arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:0:autoScalingGroupName/${PREFIX}-ecs`;
  await aws.ecs.send(
    new CreateCapacityProviderCommand({ name: `${PREFIX}-ec2`, autoScalingGroupProvider: { autoScalingGroupArn: group }, tags: ecsTags }),
  );
  const path = `/ecs-kit/${APP}/${ENV}/`;
  await aws.iam.send(
    new CreateRoleCommand({
      RoleName: `${PREFIX}-execution`,
      Path: path,
      AssumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[]}',
      Tags: tags,
    }),
  );
  await aws.iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: `${PREFIX}-ecs-instance`, Path: path, Tags: tags }));
}

async function createApp(aws: Clients, network: { vpcId: string; subnets: string[]; groupId: string }) {
  await aws.elb.send(
    new CreateLoadBalancerCommand({ Name: PREFIX, Subnets: network.subnets, SecurityGroups: [network.groupId], Tags: tags }),
  );
  await aws.elb.send(
    new CreateTargetGroupCommand({ Name: `${PREFIX}-web`, Protocol: 'HTTP', Port: 80, VpcId: network.vpcId, TargetType: 'ip', Tags: tags }),
  );
  await aws.ecs.send(new CreateClusterCommand({ clusterName: PREFIX, tags: ecsTags }));
  const family = `${PREFIX}-worker`;
  await aws.ecs.send(
    new RegisterTaskDefinitionCommand({ family, containerDefinitions: [{ name: 'worker', image: 'busybox', memory: 128 }], tags: ecsTags }),
  );
  await aws.ecs.send(
    new CreateServiceCommand({ cluster: PREFIX, serviceName: 'worker', taskDefinition: family, desiredCount: 0, tags: ecsTags }),
  );
  await aws.aas.send(
    new RegisterScalableTargetCommand({
      ServiceNamespace: 'ecs',
      ResourceId: `service/${PREFIX}/worker`,
      ScalableDimension: 'ecs:service:DesiredCount',
      MinCapacity: 0,
      MaxCapacity: 1,
    }),
  );
  await aws.logs.send(
    new CreateLogGroupCommand({ logGroupName: `/ecs/${APP}/${ENV}/worker`, tags: Object.fromEntries(tags.map((t) => [t.Key, t.Value])) }),
  );
  await aws.ecr.send(new CreateRepositoryCommand({ repositoryName: `${APP}/${ENV}/worker`, tags }));
  await aws.ssm.send(new PutParameterCommand({ Name: `/ecs-kit/${APP}/${ENV}/TOKEN`, Type: 'SecureString', Value: 'x', Tags: tags }));
}

/** Issue 11's kinds: a queue, a schedule group with one schedule, a Cloud Map namespace and an alarm. */
async function createWorkloads(aws: Clients, network: { subnets: string[] }) {
  const tagMap = Object.fromEntries(tags.map((t) => [t.Key, t.Value]));
  await aws.sqs.send(new CreateQueueCommand({ QueueName: `${PREFIX}-worker`, tags: tagMap }));
  await aws.scheduler.send(new CreateScheduleGroupCommand({ Name: PREFIX, Tags: tags }));
  await aws.scheduler.send(
    new CreateScheduleCommand({
      GroupName: PREFIX,
      Name: 'nightly',
      ScheduleExpression: 'rate(1 hour)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: `arn:aws:ecs:us-east-1:123456789012:cluster/${PREFIX}`,
        RoleArn: `arn:aws:iam::123456789012:role/${PREFIX}-scheduler`,
        EcsParameters: {
          TaskDefinitionArn: `arn:aws:ecs:us-east-1:123456789012:task-definition/${PREFIX}-worker:1`,
          NetworkConfiguration: { awsvpcConfiguration: { Subnets: network.subnets } },
        },
      },
    }),
  );
  await aws.serviceDiscovery.send(new CreateHttpNamespaceCommand({ Name: PREFIX, Tags: tags }));
  await aws.cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: `${PREFIX}-worker-backlog`,
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Tags: tags,
    }),
  );
}

describe('e2e inventory', () => {
  let moto: Moto;
  let aws: Clients;

  beforeAll(async () => {
    moto = await startMoto();
    aws = clientsFor(moto.endpoint);
  });

  afterAll(async () => {
    await moto?.stop();
  });

  it('lists one resource of every kind, tagged for its app/env, and nothing for another env', async () => {
    const network = await createNetwork(aws);
    await createCompute(aws, network.subnets);
    await createApp(aws, network);
    await createWorkloads(aws, network);

    const inv = await inventory(moto.endpoint, APP, ENV, aws);
    const counts = Object.fromEntries(Object.entries(inv).map(([kind, ids]) => [kind, ids.length]));
    // Two subnets (a load balancer needs two zones); one of everything else.
    expect(counts, JSON.stringify(nonEmpty(inv))).toEqual({ ...Object.fromEntries(Object.keys(inv).map((kind) => [kind, 1])), subnets: 2 });
    expect(total(await inventory(moto.endpoint, APP, 'other', aws))).toBe(0);
  });
});
