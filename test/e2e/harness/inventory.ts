import { ApplicationAutoScalingClient, paginateDescribeScalableTargets } from '@aws-sdk/client-application-auto-scaling';
import { AutoScalingClient, paginateDescribeAutoScalingGroups } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, ListTagsForResourceCommand as ListAlarmTagsCommand, paginateDescribeAlarms } from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient,
  ListTagsForResourceCommand as ListLogTagsCommand,
  paginateDescribeLogGroups,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeAddressesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  paginateDescribeLaunchTemplates,
  type Filter,
} from '@aws-sdk/client-ec2';
import { ECRClient, ListTagsForResourceCommand as ListEcrTagsCommand, paginateDescribeRepositories } from '@aws-sdk/client-ecr';
import {
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  paginateListClusters,
  paginateListServices,
  paginateListTaskDefinitions,
} from '@aws-sdk/client-ecs';
import {
  DescribeTagsCommand,
  ElasticLoadBalancingV2Client,
  paginateDescribeLoadBalancers,
  paginateDescribeTargetGroups,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  GetInstanceProfileCommand,
  IAMClient,
  ListRoleTagsCommand,
  paginateListInstanceProfiles,
  paginateListRoles,
} from '@aws-sdk/client-iam';
import { paginateDescribeParameters, SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import {
  ListTagsForResourceCommand as ListSchedulerTagsCommand,
  SchedulerClient,
  paginateListScheduleGroups,
  paginateListSchedules,
} from '@aws-sdk/client-scheduler';
import {
  ListTagsForResourceCommand as ListNamespaceTagsCommand,
  ServiceDiscoveryClient,
  paginateListNamespaces,
} from '@aws-sdk/client-servicediscovery';
import { ListQueueTagsCommand, SQSClient, paginateListQueues } from '@aws-sdk/client-sqs';

/**
 * Independent look at what exists in the (fake) account, built on the raw SDK only so a
 * product bug cannot hide itself. Everything is matched by the ecs-kit:app / ecs-kit:env tags.
 * It must not import src/: test/unit/harness/inventory-kinds.test.ts checks that, and that every
 * resource kind a step declares (StepModule.resourceKinds) has a lister here.
 */
const TAG_APP = 'ecs-kit:app';
const TAG_ENV = 'ecs-kit:env';

export function clientsFor(endpoint: string) {
  const cfg = {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    // moto's 500s are crashes; retrying only hides them.
    maxAttempts: 1,
  };
  return {
    ec2: new EC2Client(cfg),
    ecs: new ECSClient(cfg),
    ecr: new ECRClient(cfg),
    elb: new ElasticLoadBalancingV2Client(cfg),
    iam: new IAMClient(cfg),
    logs: new CloudWatchLogsClient(cfg),
    cloudwatch: new CloudWatchClient(cfg),
    aas: new ApplicationAutoScalingClient(cfg),
    autoscaling: new AutoScalingClient(cfg),
    ssm: new SSMClient(cfg),
    sts: new STSClient(cfg),
    sqs: new SQSClient(cfg),
    scheduler: new SchedulerClient(cfg),
    serviceDiscovery: new ServiceDiscoveryClient(cfg),
  };
}
export type Clients = ReturnType<typeof clientsFor>;

export interface Inventory {
  vpcs: string[];
  subnets: string[];
  internetGateways: string[];
  routeTables: string[];
  securityGroups: string[];
  natGateways: string[];
  elasticIps: string[];
  launchTemplates: string[];
  loadBalancers: string[];
  targetGroups: string[];
  clusters: string[];
  services: string[];
  taskDefinitions: string[];
  capacityProviders: string[];
  roles: string[];
  instanceProfiles: string[];
  logGroups: string[];
  repositories: string[];
  scalableTargets: string[];
  autoScalingGroups: string[];
  parameters: string[];
  queues: string[];
  scheduleGroups: string[];
  schedules: string[];
  namespaces: string[];
  alarms: string[];
}

export function total(inv: Inventory): number {
  return Object.values(inv).reduce((n, ids: string[]) => n + ids.length, 0);
}

/** Only the non-empty kinds: readable in assertion messages. */
export function nonEmpty(inv: Inventory): Partial<Inventory> {
  return Object.fromEntries(Object.entries(inv).filter(([, ids]) => ids.length > 0));
}

type AnyTag = { Key?: string; Value?: string; key?: string; value?: string };

function owned(tags: AnyTag[] | Record<string, string> | undefined, app: string, env: string): boolean {
  if (!tags) return false;
  const map: Record<string, string | undefined> = Array.isArray(tags)
    ? Object.fromEntries(tags.map((t) => [t.Key ?? t.key ?? '', t.Value ?? t.value]))
    : tags;
  return map[TAG_APP] === app && map[TAG_ENV] === env;
}

async function all<P, T>(pages: AsyncIterable<P>, pick: (page: P) => T[] | undefined): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(...(pick(page) ?? []));
  return out;
}

