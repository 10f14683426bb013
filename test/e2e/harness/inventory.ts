import { ApplicationAutoScalingClient, paginateDescribeScalableTargets } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchLogsClient, ListTagsForResourceCommand as ListLogTagsCommand, paginateDescribeLogGroups } from '@aws-sdk/client-cloudwatch-logs';
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
} from '@aws-sdk/client-ec2';
import { ECRClient, ListTagsForResourceCommand as ListEcrTagsCommand, paginateDescribeRepositories } from '@aws-sdk/client-ecr';
import {
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
import { IAMClient, ListRoleTagsCommand, paginateListRoles } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';

/**
 * Independent look at what exists in the (fake) account, built on the raw SDK only so a
 * product bug cannot hide itself. Everything is matched by the ecs-kit:app / ecs-kit:env tags.
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
    aas: new ApplicationAutoScalingClient(cfg),
    sts: new STSClient(cfg),
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
  loadBalancers: string[];
  targetGroups: string[];
  clusters: string[];
  services: string[];
  taskDefinitions: string[];
  roles: string[];
  logGroups: string[];
  repositories: string[];
  scalableTargets: string[];
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
    if (/NotFound|NoSuchEntity|does not exist|not found/i.test(`${(err as Error).name} ${(err as Error).message}`)) return undefined;
    throw err;
  }
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export async function inventory(endpoint: string, app: string, env: string, clients: Clients = clientsFor(endpoint)): Promise<Inventory> {
  const { ec2, ecs, ecr, elb, iam, logs, aas } = clients;
  const Filters = [
    { Name: `tag:${TAG_APP}`, Values: [app] },
    { Name: `tag:${TAG_ENV}`, Values: [env] },
  ];

  const ec2Part = async () => {
    const [vpcs, subnets, igws, rts, sgs, nats, eips] = await Promise.all([
      ec2.send(new DescribeVpcsCommand({ Filters })),
      ec2.send(new DescribeSubnetsCommand({ Filters })),
      ec2.send(new DescribeInternetGatewaysCommand({ Filters })),
      ec2.send(new DescribeRouteTablesCommand({ Filters })),
      ec2.send(new DescribeSecurityGroupsCommand({ Filters })),
      ec2.send(new DescribeNatGatewaysCommand({ Filter: Filters })),
      ec2.send(new DescribeAddressesCommand({ Filters })),
    ]);
    return {
      vpcs: (vpcs.Vpcs ?? []).map((v) => v.VpcId!),
      subnets: (subnets.Subnets ?? []).map((s) => s.SubnetId!),
      internetGateways: (igws.InternetGateways ?? []).map((g) => g.InternetGatewayId!),
      routeTables: (rts.RouteTables ?? []).map((r) => r.RouteTableId!),
      securityGroups: (sgs.SecurityGroups ?? []).map((g) => g.GroupId!),
      natGateways: (nats.NatGateways ?? []).filter((n) => n.State !== 'deleted' && n.State !== 'deleting').map((n) => n.NatGatewayId!),
      elasticIps: (eips.Addresses ?? []).map((a) => a.AllocationId!),
    };
  };

  const elbPart = async () => {
    const lbs = await all(paginateDescribeLoadBalancers({ client: elb }, {}), (p) => p.LoadBalancers);
    const tgs = await all(paginateDescribeTargetGroups({ client: elb }, {}), (p) => p.TargetGroups);
    const ownedArns = async (arns: string[]) => {
      const out: string[] = [];
      for (const batch of chunks(arns, 20)) {
        // One ARN deleted meanwhile fails the whole batch: then ask one by one.
        const res = (await unlessGone(() => elb.send(new DescribeTagsCommand({ ResourceArns: batch })))) ?? {
          TagDescriptions: (await Promise.all(batch.map((a) => unlessGone(() => elb.send(new DescribeTagsCommand({ ResourceArns: [a] })))))).flatMap((r) => r?.TagDescriptions ?? []),
        };
        for (const d of res.TagDescriptions ?? []) if (owned(d.Tags, app, env)) out.push(d.ResourceArn!);
      }
      return out;
    };
    return {
      loadBalancers: await ownedArns(lbs.map((l) => l.LoadBalancerArn!)),
      targetGroups: await ownedArns(tgs.map((t) => t.TargetGroupArn!)),
    };
  };

  const ecsPart = async () => {
    const clusterArns = await all(paginateListClusters({ client: ecs }, {}), (p) => p.clusterArns);
    const clusters: string[] = [];
    const services: string[] = [];
    for (const batch of chunks(clusterArns, 100)) {
      const res = await ecs.send(new DescribeClustersCommand({ clusters: batch, include: ['TAGS'] }));
      for (const c of res.clusters ?? []) if (c.status === 'ACTIVE' && owned(c.tags, app, env)) clusters.push(c.clusterArn!);
    }
    // Services are looked up in every cluster: a tagged service in a foreign cluster is still ours.
    for (const cluster of clusterArns) {
      // ListServices also returns INACTIVE services in moto; DescribeServices decides.
      const arns = await all(paginateListServices({ client: ecs }, { cluster }), (p) => p.serviceArns);
      for (const batch of chunks(arns, 10)) {
        const res = await ecs.send(new DescribeServicesCommand({ cluster, services: batch, include: ['TAGS'] }));
        for (const s of res.services ?? []) if (s.status === 'ACTIVE' && owned(s.tags, app, env)) services.push(s.serviceArn!);
      }
    }
    const taskDefinitions: string[] = [];
    const tdArns = await all(paginateListTaskDefinitions({ client: ecs }, { status: 'ACTIVE' }), (p) => p.taskDefinitionArns);
    for (const arn of tdArns) {
      const res = await unlessGone(() => ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] })));
      if (res?.taskDefinition?.status === 'ACTIVE' && owned(res.tags, app, env)) taskDefinitions.push(arn);
    }
    return { clusters, services, taskDefinitions };
  };

  const iamPart = async () => {
    const roles = await all(paginateListRoles({ client: iam }, { PathPrefix: '/ecs-kit/' }), (p) => p.Roles);
    const out: string[] = [];
    for (const r of roles) {
      const tags = (await unlessGone(() => iam.send(new ListRoleTagsCommand({ RoleName: r.RoleName! }))))?.Tags;
      if (owned(tags, app, env)) out.push(r.RoleName!);
    }
    return { roles: out };
  };

  const logsPart = async () => {
    const groups = await all(paginateDescribeLogGroups({ client: logs }, {}), (p) => p.logGroups);
    const out: string[] = [];
    for (const g of groups) {
      const arn = g.logGroupArn ?? g.arn!.replace(/:\*$/, '');
      const tags = (await unlessGone(() => logs.send(new ListLogTagsCommand({ resourceArn: arn }))))?.tags;
      if (owned(tags, app, env)) out.push(g.logGroupName!);
    }
    return { logGroups: out };
  };

  const ecrPart = async () => {
    const repos = await all(paginateDescribeRepositories({ client: ecr }, {}), (p) => p.repositories);
    const out: string[] = [];
    for (const r of repos) {
      const tags = (await unlessGone(() => ecr.send(new ListEcrTagsCommand({ resourceArn: r.repositoryArn! }))))?.tags;
      if (owned(tags, app, env)) out.push(r.repositoryName!);
    }
    return { repositories: out };
  };

  const aasPart = async () => {
    const targets = await all(paginateDescribeScalableTargets({ client: aas }, { ServiceNamespace: 'ecs' }), (p) => p.ScalableTargets);
    // The cluster is named <app>-<env>, so resource ids look like service/<app>-<env>/<service>.
    return { scalableTargets: targets.filter((t) => t.ResourceId?.startsWith(`service/${app}-${env}/`)).map((t) => t.ResourceId!) };
  };

  const parts = await Promise.all([ec2Part(), elbPart(), ecsPart(), iamPart(), logsPart(), ecrPart(), aasPart()]);
  return Object.assign({}, ...parts) as Inventory;
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