/** Lists then describes: a resource another (parallel) case deletes in between is simply not there. */
async function unlessGone<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    // moto answers a task definition deleted between list and describe with "Unable to describe task definition".
    if (
      /NotFound|NoSuchEntity|does not exist|not found|Unable to describe task definition/i.test(
        `${(err as Error).name} ${(err as Error).message}`,
      )
    )
      return undefined;
    throw err;
  }
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** What a lister looks for: the resources of one app/env. */
interface Scope {
  clients: Clients;
  app: string;
  env: string;
}
type Lister = (scope: Scope) => Promise<string[]>;

const tagFilters = ({ app, env }: Scope): Filter[] => [
  { Name: `tag:${TAG_APP}`, Values: [app] },
  { Name: `tag:${TAG_ENV}`, Values: [env] },
];

/** EC2 resources, found by their tags. */
const ec2Listers = {
  vpcs: async (s: Scope) =>
    ((await s.clients.ec2.send(new DescribeVpcsCommand({ Filters: tagFilters(s) }))).Vpcs ?? []).map((v) => v.VpcId!),
  subnets: async (s: Scope) =>
    ((await s.clients.ec2.send(new DescribeSubnetsCommand({ Filters: tagFilters(s) }))).Subnets ?? []).map((n) => n.SubnetId!),
  internetGateways: async (s: Scope) =>
    ((await s.clients.ec2.send(new DescribeInternetGatewaysCommand({ Filters: tagFilters(s) }))).InternetGateways ?? []).map(
      (g) => g.InternetGatewayId!,
    ),
  routeTables: async (s: Scope) =>
    ((await s.clients.ec2.send(new DescribeRouteTablesCommand({ Filters: tagFilters(s) }))).RouteTables ?? []).map((r) => r.RouteTableId!),
  securityGroups: async (s: Scope) =>
    ((await s.clients.ec2.send(new DescribeSecurityGroupsCommand({ Filters: tagFilters(s) }))).SecurityGroups ?? []).map((g) => g.GroupId!),
  natGateways: async (s: Scope) =>
    ((await s.clients.ec2.send(new DescribeNatGatewaysCommand({ Filter: tagFilters(s) }))).NatGateways ?? [])
      // moto ignores the tag filters here, so the tags are checked again.
      .filter((n) => n.State !== 'deleted' && n.State !== 'deleting' && owned(n.Tags, s.app, s.env))
      .map((n) => n.NatGatewayId!),
  elasticIps: async (s: Scope) =>
    ((await s.clients.ec2.send(new DescribeAddressesCommand({ Filters: tagFilters(s) }))).Addresses ?? []).map((a) => a.AllocationId!),
  launchTemplates: async (s: Scope) =>
    (await all(paginateDescribeLaunchTemplates({ client: s.clients.ec2 }, { Filters: tagFilters(s) }), (p) => p.LaunchTemplates)).map(
      (t) => t.LaunchTemplateId!,
    ),
};

/** ELBv2 tags are read with a call of their own, at most 20 resources at a time. */
async function ownedElbArns({ clients: { elb }, app, env }: Scope, arns: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const batch of chunks(arns, 20)) {
    // One ARN deleted meanwhile fails the whole batch: then ask one by one.
    const res = (await unlessGone(() => elb.send(new DescribeTagsCommand({ ResourceArns: batch })))) ?? {
      TagDescriptions: (
        await Promise.all(batch.map((a) => unlessGone(() => elb.send(new DescribeTagsCommand({ ResourceArns: [a] })))))
      ).flatMap((r) => r?.TagDescriptions ?? []),
    };
    for (const d of res.TagDescriptions ?? []) if (owned(d.Tags, app, env)) out.push(d.ResourceArn!);
  }
  return out;
}

const elbListers = {
  loadBalancers: async (s: Scope) =>
    ownedElbArns(
      s,
      (await all(paginateDescribeLoadBalancers({ client: s.clients.elb }, {}), (p) => p.LoadBalancers)).map((l) => l.LoadBalancerArn!),
    ),
  targetGroups: async (s: Scope) =>
    ownedElbArns(
      s,
      (await all(paginateDescribeTargetGroups({ client: s.clients.elb }, {}), (p) => p.TargetGroups)).map((t) => t.TargetGroupArn!),
    ),
};

/** Every cluster in the account, ACTIVE or not, with its tags and capacity providers. */
async function describeAllClusters({ clients: { ecs } }: Scope) {
  const arns = await all(paginateListClusters({ client: ecs }, {}), (p) => p.clusterArns);
  const out = [];
  for (const batch of chunks(arns, 100))
    out.push(...((await ecs.send(new DescribeClustersCommand({ clusters: batch, include: ['TAGS'] }))).clusters ?? []));
  return { arns, clusters: out };
}

const ecsListers = {
  clusters: async (s: Scope) =>
    (await describeAllClusters(s)).clusters.filter((c) => c.status === 'ACTIVE' && owned(c.tags, s.app, s.env)).map((c) => c.clusterArn!),
  // Services are looked up in every cluster: a tagged service in a foreign cluster is still ours.
  services: async (s: Scope) => {
    const { ecs } = s.clients;
    const out: string[] = [];
    for (const cluster of (await describeAllClusters(s)).arns) {
      // ListServices also returns INACTIVE services in moto; DescribeServices decides.
      const arns = await all(paginateListServices({ client: ecs }, { cluster }), (p) => p.serviceArns);
      for (const batch of chunks(arns, 10)) {
        const res = await ecs.send(new DescribeServicesCommand({ cluster, services: batch, include: ['TAGS'] }));
        for (const svc of res.services ?? []) if (svc.status === 'ACTIVE' && owned(svc.tags, s.app, s.env)) out.push(svc.serviceArn!);
      }
    }
    return out;
  },
  taskDefinitions: async (s: Scope) => {
    const out: string[] = [];
    for (const arn of await all(
      paginateListTaskDefinitions({ client: s.clients.ecs }, { status: 'ACTIVE' }),
      (p) => p.taskDefinitionArns,
    )) {
      const res = await unlessGone(() => s.clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] })));
      if (res?.taskDefinition?.status === 'ACTIVE' && owned(res.tags, s.app, s.env)) out.push(arn);
    }
    return out;
  },
  // moto answers DescribeCapacityProviders only for the names it is given (AWS lists them all), so ask for those on a
  // cluster and for the name an EC2 capacity provider of this app/env gets (cp- when it would start with aws, ecs or fargate).
  capacityProviders: async (s: Scope) => {
    const attached = (await describeAllClusters(s)).clusters.flatMap((c) => c.capacityProviders ?? []);
    const names = [...new Set([...attached, `${s.app}-${s.env}-ec2`, `cp-${s.app}-${s.env}-ec2`])].filter(
      (n) => !/^FARGATE(_SPOT)?$/.test(n),
    );
    const out: string[] = [];
    for (const batch of chunks(names, 100)) {
      const res = await s.clients.ecs.send(new DescribeCapacityProvidersCommand({ capacityProviders: batch, include: ['TAGS'] }));
      for (const p of res.capacityProviders ?? [])
        if (p.status === 'ACTIVE' && owned(p.tags, s.app, s.env)) out.push(p.capacityProviderArn!);
    }
    return out;
  },
};

/** IAM: everything ecs-kit makes sits under /ecs-kit/, and its tags say for which app/env. */
const iamListers = {
  roles: async ({ clients: { iam }, app, env }: Scope) => {
    const out: string[] = [];
    for (const r of await all(paginateListRoles({ client: iam }, { PathPrefix: '/ecs-kit/' }), (p) => p.Roles)) {
      const tags = (await unlessGone(() => iam.send(new ListRoleTagsCommand({ RoleName: r.RoleName! }))))?.Tags;
      if (owned(tags, app, env)) out.push(r.RoleName!);
    }
    return out;
  },
  instanceProfiles: async ({ clients: { iam }, app, env }: Scope) => {
    const out: string[] = [];
    const profiles = await all(paginateListInstanceProfiles({ client: iam }, { PathPrefix: '/ecs-kit/' }), (p) => p.InstanceProfiles);
    for (const p of profiles.filter((x) => x.Path?.startsWith('/ecs-kit/'))) {
      // moto has no ListInstanceProfileTags; GetInstanceProfile carries the tags (on AWS too).
      const tags =
        p.Tags ??
        (await unlessGone(() => iam.send(new GetInstanceProfileCommand({ InstanceProfileName: p.InstanceProfileName! }))))?.InstanceProfile
          ?.Tags;
      if (owned(tags, app, env)) out.push(p.InstanceProfileName!);
    }
    return out;
  },
};

const otherListers = {
  logGroups: async ({ clients: { logs }, app, env }: Scope) => {
    const out: string[] = [];
    for (const g of await all(paginateDescribeLogGroups({ client: logs }, {}), (p) => p.logGroups)) {
      const arn = g.logGroupArn ?? g.arn!.replace(/:\*$/, '');
      const tags = (await unlessGone(() => logs.send(new ListLogTagsCommand({ resourceArn: arn }))))?.tags;
      if (owned(tags, app, env)) out.push(g.logGroupName!);
    }
    return out;
  },
  repositories: async ({ clients: { ecr }, app, env }: Scope) => {
    const out: string[] = [];
    for (const r of await all(paginateDescribeRepositories({ client: ecr }, {}), (p) => p.repositories)) {
      const tags = (await unlessGone(() => ecr.send(new ListEcrTagsCommand({ resourceArn: r.repositoryArn! }))))?.tags;
      if (owned(tags, app, env)) out.push(r.repositoryName!);
    }
    return out;
  },
  // The cluster is named <app>-<env>, so resource ids look like service/<app>-<env>/<service>.
  scalableTargets: async ({ clients: { aas }, app, env }: Scope) =>
    (await all(paginateDescribeScalableTargets({ client: aas }, { ServiceNamespace: 'ecs' }), (p) => p.ScalableTargets))
      .filter((t) => t.ResourceId?.startsWith(`service/${app}-${env}/`))
      .map((t) => t.ResourceId!),
  autoScalingGroups: async (s: Scope) =>
    (
      await all(
        paginateDescribeAutoScalingGroups({ client: s.clients.autoscaling }, { Filters: tagFilters(s) }),
        (p) => p.AutoScalingGroups,
      )
    )
      .filter((g) => g.Status !== 'Delete in progress')
      .map((g) => g.AutoScalingGroupName!),
  parameters: async ({ clients: { ssm }, app, env }: Scope) => {
    const ParameterFilters = [
      { Key: `tag:${TAG_APP}`, Values: [app] },
      { Key: `tag:${TAG_ENV}`, Values: [env] },
    ];
    return (await all(paginateDescribeParameters({ client: ssm }, { ParameterFilters }), (p) => p.Parameters)).map((p) => p.Name!);
  },
};

/** Queue workers, scheduled jobs, Service Connect and backlog alarms (issue 11). */
const workloadListers = {
  queues: async ({ clients: { sqs }, app, env }: Scope) => {
    const out: string[] = [];
    for (const url of await all(paginateListQueues({ client: sqs }, {}), (p) => p.QueueUrls)) {
      const tags = (await unlessGone(() => sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))))?.Tags;
      if (owned(tags, app, env)) out.push(url.slice(url.lastIndexOf('/') + 1));
    }
    return out;
  },
  scheduleGroups: async ({ clients: { scheduler }, app, env }: Scope) => {
    const out: string[] = [];
    for (const g of await all(paginateListScheduleGroups({ client: scheduler }, {}), (p) => p.ScheduleGroups)) {
      if (g.State === 'DELETING') continue;
      const tags = (await unlessGone(() => scheduler.send(new ListSchedulerTagsCommand({ ResourceArn: g.Arn! }))))?.Tags;
      if (owned(tags, app, env)) out.push(g.Name!);
    }
    return out;
  },
  // Schedules carry no tags: the ones in an owned group are ecs-kit's.
  schedules: async (s: Scope) => {
    const groups = await workloadListers.scheduleGroups(s);
    const out: string[] = [];
    for (const group of groups) {
      const list = await all(paginateListSchedules({ client: s.clients.scheduler }, { GroupName: group }), (p) => p.Schedules);
      out.push(...list.map((x) => `${group}/${x.Name!}`));
    }
    return out;
  },
  namespaces: async ({ clients: { serviceDiscovery }, app, env }: Scope) => {
    const out: string[] = [];
    for (const n of await all(paginateListNamespaces({ client: serviceDiscovery }, {}), (p) => p.Namespaces)) {
      const tags = (await unlessGone(() => serviceDiscovery.send(new ListNamespaceTagsCommand({ ResourceARN: n.Arn! }))))?.Tags;
      if (owned(tags, app, env)) out.push(n.Name!);
    }
    return out;
  },
  alarms: async ({ clients: { cloudwatch }, app, env }: Scope) => {
    const out: string[] = [];
    for (const a of await all(paginateDescribeAlarms({ client: cloudwatch }, {}), (p) => p.MetricAlarms)) {
      const tags = (await unlessGone(() => cloudwatch.send(new ListAlarmTagsCommand({ ResourceARN: a.AlarmArn! }))))?.Tags;
      if (owned(tags, app, env)) out.push(a.AlarmName!);
    }
    return out;
  },
};

/**
 * One lister per kind of AWS resource ecs-kit creates, named as IAM's service authorization reference names the
 * resource type, and the inventory field it fills.
 */
const LISTERS: { [F in keyof Inventory]: { kind: string; list: Lister } } = {
  vpcs: { kind: 'ec2:vpc', list: ec2Listers.vpcs },
  subnets: { kind: 'ec2:subnet', list: ec2Listers.subnets },
  internetGateways: { kind: 'ec2:internet-gateway', list: ec2Listers.internetGateways },
  routeTables: { kind: 'ec2:route-table', list: ec2Listers.routeTables },
  securityGroups: { kind: 'ec2:security-group', list: ec2Listers.securityGroups },
  natGateways: { kind: 'ec2:natgateway', list: ec2Listers.natGateways },
  elasticIps: { kind: 'ec2:elastic-ip', list: ec2Listers.elasticIps },
  launchTemplates: { kind: 'ec2:launch-template', list: ec2Listers.launchTemplates },
  loadBalancers: { kind: 'elasticloadbalancing:loadbalancer', list: elbListers.loadBalancers },
  targetGroups: { kind: 'elasticloadbalancing:targetgroup', list: elbListers.targetGroups },
  clusters: { kind: 'ecs:cluster', list: ecsListers.clusters },
  services: { kind: 'ecs:service', list: ecsListers.services },
  taskDefinitions: { kind: 'ecs:task-definition', list: ecsListers.taskDefinitions },
  capacityProviders: { kind: 'ecs:capacity-provider', list: ecsListers.capacityProviders },
  roles: { kind: 'iam:role', list: iamListers.roles },
  instanceProfiles: { kind: 'iam:instance-profile', list: iamListers.instanceProfiles },
  logGroups: { kind: 'logs:log-group', list: otherListers.logGroups },
  repositories: { kind: 'ecr:repository', list: otherListers.repositories },
  scalableTargets: { kind: 'application-autoscaling:scalable-target', list: otherListers.scalableTargets },
  autoScalingGroups: { kind: 'autoscaling:autoScalingGroup', list: otherListers.autoScalingGroups },
  parameters: { kind: 'ssm:parameter', list: otherListers.parameters },
  queues: { kind: 'sqs:queue', list: workloadListers.queues },
  scheduleGroups: { kind: 'scheduler:schedule-group', list: workloadListers.scheduleGroups },
  schedules: { kind: 'scheduler:schedule', list: workloadListers.schedules },
  namespaces: { kind: 'servicediscovery:namespace', list: workloadListers.namespaces },
  alarms: { kind: 'cloudwatch:alarm', list: workloadListers.alarms },
};

/** The resource kinds the inventory can list. */
export const LISTED_KINDS: ReadonlySet<string> = new Set(Object.values(LISTERS).map((l) => l.kind));

export async function inventory(endpoint: string, app: string, env: string, clients: Clients = clientsFor(endpoint)): Promise<Inventory> {
  const fields = Object.entries(LISTERS) as [keyof Inventory, { list: Lister }][];
  const found = await Promise.all(fields.map(async ([field, { list }]) => [field, await list({ clients, app, env })] as const));
  return Object.fromEntries(found) as unknown as Inventory;
}

/** A VPC + subnet the user made by hand, with no ecs-kit tags: ecs-kit must never touch it. */
export async function seedVpc(endpoint: string, clients: Clients = clientsFor(endpoint)): Promise<{ vpcId: string; subnetId: string }> {
  const vpc = await clients.ec2.send(
    new CreateVpcCommand({
      CidrBlock: '10.99.0.0/16',
      TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'user-owned' }] }],
    }),
  );
  const vpcId = vpc.Vpc!.VpcId!;
  const subnet = await clients.ec2.send(
    new CreateSubnetCommand({
      VpcId: vpcId,
      CidrBlock: '10.99.1.0/24',
      AvailabilityZone: 'us-east-1a',
      TagSpecifications: [{ ResourceType: 'subnet', Tags: [{ Key: 'Name', Value: 'user-owned' }] }],
    }),
  );
  return { vpcId, subnetId: subnet.Subnet!.SubnetId! };
}
